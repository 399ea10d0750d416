//! Finding the series in a study folder and choosing the CT series to analyse.
//!
//! [`scan`] reads the header of every DICOM file below a folder (the data set up to, not including,
//! PixelData, so pixels are not read twice), classifies it by SOP Class UID ([`ObjectKind`]) and
//! groups the instances by SeriesInstanceUID into [`Series`]. Files that are not DICOM, or lack the
//! UIDs every instance must carry, are passed over (logged at debug level): a study folder often
//! holds a DICOMDIR, notes or thumbnails beside the images. A file that carries the DICOM magic
//! (`DICM`) but cannot be read refuses the folder ([`IngestError::UnreadableFile`]): passing over a
//! broken slice could silently shorten the series. [`scan_study`] makes one exception: a broken
//! file whose file meta group names a segmentation class (SEG, label-map SEG, RTSTRUCT) is listed
//! as an [`UnreadableObject`] instead, for the study stage to name among the segmentations found.
//!
//! Two files holding one SOP Instance UID are one instance when their pixel data are the same
//! bytes (a file sent twice, or copied into two sub-folders): the copy is left out. With other
//! pixels the folder is refused ([`IngestError::ConflictingInstances`]), naming both files.
//!
//! [`select_ct`] then picks the series the study path analyses. Localizer images (an ImageType
//! value `LOCALIZER`: scout views) are left out of every series; a CT series qualifies when it
//! holds other CT Image Storage instances and every one of them is
//! - CT: Modality `CT`;
//! - ORIGINAL: the first ImageType value is `ORIGINAL`, or `DERIVED` (reformats, MIPs, ...) when
//!   the [`SeriesPolicy`] accepts derived images;
//! - axial: the slice normal (row × column direction cosines) lies within 45° of the patient's
//!   superior axis.
//!
//! Messages name a series by its SeriesNumber, SeriesDescription and image count ([`Series::name`]),
//! never by its UID.

use std::{
    collections::BTreeMap,
    f64::consts::FRAC_1_SQRT_2,
    path::{Path, PathBuf},
};

use dicom_dictionary_std::{tags, uids};
use dicom_object::DefaultDicomObject;

use super::{attr, guard, CtRejection, IngestError, SeriesPolicy};

/// Smallest |z component| of the unit slice normal for a slice to count as axial: cos 45°.
const AXIAL_MIN_COSINE: f64 = FRAC_1_SQRT_2;

/// What an instance is, from its SOP Class UID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// CT Image Storage: one slice of a CT series.
    CtImage,
    /// Segmentation Storage (DICOM SEG) or Label Map Segmentation Storage.
    Segmentation,
    /// RT Structure Set Storage (RTSTRUCT).
    RtStruct,
    /// Anything else (other modalities, presentation states, reports, ...).
    Other,
}

impl ObjectKind {
    /// The kind in words, for messages.
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::CtImage => "CT",
            ObjectKind::Segmentation => "SEG",
            ObjectKind::RtStruct => "RTSTRUCT",
            ObjectKind::Other => "other",
        }
    }

    fn from_sop_class(uid: &str) -> ObjectKind {
        match uid {
            uids::CT_IMAGE_STORAGE => ObjectKind::CtImage,
            uids::SEGMENTATION_STORAGE | uids::LABEL_MAP_SEGMENTATION_STORAGE => ObjectKind::Segmentation,
            uids::RT_STRUCTURE_SET_STORAGE => ObjectKind::RtStruct,
            _ => ObjectKind::Other,
        }
    }
}

/// One DICOM file found in the study folder, with its header.
#[derive(Debug)]
pub struct Instance {
    /// Where the file is.
    pub path: PathBuf,
    /// What it holds.
    pub kind: ObjectKind,
    /// Its SOPInstanceUID.
    pub sop_instance_uid: String,
    /// Its SeriesInstanceUID.
    pub series_uid: String,
    /// Its StudyInstanceUID (empty when the file has none).
    pub study_uid: String,
    /// The data set up to PixelData, and the file meta group.
    pub(crate) header: DefaultDicomObject,
}

