//! Loading a study: its instances (a folder scanned, or instances the daemon already parsed) to
//! the CT volume in HU plus the tumor mask on its grid.
//!
//! The segmentation decides which CT series is meant:
//! - SEG / RTSTRUCT ([`MaskKind::Any`], [`MaskKind::Seg`], [`MaskKind::Rtstruct`]): the candidates
//!   are the objects of that kind in the study that reference a qualifying CT series (through
//!   ReferencedSeriesSequence / RTReferencedSeriesSequence, or through the instances their frames
//!   and contours reference) and hold the region asked for. `Any` prefers SEG to RTSTRUCT when both
//!   qualify (a folder from a planning system often carries both, drawn from the same contours).
//!   Exactly one candidate must remain (`MaskSelector::object` names one by its file); the CT
//!   series it references is assembled and the mask drawn on its grid, after checking Frame of
//!   Reference and instance references.
//! - label map ([`MaskKind::LabelMap`]): the study must hold exactly one qualifying CT series,
//!   and the label map must share its geometry.
//!
//! Which CT series qualify follows the [`SeriesPolicy`] (derived images refused unless accepted;
//! localizer images always left out). When no segmentation qualifies, the refusal lists each one
//! found and why it is not usable, then each CT series and why it is or is not usable; when every
//! segmentation refers to one refused CT series, the refusal is that series' (its code, e.g.
//! `derived_series`, and the option that accepts it). A segmentation file of a folder that cannot
//! be read ([`ingest::scan_study`]) is listed among those found, as unreadable; when another one
//! qualifies, it is used and the study carries a warning. The study carries warnings for the
//! report: localizer images left out, a segmentation placed by plane position on a re-exported
//! series, an unreadable segmentation file left out.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dicom_dictionary_std::tags;

use crate::image::Image;
use crate::ingest::{
    self,
    attr::{self, Object},
    CtRejection, IngestError, Instance, ObjectKind, Series, SeriesPolicy, UnreadableObject,
};
use crate::roi::source::{pick_region, MaskHeader};
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
    /// What the reader of the report should know about how the study was read (a segmentation
    /// placed by plane position, localizer images left out); no UID, name or path.
    pub warnings: Vec<String>,
    /// Time spent in each step.
    pub timings: LoadTimings,
}

/// Loads the CT series of the study and its tumor mask, as `selector` says (derived CT images
/// refused).
pub fn load(input: StudyInput, selector: &MaskSelector) -> Result<Study, StudyError> {
    load_within(input, selector, SeriesPolicy::default(), crate::image::GEOMETRY_TOLERANCE)
}

/// [`load`] under the series `policy`, with the tolerance a label map's grid must meet
/// (PyRadiomics' `geometryTolerance`).
pub fn load_within(
    input: StudyInput,
    selector: &MaskSelector,
    policy: SeriesPolicy,
    geometry_tolerance: f64,
) -> Result<Study, StudyError> {
    let started = Instant::now();
    let dir = input.dir().to_path_buf();
    let (series, unreadable) = match input {
        StudyInput::Folder(dir) => ingest::scan_study(&dir)?,
        StudyInput::Instances { instances, .. } => (ingest::group(&dir, instances)?, Vec::new()),
    };
    let scan = started.elapsed();
    let region = selector.region.as_ref();
    let mut warnings = Vec::new();
    let (volume, volume_time, (tumor, mask_source), mask_time) = match &selector.kind {
        MaskKind::LabelMap(path) => {
            let started = Instant::now();
            let ct = ingest::select_ct(&dir, &series, None, policy)?;
            warnings.extend(localizers_left_out(ct));
            let volume = ingest::assemble(ct)?;
            let volume_time = started.elapsed();
            let started = Instant::now();
            let mask = labelmap::labelmap_mask(path, &volume.image.geometry, region, geometry_tolerance)?;
            (volume, volume_time, mask, started.elapsed())
        }
        kind => {
            let started = Instant::now();
            let wanted = wanted_kinds(kind);
            let unreadable: Vec<&UnreadableObject> =
                unreadable.iter().filter(|u| wanted.contains(&u.kind)).collect();
            let (object, ct_uid, described) = choose_dicom_mask(
                &dir,
                &series,
                &unreadable,
                kind,
                selector.object.as_deref(),
                region,
                policy,
            )?;
            warnings.extend(unreadable.iter().map(|u| {
                format!(
                    "an unreadable {} file in the study was left out; the {} was used",
                    u.kind.name(),
                    object.kind.name()
                )
            }));
            let mask_time = started.elapsed();
            let started = Instant::now();
            let ct = ingest::select_ct(&dir, &series, Some(&ct_uid), policy)?;
            warnings.extend(localizers_left_out(ct));
            let volume = ingest::assemble(ct)?;
            let volume_time = started.elapsed();
            let started = Instant::now();
            let mask = match object.kind {
                ObjectKind::Segmentation => seg::seg_mask(&object.path, &volume, region),
                _ => rtstruct::rtstruct_mask(&object.path, &volume, region),
            }
            .map_err(|error| StudyError::Mask { object: object_name(&dir, object), error })?;
            warnings.extend(placed_by_position(&described, &volume));
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
        warnings,
        timings: LoadTimings { scan, volume: volume_time, mask: mask_time },
    })
}

