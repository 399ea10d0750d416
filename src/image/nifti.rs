//! NIfTI-1 reader (`.nii`, `.nii.gz`) on the `nifti` crate, with the geometry in LPS.
//!
//! NIfTI stores an affine from voxel indices to RAS millimetres. The affine is taken from the
//! sform when `sform_code > 0`, else from the qform (quaternion, `qfac` in `pixdim[0]`) when
//! `qform_code > 0`, else from `pixdim` alone; the qform is computed here rather than by the crate,
//! whose qform routine panics on malformed headers. RAS becomes LPS by negating x and y, as ITK
//! does. A non-trivial `scl_slope`/`scl_inter` is applied and yields `f64` samples.
//!
//! The header is read and checked on its own first: sizes against the [limits](crate::limits),
//! the file long enough for its samples (a `.nii.gz` at most [`MAX_INFLATE_RATIO`]:1), the
//! quaternion a rotation (`b² + c² + d² ≤ 1`; nifti1_io would silently normalise a longer one, a
//! header fault this reader refuses) and the sform's axes orthogonal; only then is the volume read.

use std::path::Path;

use nifti::{NiftiHeader, NiftiObject, NiftiType, ReaderOptions};

use super::{Geometry, Image, ImageError, Samples, Voxels};
use crate::limits::{self, MAX_INFLATE_RATIO};

/// How far `b² + c² + d²` of a quaternion may exceed 1 from the rounding of its `f32` fields.
pub const QUATERNION_TOLERANCE: f64 = 1e-4;

/// Largest |cosine| between two voxel axes of an sform still counted as orthogonal.
pub const ORTHOGONALITY_TOLERANCE: f64 = 1e-4;

/// Reads a 3-D NIfTI-1 image.
pub fn read(path: &Path) -> Result<Image, ImageError> {
    let (file, length) = super::open_regular(path)?;
    drop(file);
    let niftierr = |e: nifti::NiftiError| match e {
        nifti::NiftiError::Io(source) => ImageError::Io { path: path.into(), source },
        other => ImageError::Corrupt { path: path.into(), reason: other.to_string() },
    };
    let header = NiftiHeader::from_file(path).map_err(niftierr)?;
    if header.magic != *b"n+1\0" {
        return Err(ImageError::Unsupported {
            path: path.into(),
            what: "magic",
            value: String::from_utf8_lossy(&header.magic).trim_end_matches('\0').to_owned(),
        });
    }
    let dims = header.dim;
    let rank = dims[0] as usize;
    if !(3..=4).contains(&rank) || (rank == 4 && dims[4] > 1) {
        let shown: Vec<String> = dims[1..=rank.clamp(1, 7)].iter().map(u16::to_string).collect();
        return Err(ImageError::Unsupported {
            path: path.into(),
            what: "dimension",
            value: shown.join(" x "),
        });
    }
    let size = [dims[1] as usize, dims[2] as usize, dims[3] as usize];
    if size.contains(&0) {
        return Err(ImageError::BadHeader { path: path.into(), reason: "an axis has no voxel".into() });
    }
    let count = limits::voxels(size).map_err(|source| ImageError::Limit { path: path.into(), source })?;
    let datatype = header.data_type().map_err(|_| ImageError::Unsupported {
        path: path.into(),
        what: "datatype",
        value: header.datatype.to_string(),
    })?;
    check_length(path, &header, length, count * datatype.size_of())?;
    let geometry = geometry(path, &header, size)?;
    let object = ReaderOptions::new().read_file(path).map_err(niftierr)?;
    let volume = object.into_volume();
    let corrupt = |e: nifti::NiftiError| ImageError::Corrupt { path: path.into(), reason: e.to_string() };
    let mut voxels = match datatype {
        NiftiType::Uint8 => Voxels::U8(Samples::from(volume.into_nifti_typed_data().map_err(corrupt)?)),
        NiftiType::Int8 => Voxels::I8(Samples::from(volume.into_nifti_typed_data().map_err(corrupt)?)),
        NiftiType::Uint16 => Voxels::U16(Samples::from(volume.into_nifti_typed_data().map_err(corrupt)?)),
        NiftiType::Int16 => Voxels::I16(Samples::from(volume.into_nifti_typed_data().map_err(corrupt)?)),
        NiftiType::Uint32 => Voxels::U32(Samples::from(volume.into_nifti_typed_data().map_err(corrupt)?)),
        NiftiType::Int32 => Voxels::I32(Samples::from(volume.into_nifti_typed_data().map_err(corrupt)?)),
        NiftiType::Uint64 => Voxels::U64(Samples::from(volume.into_nifti_typed_data().map_err(corrupt)?)),
        NiftiType::Int64 => Voxels::I64(Samples::from(volume.into_nifti_typed_data().map_err(corrupt)?)),
        NiftiType::Float32 => Voxels::F32(Samples::from(volume.into_nifti_typed_data().map_err(corrupt)?)),
        NiftiType::Float64 => Voxels::F64(Samples::from(volume.into_nifti_typed_data().map_err(corrupt)?)),
        other => {
            return Err(ImageError::Unsupported {
                path: path.into(),
                what: "datatype",
                value: format!("{} ({})", header.datatype, other.size_of() * 8),
            })
        }
    };
    if voxels.len() != geometry.voxel_count() {
        return Err(ImageError::Corrupt {
            path: path.into(),
            reason: format!("{} samples, header promises {}", voxels.len(), geometry.voxel_count()),
        });
    }
    let (slope, inter) = (header.scl_slope as f64, header.scl_inter as f64);
    if slope != 0.0 && (slope != 1.0 || inter != 0.0) {
        voxels = Voxels::F64((0..voxels.len()).map(|i| voxels.get(i) * slope + inter).collect());
    }
    Ok(Image { geometry, voxels })
}

