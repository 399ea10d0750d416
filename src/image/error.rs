//! The one error type of the image readers.
//!
//! Messages never name the file (a path may hold a patient's name): [`ImageError::path`] gives
//! it to the command line, which shows it to the person who ran it.

use std::path::{Path, PathBuf};

use crate::{error_code::ErrorCode, limits::LimitExceeded};

/// Why an image file could not be read, or two images do not fit together.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The file could not be opened or read.
    #[error("could not read the image file")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file (or an NRRD's detached data file) is not a regular file: a folder, a device, a
    /// named pipe. Reading one could block forever or never end.
    #[error("the image file is not a regular file")]
    NotRegularFile {
        /// The file.
        path: PathBuf,
    },
    /// The file name ends in neither `.nrrd`/`.nhdr` nor `.nii`/`.nii.gz`.
    #[error("unknown image format (expected .nrrd, .nhdr, .nii or .nii.gz)")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The header is malformed: a field is missing, repeated or unparsable.
    #[error("bad image header: {reason}")]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the field.
        reason: String,
    },
    /// The header's orientation is not a rotation (a NIfTI quaternion longer than 1, direction
    /// cosines that are not orthonormal): the image has no meaningful geometry.
    #[error("invalid image orientation: {reason}")]
    InvalidOrientation {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the values.
        reason: String,
    },
    /// The header is valid but asks for something this reader does not support.
    #[error("unsupported {what} '{value}'")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// Which property (`encoding`, `type`, `dimension`, `space`, ...).
        what: &'static str,
        /// The value found.
        value: String,
    },
    /// The voxel data is shorter than the header promises, or does not decompress.
    #[error("truncated or corrupt voxel data: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was found.
        reason: String,
    },
    /// A declared size exceeds one of the [limits](crate::limits).
    #[error("image too large: {source}")]
    Limit {
        /// The file.
        path: PathBuf,
        /// Which limit.
        #[source]
        source: LimitExceeded,
    },
    /// Image and mask are not on the same grid (size, spacing, origin or direction differ).
    #[error("image and mask geometries differ: {reason}")]
    GeometryMismatch {
        /// Which property differs, with both values.
        reason: String,
    },
}

impl ImageError {
    /// The file at fault, for the command line to show; `None` when two images disagree.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ImageError::Io { path, .. }
            | ImageError::NotRegularFile { path }
            | ImageError::UnknownFormat { path }
            | ImageError::BadHeader { path, .. }
            | ImageError::InvalidOrientation { path, .. }
            | ImageError::Unsupported { path, .. }
            | ImageError::Corrupt { path, .. }
            | ImageError::Limit { path, .. } => Some(path),
            ImageError::GeometryMismatch { .. } => None,
        }
    }
}

impl ErrorCode for ImageError {
    fn code(&self) -> &'static str {
        match self {
            ImageError::Io { .. } => "image_unreadable",
            ImageError::NotRegularFile { .. } => "not_a_regular_file",
            ImageError::UnknownFormat { .. } => "unknown_image_format",
            ImageError::BadHeader { .. } => "bad_image_header",
            ImageError::InvalidOrientation { .. } => "invalid_orientation",
            ImageError::Unsupported { .. } => "unsupported_image",
            ImageError::Corrupt { .. } => "corrupt_voxel_data",
            ImageError::Limit { .. } => "limit_exceeded",
            ImageError::GeometryMismatch { .. } => "geometry_mismatch",
        }
    }
}
