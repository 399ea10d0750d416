//! Placing patient-space points and planes on the CT grid, and the mask buffers drawn on it.
//!
//! The CT grid's directions are orthonormal (row and column cosines of ImageOrientationPatient and
//! their cross product), so the continuous voxel index of a point `p` (LPS mm) is
//!
//! ```text
//! index_a = ((p − origin) · direction_a) / spacing_a      a = 0 (i), 1 (j), 2 (k)
//! ```

use crate::image::{Geometry, Image, Voxels};

/// Continuous voxel index `(i, j, k)` of the point `p_mm` on `geometry`.
pub(crate) fn continuous_index(geometry: &Geometry, p_mm: [f64; 3]) -> [f64; 3] {
    let d = [0, 1, 2].map(|a| p_mm[a] - geometry.origin_mm[a]);
    [0, 1, 2].map(|a| {
        let dir = geometry.direction[a];
        (d[0] * dir[0] + d[1] * dir[1] + d[2] * dir[2]) / geometry.spacing_mm[a]
    })
}

/// The `u8` samples of a mask, `None` when it holds another sample type.
pub(crate) fn mask_samples(mask: &Image) -> Option<&[u8]> {
    match &mask.voxels {
        Voxels::U8(v) => Some(v),
        _ => None,
    }
}

/// A mask on `geometry` (1 inside, 0 outside) from its samples.
pub(crate) fn mask_image(geometry: Geometry, samples: Vec<u8>) -> Image {
    Image { geometry, voxels: Voxels::U8(samples.into()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_of_a_point_inverts_point_mm() {
        let g = Geometry {
            size: [10, 10, 5],
            origin_mm: [-146.0, -325.0, -777.5],
            spacing_mm: [0.5703125, 0.5703125, 5.0],
            direction: [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]],
        };
        let p = g.point_mm([3.0, 7.5, 2.0]);
        let idx = continuous_index(&g, p);
        for (a, want) in [3.0, 7.5, 2.0].into_iter().enumerate() {
            assert!((idx[a] - want).abs() < 1e-12, "{idx:?}");
        }
    }
}