/// The instances that share one SeriesInstanceUID.
#[derive(Debug)]
pub struct Series {
    /// SeriesInstanceUID.
    pub uid: String,
    /// The instances, ordered by path (an order with no meaning: slices are sorted by position
    /// when the volume is assembled).
    pub instances: Vec<Instance>,
}

impl Instance {
    /// Reads the header of the file at `path` (up to PixelData, through the guard of hostile
    /// input). `None`, logged at debug level, when it is not DICOM; an error when it looks like
    /// DICOM (the `DICM` magic, or a plain data set's first element) but cannot be read, so that
    /// a truncated slice is named as unreadable rather than reported later as a missing slice;
    /// `dir` is the study folder, for the file's name in that message.
    pub fn read(dir: &Path, path: PathBuf) -> Result<Option<Instance>, IngestError> {
        match guard::open(&path, true) {
            Ok(header) => Ok(Instance::from_header(path, header)),
            Err(error) if looks_like_dicom(&path) => {
                Err(IngestError::UnreadableFile { name: name_in(dir, &path), path, source: error })
            }
            Err(error) => {
                tracing::debug!(file = %name_in(dir, &path), %error, "Skipping a file that is not DICOM.");
                Ok(None)
            }
        }
    }

    /// An instance whose header was already parsed (the daemon parses each instance once, as it
    /// arrives); `None`, logged at debug level, without series or instance UID.
    pub fn from_header(path: PathBuf, header: DefaultDicomObject) -> Option<Instance> {
        let (Some(series_uid), Some(sop_instance_uid)) =
            (attr::string(&header, tags::SERIES_INSTANCE_UID), attr::string(&header, tags::SOP_INSTANCE_UID))
        else {
            tracing::debug!("Skipping a DICOM file without series or instance UID.");
            return None;
        };
        let sop_class = attr::string(&header, tags::SOP_CLASS_UID)
            .unwrap_or_else(|| header.meta().media_storage_sop_class_uid().to_owned());
        let kind = ObjectKind::from_sop_class(sop_class.trim_end_matches('\0'));
        let study_uid = attr::string(&header, tags::STUDY_INSTANCE_UID).unwrap_or_default();
        Some(Instance { path, kind, sop_instance_uid, series_uid, study_uid, header })
    }

    /// The TransferSyntaxUID of the file (from its file meta group).
    pub fn transfer_syntax(&self) -> &str {
        super::pixels::transfer_syntax(&self.header)
    }

    /// Whether the instance is a localizer (scout view): an ImageType value is `LOCALIZER`.
    pub fn is_localizer(&self) -> bool {
        attr::strings(&self.header, tags::IMAGE_TYPE).iter().any(|v| v == "LOCALIZER")
    }

    /// The file's path inside the study folder `dir` (its bare name when it lies elsewhere):
    /// messages name files so, never by the folders above the study, which may name the patient.
    pub fn name_in(&self, dir: &Path) -> String {
        name_in(dir, &self.path)
    }
}

/// `path` inside the study folder `dir`, else its bare file name.
pub(crate) fn name_in(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .ok()
        .filter(|p| !p.as_os_str().is_empty())
        .or_else(|| path.file_name().map(Path::new))
        .map_or_else(|| "a file".to_owned(), |p| p.display().to_string())
}

impl Series {
    /// The CT Image Storage instances a volume is made of: localizers left out.
    pub fn ct_images(&self) -> impl Iterator<Item = &Instance> {
        self.instances.iter().filter(|i| i.kind == ObjectKind::CtImage && !i.is_localizer())
    }

    /// The series' name with why it is not analysed under `policy`, or that it could be:
    /// `CT series 1 'Topogram' (1 image) is a localizer (scout) series`.
    pub fn verdict(&self, policy: SeriesPolicy) -> String {
        match self.ct_rejection(policy) {
            Some(reason) => format!("{} {reason}", self.name()),
            None => format!("{} could be analysed", self.name()),
        }
    }

