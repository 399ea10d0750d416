//! The one error type of the ingest stage: why a folder yields no usable CT volume.
//!
//! Every variant that concerns a series names it in words ([`Series::name`](super::Series::name):
//! SeriesNumber, SeriesDescription, image count), never by a UID, and, where one file is at fault,
//! keeps that file's path in a field ([`IngestError::path`]) for the command line to show. Messages
//! carry no DICOM UID, no folder name and no patient data (names, IDs, dates); only an unreadable
//! file and two conflicting copies are named, by their path inside the study folder.

use std::path::{Path, PathBuf};

use super::guard::{bare_name, DicomFileError};
use super::CtRejection;
use crate::{error_code::ErrorCode, limits::LimitExceeded};

/// Why a CT series could not be found or assembled into a volume.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The study folder (or a folder below it) could not be listed.
    #[error("could not list the study folder")]
    ListDir {
        /// The folder.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// No CT series in the folder is axial, ORIGINAL and not a localizer.
    #[error("no CT series in the study can be analysed: {found}")]
    NoCtSeries {
        /// The study folder.
        dir: PathBuf,
        /// What was found instead: each series by name and why it was passed over.
        found: String,
    },
    /// Several CT series qualify and nothing says which one is meant.
    #[error(
        "several CT series in the study could be analysed: {series}; send only the one to analyse, \
         or the segmentation drawn on it"
    )]
    AmbiguousCtSeries {
        /// The study folder.
        dir: PathBuf,
        /// The candidate series by name (with their image counts).
        series: String,
    },
    /// The series asked for is not among the qualifying CT series of the folder.
    #[error("{series} cannot be analysed: it {reason}")]
    SeriesNotUsable {
        /// The study folder.
        dir: PathBuf,
        /// The series asked for, by name.
        series: String,
        /// Why it does not qualify (absent, not CT, localizer, derived, not axial, ...).
        reason: CtRejection,
    },
    /// A file of the series could not be parsed as DICOM.
    #[error("{series}: file '{}' is unreadable ({source}); send it again", bare_name(path))]
    Read {
        /// The series.
        series: String,
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: DicomFileError,
    },
    /// A slice lacks an attribute the volume needs, or holds an unparsable value.
    #[error("{series}: an image has no valid {attribute}")]
    MissingAttribute {
        /// The series.
        series: String,
        /// The file.
        path: PathBuf,
        /// The attribute's dictionary keyword.
        attribute: &'static str,
    },
    /// A slice has no PixelData element.
    #[error("{series}: an image has no pixel data")]
    MissingPixelData {
        /// The series.
        series: String,
        /// The file.
        path: PathBuf,
    },
    /// A slice is encoded in a transfer syntax this build cannot decode.
    #[error(
        "{series}: an image cannot be read: {}",
        super::pixels::unsupported_transfer_syntax_message(uid)
    )]
    UnsupportedTransferSyntax {
        /// The series.
        series: String,
        /// The file.
        path: PathBuf,
        /// The TransferSyntaxUID.
        uid: String,
    },
    /// The pixel samples are not single-channel 8- or 16-bit integers, or do not decode.
    #[error("{series}: cannot decode the pixel data of an image: {reason}")]
    PixelData {
        /// The series.
        series: String,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A series of a single slice has no slice spacing.
    #[error("{series} has {count} image(s) to stack; a volume needs at least 2")]
    TooFewSlices {
        /// The series.
        series: String,
        /// Slices found.
        count: usize,
    },
    /// Slices differ in rows, columns or pixel spacing.
    #[error("{series}: an image has {what} {found}, the others {expected}")]
    MixedSizes {
        /// The series.
        series: String,
        /// The first file that differs.
        path: PathBuf,
        /// `rows x columns` or `pixel spacing`.
        what: &'static str,
        /// Its value.
        found: String,
        /// The value of the series' first slice.
        expected: String,
    },
    /// Slices differ in ImageOrientationPatient.
    #[error("{series}: an image has orientation {}, the others {}", cosines(found), cosines(expected))]
    MixedOrientation {
        /// The series.
        series: String,
        /// The first file that differs.
        path: PathBuf,
        /// Its direction cosines.
        found: Box<[f64; 6]>,
        /// The direction cosines of the series' first slice.
        expected: Box<[f64; 6]>,
    },
    /// The slices step sideways as well as along the slice normal (a tilted gantry).
    #[error("{series}: gantry tilt of {angle_deg:.3} degrees; send a series reconstructed without tilt")]
    GantryTilt {
        /// The series.
        series: String,
        /// The first slice found off the normal through the first slice.
        path: PathBuf,
        /// Angle between the slice normal and the step from the first slice to this one.
        angle_deg: f64,
    },
    /// Two slices lie at the same position along the normal.
    #[error(
        "{series}: two different images lie at the same position ({position_mm:.2} mm along the slice \
         normal); remove the one that does not belong (a second reconstruction?)"
    )]
    DuplicatePosition {
        /// The series.
        series: String,
        /// One file.
        path: PathBuf,
        /// The other file.
        other: PathBuf,
        /// Their position along the slice normal.
        position_mm: f64,
    },
    /// The gap between two neighbouring slices is a multiple of the usual step: slices are missing.
    #[error(
        "{series}: missing slice(s): gap {gap_mm} mm, slice step {step_mm} mm; send the complete series"
    )]
    MissingSlices {
        /// The series.
        series: String,
        /// The slice below the gap.
        before: PathBuf,
        /// The slice above the gap.
        after: PathBuf,
        /// Distance between the two, along the normal.
        gap_mm: f64,
        /// The series' usual (median) slice step.
        step_mm: f64,
    },
    /// The distance between neighbouring slices varies beyond the tolerance.
    #[error("{series}: non-uniform slice spacing: step {found_mm} mm, usual step {step_mm} mm")]
    NonUniformSpacing {
        /// The series.
        series: String,
        /// The slice above the irregular step.
        path: PathBuf,
        /// The irregular step.
        found_mm: f64,
        /// The series' usual (median) slice step.
        step_mm: f64,
    },
    /// A DICOM file of the folder (it has the DICM magic) could not be read. Skipping it could
    /// drop a slice at the edge of the series unnoticed, so the folder is refused.
    #[error("file '{name}' in the study is unreadable or truncated ({source}); send it again")]
    UnreadableFile {
        /// The file's path inside the study folder.
        name: String,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: DicomFileError,
    },
    /// A declared size (rows, columns, slices) exceeds one of the [limits](crate::limits).
    #[error("{series}: {source}")]
    Limit {
        /// The series.
        series: String,
        /// The first file at fault.
        path: PathBuf,
        /// Which limit.
        #[source]
        source: LimitExceeded,
    },
    /// A slice's RescaleSlope is zero, or the rescaled values are no plausible Hounsfield units.
    #[error("{series}: implausible rescale: {reason}")]
    ImplausibleRescale {
        /// The series.
        series: String,
        /// The first file at fault.
        path: PathBuf,
        /// What is wrong, with the values.
        reason: String,
    },
    /// Two files carry one SOP Instance UID but different pixel data: which is right cannot be
    /// told. (Byte-identical copies are one instance and pass.)
    #[error(
        "files '{first_name}' and '{other_name}' are the same image (one SOP Instance UID) with \
         different pixels; remove the wrong one and send the study again"
    )]
    ConflictingInstances {
        /// The first file's path inside the study folder.
        first_name: String,
        /// The other file's path inside the study folder.
        other_name: String,
        /// The first file.
        path: PathBuf,
        /// The other file.
        other: PathBuf,
    },
}

