//! The one error type of the ingest stage: why a folder yields no usable CT volume.
//!
//! Every variant that concerns a series names it by its SeriesInstanceUID and, where one file is
//! at fault, that file's path; none carries patient data (names, IDs, dates).

use std::path::PathBuf;

/// Why a CT series could not be found or assembled into a volume.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The study folder (or a folder below it) could not be listed.
    #[error("could not list {path}")]
    ListDir {
        /// The folder.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// No CT series in the folder is axial, ORIGINAL and not a localizer.
    #[error("no axial original ct series in {dir}: {found}")]
    NoCtSeries {
        /// The study folder.
        dir: PathBuf,
        /// What was found instead (series UIDs and why each was passed over).
        found: String,
    },
    /// Several CT series qualify and nothing says which one is meant.
    #[error("several ct series qualify in {dir}: {series}")]
    AmbiguousCtSeries {
        /// The study folder.
        dir: PathBuf,
        /// The candidate series UIDs with their slice counts.
        series: String,
    },
    /// The series asked for is not among the qualifying CT series of the folder.
    #[error("series {series} is not an axial original ct series in {dir}: {reason}")]
    SeriesNotUsable {
        /// The study folder.
        dir: PathBuf,
        /// The series asked for.
        series: String,
        /// Why it does not qualify (absent, not CT, localizer, not axial, ...).
        reason: String,
    },
    /// A file of the series could not be parsed as DICOM.
    #[error("series {series}: could not read {path}")]
    Read {
        /// The series.
        series: String,
        /// The file.
        path: PathBuf,
        /// What the DICOM parser said.
        #[source]
        source: Box<dicom_object::ReadError>,
    },
    /// A slice lacks an attribute the volume needs, or holds an unparsable value.
    #[error("series {series}: {path} has no valid {attribute}")]
    MissingAttribute {
        /// The series.
        series: String,
        /// The file.
        path: PathBuf,
        /// The attribute's dictionary keyword.
        attribute: &'static str,
    },
    /// A slice has no PixelData element.
    #[error("series {series}: {path} has no pixel data")]
    MissingPixelData {
        /// The series.
        series: String,
        /// The file.
        path: PathBuf,
    },
    /// A slice is encoded in a transfer syntax this build cannot decode.
    #[error("series {series}: {path} uses unsupported transfer syntax {uid}")]
    UnsupportedTransferSyntax {
        /// The series.
        series: String,
        /// The file.
        path: PathBuf,
        /// The TransferSyntaxUID.
        uid: String,
    },
    /// The pixel samples are not single-channel 8- or 16-bit integers, or do not decode.
    #[error("series {series}: {path}: cannot decode pixel data: {reason}")]
    PixelData {
        /// The series.
        series: String,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A series of a single slice has no slice spacing.
    #[error("series {series} has {count} slice(s); a volume needs at least 2")]
    TooFewSlices {
        /// The series.
        series: String,
        /// Slices found.
        count: usize,
    },
    /// Slices differ in rows, columns or pixel spacing.
    #[error("series {series}: {path} has {what} {found}, other slices {expected}")]
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
    #[error("series {series}: {path} has orientation {found:?}, other slices {expected:?}")]
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
    #[error("series {series}: gantry tilt of {angle_deg:.3} degrees at {path}")]
    GantryTilt {
        /// The series.
        series: String,
        /// The first slice found off the normal through the first slice.
        path: PathBuf,
        /// Angle between the slice normal and the step from the first slice to this one.
        angle_deg: f64,
    },
    /// Two slices lie at the same position along the normal.
    #[error("series {series}: {path} and {other} lie at the same position {position_mm} mm")]
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
        "series {series}: missing slice(s) between {before} and {after}: gap {gap_mm} mm, slice step {step_mm} mm"
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
    #[error(
        "series {series}: non-uniform slice spacing at {path}: step {found_mm} mm, usual step {step_mm} mm"
    )]
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
}
