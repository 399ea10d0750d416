//! DICOM Segmentation (SEG) → tumor mask on the CT grid (PS3.3 A.51, C.8.20).
//!
//! One segment is drawn: its frames are those whose SegmentIdentificationSequence (per frame, or
//! shared by all frames) names its SegmentNumber (every frame of a label map). Each frame is
//! placed on the CT grid
//! - by its PlanePositionSequence ImagePositionPatient, when present: the position must fall on a
//!   voxel centre of the CT grid (within [`FRAME_POSITION_TOLERANCE`] voxel), with the same
//!   orientation and pixel spacing as the CT; the frame may be smaller than a CT slice;
//! - otherwise by the CT slice its DerivationImageSequence / SourceImageSequence references
//!   (ReferencedSOPInstanceUID); the frame must then be as large as the slice.
//!
//! When a frame carries both, the two must agree on the slice; a referenced image the CT series
//! does not hold is passed over when the frame has a plane position (a re-exported series).
//!
//! Pixel values (PS3.3 C.8.20.2; decoded by [`crate::ingest::pixels`], every encoding the CT path
//! reads):
//! ```text
//! BINARY      BitsAllocated 1: the pixel is in the segment of its frame when its bit is 1
//! FRACTIONAL  BitsAllocated 8, value v in 0..=MaximumFractionalValue (m); the voxel is in the mask
//!             when v / m ≥ 0.5 (half occupancy or probability)
//! LABELMAP    Label Map Segmentation Storage (1.2.840.10008.5.1.4.1.1.66.7, Supplement 243):
//!             BitsAllocated 8 or 16, each pixel holds the SegmentNumber it belongs to (0: none);
//!             frames carry no segment of their own; a palette (PALETTE COLOR) only colours the
//!             numbers. The voxel is in the mask when its value is the chosen SegmentNumber
//! ```
//!
//! Before anything is drawn the SEG must be in the CT's Frame of Reference and reference the CT
//! series (ReferencedSeriesSequence) or one of its slices.

use std::{collections::HashMap, path::Path};

use dicom_dictionary_std::tags;

use super::{
    grid, reference,
    source::{pick_region, MaskHeader, Region, RegionRef},
    MaskSource, RoiError,
};
use crate::{
    image::{numbers, Image},
    ingest::{
        attr::{self, Object},
        pixels::{self, PixelError},
        volume::{ORIENTATION_TOLERANCE, PIXEL_SPACING_TOLERANCE},
        Volume,
    },
    limits::{self, MAX_FRAMES, MAX_ROWS_COLUMNS},
};

/// Largest distance between a frame's ImagePositionPatient and the nearest CT voxel centre, in
/// voxels along each axis.
pub const FRAME_POSITION_TOLERANCE: f64 = 0.01;

/// Lowest fraction of MaximumFractionalValue that puts a voxel of a FRACTIONAL SEG in the mask.
pub const FRACTIONAL_THRESHOLD: f64 = 0.5;

/// Describes a SEG from its header: referenced series and instances, segments.
pub(crate) fn describe(header: &Object) -> MaskHeader {
    let referenced_series_items = attr::items(header, tags::REFERENCED_SERIES_SEQUENCE);
    let mut referenced_instances: Vec<String> = referenced_series_items
        .iter()
        .flat_map(|s| attr::items(s, tags::REFERENCED_INSTANCE_SEQUENCE))
        .chain(attr::items(header, tags::SOURCE_IMAGE_SEQUENCE))
        .filter_map(|i| attr::string(i, tags::REFERENCED_SOP_INSTANCE_UID))
        .collect();
    for frame in attr::items(header, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE) {
        referenced_instances.extend(source_instances(frame));
    }
    MaskHeader {
        referenced_series: referenced_series_items
            .iter()
            .filter_map(|s| attr::string(s, tags::SERIES_INSTANCE_UID))
            .collect(),
        referenced_instances,
        regions: Region::listed(header, tags::SEGMENT_SEQUENCE, tags::SEGMENT_NUMBER, tags::SEGMENT_LABEL),
    }
}

/// The SOP instances a per-frame functional group item derives from.
fn source_instances(frame: &Object) -> impl Iterator<Item = String> + '_ {
    attr::items(frame, tags::DERIVATION_IMAGE_SEQUENCE)
        .iter()
        .flat_map(|d| attr::items(d, tags::SOURCE_IMAGE_SEQUENCE))
        .filter_map(|s| attr::string(s, tags::REFERENCED_SOP_INSTANCE_UID))
}

/// How the pixel values of the frames mean "in the mask".
#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Binary,
    Fractional { maximum: f64 },
    LabelMap,
}

