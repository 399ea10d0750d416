//! The key image: what the deep network saw and where it looked, for a person to read at the PACS.
//!
//! Left, the deep patch (160 × 160 pixels of the CT slice, drawn 3 × 3 per pixel) in a lung
//! window (level −600 HU, width 1500 HU), under the attention map (the heads' CAM, which equals
//! Grad-CAM for this network: see [`crate::model::deep::AttentionMap`]; scaled from its minimum
//! to its maximum, as a blue-to-red heat map, transparent at the minimum and 45 % opaque at the
//! maximum), the
//! peritumoral ring (green tint, green outer contour) and the tumor contour (red). Right, a
//! burned-in table: the ten endpoints' probability and predicted label, the bundle's name and
//! label, and a legend.
//!
//! As DICOM it is a Secondary Capture Image (PS3.3 A.8.1), RGB 8 bits, in its own series
//! described as AI output, ImageType `DERIVED\SECONDARY\ATTENTION_MAP`, BurnedInAnnotation
//! `YES`, with the CT slice as its source image. [`RgbImage::png`] writes the same pixels as PNG.

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileDicomObject, InMemDicomObject};

use super::dicom::{self, put_seq, put_str, Common, Object};
use super::{font, Algorithm, ExportError};
use crate::model::bundle::Endpoint;
use crate::roi::PATCH_SIDE;
use crate::study::Analysis;

/// Screen pixels per patch pixel.
const ZOOM: usize = 3;
/// Width of the text panel, pixels.
const PANEL: usize = 440;
/// Font scale of the text.
const TEXT_SCALE: usize = 2;
/// Lung window: level and width, HU.
const WINDOW_HU: (f32, f32) = (-600.0, 1500.0);
/// Opacity of the attention map where it is largest.
const ATTENTION_ALPHA: f32 = 0.45;
/// Opacity of the ring's tint.
const RING_ALPHA: f32 = 0.25;
const TUMOR_RGB: [u8; 3] = [255, 40, 40];
const RING_RGB: [u8; 3] = [40, 230, 90];
const TEXT_RGB: [u8; 3] = [240, 240, 240];
const WARN_RGB: [u8; 3] = [255, 200, 60];
/// Series number of the key image (the structured report's is one less).
pub const KEY_IMAGE_SERIES_NUMBER: u32 = 9902;
/// Its series description.
pub const KEY_IMAGE_SERIES_DESCRIPTION: &str = "AI output: key image, attention map (radscored)";

/// An 8-bit RGB image, row-major, pixel-interleaved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbImage {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `width · height · 3` bytes: R, G, B of each pixel.
    pub pixels: Vec<u8>,
}

impl RgbImage {
    fn new(width: usize, height: usize) -> RgbImage {
        RgbImage { width, height, pixels: vec![0; width * height * 3] }
    }

    fn set(&mut self, x: usize, y: usize, rgb: [u8; 3]) {
        if x < self.width && y < self.height {
            let at = (y * self.width + x) * 3;
            self.pixels[at..at + 3].copy_from_slice(&rgb);
        }
    }

    fn blend(&mut self, x: usize, y: usize, rgb: [u8; 3], alpha: f32) {
        let at = (y * self.width + x) * 3;
        for (c, &v) in self.pixels[at..at + 3].iter_mut().zip(&rgb) {
            *c = (f32::from(*c) * (1.0 - alpha) + f32::from(v) * alpha).round() as u8;
        }
    }

    fn text(&mut self, text: &str, x: usize, y: usize, rgb: [u8; 3]) {
        font::draw(text, x, y, TEXT_SCALE, |px, py| self.set(px, py, rgb));
    }

    /// The image as a PNG file.
    pub fn png(&self) -> Result<Vec<u8>, ExportError> {
        let mut out = Vec::new();
        let size = |v: usize| u32::try_from(v).map_err(|e| ExportError::Png(e.to_string()));
        let mut encoder = png::Encoder::new(&mut out, size(self.width)?, size(self.height)?);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| ExportError::Png(e.to_string()))?;
        writer.write_image_data(&self.pixels).map_err(|e| ExportError::Png(e.to_string()))?;
        writer.finish().map_err(|e| ExportError::Png(e.to_string()))?;
        Ok(out)
    }
}

