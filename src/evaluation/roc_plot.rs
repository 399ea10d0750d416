//! ROC curve as a PNG image, drawn pixel by pixel and encoded with the `png` crate.
//!
//! The picture: a square plot area with a light grid every 0.2, the chance diagonal (dashed), the
//! ROC curve joining its points with straight segments (a tie across classes gives a diagonal
//! step, as in sklearn's plots), the operating point as a black square, tick labels, axis titles
//! and up to three title lines (`radscored evaluate` names the model, endpoint and feature set,
//! the AUC with its DeLong 95% interval, n positive/negative and the operating point). Text uses
//! a built-in 5×7 pixel font (digits, capitals and ` .,:-_/%()>=`; lower case is drawn as upper
//! case), so no system font is needed.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use super::metrics::{DelongAuc, RocPoint};

/// Image width and height in pixels.
const SIZE_PX: u32 = 560;
/// Pixel column of fpr = 0 (the plot area is square: 430 × 430 pixels).
const PLOT_LEFT: i32 = 100;
/// Pixel column of fpr = 1.
const PLOT_RIGHT: i32 = 530;
/// Pixel row of tpr = 1.
const PLOT_TOP: i32 = 80;
/// Pixel row of tpr = 0.
const PLOT_BOTTOM: i32 = 510;
/// Pixel row of the top of the first title line.
const TITLE_TOP: i32 = 8;
/// Pixel rows from one title line to the next.
const TITLE_PITCH: i32 = 20;
/// Title lines that fit above the plot.
pub const TITLE_LINES: usize = 3;
/// Characters that fit on one title line.
pub const TITLE_CHARS: usize = (SIZE_PX as usize) / (ADVANCE_PX as usize);
/// Side of the operating point's square, in pixels.
const MARKER_PX: i32 = 9;
/// Pixels per font cell (each glyph cell is drawn as a square of this side).
const FONT_SCALE: i32 = 2;
/// Glyph width in font cells.
const GLYPH_W: i32 = 5;
/// Glyph height in font cells.
const GLYPH_H: i32 = 7;
/// Horizontal advance per character, in pixels.
const ADVANCE_PX: i32 = (GLYPH_W + 1) * FONT_SCALE;

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const GRID: Rgb = [225, 225, 225];
const CHANCE: Rgb = [150, 150, 150];
/// Colour of the ROC curve.
const CURVE: Rgb = [31, 119, 180];

type Rgb = [u8; 3];

/// Why the ROC image could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The output file could not be created.
    #[error("could not create ROC image {path}")]
    Create {
        /// The image file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// Encoding or writing the PNG failed.
    #[error("could not write ROC image {path}")]
    Encode {
        /// The image file.
        path: PathBuf,
        /// The encoder's failure.
        #[source]
        source: png::EncodingError,
    },
}

/// What a ROC figure shows besides the curve.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RocLabels {
    /// Title lines, top first (at most [`TITLE_LINES`] are drawn, each cut at [`TITLE_CHARS`]).
    pub title: Vec<String>,
    /// The operating point (fpr, tpr) marked on the curve.
    pub operating_point: Option<(f64, f64)>,
}

impl RocLabels {
    /// The AUC line of a title: `AUC 0.812 (95% CI 0.741-0.883)`.
    pub fn auc_line(d: &DelongAuc) -> String {
        format!("AUC {:.3} (95% CI {:.3}-{:.3})", d.auc, d.lower, d.upper)
    }
}

/// Draws the ROC curve `points` (from [`super::metrics::roc_curve`]) into an RGB PNG at `path`,
/// with the title lines and operating point of `labels`.
pub fn write_roc_png(path: &Path, points: &[RocPoint], labels: &RocLabels) -> Result<(), PlotError> {
    let canvas = render(points, labels);
    let file = File::create(path).map_err(|source| PlotError::Create { path: path.to_owned(), source })?;
    let encode_error = |source| PlotError::Encode { path: path.to_owned(), source };
    let mut encoder = png::Encoder::new(BufWriter::new(file), SIZE_PX, SIZE_PX);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(encode_error)?;
    writer.write_image_data(&canvas.pixels).map_err(encode_error)?;
    writer.finish().map_err(encode_error)
}

/// Pixel position of a point of ROC space (fpr, tpr ∈ [0, 1]).
fn to_pixel(fpr: f64, tpr: f64) -> (i32, i32) {
    let x = f64::from(PLOT_LEFT) + fpr * f64::from(PLOT_RIGHT - PLOT_LEFT);
    let y = f64::from(PLOT_BOTTOM) - tpr * f64::from(PLOT_BOTTOM - PLOT_TOP);
    (x.round() as i32, y.round() as i32)
}