/// Direction cosines as `(a, b, c, d, e, f)`.
fn cosines(values: &[f64; 6]) -> String {
    let shown: Vec<String> = values.iter().map(|v| format!("{v:.6}")).collect();
    format!("({})", shown.join(", "))
}

impl IngestError {
    /// The file at fault (the first of two for a duplicate position, the slice below a gap), or
    /// the folder, for the command line to show.
    pub fn path(&self) -> Option<&Path> {
        Some(match self {
            IngestError::ListDir { path, .. }
            | IngestError::Read { path, .. }
            | IngestError::MissingAttribute { path, .. }
            | IngestError::MissingPixelData { path, .. }
            | IngestError::UnsupportedTransferSyntax { path, .. }
            | IngestError::PixelData { path, .. }
            | IngestError::MixedSizes { path, .. }
            | IngestError::MixedOrientation { path, .. }
            | IngestError::GantryTilt { path, .. }
            | IngestError::DuplicatePosition { path, .. }
            | IngestError::NonUniformSpacing { path, .. }
            | IngestError::UnreadableFile { path, .. }
            | IngestError::Limit { path, .. }
            | IngestError::ImplausibleRescale { path, .. }
            | IngestError::ConflictingInstances { path, .. } => path,
            IngestError::MissingSlices { before, .. } => before,
            IngestError::NoCtSeries { dir, .. }
            | IngestError::AmbiguousCtSeries { dir, .. }
            | IngestError::SeriesNotUsable { dir, .. } => dir,
            IngestError::TooFewSlices { .. } => return None,
        })
    }
}

impl ErrorCode for IngestError {
    fn code(&self) -> &'static str {
        match self {
            IngestError::ListDir { .. } => "folder_unreadable",
            IngestError::NoCtSeries { .. } => "no_ct_series",
            IngestError::AmbiguousCtSeries { .. } => "ambiguous_ct_series",
            IngestError::SeriesNotUsable { reason, .. } => reason.code(),
            IngestError::Read { source, .. } | IngestError::UnreadableFile { source, .. } => source.code(),
            IngestError::MissingAttribute { .. } => "missing_attribute",
            IngestError::MissingPixelData { .. } => "missing_pixel_data",
            IngestError::UnsupportedTransferSyntax { .. } => "unsupported_transfer_syntax",
            IngestError::PixelData { .. } => "undecodable_pixel_data",
            IngestError::TooFewSlices { .. } => "too_few_slices",
            IngestError::MixedSizes { .. } => "mixed_slice_sizes",
            IngestError::MixedOrientation { .. } => "mixed_orientation",
            IngestError::GantryTilt { .. } => "gantry_tilt",
            IngestError::DuplicatePosition { .. } => "duplicate_slice_position",
            IngestError::MissingSlices { .. } => "missing_slices",
            IngestError::NonUniformSpacing { .. } => "non_uniform_slice_spacing",
            IngestError::Limit { .. } => "limit_exceeded",
            IngestError::ImplausibleRescale { .. } => "implausible_rescale",
            IngestError::ConflictingInstances { .. } => "conflicting_instances",
        }
    }
}