/// Draws the key image of `analysis`.
pub fn render_key_image(analysis: &Analysis, algorithm: &Algorithm) -> Result<RgbImage, ExportError> {
    let predictions = analysis.report.predictions.as_ref().ok_or(ExportError::NoPredictions)?;
    let view = &analysis.patch;
    let side = PATCH_SIDE * ZOOM;
    let mut img = RgbImage::new(side + PANEL, side);
    let attention = view.attention.as_ref().map(|a| a.upsampled());
    let (low, width) = (WINDOW_HU.0 - WINDOW_HU.1 / 2.0, WINDOW_HU.1);
    let inside = |mask: &[u8], x: i64, y: i64| {
        let (px, py) = (x.div_euclid(ZOOM as i64), y.div_euclid(ZOOM as i64));
        (0..PATCH_SIDE as i64).contains(&px)
            && (0..PATCH_SIDE as i64).contains(&py)
            && mask[py as usize * PATCH_SIDE + px as usize] != 0
    };
    // On a contour: inside the region, with a pixel outside it within 2 screen pixels.
    let contour = |mask: &[u8], x: i64, y: i64| {
        inside(mask, x, y)
            && [(-2, 0), (-1, 0), (1, 0), (2, 0), (0, -2), (0, -1), (0, 1), (0, 2)]
                .iter()
                .any(|(dx, dy)| !inside(mask, x + dx, y + dy))
    };
    let both: Vec<u8> = view.tumor.iter().zip(&view.ring).map(|(t, r)| t | r).collect();
    for y in 0..side {
        for x in 0..side {
            let p = (y / ZOOM) * PATCH_SIDE + x / ZOOM;
            let grey = (((view.hu[p] - low) / width).clamp(0.0, 1.0) * 255.0).round() as u8;
            img.set(x, y, [grey; 3]);
            if let Some(a) = &attention {
                img.blend(x, y, heat(a[p]), ATTENTION_ALPHA * a[p]);
            }
            if view.ring[p] != 0 {
                img.blend(x, y, RING_RGB, RING_ALPHA);
            }
            let (xi, yi) = (x as i64, y as i64);
            if contour(&both, xi, yi) && view.tumor[p] == 0 {
                img.set(x, y, RING_RGB);
            }
            if contour(&view.tumor, xi, yi) {
                img.set(x, y, TUMOR_RGB);
            }
        }
    }

    let line = font::LINE_HEIGHT * TEXT_SCALE;
    let left = side + 16;
    let mut y = 14;
    let put = |img: &mut RgbImage, text: &str, rgb: [u8; 3], y: &mut usize| {
        img.text(text, left, *y, rgb);
        *y += line;
    };
    put(&mut img, "AI OUTPUT - RADSCORED", WARN_RGB, &mut y);
    put(&mut img, &format!("MODEL {}", algorithm.name), TEXT_RGB, &mut y);
    for part in wrap(&algorithm.label, (PANEL - 24) / (font::ADVANCE * TEXT_SCALE)) {
        put(&mut img, &part, WARN_RGB, &mut y);
    }
    y += line / 2;
    put(&mut img, "ENDPOINT  PROBABILITY  LABEL", TEXT_RGB, &mut y);
    for endpoint in Endpoint::ALL {
        if let Some(p) = predictions.endpoints.get(endpoint.as_str()) {
            let label = if p.label == 1 { "POS" } else { "NEG" };
            let text = format!("{:<8}  {:>11.3}  {:>5}", endpoint.as_str(), p.probability, label);
            put(&mut img, &text, if p.label == 1 { WARN_RGB } else { TEXT_RGB }, &mut y);
        }
    }
    y += line / 2;
    put(&mut img, "RED: TUMOR CONTOUR", TUMOR_RGB, &mut y);
    put(&mut img, &format!("GREEN: {} MM RING", analysis.provenance.ring_radius_mm), RING_RGB, &mut y);
    let attention_legend =
        if view.attention.is_some() { "HEAT: ATTENTION (CAM)" } else { "NO ATTENTION MAP" };
    put(&mut img, attention_legend, TEXT_RGB, &mut y);
    put(&mut img, "LUNG WINDOW -600/1500 HU", TEXT_RGB, &mut y);
    Ok(img)
}