    /// The series as a technologist knows it: Modality, SeriesNumber, SeriesDescription and image
    /// count, e.g. `CT series 3 'Thorax 1.0 B31f' (61 images)`; `the CT series (61 images)`
    /// without number and description. Never a UID.
    pub fn name(&self) -> String {
        let first = self.instances.first().map(|i| &i.header);
        let get = |tag| first.and_then(|h| attr::string(h, tag));
        let modality = get(tags::MODALITY)
            .unwrap_or_else(|| self.instances.first().map_or("CT", |i| i.kind.name()).to_owned());
        let count = self.instances.len();
        let images = format!("({count} image{})", if count == 1 { "" } else { "s" });
        match (get(tags::SERIES_NUMBER), get(tags::SERIES_DESCRIPTION)) {
            (None, None) => format!("the {modality} series {images}"),
            (number, description) => {
                let mut name = format!("{modality} series");
                if let Some(number) = number {
                    name += &format!(" {number}");
                }
                if let Some(description) = description {
                    name += &format!(" '{description}'");
                }
                format!("{name} {images}")
            }
        }
    }

    /// Why this series is not a CT series to analyse under `policy`; `None` when it is one.
    pub fn ct_rejection(&self, policy: SeriesPolicy) -> Option<CtRejection> {
        let mut ct = self.instances.iter().filter(|i| i.kind == ObjectKind::CtImage).peekable();
        if ct.peek().is_none() {
            return Some(
                match self.instances.first().and_then(|i| attr::string(&i.header, tags::MODALITY)) {
                    Some(modality) if modality != "CT" => CtRejection::NotCt { modality },
                    _ => CtRejection::NoCtImages,
                },
            );
        }
        for instance in ct {
            let modality = attr::string(&instance.header, tags::MODALITY);
            if modality.as_deref() != Some("CT") {
                return Some(CtRejection::NotCt { modality: modality.unwrap_or_default() });
            }
        }
        if self.ct_images().next().is_none() {
            return Some(CtRejection::LocalizerOnly);
        }
        for instance in self.ct_images() {
            match attr::strings(&instance.header, tags::IMAGE_TYPE).first().map(String::as_str) {
                Some("ORIGINAL") => {}
                Some("DERIVED") if policy.accept_derived => {}
                Some("DERIVED") => return Some(CtRejection::Derived),
                _ => return Some(CtRejection::NoImageType),
            }
            let Some(iop) = attr::float_array::<6>(&instance.header, tags::IMAGE_ORIENTATION_PATIENT) else {
                return Some(CtRejection::NoOrientation);
            };
            let normal = super::volume::slice_normal(&iop);
            if normal[2].abs() < AXIAL_MIN_COSINE {
                return Some(CtRejection::NotAxial { normal });
            }
        }
        None
    }
}

/// Reads the header of every file below `dir` (recursively) and groups the DICOM instances by
/// SeriesInstanceUID ([`group`]); files that are not DICOM instances are passed over, any DICOM
/// file that cannot be read refuses the folder.
pub fn scan(dir: &Path) -> Result<Vec<Series>, IngestError> {
    let (series, unreadable) = scan_study(dir)?;
    match unreadable.into_iter().next() {
        Some(object) => Err(object.error),
        None => Ok(series),
    }
}

/// A segmentation file of the study (by its file meta group) that cannot be read.
#[derive(Debug)]
pub struct UnreadableObject {
    /// What it is.
    pub kind: ObjectKind,
    /// Why, naming the file within the study folder.
    pub error: IngestError,
}

/// [`scan`], but a broken segmentation file is listed (see the module docs) rather than
/// refusing the folder.
pub fn scan_study(dir: &Path) -> Result<(Vec<Series>, Vec<UnreadableObject>), IngestError> {
    let mut files = Vec::new();
    list_files(dir, &mut files)?;
    files.sort();
    let mut instances = Vec::new();
    let mut unreadable = Vec::new();
    for path in files {
        match Instance::read(dir, path) {
            Ok(instance) => instances.extend(instance),
            Err(error) => match error.path().and_then(announced_kind) {
                Some(kind @ (ObjectKind::Segmentation | ObjectKind::RtStruct)) => {
                    unreadable.push(UnreadableObject { kind, error })
                }
                _ => return Err(error),
            },
        }
    }
    Ok((group(dir, instances)?, unreadable))
}

