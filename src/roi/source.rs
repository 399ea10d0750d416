//! Where a tumor mask comes from and which region of it: the selector a caller gives
//! ([`MaskSelector`]: SEG, RTSTRUCT or label map, and a region by number or name), the source
//! actually used ([`MaskSource`]), and the region bookkeeping the SEG and RTSTRUCT readers share
//! ([`MaskHeader`], [`pick_region`]). Choosing the segmentation of a study is the study stage's
//! job ([`crate::study`]).
//!
//! The region is chosen by number (SegmentNumber, ROINumber, label value) or by name (SegmentLabel,
//! ROIName; exact, case-sensitive); with none given, the object must hold exactly one region.

use std::path::PathBuf;

use dicom_core::Tag;

use super::RoiError;
use crate::ingest::attr::{self, Object};

/// Which segment (SEG), ROI (RTSTRUCT) or label value (label map) is the tumor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionRef {
    /// SegmentNumber, ROINumber or label value.
    Number(u32),
    /// SegmentLabel or ROIName, matched exactly.
    Name(String),
}

impl std::fmt::Display for RegionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegionRef::Number(n) => write!(f, "number {n}"),
            RegionRef::Name(name) => write!(f, "named '{name}'"),
        }
    }
}

/// Where the tumor mask comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MaskKind {
    /// A DICOM SEG in the study folder if one qualifies, else an RTSTRUCT.
    #[default]
    Any,
    /// A DICOM SEG in the study folder.
    Seg,
    /// An RT Structure Set in the study folder.
    Rtstruct,
    /// A NRRD or NIfTI label map on the CT grid (research input).
    LabelMap(PathBuf),
}

/// How to find the tumor mask of a study.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MaskSelector {
    /// Which kind of object.
    pub kind: MaskKind,
    /// Which region of it; `None`: the object's only region.
    pub region: Option<RegionRef>,
    /// Which SEG or RTSTRUCT file, by its path inside the study folder (or its trailing
    /// components, e.g. its file name); `None`: the only one that qualifies.
    pub object: Option<PathBuf>,
}

/// The mask actually used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaskSource {
    /// A DICOM SEG segment.
    Seg {
        /// The SEG file.
        path: PathBuf,
        /// Its SOPInstanceUID.
        sop_instance_uid: String,
        /// SegmentNumber of the segment used.
        segment_number: u32,
        /// Its SegmentLabel.
        segment_label: String,
    },
    /// An RTSTRUCT ROI.
    Rtstruct {
        /// The RTSTRUCT file.
        path: PathBuf,
        /// Its SOPInstanceUID.
        sop_instance_uid: String,
        /// ROINumber of the ROI used.
        roi_number: u32,
        /// Its ROIName.
        roi_name: String,
    },
    /// A label of a label map file.
    LabelMap {
        /// The file.
        path: PathBuf,
        /// The label value used.
        label: u32,
    },
}

impl std::fmt::Display for MaskSource {
    /// The kind, the region and the file's name (never the folders above it, which may name the
    /// patient), e.g. `SEG segment 1 'GTV-1' of seg.dcm`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name =
            |path: &PathBuf| path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match self {
            MaskSource::Seg { path, segment_number, segment_label, .. } => {
                write!(f, "SEG segment {segment_number} '{segment_label}' of {}", name(path))
            }
            MaskSource::Rtstruct { path, roi_number, roi_name, .. } => {
                write!(f, "RTSTRUCT ROI {roi_number} '{roi_name}' of {}", name(path))
            }
            MaskSource::LabelMap { path, label } => write!(f, "label {label} of {}", name(path)),
        }
    }
}

/// A segment or ROI: its number and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Region {
    pub(crate) number: u32,
    pub(crate) name: String,
}

impl Region {
    /// The regions that the items of `header`'s `sequence` list: number in `number_tag`, name in
    /// `name_tag` (empty when absent); an item without a number is passed over.
    pub(crate) fn listed(header: &Object, sequence: Tag, number_tag: Tag, name_tag: Tag) -> Vec<Region> {
        attr::items(header, sequence)
            .iter()
            .filter_map(|r| {
                Some(Region {
                    number: attr::uint(r, number_tag)?,
                    name: attr::string(r, name_tag).unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// What a SEG or RTSTRUCT header says about itself, before its pixels or contours are read.
pub(crate) struct MaskHeader {
    /// Series named in its series-level references.
    pub(crate) referenced_series: Vec<String>,
    /// Instances its frames or contours reference.
    pub(crate) referenced_instances: Vec<String>,
    /// Its segments or ROIs.
    pub(crate) regions: Vec<Region>,
}

impl MaskHeader {
    /// Whether it references the series `series_uid` or an instance that `is_slice` (of that
    /// series) accepts.
    pub(crate) fn references(&self, series_uid: &str, is_slice: impl Fn(&str) -> bool) -> bool {
        self.referenced_series.iter().any(|s| s == series_uid)
            || self.referenced_instances.iter().any(|uid| is_slice(uid))
    }
}

/// Lists regions as `1 'GTV-1', 2 'Lung'` (label-map labels, which have no names, as `1, 2`).
fn list_regions(regions: &[Region]) -> String {
    let listed: Vec<String> = regions
        .iter()
        .map(|r| if r.name.is_empty() { r.number.to_string() } else { format!("{} '{}'", r.number, r.name) })
        .collect();
    if listed.is_empty() {
        "none".to_owned()
    } else {
        listed.join(", ")
    }
}

/// The region `wanted` among `available`, or the only one when nothing is asked for.
pub(crate) fn pick_region(
    source_name: &str,
    available: &[Region],
    wanted: Option<&RegionRef>,
) -> Result<Region, RoiError> {
    let found = match wanted {
        None if available.len() == 1 => Some(&available[0]),
        None if available.len() > 1 => {
            return Err(RoiError::AmbiguousRegion {
                source_name: source_name.to_owned(),
                available: list_regions(available),
            })
        }
        None => None,
        Some(RegionRef::Number(n)) => available.iter().find(|r| r.number == *n),
        Some(RegionRef::Name(name)) => available.iter().find(|r| &r.name == name),
    };
    found.cloned().ok_or_else(|| RoiError::RegionNotFound {
        source_name: source_name.to_owned(),
        wanted: wanted.map_or_else(|| "at all".to_owned(), ToString::to_string),
        available: list_regions(available),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions() -> Vec<Region> {
        vec![Region { number: 1, name: "GTV-1".into() }, Region { number: 3, name: "Lung".into() }]
    }

    #[test]
    fn regions_are_picked_by_number_or_name_or_alone() {
        let r = regions();
        assert_eq!(pick_region("s", &r, Some(&RegionRef::Number(3))).unwrap().name, "Lung");
        assert_eq!(pick_region("s", &r, Some(&RegionRef::Name("GTV-1".into()))).unwrap().number, 1);
        assert_eq!(pick_region("s", &r[..1], None).unwrap().number, 1);
        let err = pick_region("s", &r, None).unwrap_err().to_string();
        assert!(err.contains("several regions") && err.contains("3 'Lung'"), "{err}");
        let err = pick_region("s", &r, Some(&RegionRef::Name("gtv-1".into()))).unwrap_err().to_string();
        assert!(err.contains("no region named 'gtv-1'"), "{err}");
    }
}