/// The key image of `analysis` as a Secondary Capture, a Part 10 file.
pub fn key_image(
    analysis: &Analysis,
    algorithm: &Algorithm,
) -> Result<FileDicomObject<InMemDicomObject>, ExportError> {
    let image = render_key_image(analysis, algorithm)?;
    let provenance = &analysis.provenance;
    let slice = provenance
        .ct_slices
        .get(analysis.patch.slice)
        .ok_or(ExportError::SourceHeader("the patch slice (not in the series)"))?;
    let ct = dicom::read_header(&slice.path, "the CT slice of the patch")?;
    let (date, time) = dicom::now();
    let sop_instance_uid = dicom::new_uid()?;
    let series_uid = dicom::new_uid()?;
    let mut obj = Object::new_empty();
    Common {
        sop_class_uid: uids::SECONDARY_CAPTURE_IMAGE_STORAGE,
        sop_instance_uid: &sop_instance_uid,
        series_uid: &series_uid,
        series_number: KEY_IMAGE_SERIES_NUMBER,
        series_description: KEY_IMAGE_SERIES_DESCRIPTION,
        modality: "OT",
        now: (&date, &time),
    }
    .put(&mut obj, algorithm);
    dicom::copy_patient_and_study(&mut obj, &ct);
    put_str(&mut obj, tags::CONVERSION_TYPE, VR::CS, "WSD");
    put_str(&mut obj, tags::IMAGE_TYPE, VR::CS, "DERIVED\\SECONDARY\\ATTENTION_MAP");
    put_str(&mut obj, tags::BURNED_IN_ANNOTATION, VR::CS, "YES");
    put_str(&mut obj, tags::RECOGNIZABLE_VISUAL_FEATURES, VR::CS, "NO");
    put_str(&mut obj, tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00");
    put_str(&mut obj, tags::PATIENT_ORIENTATION, VR::CS, "");
    // General Series: Laterality is Type 2C for paired body parts; naming the (unpaired) body
    // part tells validators why it is absent.
    put_str(&mut obj, tags::BODY_PART_EXAMINED, VR::CS, "CHEST");
    put_str(&mut obj, tags::CONTENT_DATE, VR::DA, &date);
    put_str(&mut obj, tags::CONTENT_TIME, VR::TM, &time);
    put_str(&mut obj, tags::DATE_OF_SECONDARY_CAPTURE, VR::DA, &date);
    put_str(&mut obj, tags::TIME_OF_SECONDARY_CAPTURE, VR::TM, &time);
    put_str(
        &mut obj,
        tags::DERIVATION_DESCRIPTION,
        VR::ST,
        &format!(
            "AI output of {} ({}): deep patch of the CT slice, lung window, with tumor contour, \
             {} mm peritumoral ring and class activation map; {}",
            algorithm.name, algorithm.version, provenance.ring_radius_mm, algorithm.label
        ),
    );
    let mut source = Object::new_empty();
    put_str(&mut source, tags::REFERENCED_SOP_CLASS_UID, VR::UI, uids::CT_IMAGE_STORAGE);
    put_str(&mut source, tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, &slice.sop_instance_uid);
    put_seq(&mut obj, tags::SOURCE_IMAGE_SEQUENCE, vec![source]);
    let us = |v: usize| PrimitiveValue::from(u16::try_from(v).unwrap_or(u16::MAX));
    obj.put(DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(3u16)));
    put_str(&mut obj, tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "RGB");
    obj.put(DataElement::new(tags::PLANAR_CONFIGURATION, VR::US, PrimitiveValue::from(0u16)));
    obj.put(DataElement::new(tags::ROWS, VR::US, us(image.height)));
    obj.put(DataElement::new(tags::COLUMNS, VR::US, us(image.width)));
    obj.put(DataElement::new(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(8u16)));
    obj.put(DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(8u16)));
    obj.put(DataElement::new(tags::HIGH_BIT, VR::US, PrimitiveValue::from(7u16)));
    obj.put(DataElement::new(tags::PIXEL_REPRESENTATION, VR::US, PrimitiveValue::from(0u16)));
    let mut pixels = image.pixels;
    if pixels.len() % 2 == 1 {
        pixels.push(0);
    }
    obj.put(DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::from(pixels)));
    dicom::into_file(obj)
}

/// Blue (0) through cyan, green, yellow to red (1).
fn heat(t: f32) -> [u8; 3] {
    let channel = |centre: f32| ((1.5 - (4.0 * t - centre).abs()).clamp(0.0, 1.0) * 255.0).round() as u8;
    [channel(3.0), channel(2.0), channel(1.0)]
}

/// `text` upper-cased and cut at spaces into lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.to_uppercase().split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_runs_from_blue_to_red() {
        assert_eq!(heat(0.0), [0, 0, 128]);
        assert_eq!(heat(1.0), [128, 0, 0]);
        assert_eq!(heat(0.5), [128, 255, 128]);
    }

    #[test]
    fn labels_wrap_at_spaces() {
        assert_eq!(
            wrap("demonstration weights, not for clinical use", 30),
            ["DEMONSTRATION WEIGHTS, NOT FOR", "CLINICAL USE"]
        );
    }
}
