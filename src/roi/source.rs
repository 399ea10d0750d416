//! Finding the tumor segmentation of a study and loading the study: CT volume plus tumor mask.
//!
//! [`load_study`] scans the folder once ([`ingest::scan`]); the segmentation decides which CT
//! series is meant:
//! - SEG / RTSTRUCT ([`MaskKind::Any`], [`MaskKind::Seg`], [`MaskKind::Rtstruct`]): the candidates
//!   are the objects of that kind in the folder that reference a qualifying CT series (through
//!   ReferencedSeriesSequence / RTReferencedSeriesSequence, or through the instances their frames
//!   and contours reference) and hold the region asked for. `Any` prefers SEG to RTSTRUCT when both
//!   qualify (a folder from a planning system often carries both, drawn from the same contours).
//!   Exactly one candidate must remain; the CT series it references is assembled and the mask
//!   drawn on its grid, after checking Frame of Reference and instance references.
//! - label map ([`MaskKind::LabelMap`]): the folder must hold exactly one qualifying CT series,
//!   and the label map must share its geometry.
//!
//! The region is chosen by number (SegmentNumber, ROINumber, label value) or by name (SegmentLabel,
//! ROIName; exact, case-sensitive); with none given, the object must hold exactly one region.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use dicom_core::Tag;

use super::{labelmap, rtstruct, seg, RoiError, StudyError};
use crate::{
    image::Image,
    ingest::{
        self,
        attr::{self, Object},
        ObjectKind, Series,
    },
};

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

/// Wall-clock time of each step of [`load_study`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadTimings {
    /// Reading the headers of the folder's files.
    pub scan: Duration,
    /// Assembling the CT volume (reading and decoding pixels, HU).
    pub volume: Duration,
    /// Finding and drawing the tumor mask.
    pub mask: Duration,
}

/// A CT study ready for analysis.
#[derive(Debug, Clone)]
pub struct Study {
    /// The CT volume in HU.
    pub ct: Image,
    /// The tumor mask on the CT grid: `Voxels::U8`, 1 inside, 0 outside.
    pub tumor: Image,
    /// SeriesInstanceUID of the CT series.
    pub series_uid: String,
    /// StudyInstanceUID (patient-linked: hash it before it leaves the machine).
    pub study_uid: String,
    /// Where the tumor mask came from.
    pub mask_source: MaskSource,
    /// Time spent in each step.
    pub timings: LoadTimings,
}

/// Loads the CT series of the study folder `dir` and its tumor mask, as `selector` says.
pub fn load_study(dir: &Path, selector: &MaskSelector) -> Result<Study, StudyError> {
    let started = Instant::now();
    let series = ingest::scan(dir)?;
    let scan = started.elapsed();
    let region = selector.region.as_ref();
    let (volume, volume_time, (tumor, mask_source), mask_time) = match &selector.kind {
        MaskKind::LabelMap(path) => {
            let started = Instant::now();
            let volume = ingest::assemble(ingest::select_ct(dir, &series, None)?)?;
            let volume_time = started.elapsed();
            let started = Instant::now();
            let mask = labelmap::labelmap_mask(path, &volume.image.geometry, region)?;
            (volume, volume_time, mask, started.elapsed())
        }
        kind => {
            let started = Instant::now();
            let (object, ct_uid) = choose_dicom_mask(dir, &series, kind, region)?;
            let mask_time = started.elapsed();
            let started = Instant::now();
            let volume = ingest::assemble(ingest::select_ct(dir, &series, Some(&ct_uid))?)?;
            let volume_time = started.elapsed();
            let started = Instant::now();
            let mask = match object.kind {
                ObjectKind::Segmentation => seg::seg_mask(&object.path, &volume, region)?,
                _ => rtstruct::rtstruct_mask(&object.path, &volume, region)?,
            };
            (volume, volume_time, mask, mask_time + started.elapsed())
        }
    };
    if grid_count(&tumor) == 0 {
        return Err(RoiError::EmptyMask { what: format!("tumor mask from {mask_source:?}") }.into());
    }
    Ok(Study {
        ct: volume.image,
        tumor,
        series_uid: volume.series_uid,
        study_uid: volume.study_uid,
        mask_source,
        timings: LoadTimings { scan, volume: volume_time, mask: mask_time },
    })
}

/// Number of voxels set in a `u8` mask.
fn grid_count(mask: &Image) -> usize {
    super::grid::mask_samples(mask).map_or(0, |v| v.iter().filter(|&&x| x != 0).count())
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

/// The SEG or RTSTRUCT to use and the UID of the CT series it references.
fn choose_dicom_mask<'a>(
    dir: &Path,
    series: &'a [Series],
    kind: &MaskKind,
    region: Option<&RegionRef>,
) -> Result<(&'a ingest::Instance, String), RoiError> {
    let usable_ct: Vec<&Series> = series.iter().filter(|s| s.ct_rejection().is_none()).collect();
    let wanted_kinds: &[ObjectKind] = match kind {
        MaskKind::Seg => &[ObjectKind::Segmentation],
        MaskKind::Rtstruct => &[ObjectKind::RtStruct],
        _ => &[ObjectKind::Segmentation, ObjectKind::RtStruct],
    };
    let mut passed_over = Vec::new();
    let mut candidates = Vec::new();
    for object in series.iter().flat_map(|s| &s.instances).filter(|i| wanted_kinds.contains(&i.kind)) {
        let header: &Object = &object.header;
        let described = match object.kind {
            ObjectKind::Segmentation => seg::describe(header),
            _ => rtstruct::describe(header),
        };
        let referenced_ct = usable_ct.iter().find(|ct| {
            described.references(&ct.uid, |uid| ct.ct_images().any(|i| i.sop_instance_uid == uid))
        });
        let Some(ct) = referenced_ct else {
            passed_over.push(format!(
                "{} references no usable ct series (it names series {:?})",
                object.path.display(),
                described.referenced_series
            ));
            continue;
        };
        if let Err(error) = pick_region(&object.path.display().to_string(), &described.regions, region) {
            passed_over.push(error.to_string());
            continue;
        }
        candidates.push((object, ct.uid.clone()));
    }
    if candidates.iter().any(|(o, _)| o.kind == ObjectKind::Segmentation) {
        candidates.retain(|(o, _)| o.kind == ObjectKind::Segmentation);
    }
    match candidates.len() {
        1 => Ok(candidates.remove(0)),
        0 => {
            let reason = if passed_over.is_empty() {
                format!(
                    "no {} found",
                    if wanted_kinds.len() == 2 { "seg or rtstruct" } else { kind_name(kind) }
                )
            } else {
                passed_over.join("; ")
            };
            Err(RoiError::NoMask { dir: dir.to_path_buf(), reason })
        }
        _ => {
            let listed: Vec<String> = candidates.iter().map(|(o, _)| o.path.display().to_string()).collect();
            Err(RoiError::AmbiguousMask { dir: dir.to_path_buf(), candidates: listed.join(", ") })
        }
    }
}

fn kind_name(kind: &MaskKind) -> &'static str {
    match kind {
        MaskKind::Seg => "seg",
        MaskKind::Rtstruct => "rtstruct",
        _ => "segmentation",
    }
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
