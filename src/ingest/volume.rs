//! Assembling the slices of a CT series into one volume in Hounsfield units, geometry kept exactly.
//!
//! The grid follows DICOM PS3.3 C.7.6.2 (Image Plane module), in LPS millimetres:
//!
//! ```text
//! r = ImageOrientationPatient[0..3]   direction of a row: column index i grows along it
//! c = ImageOrientationPatient[3..6]   direction of a column: row index j grows along it
//! n = r × c                           slice normal (unit); slice index k grows along it
//! d_s = IPP_s · n                     position of slice s along the normal
//! ```
//!
//! Slices are sorted by `d_s` ascending, never by file name or InstanceNumber (both may run either
//! way). Then voxel `(i, j, k)` is pixel (row j, column i) of the k-th slice, and
//!
//! ```text
//! origin_mm  = IPP of slice k = 0, exactly as written
//! spacing_mm = (PixelSpacing[1], PixelSpacing[0], (d_last − d_first) / (n_slices − 1))
//! direction  = (r, c, n)
//! ```
//!
//! (PixelSpacing is written [row spacing, column spacing]: the distance between rows is the step
//! along j.) Each slice is rescaled with its own RescaleSlope `m` and RescaleIntercept `b` (PS3.3
//! C.11.1.1.2): `HU = m · stored + b`, where `stored` is the BitsStored-bit sample ending at
//! HighBit, sign-extended when PixelRepresentation is 1.
//!
//! HU are kept as `Voxels::I16` when every slice has slope 1 and an integral intercept and every
//! value fits in 16 bits (the common CT case; a 512×512×300 volume is 157 MB as `i16` and four times
//! that as `f64`), otherwise as `Voxels::F64`. Both hold the exact values `m · stored + b`.
//!
//! Before any pixel is read the series is checked: all slices share rows × columns, pixel spacing
//! and orientation; slice positions lie on the normal through the first slice (no gantry tilt);
//! no two slices share a position; neighbouring slices are one step apart (a gap of several steps
//! means missing slices, any other difference non-uniform spacing). Tolerances are the constants
//! below. Rows, columns and the number of slices are checked against the [limits](crate::limits)
//! before the volume is allocated; a RescaleSlope of zero (a constant image) and rescaled values
//! beyond ±[`MAX_ABS_HU`] (no tissue; a wrong slope or intercept) refuse the series.

use std::path::PathBuf;

use dicom_core::Tag;
use dicom_dictionary_std::tags;

use super::pixels::{self, PixelError, DECODABLE_TRANSFER_SYNTAXES};
use super::{attr, guard, IngestError, Series};
use crate::image::{cross, Geometry, Image, Voxels};
use crate::limits::{self, MAX_ABS_HU, MAX_ROWS_COLUMNS, MAX_SLICES};

/// Largest difference between two slices' direction cosines still counted as one orientation.
pub const ORIENTATION_TOLERANCE: f64 = 1e-4;
/// Largest relative difference between two slices' pixel spacings still counted as equal.
pub const PIXEL_SPACING_TOLERANCE: f64 = 1e-4;
/// Largest difference between a slice step and the series' usual step, relative to the usual step.
pub const SLICE_STEP_TOLERANCE: f64 = 0.01;
/// Slices closer than this along the normal are at the same position, millimetres.
pub const SAME_POSITION_MM: f64 = 1e-3;
/// Sideways offset of a slice from the normal through the first slice that is tolerated whatever
/// the distance (rounding of the decimal strings), millimetres.
pub const IN_PLANE_TOLERANCE_MM: f64 = 0.01;
/// Largest angle between the slice normal and the step between slices, radians (about 0.06°).
pub const MAX_TILT_RAD: f64 = 1e-3;

/// One slice of an assembled volume.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    /// SOPInstanceUID of the slice (what SEG frames and RTSTRUCT contours reference).
    pub sop_instance_uid: String,
    /// The file it came from.
    pub path: PathBuf,
}

