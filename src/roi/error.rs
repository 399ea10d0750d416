//! The error types of the ROI stage: [`RoiError`] for the masks, ring and patch, and
//! [`StudyError`] for [`load_study`](super::load_study), which also fails where ingest does.
//!
//! Messages name the segmentation file and the CT series (by SeriesInstanceUID), never patient data.

use std::path::PathBuf;

use crate::{image::ImageError, ingest::IngestError};

/// Why a tumor mask, ring or patch could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RoiError {
    /// The SEG or RTSTRUCT file could not be parsed as DICOM.
    #[error("could not read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the DICOM parser said.
        #[source]
        source: Box<dicom_object::ReadError>,
    },
    /// An attribute the mask needs is absent or does not parse.
    #[error("{path} has no valid {attribute}")]
    MissingAttribute {
        /// The file.
        path: PathBuf,
        /// The attribute's dictionary keyword.
        attribute: &'static str,
    },
    /// The object asks for something this reader does not handle.
    #[error("{path}: unsupported {what} '{value}'")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// Which property (`SegmentationType`, `ContourGeometricType`, ...).
        what: &'static str,
        /// The value found.
        value: String,
    },
    /// The segmentation lies in another patient coordinate system than the CT series.
    #[error("{path} is in frame of reference {found}, but ct series {series} is in {expected}")]
    OtherFrameOfReference {
        /// The segmentation file.
        path: PathBuf,
        /// Its FrameOfReferenceUID.
        found: String,
        /// The CT series.
        series: String,
        /// The CT series' FrameOfReferenceUID.
        expected: String,
    },
    /// The segmentation references neither the CT series nor any of its instances.
    #[error("{path} does not reference ct series {series}")]
    NotReferencingSeries {
        /// The segmentation file.
        path: PathBuf,
        /// The CT series.
        series: String,
    },
    /// A frame or contour references an image that is not a slice of the CT series.
    #[error("{path}: {part} references instance {sop_instance_uid}, which is not in ct series {series}")]
    UnknownInstance {
        /// The segmentation file.
        path: PathBuf,
        /// Which frame or contour (1-based).
        part: String,
        /// The referenced SOPInstanceUID.
        sop_instance_uid: String,
        /// The CT series.
        series: String,
    },
    /// No segment, ROI or label matches the one asked for.
    #[error("{source_name}: no region {wanted}; available: {available}")]
    RegionNotFound {
        /// The segmentation or label map.
        source_name: String,
        /// What was asked for.
        wanted: String,
        /// The regions present, as `number 'name'`.
        available: String,
    },
    /// Several regions are present and none was asked for.
    #[error("{source_name} has several regions, choose one: {available}")]
    AmbiguousRegion {
        /// The segmentation or label map.
        source_name: String,
        /// The regions present, as `number 'name'`.
        available: String,
    },
    /// A SEG frame does not fall on a slice of the CT grid.
    #[error("{path}: frame {frame} is off the ct grid: {reason}")]
    FrameOffGrid {
        /// The SEG file.
        path: PathBuf,
        /// The frame (1-based).
        frame: usize,
        /// What does not fit, with the values.
        reason: String,
    },
    /// An RTSTRUCT contour does not lie in a slice of the CT grid.
    #[error("{path}: contour {contour} is off the ct grid: {reason}")]
    ContourOffGrid {
        /// The RTSTRUCT file.
        path: PathBuf,
        /// The contour (1-based, in file order within the ROI).
        contour: usize,
        /// What does not fit, with the values.
        reason: String,
    },
    /// The label map could not be read.
    #[error("could not read label map {path}")]
    LabelMap {
        /// The file.
        path: PathBuf,
        /// What the reader said.
        #[source]
        source: ImageError,
    },
    /// A mask is not on the CT grid (size, spacing, origin or direction differ).
    #[error("{what} is not on the ct grid")]
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
    #[error("no tumor segmentation in {dir}: {reason}")]
    NoMask {
        /// The study folder.
        dir: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// Several segmentations qualify and nothing says which one is meant.
    #[error("several tumor segmentations qualify in {dir}: {candidates}")]
    AmbiguousMask {
        /// The study folder.
        dir: PathBuf,
        /// The qualifying files.
        candidates: String,
    },
}

/// Why [`load_study`](super::load_study) failed: the CT volume or the tumor mask.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StudyError {
    /// The CT series could not be found or assembled.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The tumor mask could not be found or made.
    #[error(transparent)]
    Roi(#[from] RoiError),
}
