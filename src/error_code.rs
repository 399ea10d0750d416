//! Stable error codes: one snake_case word per cause (`missing_slices`,
//! `unsupported_transfer_syntax`, `segmentation_references_other_series`), the same across
//! versions, for the daemon's alerts, quarantine records and exit messages. The code names the
//! cause; the message (`Display`) explains it in a technologist's words and never carries a file
//! path or folder name (those may hold patient names): the command line adds file names itself.

/// An error that names its cause with a stable code.
pub trait ErrorCode: std::error::Error {
    /// The stable snake_case code of this error's cause.
    fn code(&self) -> &'static str;
}