/// Draws the segment `region` (or the only one) of the SEG at `path` on the grid of `volume`.
pub fn seg_mask(
    path: &Path,
    volume: &Volume,
    region: Option<&RegionRef>,
) -> Result<(Image, MaskSource), RoiError> {
    let obj = reference::open(path)?;
    let missing = |attribute| RoiError::MissingAttribute { path: path.to_path_buf(), attribute };
    let unsupported = |what, value: String| RoiError::Unsupported { path: path.to_path_buf(), what, value };
    let described = describe(&obj);
    let frame_of_reference =
        attr::string(&obj, tags::FRAME_OF_REFERENCE_UID).ok_or_else(|| missing("FrameOfReferenceUID"))?;
    let (slice_of, _) = reference::check_references(path, &frame_of_reference, &described, volume)?;
    let chosen = pick_region("the segmentation", &described.regions, region)?;

    let pixel_err = |source| match source {
        PixelError::Parser(source) => RoiError::Read { path: path.to_path_buf(), source },
        source => RoiError::Pixels { path: path.to_path_buf(), source },
    };
    let _span = crate::ingest::guard::file_span(path).entered();
    let format = pixels::pixel_format(&obj).map_err(pixel_err)?;
    let bits_allocated = format.bits_allocated;
    let seg_type = attr::string(&obj, tags::SEGMENTATION_TYPE).ok_or_else(|| missing("SegmentationType"))?;
    let encoding = match (seg_type.as_str(), bits_allocated) {
        ("BINARY", 1) => Encoding::Binary,
        ("FRACTIONAL", 8) => Encoding::Fractional {
            maximum: attr::float(&obj, tags::MAXIMUM_FRACTIONAL_VALUE)
                .filter(|&m| m > 0.0)
                .ok_or_else(|| missing("MaximumFractionalValue"))?,
        },
        ("LABELMAP", 8 | 16) => Encoding::LabelMap,
        _ => {
            return Err(unsupported(
                "SegmentationType",
                format!("{seg_type} with BitsAllocated {bits_allocated}"),
            ))
        }
    };
    let limit = |source| RoiError::Limit { path: path.to_path_buf(), source };
    let rows = attr::uint(&obj, tags::ROWS).ok_or_else(|| missing("Rows"))?;
    let columns = attr::uint(&obj, tags::COLUMNS).ok_or_else(|| missing("Columns"))?;
    let frames = attr::uint(&obj, tags::NUMBER_OF_FRAMES).unwrap_or(1);
    limits::check("rows", u64::from(rows), u64::from(MAX_ROWS_COLUMNS)).map_err(limit)?;
    limits::check("columns", u64::from(columns), u64::from(MAX_ROWS_COLUMNS)).map_err(limit)?;
    limits::check("frames", u64::from(frames), MAX_FRAMES).map_err(limit)?;
    let (rows, columns, frames) = (rows as usize, columns as usize, frames as usize);
    if obj.get(tags::PIXEL_DATA).is_none() {
        return Err(missing("PixelData"));
    }
    let per_frame = attr::items(&obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    if per_frame.len() != frames {
        return Err(missing("PerFrameFunctionalGroupsSequence"));
    }
    let shared = attr::first_item(&obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
    let layout = FrameLayout { path, volume, shared, rows, columns, slice_of: &slice_of };

    let geometry = volume.image.geometry;
    let [nx, ny, _] = geometry.size;
    let mut mask = vec![0u8; geometry.voxel_count()];
    let mut values = Vec::with_capacity(rows * columns);
    for (f, frame) in per_frame.iter().enumerate() {
        if encoding != Encoding::LabelMap {
            let segment = functional_group(frame, shared, tags::SEGMENT_IDENTIFICATION_SEQUENCE)
                .and_then(|s| attr::uint(s, tags::REFERENCED_SEGMENT_NUMBER))
                .ok_or_else(|| missing("ReferencedSegmentNumber"))?;
            if segment != chosen.number {
                continue;
            }
        }
        let [i0, j0, k] = layout.place(f, frame)?;
        pixels::decode_frame(&obj, &format, f, &mut values).map_err(pixel_err)?;
        for r in 0..rows {
            for c in 0..columns {
                let v = values[r * columns + c];
                let set = match encoding {
                    Encoding::Binary => v == 1,
                    Encoding::Fractional { maximum } => f64::from(v) / maximum >= FRACTIONAL_THRESHOLD,
                    Encoding::LabelMap => i64::from(v) == i64::from(chosen.number),
                };
                if !set {
                    continue;
                }
                let (i, j) = (i0 + c as i64, j0 + r as i64);
                if i < 0 || j < 0 || i >= nx as i64 || j >= ny as i64 {
                    return Err(RoiError::FrameOffGrid {
                        path: path.to_path_buf(),
                        frame: f + 1,
                        reason: {
                            let p = geometry.point_mm([i as f64, j as f64, k as f64]);
                            format!(
                                "its pixel at ({:.1}, {:.1}) mm lies outside the image, which covers {}",
                                p[0],
                                p[1],
                                grid::in_plane_extent(&geometry)
                            )
                        },
                    });
                }
                mask[geometry.index(i as usize, j as usize, k as usize)] = 1;
            }
        }
    }
    let source = MaskSource::Seg {
        path: path.to_path_buf(),
        sop_instance_uid: attr::string(&obj, tags::SOP_INSTANCE_UID).unwrap_or_default(),
        segment_number: chosen.number,
        segment_label: chosen.name,
    };
    Ok((grid::mask_image(geometry, mask), source))
}

/// The functional group `tag` of a frame: its own, else the one shared by all frames.
fn functional_group<'a>(
    frame: &'a Object,
    shared: Option<&'a Object>,
    tag: dicom_core::Tag,
) -> Option<&'a Object> {
    attr::first_item(frame, tag).or_else(|| shared.and_then(|s| attr::first_item(s, tag)))
}

