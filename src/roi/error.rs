//! The error types of the ROI stage: [`RoiError`] for the masks, ring and patch, and
//! [`StudyError`] for [`crate::study::load`], which also fails where ingest does.
//!
//! Messages name the CT series in words (number, description, image count), a segmentation by its
//! file's path inside the study folder and its description, positions in patient millimetres; never
//! a DICOM UID, a folder above the study (it may hold a patient's name) or patient data. The file
//! is kept in a field ([`RoiError::path`]) for the command line to show.

use std::path::{Path, PathBuf};

use crate::{
    error_code::ErrorCode,
    image::ImageError,
    ingest::{guard::bare_name, DicomFileError, IngestError},
    limits::LimitExceeded,
};

/// Why a tumor mask, ring or patch could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RoiError {
    /// The SEG or RTSTRUCT file could not be parsed as DICOM.
    #[error("segmentation file '{}' is unreadable ({source}); send it again", bare_name(path))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: DicomFileError,
    },
    /// The segmentation's pixel data is in an encoding this build does not read, or does not
    /// decode.
    #[error("could not read the segmentation's pixels: {source}")]
    Pixels {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::ingest::pixels::PixelError,
    },
    /// An attribute the mask needs is absent or does not parse.
    #[error("the segmentation has no valid {attribute}")]
    MissingAttribute {
        /// The file.
        path: PathBuf,
        /// The attribute's dictionary keyword.
        attribute: &'static str,
    },
    /// The object asks for something this reader does not handle.
    #[error("the segmentation has unsupported {what} '{value}'")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// Which property (`SegmentationType`, `ContourGeometricType`, ...).
        what: &'static str,
        /// The value found.
        value: String,
    },
    /// The segmentation lies in another patient coordinate system than the CT series.
    #[error(
        "the segmentation lies in another patient coordinate system (frame of reference) than {series}: \
         it was drawn on another scan; send the segmentation drawn on this series"
    )]
    OtherFrameOfReference {
        /// The segmentation file.
        path: PathBuf,
        /// The CT series, by name.
        series: String,
    },
    /// The segmentation references neither the CT series nor any of its instances.
    #[error("the segmentation refers neither to {series} nor to any of its images")]
    NotReferencingSeries {
        /// The segmentation file.
        path: PathBuf,
        /// The CT series, by name.
        series: String,
    },
    /// A frame or contour references an image that is not a slice of the CT series.
    #[error(
        "{part} of the segmentation refers to an image{} that is not in {series}; send the CT series \
         it was drawn on",
        at_z(*z_mm)
    )]
    UnknownInstance {
        /// The segmentation file.
        path: PathBuf,
        /// Which frame or contour (1-based).
        part: String,
        /// The patient z of the frame or contour, mm, when known.
        z_mm: Option<f64>,
        /// The CT series, by name.
        series: String,
    },
    /// No segment, ROI or label matches the one asked for.
    #[error("{source_name}: no region {wanted}; available: {available}; choose one with --region")]
    RegionNotFound {
        /// The segmentation or label map.
        source_name: String,
        /// What was asked for.
        wanted: String,
        /// The regions present, as `number 'name'`.
        available: String,
    },
    /// Several regions are present and none was asked for.
    #[error(
        "{source_name} has several regions: {available}; choose one with --region NUMBER or --region NAME"
    )]
    AmbiguousRegion {
        /// The segmentation or label map.
        source_name: String,
        /// The regions present, as `number 'name'`.
        available: String,
    },
    /// A SEG frame does not fall on a slice of the CT grid.
    #[error("frame {frame} of the segmentation is off the ct grid: {reason}")]
    FrameOffGrid {
        /// The SEG file.
        path: PathBuf,
        /// The frame (1-based).
        frame: usize,
        /// What does not fit, with the values.
        reason: String,
    },
    /// An RTSTRUCT contour does not lie in a slice of the CT grid.
    #[error("contour {contour} of the structure set is off the ct grid: {reason}")]
    ContourOffGrid {
        /// The RTSTRUCT file.
        path: PathBuf,
        /// The contour (1-based, in file order within the ROI).
        contour: usize,
        /// What does not fit, with the values.
        reason: String,
    },
    /// The label map could not be read.
    #[error("could not read the label map: {source}")]
    LabelMap {
        /// The file.
        path: PathBuf,
        /// What the reader said.
        #[source]
        source: ImageError,
    },
    /// A mask is not on the CT grid (size, spacing, origin or direction differ).
    #[error("{what} is not on the ct grid: {source}")]
    Geometry {
        /// The mask and where it came from.
        what: String,
        /// Which property differs.
        #[source]
        source: ImageError,
    },
    /// The mask holds no voxel.
    #[error("{what} is empty")]
    EmptyMask {
        /// The mask and where it came from.
        what: String,
    },
    /// The ring radius is not a positive finite number of millimetres.
    #[error("ring radius {radius_mm} mm is not a positive finite number")]
    InvalidRadius {
        /// The radius given.
        radius_mm: f64,
    },
    /// The folder holds no segmentation of the kind asked for that references a usable CT series.
    #[error("no usable tumor segmentation in the study: {reason}")]
    NoMask {
        /// The study folder.
        dir: PathBuf,
        /// Each segmentation found and why it is not usable, then each CT series and why it is
        /// or is not usable.
        reason: String,
    },
    /// Several segmentations qualify and nothing says which one is meant.
    #[error("several tumor segmentations qualify: {candidates}; {choose}")]
    AmbiguousMask {
        /// The study folder.
        dir: PathBuf,
        /// The qualifying objects: file inside the study folder, kind and description.
        candidates: String,
        /// The options that pick one.
        choose: String,
    },
    /// A contour runs past the edge of the CT image. Clipping it would silently cut the tumor;
    /// PyRadiomics refuses a mask whose bounding box leaves the image (`checkMask`).
    #[error("contour {contour} of the structure set runs past the edge of the ct image: {reason}")]
    ContourBeyondImage {
        /// The RTSTRUCT file.
        path: PathBuf,
        /// The contour (1-based, in file order within the ROI).
        contour: usize,
        /// Which point, where.
        reason: String,
    },
    /// A declared size (frames, rows, columns, contour points) exceeds one of the
    /// [limits](crate::limits).
    #[error("segmentation too large: {source}")]
    Limit {
        /// The file.
        path: PathBuf,
        /// Which limit.
        #[source]
        source: LimitExceeded,
    },
}