/// A CT series as one volume in Hounsfield units.
#[derive(Debug, Clone)]
pub struct Volume {
    /// HU on the series' grid (`Voxels::I16` or `Voxels::F64`, see the module docs).
    pub image: Image,
    /// SeriesInstanceUID.
    pub series_uid: String,
    /// The series in words, for messages ([`Series::name`]: number, description, image count).
    pub series_name: String,
    /// StudyInstanceUID.
    pub study_uid: String,
    /// FrameOfReferenceUID: the patient coordinate system the geometry is in.
    pub frame_of_reference_uid: String,
    /// The slices in volume order: `slices[k]` is slice `k`.
    pub slices: Vec<Slice>,
}

/// Unit slice normal `r × c` of an ImageOrientationPatient value (both vectors normalised first).
pub(crate) fn slice_normal(iop: &[f64; 6]) -> [f64; 3] {
    let [r, c] = row_col_directions(iop);
    unit(cross(r, c))
}

/// The row and column direction cosines of an ImageOrientationPatient value, each normalised.
fn row_col_directions(iop: &[f64; 6]) -> [[f64; 3]; 2] {
    [unit([iop[0], iop[1], iop[2]]), unit([iop[3], iop[4], iop[5]])]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// `v / |v|`; a vector of length exactly 1 is returned unchanged, bit for bit.
fn unit(v: [f64; 3]) -> [f64; 3] {
    let norm = dot(v, v).sqrt();
    if norm == 1.0 || norm == 0.0 {
        v
    } else {
        v.map(|x| x / norm)
    }
}

/// The header fields of one slice that the checks and the assembly need.
struct SliceHeader {
    path: PathBuf,
    sop_instance_uid: String,
    position_mm: [f64; 3],
    orientation: [f64; 6],
    rows: u32,
    columns: u32,
    pixel_spacing_mm: [f64; 2],
    slope: f64,
    intercept: f64,
}

/// Reads, checks and rescales the CT images of `series` into a volume.
pub fn assemble(series: &Series) -> Result<Volume, IngestError> {
    let name = series.name();
    let series_name = name.as_str();
    let mut headers = Vec::new();
    for instance in series.ct_images() {
        let h = &instance.header;
        let missing = |attribute| IngestError::MissingAttribute {
            series: series_name.to_owned(),
            path: instance.path.clone(),
            attribute,
        };
        let need_float = |tag: Tag, name| attr::float(h, tag).ok_or_else(|| missing(name));
        let transfer_syntax = instance.transfer_syntax();
        if !DECODABLE_TRANSFER_SYNTAXES.contains(&transfer_syntax) {
            return Err(IngestError::UnsupportedTransferSyntax {
                series: series_name.to_owned(),
                path: instance.path.clone(),
                uid: transfer_syntax.to_owned(),
            });
        }
        headers.push(SliceHeader {
            path: instance.path.clone(),
            sop_instance_uid: instance.sop_instance_uid.clone(),
            position_mm: attr::float_array(h, tags::IMAGE_POSITION_PATIENT)
                .ok_or_else(|| missing("ImagePositionPatient"))?,
            orientation: attr::float_array(h, tags::IMAGE_ORIENTATION_PATIENT)
                .ok_or_else(|| missing("ImageOrientationPatient"))?,
            rows: attr::uint(h, tags::ROWS).filter(|&r| r > 0).ok_or_else(|| missing("Rows"))?,
            columns: attr::uint(h, tags::COLUMNS).filter(|&c| c > 0).ok_or_else(|| missing("Columns"))?,
            pixel_spacing_mm: attr::float_array(h, tags::PIXEL_SPACING)
                .filter(|s: &[f64; 2]| s.iter().all(|&x| x > 0.0))
                .ok_or_else(|| missing("PixelSpacing"))?,
            slope: need_float(tags::RESCALE_SLOPE, "RescaleSlope")?,
            intercept: need_float(tags::RESCALE_INTERCEPT, "RescaleIntercept")?,
        });
    }
    if headers.len() < 2 {
        return Err(IngestError::TooFewSlices { series: series_name.to_owned(), count: headers.len() });
    }
    check_limits(series_name, &headers)?;
    check_alike(series_name, &headers)?;
    let normal = slice_normal(&headers[0].orientation);
    headers.sort_by(|a, b| dot(a.position_mm, normal).total_cmp(&dot(b.position_mm, normal)));
    check_positions(series_name, &headers, normal)?;

    let first = &headers[0];
    let along = |h: &SliceHeader| dot(h.position_mm, normal);
    let slice_step_mm = (along(&headers[headers.len() - 1]) - along(first)) / (headers.len() - 1) as f64;
    let [row_dir, col_dir] = row_col_directions(&first.orientation);
    let geometry = Geometry {
        size: [first.columns as usize, first.rows as usize, headers.len()],
        origin_mm: first.position_mm,
        spacing_mm: [first.pixel_spacing_mm[1], first.pixel_spacing_mm[0], slice_step_mm],
        direction: [row_dir, col_dir, normal],
    };
    let voxels = read_hu(series_name, &headers, geometry.size[0] * geometry.size[1])?;
    let header = &series.ct_images().next().expect("checked: at least two slices").header;
    Ok(Volume {
        image: Image { geometry, voxels },
        series_uid: series.uid.clone(),
        series_name: name.clone(),
        study_uid: attr::string(header, tags::STUDY_INSTANCE_UID).unwrap_or_default(),
        frame_of_reference_uid: attr::string(header, tags::FRAME_OF_REFERENCE_UID).ok_or_else(|| {
            IngestError::MissingAttribute {
                series: series_name.to_owned(),
                path: first.path.clone(),
                attribute: "FrameOfReferenceUID",
            }
        })?,
        slices: headers
            .into_iter()
            .map(|h| Slice { sop_instance_uid: h.sop_instance_uid, path: h.path })
            .collect(),
    })
}

/// Rows, columns and slices within the [limits](crate::limits); every RescaleSlope non-zero.
fn check_limits(series: &str, headers: &[SliceHeader]) -> Result<(), IngestError> {
    let limit = |h: &SliceHeader, source| IngestError::Limit {
        series: series.to_owned(),
        path: h.path.clone(),
        source,
    };
    let first = &headers[0];
    limits::check("slices", headers.len() as u64, MAX_SLICES as u64).map_err(|e| limit(first, e))?;
    for h in headers {
        limits::check("rows", u64::from(h.rows), u64::from(MAX_ROWS_COLUMNS)).map_err(|e| limit(h, e))?;
        limits::check("columns", u64::from(h.columns), u64::from(MAX_ROWS_COLUMNS))
            .map_err(|e| limit(h, e))?;
        if h.slope == 0.0 {
            return Err(IngestError::ImplausibleRescale {
                series: series.to_owned(),
                path: h.path.clone(),
                reason: "RescaleSlope is 0, every voxel would have the same value".to_owned(),
            });
        }
    }
    Ok(())
}

/// All slices share the first one's rows × columns, pixel spacing and orientation.
fn check_alike(series: &str, headers: &[SliceHeader]) -> Result<(), IngestError> {
    let first = &headers[0];
    for h in &headers[1..] {
        let sizes = |what, found: String, expected: String| IngestError::MixedSizes {
            series: series.to_owned(),
            path: h.path.clone(),
            what,
            found,
            expected,
        };
        if (h.rows, h.columns) != (first.rows, first.columns) {
            return Err(sizes(
                "rows x columns",
                format!("{}x{}", h.rows, h.columns),
                format!("{}x{}", first.rows, first.columns),
            ));
        }
        let spacing_differs = (0..2).any(|a| {
            (h.pixel_spacing_mm[a] - first.pixel_spacing_mm[a]).abs()
                > PIXEL_SPACING_TOLERANCE * first.pixel_spacing_mm[a]
        });
        if spacing_differs {
            return Err(sizes(
                "pixel spacing",
                format!("{} mm", crate::image::numbers(&h.pixel_spacing_mm)),
                format!("{} mm", crate::image::numbers(&first.pixel_spacing_mm)),
            ));
        }
        if (0..6).any(|a| (h.orientation[a] - first.orientation[a]).abs() > ORIENTATION_TOLERANCE) {
            return Err(IngestError::MixedOrientation {
                series: series.to_owned(),
                path: h.path.clone(),
                found: Box::new(h.orientation),
                expected: Box::new(first.orientation),
            });
        }
    }
    Ok(())
}

/// Slices sorted along `normal` lie on the normal through the first one, at distinct positions,
/// one usual step apart.
fn check_positions(series: &str, headers: &[SliceHeader], normal: [f64; 3]) -> Result<(), IngestError> {
    let first = headers[0].position_mm;
    for h in &headers[1..] {
        let offset = [0, 1, 2].map(|a| h.position_mm[a] - first[a]);
        let along = dot(offset, normal);
        let sideways = dot(offset, offset) - along * along;
        let sideways = sideways.max(0.0).sqrt();
        if sideways > IN_PLANE_TOLERANCE_MM + MAX_TILT_RAD * along.abs() {
            return Err(IngestError::GantryTilt {
                series: series.to_owned(),
                path: h.path.clone(),
                angle_deg: sideways.atan2(along.abs()).to_degrees(),
            });
        }
    }
    let positions: Vec<f64> = headers.iter().map(|h| dot(h.position_mm, normal)).collect();
    let steps: Vec<f64> = positions.windows(2).map(|w| w[1] - w[0]).collect();
    for (s, &step) in steps.iter().enumerate() {
        if step <= SAME_POSITION_MM {
            return Err(IngestError::DuplicatePosition {
                series: series.to_owned(),
                path: headers[s + 1].path.clone(),
                other: headers[s].path.clone(),
                position_mm: positions[s + 1],
            });
        }
    }
    let mut sorted = steps.clone();
    sorted.sort_by(f64::total_cmp);
    let usual = sorted[sorted.len() / 2];
    for (s, &step) in steps.iter().enumerate() {
        let multiple = (step / usual).round();
        if multiple >= 2.0 && (step - multiple * usual).abs() <= SLICE_STEP_TOLERANCE * usual {
            return Err(IngestError::MissingSlices {
                series: series.to_owned(),
                before: headers[s].path.clone(),
                after: headers[s + 1].path.clone(),
                gap_mm: step,
                step_mm: usual,
            });
        }
        if (step - usual).abs() > SLICE_STEP_TOLERANCE * usual {
            return Err(IngestError::NonUniformSpacing {
                series: series.to_owned(),
                path: headers[s + 1].path.clone(),
                found_mm: step,
                step_mm: usual,
            });
        }
    }
    Ok(())
}

/// Most threads that decode slices at once. Decoding (RLE, JPEG) dominates assembly; a few
/// threads hide it without taking every core of a machine that also runs the radiomics.
pub const MAX_DECODE_THREADS: usize = 4;

/// Reads each slice's pixels and rescales them to HU, as `i16` when every slope is 1, every
/// intercept integral and every value fits, else as `f64`.
fn read_hu(series: &str, headers: &[SliceHeader], pixels_per_slice: usize) -> Result<Voxels, IngestError> {
    let voxel_count = pixels_per_slice * headers.len();
    let integral =
        headers.iter().all(|h| h.slope == 1.0 && h.intercept.fract() == 0.0 && h.intercept.abs() < 1e6);
    if integral {
        let mut hu = vec![0i16; voxel_count];
        let fits =
            fill_slices(series, headers, &mut hu, |stored, h, out| rescale_i16(stored, h.intercept, out))?;
        if fits {
            return Ok(Voxels::I16(hu.into()));
        }
    }
    let mut hu = vec![0f64; voxel_count];
    let plausible = fill_slices(series, headers, &mut hu, |stored, h, out| {
        rescale_f64(stored, h.slope, h.intercept, out);
        out.iter().all(|v| v.abs() <= MAX_ABS_HU)
    })?;
    if !plausible {
        let k = hu
            .chunks(pixels_per_slice)
            .position(|s| s.iter().any(|v| v.is_nan() || v.abs() > MAX_ABS_HU))
            .unwrap_or(0);
        let h = &headers[k];
        return Err(IngestError::ImplausibleRescale {
            series: series.to_owned(),
            path: h.path.clone(),
            reason: format!(
                "RescaleSlope {} and RescaleIntercept {} give values beyond ±{MAX_ABS_HU} HU",
                h.slope, h.intercept
            ),
        });
    }
    Ok(Voxels::F64(hu.into()))
}

/// `out = stored + intercept` for an integral intercept; false (and `out` partly written) when a
/// value does not fit `i16`.
fn rescale_i16(stored: &[i32], intercept: f64, out: &mut [i16]) -> bool {
    let b = intercept as i32;
    for (o, &s) in out.iter_mut().zip(stored) {
        match i16::try_from(s + b) {
            Ok(v) => *o = v,
            Err(_) => return false,
        }
    }
    true
}

/// `out = slope · stored + intercept`.
fn rescale_f64(stored: &[i32], slope: f64, intercept: f64, out: &mut [f64]) {
    for (o, &s) in out.iter_mut().zip(stored) {
        *o = slope * f64::from(s) + intercept;
    }
}

/// Decodes the slices into consecutive `out` chunks of one slice each, on up to
/// [`MAX_DECODE_THREADS`] threads (each a contiguous run of slices); `put` rescales one slice and
/// says whether its values fit. Returns whether all did; on failure, the error of the lowest slice.
fn fill_slices<T: Send>(
    series: &str,
    headers: &[SliceHeader],
    out: &mut [T],
    put: impl Fn(&[i32], &SliceHeader, &mut [T]) -> bool + Sync,
) -> Result<bool, IngestError> {
    let per_slice = out.len() / headers.len();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, MAX_DECODE_THREADS);
    let mut jobs: Vec<(&SliceHeader, &mut [T])> = headers.iter().zip(out.chunks_mut(per_slice)).collect();
    let run_length = jobs.len().div_ceil(threads);
    let put = &put;
    let outcomes: Vec<Result<bool, IngestError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = jobs
            .chunks_mut(run_length)
            .map(|run| {
                scope.spawn(move || {
                    let mut stored = Vec::with_capacity(per_slice);
                    for (h, slice) in run.iter_mut() {
                        read_stored(series, h, &mut stored)?;
                        if stored.len() != per_slice {
                            return Err(IngestError::PixelData {
                                series: series.to_owned(),
                                path: h.path.clone(),
                                reason: format!("{} samples decoded, {per_slice} expected", stored.len()),
                            });
                        }
                        if !put(&stored, h, slice) {
                            return Ok(false);
                        }
                    }
                    Ok(true)
                })
            })
            .collect();
        // A panic in a worker is a bug, not a property of the data: pass it on unchanged.
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    let mut all_fit = true;
    for outcome in outcomes {
        all_fit &= outcome?;
    }
    Ok(all_fit)
}