/// Refuses a file too short to hold `expected` bytes of samples after `vox_offset`.
fn check_length(path: &Path, header: &NiftiHeader, length: u64, expected: usize) -> Result<(), ImageError> {
    let gz = path.to_string_lossy().to_ascii_lowercase().ends_with(".gz");
    // The most bytes the file can hold once inflated.
    let inflated = if gz { length.saturating_mul(MAX_INFLATE_RATIO as u64) } else { length };
    let offset = f64::from(header.vox_offset);
    if !(352.0..=inflated as f64).contains(&offset) {
        return Err(ImageError::BadHeader {
            path: path.into(),
            reason: format!("vox_offset {offset} is outside the file"),
        });
    }
    if inflated.saturating_sub(offset as u64) < expected as u64 {
        return Err(ImageError::Corrupt {
            path: path.into(),
            reason: format!(
                "{length} bytes of file cannot hold the {expected} bytes of samples the header promises"
            ),
        });
    }
    Ok(())
}

/// Voxel-to-LPS geometry from the header's sform, qform or pixdim.
fn geometry(path: &Path, h: &nifti::NiftiHeader, size: [usize; 3]) -> Result<Geometry, ImageError> {
    let bad = |reason: String| ImageError::BadHeader { path: path.into(), reason };
    // columns[a] is the RAS step of voxel axis a; origin is the RAS position of voxel 0.
    let (columns, origin): ([[f64; 3]; 3], [f64; 3]) = if h.sform_code > 0 {
        let rows = [h.srow_x, h.srow_y, h.srow_z].map(|r| r.map(f64::from));
        ([0, 1, 2].map(|a| [rows[0][a], rows[1][a], rows[2][a]]), [rows[0][3], rows[1][3], rows[2][3]])
    } else if h.qform_code > 0 {
        let (b, c, d) = (h.quatern_b as f64, h.quatern_c as f64, h.quatern_d as f64);
        let length2 = b * b + c * c + d * d;
        if length2.is_nan() || length2 > 1.0 + QUATERNION_TOLERANCE {
            return Err(ImageError::InvalidOrientation {
                path: path.into(),
                reason: format!("quaternion (b, c, d) = ({b}, {c}, {d}) is longer than 1"),
            });
        }
        let a = (1.0 - length2).max(0.0).sqrt();
        let r = [
            [a * a + b * b - c * c - d * d, 2.0 * (b * c - a * d), 2.0 * (b * d + a * c)],
            [2.0 * (b * c + a * d), a * a + c * c - b * b - d * d, 2.0 * (c * d - a * b)],
            [2.0 * (b * d - a * c), 2.0 * (c * d + a * b), a * a + d * d - c * c - b * b],
        ];
        let qfac = if h.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
        let scale = [h.pixdim[1] as f64, h.pixdim[2] as f64, h.pixdim[3] as f64 * qfac];
        (
            [0, 1, 2].map(|a| [0, 1, 2].map(|row| r[row][a] * scale[a])),
            [h.quatern_x as f64, h.quatern_y as f64, h.quatern_z as f64],
        )
    } else {
        let p = [1, 2, 3].map(|a| h.pixdim[a] as f64);
        ([[p[0], 0.0, 0.0], [0.0, p[1], 0.0], [0.0, 0.0, p[2]]], [0.0; 3])
    };
    let ras_to_lps = [-1.0, -1.0, 1.0];
    let mut geometry = Geometry {
        size,
        origin_mm: [0, 1, 2].map(|d| ras_to_lps[d] * origin[d]),
        spacing_mm: [1.0; 3],
        direction: [[0.0; 3]; 3],
    };
    for (a, col) in columns.iter().enumerate() {
        let norm = col.iter().map(|c| c * c).sum::<f64>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return Err(bad(format!("voxel axis {a} has spacing {norm}")));
        }
        geometry.spacing_mm[a] = norm;
        geometry.direction[a] = [0, 1, 2].map(|d| ras_to_lps[d] * col[d] / norm);
    }
    if !origin.iter().all(|o| o.is_finite()) {
        return Err(bad("the origin is not finite".into()));
    }
    let dir = geometry.direction;
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        let cosine: f64 = (0..3).map(|d| dir[a][d] * dir[b][d]).sum();
        if cosine.abs() > ORTHOGONALITY_TOLERANCE {
            return Err(ImageError::InvalidOrientation {
                path: path.into(),
                reason: format!("voxel axes {a} and {b} are not orthogonal (cosine {cosine:.6})"),
            });
        }
    }
    Ok(geometry)
}