/// An RGB image, rows top to bottom.
struct Canvas {
    pixels: Vec<u8>,
}

impl Canvas {
    fn new() -> Self {
        Self { pixels: WHITE.repeat((SIZE_PX * SIZE_PX) as usize) }
    }

    /// Sets one pixel; points outside the image are ignored.
    fn set(&mut self, x: i32, y: i32, color: Rgb) {
        let size = SIZE_PX as i32;
        if (0..size).contains(&x) && (0..size).contains(&y) {
            let at = 3 * (y as usize * SIZE_PX as usize + x as usize);
            self.pixels[at..at + 3].copy_from_slice(&color);
        }
    }

    /// A `width`-pixel square brush at (x, y).
    fn dab(&mut self, x: i32, y: i32, width: i32, color: Rgb) {
        for dy in 0..width {
            for dx in 0..width {
                self.set(x + dx - width / 2, y + dy - width / 2, color);
            }
        }
    }

    /// Bresenham line from `a` to `b`; with `dash` = Some(n) only alternate runs of n pixels are
    /// drawn.
    fn line(&mut self, a: (i32, i32), b: (i32, i32), width: i32, color: Rgb, dash: Option<i32>) {
        let (mut x, mut y) = a;
        let (dx, dy) = ((b.0 - a.0).abs(), -(b.1 - a.1).abs());
        let (sx, sy) = ((b.0 - a.0).signum(), (b.1 - a.1).signum());
        let mut err = dx + dy;
        let mut step = 0;
        loop {
            if dash.is_none_or(|n| (step / n) % 2 == 0) {
                self.dab(x, y, width, color);
            }
            if (x, y) == b {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
            step += 1;
        }
    }

    /// Writes `text` with its top-left corner at (x, y), left to right, or bottom to top when
    /// `vertical` (for the y-axis title). Characters without a glyph leave a blank.
    fn text(&mut self, x: i32, y: i32, text: &str, vertical: bool) {
        for (k, c) in text.chars().enumerate() {
            let Some(rows) = glyph(c) else { continue };
            let along = k as i32 * ADVANCE_PX;
            for (gy, bits) in rows.iter().enumerate() {
                for gx in 0..GLYPH_W {
                    if bits & (1 << (GLYPH_W - 1 - gx)) == 0 {
                        continue;
                    }
                    let (u, v) = (along + gx * FONT_SCALE, gy as i32 * FONT_SCALE);
                    let (px, py) = if vertical { (x + v, y - u) } else { (x + u, y + v) };
                    for s in 0..FONT_SCALE {
                        for t in 0..FONT_SCALE {
                            let (ox, oy) = if vertical { (t, -s) } else { (s, t) };
                            self.set(px + ox, py + oy, BLACK);
                        }
                    }
                }
            }
        }
    }
}

/// Width in pixels of `text` in the built-in font.
fn text_width(text: &str) -> i32 {
    text.chars().count() as i32 * ADVANCE_PX - FONT_SCALE
}

fn render(points: &[RocPoint], labels: &RocLabels) -> Canvas {
    let mut c = Canvas::new();
    let ticks = [(0.0, "0"), (0.2, "0.2"), (0.4, "0.4"), (0.6, "0.6"), (0.8, "0.8"), (1.0, "1")];
    for (v, label) in ticks {
        let (gx, _) = to_pixel(v, 0.0);
        let (_, gy) = to_pixel(0.0, v);
        c.line((gx, PLOT_TOP), (gx, PLOT_BOTTOM), 1, GRID, None);
        c.line((PLOT_LEFT, gy), (PLOT_RIGHT, gy), 1, GRID, None);
        c.text(gx - text_width(label) / 2, PLOT_BOTTOM + 8, label, false);
        c.text(PLOT_LEFT - 8 - text_width(label), gy - GLYPH_H * FONT_SCALE / 2, label, false);
    }
    let corners =
        [(PLOT_LEFT, PLOT_TOP), (PLOT_RIGHT, PLOT_TOP), (PLOT_RIGHT, PLOT_BOTTOM), (PLOT_LEFT, PLOT_BOTTOM)];
    for k in 0..4 {
        c.line(corners[k], corners[(k + 1) % 4], 1, BLACK, None);
    }
    c.line(to_pixel(0.0, 0.0), to_pixel(1.0, 1.0), 1, CHANCE, Some(6));
    for pair in points.windows(2) {
        let a = to_pixel(pair[0].fpr, pair[0].tpr);
        let b = to_pixel(pair[1].fpr, pair[1].tpr);
        c.line(a, b, 3, CURVE, None);
    }
    let centre_x = (PLOT_LEFT + PLOT_RIGHT) / 2;
    let x_title = "FALSE POSITIVE RATE";
    c.text(centre_x - text_width(x_title) / 2, PLOT_BOTTOM + 30, x_title, false);
    let y_title = "TRUE POSITIVE RATE";
    let centre_y = (PLOT_TOP + PLOT_BOTTOM) / 2;
    c.text(14, centre_y + text_width(y_title) / 2, y_title, true);
    if let Some((fpr, tpr)) = labels.operating_point {
        let (x, y) = to_pixel(fpr, tpr);
        for dx in -MARKER_PX / 2..=MARKER_PX / 2 {
            for dy in -MARKER_PX / 2..=MARKER_PX / 2 {
                c.set(x + dx, y + dy, BLACK);
            }
        }
    }
    for (n, line) in labels.title.iter().take(TITLE_LINES).enumerate() {
        let line: String = line.to_uppercase().chars().take(TITLE_CHARS).collect();
        let x = (SIZE_PX as i32 - text_width(&line)) / 2;
        c.text(x, TITLE_TOP + n as i32 * TITLE_PITCH, &line, false);
    }
    c
}

/// The 5×7 bitmap of `c`, one byte per row (top first), bit 4 = leftmost column.
fn glyph(c: char) -> Option<[u8; 7]> {
    Some(match c {
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        '%' => [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
        '_' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F],
        ',' => [0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08],
        ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
        '/' => [0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00],
        '>' => [0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08],
        '=' => [0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixel(c: &Canvas, (x, y): (i32, i32)) -> Rgb {
        let at = 3 * (y as usize * SIZE_PX as usize + x as usize);
        [c.pixels[at], c.pixels[at + 1], c.pixels[at + 2]]
    }

    #[test]
    fn curve_diagonal_and_title_are_drawn() {
        let p = |fpr, tpr| RocPoint { fpr, tpr, threshold: 0.5 };
        let points = [p(0.0, 0.0), p(0.0, 0.5), p(0.5, 1.0), p(1.0, 1.0)];
        let auc = DelongAuc { auc: 0.875, variance: 0.03, lower: 0.5, upper: 1.0 };
        let labels = RocLabels {
            title: vec!["PI 3D_peritumoral lda".into(), RocLabels::auc_line(&auc)],
            operating_point: Some((0.5, 1.0)),
        };
        let c = render(&points, &labels);
        // on the first segment (x = 0, tpr 0 → 0.5) and the middle one (slope 1)
        assert_eq!(pixel(&c, to_pixel(0.0, 0.25)), CURVE);
        assert_eq!(pixel(&c, to_pixel(0.25, 0.75)), CURVE);
        // the chance diagonal at its start (first dash), nothing in the empty lower right
        assert_eq!(pixel(&c, to_pixel(0.01, 0.01)), CHANCE);
        assert_eq!(pixel(&c, to_pixel(0.9, 0.1)), WHITE);
        // some black text in the title band
        let band = |row: i32| 3 * row as usize * SIZE_PX as usize;
        let title_band = &c.pixels[band(TITLE_TOP)..band(TITLE_TOP + GLYPH_H * FONT_SCALE)];
        assert!(title_band.chunks(3).any(|px| px == BLACK));
        let second =
            &c.pixels[band(TITLE_TOP + TITLE_PITCH)..band(TITLE_TOP + TITLE_PITCH + GLYPH_H * FONT_SCALE)];
        assert!(second.chunks(3).any(|px| px == BLACK));
        // the operating point's square covers the curve there
        let (x, y) = to_pixel(0.5, 1.0);
        assert_eq!(pixel(&c, (x + MARKER_PX / 2, y + MARKER_PX / 2)), BLACK);
    }

    #[test]
    fn unwritable_targets_are_typed_errors() {
        let points = [RocPoint { fpr: 0.0, tpr: 0.0, threshold: 1.0 }];
        let none = RocLabels::default();
        let err = write_roc_png(Path::new("/nonexistent/dir/roc.png"), &points, &none).unwrap_err();
        assert!(matches!(err, PlotError::Create { .. }), "{err}");
        // /dev/full accepts the open but fails every write (ENOSPC).
        let err = write_roc_png(Path::new("/dev/full"), &points, &none).unwrap_err();
        assert!(matches!(err, PlotError::Encode { .. }), "{err}");
        assert_eq!(err.to_string(), "could not write ROC image /dev/full");
    }

    #[test]
    fn every_label_character_has_a_glyph() {
        let every_letter = "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG";
        for text in [
            "FALSE POSITIVE RATE",
            "AUC 0.123 (95% CI 0.456-0.789)",
            every_letter,
            "N 9 POS/8 NEG, P>0.5: TPR_=,",
        ] {
            for ch in text.chars().filter(|&ch| ch != ' ') {
                assert!(glyph(ch).is_some(), "{ch}");
            }
        }
    }
}