/// The warning that localizer images of the CT series were left out of the volume, if any were.
fn localizers_left_out(ct: &Series) -> Option<String> {
    let count = ct.instances.iter().filter(|i| i.kind == ObjectKind::CtImage && i.is_localizer()).count();
    (count > 0)
        .then(|| format!("{count} localizer (scout) image(s) in the CT series were left out of the volume"))
}

/// The warning that the segmentation refers to CT images the series does not hold (a re-exported
/// or re-sent series) and was placed by plane position, if it does.
fn placed_by_position(described: &MaskHeader, volume: &ingest::Volume) -> Option<String> {
    let held: HashSet<&str> = volume.slices.iter().map(|s| s.sop_instance_uid.as_str()).collect();
    described.referenced_instances.iter().any(|uid| !held.contains(uid.as_str())).then(|| {
        "the segmentation refers to CT images that the CT series does not hold (a re-exported or \
         re-sent series with new image identifiers, same series and coordinate system): it was \
         placed on the CT slices by plane position"
            .to_owned()
    })
}

fn describe(object: &Instance) -> MaskHeader {
    let header: &Object = &object.header;
    match object.kind {
        ObjectKind::Segmentation => seg::describe(header),
        _ => rtstruct::describe(header),
    }
}

/// A segmentation object as a technologist knows it: its file inside the study folder, its kind
/// and its description, e.g. `'seg/seg.dcm' (SEG 'Segmentation')`.
fn object_name(dir: &Path, object: &Instance) -> String {
    let kind = object.kind.name();
    let h = &object.header;
    let description = [tags::SERIES_DESCRIPTION, tags::CONTENT_LABEL, tags::STRUCTURE_SET_LABEL]
        .into_iter()
        .find_map(|tag| attr::string(h, tag));
    match description {
        Some(d) => format!("'{}' ({kind} '{d}')", object.name_in(dir)),
        None => format!("'{}' ({kind})", object.name_in(dir)),
    }
}

/// Whether `object` is the file the caller named (its path inside the study folder, its full
/// path, or its trailing components).
fn is_named(dir: &Path, object: &Instance, file: &Path) -> bool {
    object.path == file || object.path == dir.join(file) || object.path.ends_with(file)
}