/// Decodes one slice's stored values (row by row, column fastest) into `out`.
fn read_stored(series: &str, h: &SliceHeader, out: &mut Vec<i32>) -> Result<(), IngestError> {
    let read_err = |source| IngestError::Read { series: series.to_owned(), path: h.path.clone(), source };
    let obj = guard::open(&h.path, false).map_err(read_err)?;
    let rows_columns = (attr::uint(&obj, tags::ROWS), attr::uint(&obj, tags::COLUMNS));
    if obj.get(tags::PIXEL_DATA).is_some() && rows_columns != (Some(h.rows), Some(h.columns)) {
        return Err(IngestError::PixelData {
            series: series.to_owned(),
            path: h.path.clone(),
            reason: "rows or columns differ from the header read before".to_owned(),
        });
    }
    decode_stored(series, &h.path, &obj, out)
}

/// Reads the CT slice at `path` and decodes its stored values as the study path does (the
/// structure pre-scan, rows and columns within the limits, the panic boundary, the sample
/// checks); for fuzzing and the bad-input corpus, which feed it single files.
pub fn decode_slice(path: &std::path::Path) -> Result<Vec<i32>, IngestError> {
    let series = "(single file)";
    let obj = guard::open(path, false).map_err(|source| IngestError::Read {
        series: series.to_owned(),
        path: path.to_path_buf(),
        source,
    })?;
    for (tag, what) in [(tags::ROWS, "rows"), (tags::COLUMNS, "columns")] {
        let n = attr::uint(&obj, tag).unwrap_or(0);
        limits::check(what, u64::from(n), u64::from(MAX_ROWS_COLUMNS)).map_err(|source| {
            IngestError::Limit { series: series.to_owned(), path: path.to_path_buf(), source }
        })?;
    }
    let mut out = Vec::new();
    decode_stored(series, path, &obj, &mut out)?;
    Ok(out)
}

