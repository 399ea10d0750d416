//! Images on a physical grid: the geometry (origin, spacing, direction cosines in LPS millimetres),
//! typed voxel buffers, and the research file formats (NRRD, NIfTI) that carry them.
//!
//! Voxel `(i, j, k)` sits at `origin + i·spacing₀·dir₀ + j·spacing₁·dir₁ + k·spacing₂·dir₂`, the
//! ITK/SimpleITK convention PyRadiomics uses. Buffers are stored with `i` fastest
//! (`index = i + nx·(j + ny·k)`), which is also NumPy's C order for an `[k][j][i]` array.

mod error;
mod geometry;
pub mod nifti;
pub mod nrrd;
mod samples;
mod volume;

pub use error::ImageError;
pub use geometry::{cross, Geometry, GEOMETRY_TOLERANCE};
pub use samples::Samples;
pub use volume::{BoundingBox, Image, Voxels};

use std::path::Path;

/// Reads an image from a NRRD (`.nrrd`, `.nhdr`) or NIfTI (`.nii`, `.nii.gz`) file, chosen by the
/// file name's ending.
pub fn read(path: &Path) -> Result<Image, ImageError> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".nrrd") || name.ends_with(".nhdr") {
        nrrd::read(path)
    } else if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        nifti::read(path)
    } else {
        Err(ImageError::UnknownFormat { path: path.to_path_buf() })
    }
}

/// Numbers as `(a, b, c)`, for messages (no `Debug` dumps in messages).
pub fn numbers<T: std::fmt::Display>(values: &[T]) -> String {
    let shown: Vec<String> = values.iter().map(T::to_string).collect();
    format!("({})", shown.join(", "))
}

/// Opens `path` for reading when it is a regular file (symbolic links followed); a named pipe, a
/// device such as `/dev/zero` or a folder is refused before it is opened, since opening a pipe
/// blocks and reading a device never ends.
pub(crate) fn open_regular(path: &Path) -> Result<(std::fs::File, u64), ImageError> {
    let io = |source| ImageError::Io { path: path.to_path_buf(), source };
    let metadata = std::fs::metadata(path).map_err(io)?;
    if !metadata.is_file() {
        return Err(ImageError::NotRegularFile { path: path.to_path_buf() });
    }
    let file = std::fs::File::open(path).map_err(io)?;
    Ok((file, metadata.len()))
}