/// ` at z = 62.5 mm`, or nothing.
fn at_z(z_mm: Option<f64>) -> String {
    z_mm.map_or_else(String::new, |z| format!(" at z = {z:.1} mm"))
}

impl RoiError {
    /// The file at fault (or the study folder), for the command line to show.
    pub fn path(&self) -> Option<&Path> {
        Some(match self {
            RoiError::Read { path, .. }
            | RoiError::Pixels { path, .. }
            | RoiError::MissingAttribute { path, .. }
            | RoiError::Unsupported { path, .. }
            | RoiError::OtherFrameOfReference { path, .. }
            | RoiError::NotReferencingSeries { path, .. }
            | RoiError::UnknownInstance { path, .. }
            | RoiError::FrameOffGrid { path, .. }
            | RoiError::ContourOffGrid { path, .. }
            | RoiError::ContourBeyondImage { path, .. }
            | RoiError::LabelMap { path, .. }
            | RoiError::Limit { path, .. } => path,
            RoiError::NoMask { dir, .. } | RoiError::AmbiguousMask { dir, .. } => dir,
            RoiError::RegionNotFound { .. }
            | RoiError::AmbiguousRegion { .. }
            | RoiError::Geometry { .. }
            | RoiError::EmptyMask { .. }
            | RoiError::InvalidRadius { .. } => return None,
        })
    }
}

impl ErrorCode for RoiError {
    fn code(&self) -> &'static str {
        match self {
            RoiError::Read { source, .. } => source.code(),
            RoiError::Pixels { source, .. } => source.code(),
            RoiError::MissingAttribute { .. } => "missing_attribute",
            RoiError::Unsupported { .. } => "unsupported_segmentation",
            RoiError::OtherFrameOfReference { .. } => "other_frame_of_reference",
            RoiError::NotReferencingSeries { .. } => "segmentation_references_other_series",
            RoiError::UnknownInstance { .. } => "unknown_referenced_instance",
            RoiError::RegionNotFound { .. } => "region_not_found",
            RoiError::AmbiguousRegion { .. } => "ambiguous_region",
            RoiError::FrameOffGrid { .. } => "frame_off_grid",
            RoiError::ContourOffGrid { .. } => "contour_off_grid",
            RoiError::ContourBeyondImage { .. } => "contour_beyond_image",
            RoiError::LabelMap { source, .. } => source.code(),
            RoiError::Geometry { .. } => "mask_off_grid",
            RoiError::EmptyMask { .. } => "empty_mask",
            RoiError::InvalidRadius { .. } => "invalid_ring_radius",
            RoiError::NoMask { .. } => "no_segmentation",
            RoiError::AmbiguousMask { .. } => "ambiguous_segmentation",
            RoiError::Limit { .. } => "limit_exceeded",
        }
    }
}

/// Why [`crate::study::load`] failed: the CT volume or the tumor mask.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StudyError {
    /// The CT series could not be found or assembled.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The tumor mask could not be found or made.
    #[error(transparent)]
    Roi(#[from] RoiError),
    /// The segmentation chosen could not be drawn on the CT series.
    #[error("{object}: {error}")]
    Mask {
        /// The segmentation: its file inside the study folder, kind and description, e.g.
        /// `'seg/seg.dcm' (SEG 'Segmentation')`.
        object: String,
        /// Why it could not be drawn (in the message, not a separate cause, so that the reason
        /// is said once).
        error: RoiError,
    },
}

impl StudyError {
    /// The file at fault, for the command line to show.
    pub fn path(&self) -> Option<&Path> {
        match self {
            StudyError::Ingest(e) => e.path(),
            StudyError::Roi(e) | StudyError::Mask { error: e, .. } => e.path(),
        }
    }
}

impl ErrorCode for StudyError {
    fn code(&self) -> &'static str {
        match self {
            StudyError::Ingest(e) => e.code(),
            StudyError::Roi(e) | StudyError::Mask { error: e, .. } => e.code(),
        }
    }
}