/// What placing a frame on the CT grid needs.
struct FrameLayout<'a> {
    path: &'a Path,
    volume: &'a Volume,
    shared: Option<&'a Object>,
    rows: usize,
    columns: usize,
    slice_of: &'a HashMap<&'a str, usize>,
}

impl FrameLayout<'_> {
    /// Voxel `(i, j, k)` of the frame's first pixel (row 0, column 0).
    fn place(&self, f: usize, frame: &Object) -> Result<[i64; 3], RoiError> {
        let off_grid =
            |reason: String| RoiError::FrameOffGrid { path: self.path.to_path_buf(), frame: f + 1, reason };
        let geometry = &self.volume.image.geometry;
        let referenced: Vec<String> = source_instances(frame).collect();
        let by_reference = referenced.iter().find_map(|uid| self.slice_of.get(uid.as_str()).copied());
        let position = functional_group(frame, None, tags::PLANE_POSITION_SEQUENCE)
            .and_then(|p| attr::float_array::<3>(p, tags::IMAGE_POSITION_PATIENT));
        let Some(position) = position else {
            let Some(k) = by_reference else {
                return Err(match referenced.into_iter().next() {
                    Some(_) => RoiError::UnknownInstance {
                        path: self.path.to_path_buf(),
                        part: format!("frame {}", f + 1),
                        z_mm: None,
                        series: self.volume.series_name.clone(),
                    },
                    None => RoiError::MissingAttribute {
                        path: self.path.to_path_buf(),
                        attribute: "PlanePositionSequence",
                    },
                });
            };
            if (self.columns, self.rows) != (geometry.size[0], geometry.size[1]) {
                return Err(off_grid(format!(
                    "frame is {}x{} (rows x columns) without a plane position, slice is {}x{}",
                    self.rows, self.columns, geometry.size[1], geometry.size[0]
                )));
            }
            return Ok([0, 0, k as i64]);
        };
        self.check_plane(frame).map_err(off_grid)?;
        let index = grid::continuous_index(geometry, position);
        let rounded = index.map(f64::round);
        if rounded[2] < 0.0 || rounded[2] >= geometry.size[2] as f64 {
            return Err(off_grid(grid::outside_scan("frame", position[2], geometry)));
        }
        if rounded[..2].iter().any(|v| v.abs() > 1e9) {
            return Err(off_grid(format!(
                "its position {} mm lies far outside the image, which covers {}",
                numbers(&position),
                grid::in_plane_extent(geometry)
            )));
        }
        if (0..3).any(|a| (index[a] - rounded[a]).abs() > FRAME_POSITION_TOLERANCE) {
            let off_mm = [0, 1, 2].map(|a| (index[a] - rounded[a]) * geometry.spacing_mm[a]);
            return Err(off_grid(format!(
                "its position {} mm lies {} mm from the nearest CT voxel centre; send the segmentation \
                 drawn on this series",
                numbers(&position),
                numbers(&off_mm)
            )));
        }
        let k = rounded[2] as i64;
        if let Some(by_reference) = by_reference {
            if by_reference as i64 != k {
                return Err(off_grid(format!(
                    "it lies at z = {:.1} mm but refers to the CT image at z = {:.1} mm",
                    position[2],
                    grid::slice_z_mm(geometry, by_reference as f64)
                )));
            }
        }
        Ok([rounded[0] as i64, rounded[1] as i64, k])
    }

    /// The frame's orientation and pixel spacing equal the CT's.
    fn check_plane(&self, frame: &Object) -> Result<(), String> {
        let geometry = &self.volume.image.geometry;
        let orientation = functional_group(frame, self.shared, tags::PLANE_ORIENTATION_SEQUENCE)
            .and_then(|o| attr::float_array::<6>(o, tags::IMAGE_ORIENTATION_PATIENT))
            .ok_or("no ImageOrientationPatient in PlaneOrientationSequence")?;
        let ct = [geometry.direction[0], geometry.direction[1]].concat();
        if (0..6).any(|a| (orientation[a] - ct[a]).abs() > ORIENTATION_TOLERANCE) {
            return Err(format!("orientation {}, ct slices {}", numbers(&orientation), numbers(&ct)));
        }
        let spacing = functional_group(frame, self.shared, tags::PIXEL_MEASURES_SEQUENCE)
            .and_then(|m| attr::float_array::<2>(m, tags::PIXEL_SPACING))
            .ok_or("no PixelSpacing in PixelMeasuresSequence")?;
        let ct = [geometry.spacing_mm[1], geometry.spacing_mm[0]];
        if (0..2).any(|a| (spacing[a] - ct[a]).abs() > PIXEL_SPACING_TOLERANCE * ct[a]) {
            return Err(format!("pixel spacing {} mm, ct slices {} mm", numbers(&spacing), numbers(&ct)));
        }
        Ok(())
    }
}