/// The SEG or RTSTRUCT to use, the UID of the CT series it references and its header as read.
fn choose_dicom_mask<'a>(
    dir: &Path,
    series: &'a [Series],
    unreadable: &[&UnreadableObject],
    kind: &MaskKind,
    file: Option<&Path>,
    region: Option<&RegionRef>,
    policy: SeriesPolicy,
) -> Result<(&'a Instance, String, MaskHeader), StudyError> {
    let wanted_kinds = wanted_kinds(kind);
    let objects: Vec<&Instance> =
        series.iter().flat_map(|s| &s.instances).filter(|i| wanted_kinds.contains(&i.kind)).collect();
    let objects: Vec<&Instance> = match file {
        None => objects,
        Some(file) => {
            let named: Vec<&Instance> = objects.iter().copied().filter(|o| is_named(dir, o, file)).collect();
            if named.is_empty() {
                let found: Vec<String> = objects.iter().map(|o| object_name(dir, o)).collect();
                let found = if found.is_empty() { "none".to_owned() } else { found.join(", ") };
                return Err(RoiError::NoMask {
                    dir: dir.to_path_buf(),
                    reason: format!(
                        "no {} file '{}' in the study; found: {found}",
                        kind_name(kind),
                        file.display()
                    ),
                }
                .into());
            }
            named
        }
    };
    let mut passed_over: Vec<String> = unreadable.iter().map(|u| u.error.to_string()).collect();
    let mut refused_series: Vec<(&Series, CtRejection)> = Vec::new();
    let mut candidates = Vec::new();
    // Each series' verdict once, not once per object that may refer to it.
    let rejections: Vec<Option<CtRejection>> = series.iter().map(|s| s.ct_rejection(policy)).collect();
    for object in objects {
        let described = describe(object);
        let name = object_name(dir, object);
        let refers = |s: &Series| {
            s.uid != object.series_uid
                && described.references(&s.uid, |uid| s.instances.iter().any(|i| i.sop_instance_uid == uid))
        };
        let judged = || series.iter().zip(&rejections);
        let referenced = judged()
            .find(|(s, rejection)| rejection.is_none() && refers(s))
            .or_else(|| judged().find(|(s, _)| refers(s)));
        let Some((ct, rejection)) = referenced else {
            passed_over.push(format!("{name} refers to a series that is not in the study"));
            continue;
        };
        if let Some(reason) = rejection {
            passed_over.push(format!("{name} refers to {}, which {reason}", ct.name()));
            if !matches!(reason, CtRejection::NoCtImages | CtRejection::NotCt { .. }) {
                refused_series.push((ct, reason.clone()));
            }
            continue;
        }
        if let Err(error) = pick_region(&name, &described.regions, region) {
            passed_over.push(error.to_string());
            continue;
        }
        candidates.push((object, ct.uid.clone(), described));
    }
    if candidates.iter().any(|(o, ..)| o.kind == ObjectKind::Segmentation) {
        candidates.retain(|(o, ..)| o.kind == ObjectKind::Segmentation);
    }
    match candidates.len() {
        1 => Ok(candidates.remove(0)),
        0 => {
            // Every segmentation refers to one CT series that is refused: say why, and the fix.
            if let Some((ct, reason)) = refused_series.first() {
                if refused_series.len() == passed_over.len()
                    && refused_series.iter().all(|(s, _)| s.uid == ct.uid)
                {
                    return Err(IngestError::SeriesNotUsable {
                        dir: dir.to_path_buf(),
                        series: ct.name(),
                        reason: reason.clone(),
                    }
                    .into());
                }
            }
            let found = if passed_over.is_empty() {
                format!(
                    "no {} found",
                    if wanted_kinds.len() == 2 { "SEG or RTSTRUCT" } else { kind_name(kind) }
                )
            } else {
                format!("found {}", passed_over.join("; "))
            };
            Err(RoiError::NoMask {
                dir: dir.to_path_buf(),
                reason: format!("{found}; CT series: {}", ct_series_listed(series, policy)),
            }
            .into())
        }
        _ => {
            let listed: Vec<String> = candidates.iter().map(|(o, ..)| object_name(dir, o)).collect();
            Err(RoiError::AmbiguousMask {
                dir: dir.to_path_buf(),
                candidates: listed.join(", "),
                choose: "choose one with analyze --segmentation FILE (its path in the study folder)"
                    .to_owned(),
            }
            .into())
        }
    }
}

/// Each CT series of the study and why it is or is not usable, for a refusal.
fn ct_series_listed(series: &[Series], policy: SeriesPolicy) -> String {
    let listed: Vec<String> = series
        .iter()
        .filter(|s| s.instances.iter().any(|i| i.kind == ObjectKind::CtImage))
        .map(|s| s.verdict(policy))
        .collect();
    if listed.is_empty() {
        "no CT series".to_owned()
    } else {
        listed.join("; ")
    }
}

/// The kinds of object a DICOM mask selector looks for.
fn wanted_kinds(kind: &MaskKind) -> &'static [ObjectKind] {
    match kind {
        MaskKind::Seg => &[ObjectKind::Segmentation],
        MaskKind::Rtstruct => &[ObjectKind::RtStruct],
        _ => &[ObjectKind::Segmentation, ObjectKind::RtStruct],
    }
}

fn kind_name(kind: &MaskKind) -> &'static str {
    match kind {
        MaskKind::Seg => "SEG",
        MaskKind::Rtstruct => "RTSTRUCT",
        _ => "segmentation",
    }
}
