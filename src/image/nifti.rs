//! NIfTI-1 reader (`.nii`, `.nii.gz`) on the `nifti` crate, with the geometry in LPS.
//!
//! NIfTI stores an affine from voxel indices to RAS millimetres. The affine is taken from the
//! sform when `sform_code > 0`, else from the qform (quaternion, `qfac` in `pixdim[0]`) when
//! `qform_code > 0`, else from `pixdim` alone; the qform is computed here rather than by the crate,
//! whose qform routine panics on malformed headers. RAS becomes LPS by negating x and y, as ITK
//! does. A non-trivial `scl_slope`/`scl_inter` is applied and yields `f64` samples.

use std::path::Path;

use nifti::{NiftiObject, NiftiType, ReaderOptions};

use super::{Geometry, Image, ImageError, Samples, Voxels};

/// Reads a 3-D NIfTI-1 image.
pub fn read(path: &Path) -> Result<Image, ImageError> {
    let object = ReaderOptions::new().read_file(path).map_err(|e| match e {
        nifti::NiftiError::Io(source) => ImageError::Io { path: path.into(), source },
        other => ImageError::Corrupt { path: path.into(), reason: other.to_string() },
    })?;
    let header = object.header().clone();
    let dims = header.dim;
    let rank = dims[0] as usize;
    if !(3..=4).contains(&rank) || (rank == 4 && dims[4] > 1) {
        return Err(ImageError::Unsupported {
            path: path.into(),
            what: "dimension",
            value: format!("{:?}", &dims[1..=rank.min(7)]),
        });
    }
    let size = [dims[1] as usize, dims[2] as usize, dims[3] as usize];
    let geometry = geometry(path, &header, size)?;
    let datatype = header.data_type().map_err(|_| ImageError::Unsupported {
        path: path.into(),
        what: "datatype",
        value: header.datatype.to_string(),
    })?;
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
                value: format!("{other:?}"),
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

/// Voxel-to-LPS geometry from the header's sform, qform or pixdim.
fn geometry(path: &Path, h: &nifti::NiftiHeader, size: [usize; 3]) -> Result<Geometry, ImageError> {
    let bad = |reason: String| ImageError::BadHeader { path: path.into(), reason };
    // columns[a] is the RAS step of voxel axis a; origin is the RAS position of voxel 0.
    let (columns, origin): ([[f64; 3]; 3], [f64; 3]) = if h.sform_code > 0 {
        let rows = [h.srow_x, h.srow_y, h.srow_z].map(|r| r.map(f64::from));
        ([0, 1, 2].map(|a| [rows[0][a], rows[1][a], rows[2][a]]), [rows[0][3], rows[1][3], rows[2][3]])
    } else if h.qform_code > 0 {
        let (b, c, d) = (h.quatern_b as f64, h.quatern_c as f64, h.quatern_d as f64);
        let a = (1.0 - (b * b + c * c + d * d)).max(0.0).sqrt();
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
    Ok(geometry)
}
