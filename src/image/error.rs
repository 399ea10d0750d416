//! The one error type of the image readers.

use std::path::PathBuf;

/// Why an image file could not be read, or two images do not fit together.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The file could not be opened or read.
    #[error("could not read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file name ends in neither `.nrrd`/`.nhdr` nor `.nii`/`.nii.gz`.
    #[error("{path}: unknown image format (expected .nrrd, .nhdr, .nii or .nii.gz)")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The header is malformed: a field is missing, repeated or unparsable.
    #[error("{path}: bad header: {reason}")]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the field.
        reason: String,
    },
    /// The header is valid but asks for something this reader does not support.
    #[error("{path}: unsupported {what} '{value}'")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// Which property (`encoding`, `type`, `dimension`, `space`, ...).
        what: &'static str,
        /// The value found.
        value: String,
    },
    /// The voxel data is shorter than the header promises, or does not decompress.
    #[error("{path}: truncated or corrupt voxel data: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was found.
        reason: String,
    },
    /// Image and mask are not on the same grid (size, spacing, origin or direction differ).
    #[error("image and mask geometries differ: {reason}")]
    GeometryMismatch {
        /// Which property differs, with both values.
        reason: String,
    },
}