/// What the file meta group of the file at `path` (after its preamble) says it holds
/// (MediaStorageSOPClassUID), when that group can be read; only the group is read.
fn announced_kind(path: &Path) -> Option<ObjectKind> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    file.seek(SeekFrom::Start(128)).ok()?;
    let meta = dicom_object::FileMetaTable::from_reader(std::io::BufReader::new(file)).ok()?;
    Some(ObjectKind::from_sop_class(meta.media_storage_sop_class_uid()))
}

/// The series of a study's instances (read from files below `dir`): grouped by
/// SeriesInstanceUID, copies of one instance counted once ([`super::copies`]); a copy with other
/// pixels refuses the study.
pub fn group(dir: &Path, instances: Vec<Instance>) -> Result<Vec<Series>, IngestError> {
    let mut series = by_series(instances);
    super::copies::merge(dir, &mut series)?;
    Ok(series)
}

/// Groups instances by SeriesInstanceUID; series are ordered by UID, instances by path.
fn by_series(instances: Vec<Instance>) -> Vec<Series> {
    let mut by_uid: BTreeMap<String, Vec<Instance>> = BTreeMap::new();
    for instance in instances {
        by_uid.entry(instance.series_uid.clone()).or_default().push(instance);
    }
    by_uid
        .into_iter()
        .map(|(uid, mut instances)| {
            instances.sort_by(|a, b| a.path.cmp(&b.path));
            Series { uid, instances }
        })
        .collect()
}

/// Whether the file at `path` looks like DICOM ([`guard::looks_like_dicom`] on its first 132
/// bytes).
fn looks_like_dicom(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::with_capacity(132);
    let Ok(file) = std::fs::File::open(path) else { return false };
    file.take(132).read_to_end(&mut head).is_ok() && guard::looks_like_dicom(&head)
}

/// Chooses the CT series to analyse under `policy`: the one named by `wanted` (typically the
/// series a segmentation references), else the only qualifying series of the folder.
pub fn select_ct<'a>(
    dir: &Path,
    series: &'a [Series],
    wanted: Option<&str>,
    policy: SeriesPolicy,
) -> Result<&'a Series, IngestError> {
    if let Some(wanted) = wanted {
        let Some(found) = series.iter().find(|s| s.uid == wanted) else {
            return Err(IngestError::SeriesNotUsable {
                dir: dir.to_path_buf(),
                series: "the series asked for".to_owned(),
                reason: CtRejection::Absent,
            });
        };
        return match found.ct_rejection(policy) {
            None => Ok(found),
            Some(reason) => {
                Err(IngestError::SeriesNotUsable { dir: dir.to_path_buf(), series: found.name(), reason })
            }
        };
    }
    let candidates: Vec<&Series> = series.iter().filter(|s| s.ct_rejection(policy).is_none()).collect();
    match candidates.as_slice() {
        [one] => Ok(one),
        [] => Err(IngestError::NoCtSeries { dir: dir.to_path_buf(), found: why_not(series, policy) }),
        several => {
            let list: Vec<String> = several.iter().map(|s| s.name()).collect();
            Err(IngestError::AmbiguousCtSeries { dir: dir.to_path_buf(), series: list.join(", ") })
        }
    }
}

/// Each series of the study with why it is not analysed, e.g. `CT series 1 'Topogram' (1 image)
/// is a localizer (scout) series; SEG series 9 (1 image) holds no CT images`.
fn why_not(series: &[Series], policy: SeriesPolicy) -> String {
    if series.is_empty() {
        return "the folder holds no DICOM files".to_owned();
    }
    let listed: Vec<String> = series.iter().map(|s| s.verdict(policy)).collect();
    listed.join("; ")
}

/// Collects the regular files below `dir`, following no symbolic links to folders (a link back up
/// the tree would loop).
fn list_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), IngestError> {
    let list_err = |source| IngestError::ListDir { path: dir.to_path_buf(), source };
    for entry in std::fs::read_dir(dir).map_err(list_err)? {
        let entry = entry.map_err(list_err)?;
        let file_type = entry.file_type().map_err(list_err)?;
        let path = entry.path();
        if file_type.is_dir() {
            list_files(&path, out)?;
        } else if file_type.is_file() || (file_type.is_symlink() && path.is_file()) {
            out.push(path);
        }
    }
    Ok(())
}