/// Decodes the stored values of the first frame of `obj` (read from `path`) into `out`, through
/// the [pixel decoder](pixels) the segmentations use too.
fn decode_stored(
    series: &str,
    path: &std::path::Path,
    obj: &dicom_object::DefaultDicomObject,
    out: &mut Vec<i32>,
) -> Result<(), IngestError> {
    let _span = guard::file_span(path).entered();
    let series_owned = || series.to_owned();
    let path_owned = || path.to_path_buf();
    let to_ingest = |error: PixelError| match error {
        PixelError::UnsupportedTransferSyntax { uid } => {
            IngestError::UnsupportedTransferSyntax { series: series_owned(), path: path_owned(), uid }
        }
        PixelError::Missing => IngestError::MissingPixelData { series: series_owned(), path: path_owned() },
        PixelError::Parser(source) => {
            IngestError::Read { series: series_owned(), path: path_owned(), source }
        }
        other => {
            IngestError::PixelData { series: series_owned(), path: path_owned(), reason: other.to_string() }
        }
    };
    if obj.get(tags::PIXEL_DATA).is_none() {
        return Err(to_ingest(PixelError::Missing));
    }
    let format = pixels::pixel_format(obj).map_err(to_ingest)?;
    // CT samples are 8 or 16 bits (PS3.3 C.8.2.1.1.4 allows 16 only; 8 is seen in exports).
    if format.bits_allocated == 1 {
        return Err(IngestError::PixelData {
            series: series_owned(),
            path: path_owned(),
            reason: "bits allocated 1 not supported".to_owned(),
        });
    }
    pixels::decode_frame(obj, &format, 0, out).map_err(to_ingest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_of_axial_and_tilted_orientations() {
        assert_eq!(slice_normal(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]), [0.0, 0.0, 1.0]);
        let n = slice_normal(&[1.0, 0.0, 0.0, 0.0, 0.0, -1.0]);
        assert_eq!(n, [0.0, 1.0, 0.0]);
    }

    #[test]
    fn rescaling_to_i16_reports_values_that_do_not_fit() {
        let mut out = [0i16; 2];
        assert!(rescale_i16(&[0, 4095], -1024.0, &mut out));
        assert_eq!(out, [-1024, 3071]);
        assert!(!rescale_i16(&[40000, 0], 0.0, &mut out));
        let mut out = [0f64; 2];
        rescale_f64(&[3, 40000], 0.5, -1024.0, &mut out);
        assert_eq!(out, [-1022.5, 18976.0]);
    }
}
