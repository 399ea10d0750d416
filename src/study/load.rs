//! Loading a study: its instances (a folder scanned, or instances the daemon already parsed) to
//! the CT volume in HU plus the tumor mask on its grid.
//!
//! The segmentation decides which CT series is meant:
//! - SEG / RTSTRUCT ([`MaskKind::Any`], [`MaskKind::Seg`], [`MaskKind::Rtstruct`]): the candidates
//!   are the objects of that kind in the study that reference a qualifying CT series (through
//!   ReferencedSeriesSequence / RTReferencedSeriesSequence, or through the instances their frames
//!   and contours reference) and hold the region asked for. `Any` prefers SEG to RTSTRUCT when both
//!   qualify (a folder from a planning system often carries both, drawn from the same contours).
//!   Exactly one candidate must remain; the CT series it references is assembled and the mask
//!   drawn on its grid, after checking Frame of Reference and instance references.
//! - label map ([`MaskKind::LabelMap`]): the study must hold exactly one qualifying CT series,
//!   and the label map must share its geometry.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::image::Image;
use crate::ingest::{self, attr::Object, Instance, ObjectKind, Series};
use crate::roi::source::pick_region;
use crate::roi::{
    labelmap, rtstruct, seg, MaskKind, MaskSelector, MaskSource, RegionRef, RoiError, StudyError,
};

/// The DICOM instances of one study, as the study stage takes them.
#[derive(Debug)]
pub enum StudyInput {
    /// A folder of files (searched recursively; files that are not DICOM are passed over).
    Folder(PathBuf),
    /// Instances whose headers are already parsed (the daemon's spool), with the folder they
    /// sit in, which errors name.
    Instances {
        /// The folder holding the instances' files.
        dir: PathBuf,
        /// The instances.
        instances: Vec<Instance>,
    },
}

impl StudyInput {
    /// The folder errors name.
    fn dir(&self) -> &Path {
        match self {
            StudyInput::Folder(dir) | StudyInput::Instances { dir, .. } => dir,
        }
    }
}

/// Wall-clock time of each step of [`load`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadTimings {
    /// Reading the headers of the study's files (zero for instances already parsed).
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
    /// SeriesInstanceUID of the CT series (patient-linked: hash it before it leaves the machine).
    pub series_uid: String,
    /// StudyInstanceUID (patient-linked: hash it before it leaves the machine).
    pub study_uid: String,
    /// FrameOfReferenceUID of the CT series (for the DICOM results; never in the report).
    pub frame_of_reference_uid: String,
    /// The CT slices in volume order: `slices[k]` is slice `k` (SOPInstanceUID and file; for the
    /// DICOM results, never in the report).
    pub slices: Vec<ingest::Slice>,
    /// Where the tumor mask came from.
    pub mask_source: MaskSource,
    /// Time spent in each step.
    pub timings: LoadTimings,
}

/// Loads the CT series of the study and its tumor mask, as `selector` says.
pub fn load(input: StudyInput, selector: &MaskSelector) -> Result<Study, StudyError> {
    load_within(input, selector, crate::image::GEOMETRY_TOLERANCE)
}

/// [`load`] with the tolerance a label map's grid must meet (PyRadiomics' `geometryTolerance`).
pub fn load_within(
    input: StudyInput,
    selector: &MaskSelector,
    geometry_tolerance: f64,
) -> Result<Study, StudyError> {
    let started = Instant::now();
    let dir = input.dir().to_path_buf();
    let series = match input {
        StudyInput::Folder(dir) => ingest::scan(&dir)?,
        StudyInput::Instances { instances, .. } => ingest::group(instances),
    };
    let scan = started.elapsed();
    let region = selector.region.as_ref();
    let (volume, volume_time, (tumor, mask_source), mask_time) = match &selector.kind {
        MaskKind::LabelMap(path) => {
            let started = Instant::now();
            let volume = ingest::assemble(ingest::select_ct(&dir, &series, None)?)?;
            let volume_time = started.elapsed();
            let started = Instant::now();
            let mask = labelmap::labelmap_mask(path, &volume.image.geometry, region, geometry_tolerance)?;
            (volume, volume_time, mask, started.elapsed())
        }
        kind => {
            let started = Instant::now();
            let (object, ct_uid) = choose_dicom_mask(&dir, &series, kind, region)?;
            let mask_time = started.elapsed();
            let started = Instant::now();
            let volume = ingest::assemble(ingest::select_ct(&dir, &series, Some(&ct_uid))?)?;
            let volume_time = started.elapsed();
            let started = Instant::now();
            let mask = match object.kind {
                ObjectKind::Segmentation => seg::seg_mask(&object.path, &volume, region)?,
                _ => rtstruct::rtstruct_mask(&object.path, &volume, region)?,
            };
            (volume, volume_time, mask, mask_time + started.elapsed())
        }
    };
    if tumor.label_extent(1.0).is_none() {
        return Err(RoiError::EmptyMask { what: format!("the tumor mask from {mask_source}") }.into());
    }
    Ok(Study {
        ct: volume.image,
        tumor,
        series_uid: volume.series_uid,
        study_uid: volume.study_uid,
        frame_of_reference_uid: volume.frame_of_reference_uid,
        slices: volume.slices,
        mask_source,
        timings: LoadTimings { scan, volume: volume_time, mask: mask_time },
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
                file_name(dir, &object.path),
                described.referenced_series
            ));
            continue;
        };
        if let Err(error) = pick_region(&file_name(dir, &object.path), &described.regions, region) {
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
            let listed: Vec<String> = candidates.iter().map(|(o, _)| file_name(dir, &o.path)).collect();
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

/// A file's path inside the study folder: messages name files, never the folders above the study
/// (folder names at a site often hold patient names).
fn file_name(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .ok()
        .or_else(|| path.file_name().map(Path::new))
        .map_or_else(|| "a file".to_owned(), |p| p.display().to_string())
}
