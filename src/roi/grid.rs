//! Placing patient-space points and planes on the CT grid, and the mask buffers drawn on it.
//!
//! The CT grid's directions are orthonormal (row and column cosines of ImageOrientationPatient and
//! their cross product), so the continuous voxel index of a point `p` (LPS mm) is
//!
//! ```text
//! index_a = ((p − origin) · direction_a) / spacing_a      a = 0 (i), 1 (j), 2 (k)
//! ```
//!
//! Messages give positions in patient millimetres, never voxel indices: a slice by its z (the
//! study path takes axial series only), the scan by the z range of its slices and the image by
//! the x and y range its voxels cover.

use std::borrow::Cow;

use crate::image::{Geometry, Image, Voxels};

/// Continuous voxel index `(i, j, k)` of the point `p_mm` on `geometry`.
pub(crate) fn continuous_index(geometry: &Geometry, p_mm: [f64; 3]) -> [f64; 3] {
    let d = [0, 1, 2].map(|a| p_mm[a] - geometry.origin_mm[a]);
    [0, 1, 2].map(|a| {
        let dir = geometry.direction[a];
        (d[0] * dir[0] + d[1] * dir[1] + d[2] * dir[2]) / geometry.spacing_mm[a]
    })
}

/// Patient z of the centre of slice plane `k` (continuous) at the image's first voxel, mm.
pub(crate) fn slice_z_mm(geometry: &Geometry, k: f64) -> f64 {
    geometry.point_mm([0.0, 0.0, k])[2]
}

/// `what at z = 70.0 mm lies outside the scanned range 60.0–65.0 mm`.
pub(crate) fn outside_scan(what: &str, z_mm: f64, geometry: &Geometry) -> String {
    let ends = [slice_z_mm(geometry, 0.0), slice_z_mm(geometry, geometry.size[2] as f64 - 1.0)];
    format!(
        "{what} at z = {z_mm:.1} mm lies outside the scanned range {:.1}–{:.1} mm",
        ends[0].min(ends[1]),
        ends[0].max(ends[1])
    )
}

/// `x −10.0–50.0 mm, y 20.0–80.0 mm`: what the image covers in the patient's x and y (voxel
/// edges, not centres).
pub(crate) fn in_plane_extent(geometry: &Geometry) -> String {
    let (i1, j1) = (geometry.size[0] as f64 - 0.5, geometry.size[1] as f64 - 0.5);
    let corners =
        [[-0.5, -0.5], [i1, -0.5], [-0.5, j1], [i1, j1]].map(|[i, j]| geometry.point_mm([i, j, 0.0]));
    let range = |a: usize| {
        let values = corners.map(|c| c[a]);
        (
            values.iter().copied().fold(f64::INFINITY, f64::min),
            values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    };
    let ((x0, x1), (y0, y1)) = (range(0), range(1));
    format!("x {x0:.1}–{x1:.1} mm, y {y0:.1}–{y1:.1} mm")
}

/// The inside of a mask, non-zero where its sample is not 0: its own samples when they are
/// `u8`, else 1s and 0s converted in one pass.
pub(crate) fn inside_samples(mask: &Image) -> Cow<'_, [u8]> {
    match &mask.voxels {
        Voxels::U8(v) => Cow::Borrowed(v),
        other => Cow::Owned(other.nonzero()),
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

    #[test]
    fn positions_are_told_in_millimetres() {
        let g = Geometry {
            size: [10, 20, 3],
            origin_mm: [-10.0, 5.0, 65.0],
            spacing_mm: [2.0, 1.0, 2.5],
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]],
        };
        assert_eq!(slice_z_mm(&g, 2.0), 60.0);
        assert_eq!(
            outside_scan("contour", 70.0, &g),
            "contour at z = 70.0 mm lies outside the scanned range 60.0–65.0 mm"
        );
        assert_eq!(in_plane_extent(&g), "x -11.0–9.0 mm, y 4.5–24.5 mm");
    }
}
