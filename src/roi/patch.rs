//! The deep-learning input: a 160 × 160 HU patch of the axial slice where the tumor is largest.
//!
//! ```text
//! slice  k* = argmax_k A(k)                       A(k): tumor voxels in slice k
//!        ties: smallest |k − k̄|, then smallest k   k̄: mean k over all tumor voxels (3-D centroid)
//! centre (cᵢ, cⱼ) = (⌊īₖ* + ½⌋, ⌊j̄ₖ* + ½⌋)        īₖ*, j̄ₖ*: mean i, j of the tumor voxels of slice k*
//!                                                  (round half up)
//! patch[r][c] = HU(cᵢ − 80 + c, cⱼ − 80 + r, k*)   r, c = 0..160; −1024 HU where outside the image
//! ```
//!
//! So the centre voxel is patch pixel (row 80, column 80), the lower-right of the four middle
//! pixels. The slice axis `k` is axial for every CT series [`ingest`](crate::ingest) accepts.

use super::{grid, RoiError};
use crate::image::Image;

/// Side of the square patch, in voxels (the paper's "160 × 160 pixel square image plaques").
pub const PATCH_SIDE: usize = 160;
/// Value of patch pixels outside the image: air, HU.
pub const PATCH_FILL_HU: f32 = -1024.0;

/// A patch of one axial slice around the tumor.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    /// HU, `PATCH_SIDE × PATCH_SIDE`, row by row (`j`), columns (`i`) fastest.
    pub values_hu: Vec<f32>,
    /// Slice index `k*` the patch is cut from.
    pub slice: usize,
    /// Voxel `(i, j)` at patch pixel (row 80, column 80).
    pub centre: [usize; 2],
    /// Mean `(i, j)` of the tumor voxels in the slice, before rounding.
    pub centroid: [f64; 2],
}

/// Cuts the patch of `ct` (HU) around the tumor (non-zero voxels of `tumor`, on the same grid).
pub fn deep_patch(ct: &Image, tumor: &Image) -> Result<Patch, RoiError> {
    ct.geometry
        .check_same(&tumor.geometry)
        .map_err(|source| RoiError::Geometry { what: "tumor mask given to the patch".to_owned(), source })?;
    let inside = grid::inside_samples(tumor);
    let [nx, ny, nz] = ct.geometry.size;
    let mut area = vec![0usize; nz];
    let mut sum_ij = vec![[0.0f64; 2]; nz];
    for (row_index, row) in inside.chunks_exact(nx).enumerate() {
        let (j, k) = (row_index % ny, row_index / ny);
        for (i, _) in row.iter().enumerate().filter(|(_, &v)| v != 0) {
            area[k] += 1;
            sum_ij[k][0] += i as f64;
            sum_ij[k][1] += j as f64;
        }
    }
    let total: usize = area.iter().sum();
    if total == 0 {
        return Err(RoiError::EmptyMask { what: "tumor mask given to the patch".to_owned() });
    }
    let mean_k = area.iter().enumerate().map(|(k, &a)| k as f64 * a as f64).sum::<f64>() / total as f64;
    let largest = *area.iter().max().expect("at least one slice");
    let slice = (0..nz)
        .filter(|&k| area[k] == largest)
        .min_by(|&a, &b| (a as f64 - mean_k).abs().total_cmp(&(b as f64 - mean_k).abs()).then(a.cmp(&b)))
        .expect("the largest area is some slice's");
    let centroid = sum_ij[slice].map(|s| s / largest as f64);
    let centre = centroid.map(|c| (c + 0.5).floor() as usize);

    let half = (PATCH_SIDE / 2) as i64;
    let mut values_hu = Vec::with_capacity(PATCH_SIDE * PATCH_SIDE);
    for r in 0..PATCH_SIDE as i64 {
        let j = centre[1] as i64 - half + r;
        for c in 0..PATCH_SIDE as i64 {
            let i = centre[0] as i64 - half + c;
            let outside = i < 0 || j < 0 || i >= nx as i64 || j >= ny as i64;
            values_hu.push(if outside { PATCH_FILL_HU } else { ct.at(i as usize, j as usize, slice) as f32 });
        }
    }
    Ok(Patch { values_hu, slice, centre, centroid })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{Geometry, Voxels};

    fn geometry(size: [usize; 3]) -> Geometry {
        Geometry {
            size,
            origin_mm: [0.0; 3],
            spacing_mm: [1.0; 3],
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        }
    }

    #[test]
    fn ties_go_to_the_slice_nearest_the_centroid_and_the_border_is_air() {
        let g = geometry([200, 10, 5]);
        let mut mask = vec![0u8; g.voxel_count()];
        // Slices 0 and 3 both hold 4 voxels; slice 4 holds 2 more, putting the centroid at k = 2.
        for (i, j, k) in
            [(1, 1, 0), (2, 1, 0), (1, 2, 0), (2, 2, 0), (5, 6, 3), (6, 6, 3), (5, 7, 3), (6, 8, 3)]
        {
            mask[g.index(i, j, k)] = 1;
        }
        mask[g.index(9, 9, 4)] = 1;
        mask[g.index(8, 9, 4)] = 1;
        let ct: Vec<i16> = (0..g.voxel_count()).map(|v| (v % 1000) as i16).collect();
        let ct = Image { geometry: g, voxels: Voxels::I16(ct.into()) };
        let patch = deep_patch(&ct, &Image { geometry: g, voxels: Voxels::U8(mask.into()) }).unwrap();
        assert_eq!(patch.slice, 3);
        assert_eq!(patch.centroid, [5.5, 6.75]);
        assert_eq!(patch.centre, [6, 7]);
        assert_eq!(patch.values_hu[80 * PATCH_SIDE + 80], ct.at(6, 7, 3) as f32);
        assert_eq!(patch.values_hu[0], PATCH_FILL_HU);
        assert_eq!(patch.values_hu[(80 - 7) * PATCH_SIDE + (80 - 6)], ct.at(0, 0, 3) as f32);
        assert_eq!(patch.values_hu.len(), PATCH_SIDE * PATCH_SIDE);
    }
}
