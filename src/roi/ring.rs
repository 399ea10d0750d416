//! The peritumoral ring: voxels outside the tumor within a distance (3 mm by default) of it.
//!
//! ```text
//! ring = { v ∉ T : d(v) ≤ r }      d(v) = min over t ∈ T of sqrt(Σₐ (sₐ·(vₐ − tₐ))²)
//! T: tumor voxels, r: radius (mm), sₐ: voxel spacing along axis a (mm), v, t: voxel indices
//! ```
//!
//! Distances are between voxel centres, in millimetres on the anisotropic grid. `d` is computed
//! exactly by the separable squared Euclidean distance transform of Felzenszwalb & Huttenlocher
//! ("Distance Transforms of Sampled Functions", Theory of Computing 8, 2012): one pass per axis,
//! each a lower envelope of parabolas `(sₐ·(p − q))² + f(q)`, linear in the number of voxels. It is
//! not grown by repeated dilation, which would measure chessboard or city-block distances.
//!
//! Only the tumor's bounding box padded by `ceil(r / sₐ)` voxels along each axis is transformed:
//! every voxel within `r` of the tumor lies in it, and the distance to the tumor depends only on
//! the tumor voxels, which all lie in it. The comparison is `sqrt(d²) ≤ r`, as for
//! `scipy.ndimage.distance_transform_edt(~mask, sampling=spacing) <= r`.

use super::{grid, RoiError};
use crate::gpu::Backend;
use crate::image::{BoundingBox, Image};

/// Ring radius of the Deep-RadScore method, millimetres.
pub const DEFAULT_RING_RADIUS_MM: f64 = 3.0;

/// The voxels outside `tumor` (non-zero voxels) within `radius_mm` of a tumor voxel centre, as a
/// `u8` mask on the tumor's grid.
pub fn peritumoral_ring(tumor: &Image, radius_mm: f64) -> Result<Image, RoiError> {
    peritumoral_ring_on(tumor, radius_mm, &Backend::Cpu)
}

/// [`peritumoral_ring`] with the distance transform and the radius test of the padded box run on
/// `backend` (the same arithmetic; a failing GPU leaves them to the CPU).
pub fn peritumoral_ring_on(tumor: &Image, radius_mm: f64, backend: &Backend) -> Result<Image, RoiError> {
    if !(radius_mm.is_finite() && radius_mm > 0.0) {
        return Err(RoiError::InvalidRadius { radius_mm });
    }
    let geometry = tumor.geometry;
    let inside = grid::inside_samples(tumor);
    let bbox = nonzero_box(&inside, geometry.size)
        .ok_or_else(|| RoiError::EmptyMask { what: "tumor mask given to the ring".to_owned() })?;
    let pad = [0, 1, 2].map(|a| (radius_mm / geometry.spacing_mm[a]).ceil() as usize);
    let region = BoundingBox {
        min: [0, 1, 2].map(|a| bbox.min[a].saturating_sub(pad[a])),
        max: [0, 1, 2].map(|a| (bbox.max[a] + pad[a]).min(geometry.size[a] - 1)),
    };
    let [bx, by, bz] = region.size();
    let [nx, ny, _] = geometry.size;
    let global = |i: usize, j: usize, k: usize| {
        (region.min[0] + i) + nx * ((region.min[1] + j) + ny * (region.min[2] + k))
    };

    let mut inside_box = Vec::with_capacity(bx * by * bz);
    for k in 0..bz {
        for j in 0..by {
            inside_box.extend((0..bx).map(|i| inside[global(i, j, k)]));
        }
    }
    let dims = [bx, by, bz];
    let ring_box = backend
        .on_gpu("ring", |device| device.ring_box(&inside_box, dims, geometry.spacing_mm, radius_mm))
        .unwrap_or_else(|| ring_in_box(&inside_box, dims, geometry.spacing_mm, radius_mm));

    let mut ring = vec![0u8; geometry.voxel_count()];
    for k in 0..bz {
        for j in 0..by {
            for i in 0..bx {
                ring[global(i, j, k)] = ring_box[i + bx * (j + by * k)];
            }
        }
    }
    Ok(grid::mask_image(geometry, ring))
}

/// The ring inside a box of `dims` voxels on the CPU: 1 where `inside` is 0 and the distance
/// transform puts the voxel within `radius_mm` of the tumor, else 0.
fn ring_in_box(inside: &[u8], dims: [usize; 3], spacing_mm: [f64; 3], radius_mm: f64) -> Vec<u8> {
    let mut squared: Vec<f64> = inside.iter().map(|&v| if v != 0 { 0.0 } else { f64::INFINITY }).collect();
    let mut line = LineTransform::default();
    for (axis, &spacing) in spacing_mm.iter().enumerate() {
        line.run(&mut squared, dims, axis, spacing);
    }
    inside.iter().zip(&squared).map(|(&v, &d)| u8::from(v == 0 && d.sqrt() <= radius_mm)).collect()
}

/// Bounding box of the non-zero samples of a grid of `size`.
fn nonzero_box(samples: &[u8], size: [usize; 3]) -> Option<BoundingBox> {
    let [nx, ny, _] = size;
    let mut min = [usize::MAX; 3];
    let mut max = [0usize; 3];
    for (row_index, row) in samples.chunks_exact(nx).enumerate() {
        let Some(first) = row.iter().position(|&v| v != 0) else { continue };
        let last = row.iter().rposition(|&v| v != 0).expect("a first implies a last");
        let (j, k) = (row_index % ny, row_index / ny);
        min = [min[0].min(first), min[1].min(j), min[2].min(k)];
        max = [max[0].max(last), max[1].max(j), max[2].max(k)];
    }
    (min[0] != usize::MAX).then_some(BoundingBox { min, max })
}

/// Scratch space of the one-dimensional transform, reused across lines.
#[derive(Default)]
struct LineTransform {
    values: Vec<f64>,
    out: Vec<f64>,
    sites: Vec<usize>,
    bounds: Vec<f64>,
}

impl LineTransform {
    /// Transforms, in place, every line of `data` (a `dims` grid, `i` fastest) along `axis`.
    fn run(&mut self, data: &mut [f64], dims: [usize; 3], axis: usize, spacing: f64) {
        let strides = [1, dims[0], dims[0] * dims[1]];
        let (u, w) = match axis {
            0 => (1, 2),
            1 => (0, 2),
            _ => (0, 1),
        };
        let (len, stride) = (dims[axis], strides[axis]);
        for b in 0..dims[w] {
            for a in 0..dims[u] {
                let start = a * strides[u] + b * strides[w];
                self.values.clear();
                self.values.extend((0..len).map(|p| data[start + p * stride]));
                self.transform(spacing);
                for (p, &v) in self.out.iter().enumerate() {
                    data[start + p * stride] = v;
                }
            }
        }
    }

    /// `out[p] = min over q of (spacing·(p − q))² + values[q]` by the lower envelope of parabolas.
    fn transform(&mut self, spacing: f64) {
        let f = &self.values;
        let n = f.len();
        self.sites.clear();
        self.bounds.clear();
        for q in (0..n).filter(|&q| f[q].is_finite()) {
            let xq = spacing * q as f64;
            let mut start = f64::NEG_INFINITY;
            while let Some(&p) = self.sites.last() {
                let xp = spacing * p as f64;
                start = ((f[q] + xq * xq) - (f[p] + xp * xp)) / (2.0 * (xq - xp));
                if start <= *self.bounds.last().expect("one bound per site") {
                    self.sites.pop();
                    self.bounds.pop();
                    start = f64::NEG_INFINITY;
                } else {
                    break;
                }
            }
            self.sites.push(q);
            self.bounds.push(start);
        }
        self.out.clear();
        if self.sites.is_empty() {
            self.out.resize(n, f64::INFINITY);
            return;
        }
        let mut s = 0;
        for p in 0..n {
            let x = spacing * p as f64;
            while s + 1 < self.sites.len() && self.bounds[s + 1] < x {
                s += 1;
            }
            let q = self.sites[s];
            let d = spacing * (p as f64 - q as f64);
            self.out.push(d * d + f[q]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{Geometry, Voxels};

    /// The ring by its definition: every outside voxel against every tumor voxel.
    fn brute_force(mask: &[u8], g: &Geometry, radius_mm: f64) -> Vec<u8> {
        let [nx, ny, nz] = g.size;
        let tumor: Vec<[usize; 3]> = (0..nz)
            .flat_map(|k| (0..ny).flat_map(move |j| (0..nx).map(move |i| [i, j, k])))
            .filter(|&[i, j, k]| mask[g.index(i, j, k)] != 0)
            .collect();
        let mut ring = vec![0u8; mask.len()];
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    if mask[g.index(i, j, k)] != 0 {
                        continue;
                    }
                    let v = [i, j, k];
                    let nearest = tumor
                        .iter()
                        .map(|t| {
                            let d = [0, 1, 2].map(|a| g.spacing_mm[a] * (v[a] as f64 - t[a] as f64));
                            d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
                        })
                        .fold(f64::INFINITY, f64::min);
                    ring[g.index(i, j, k)] = u8::from(nearest.sqrt() <= radius_mm);
                }
            }
        }
        ring
    }

    fn geometry(size: [usize; 3], spacing_mm: [f64; 3]) -> Geometry {
        Geometry {
            size,
            origin_mm: [0.0; 3],
            spacing_mm,
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        }
    }

    #[test]
    fn equals_brute_force_on_random_anisotropic_volumes() {
        let mut rng = crate::test_random::Random::new(0x9E37_79B9_7F4A_7C15);
        let spacings = [[0.7, 0.7, 2.5], [0.5703125, 0.5703125, 5.0], [1.0, 1.3, 0.4], [2.0, 0.5, 1.0]];
        let mut compared = 0;
        for case in 0..40 {
            let size = [3 + rng.below(14), 3 + rng.below(14), 2 + rng.below(8)];
            let g = geometry(size, spacings[case % spacings.len()]);
            let radius_mm = [3.0, 1.0, 2.5, 4.2][case % 4];
            // Sparse seeds grown into blobs, sometimes touching the border.
            let density = 1 + rng.below(20);
            let mask: Vec<u8> = (0..g.voxel_count()).map(|_| u8::from(rng.below(100) < density)).collect();
            if mask.iter().all(|&m| m == 0) {
                continue;
            }
            let image = Image { geometry: g, voxels: Voxels::U8(mask.clone().into()) };
            let ring = peritumoral_ring(&image, radius_mm).unwrap();
            assert_eq!(
                ring.voxels,
                Voxels::U8(brute_force(&mask, &g, radius_mm).into()),
                "case {case}, size {size:?}"
            );
            compared += 1;
        }
        assert!(compared > 30);
    }

    #[test]
    fn single_voxel_ring_counts_voxels_within_the_radius() {
        // Spacing (1, 1, 3) mm, radius 3 mm around the centre voxel: in-plane disc of radius 3
        // (29 voxels) plus the two voxels exactly 3 mm above and below, less the centre itself.
        let g = geometry([9, 9, 5], [1.0, 1.0, 3.0]);
        let mut mask = vec![0u8; g.voxel_count()];
        mask[g.index(4, 4, 2)] = 1;
        let ring = peritumoral_ring(&Image { geometry: g, voxels: Voxels::U8(mask.into()) }, 3.0).unwrap();
        let Voxels::U8(ring) = ring.voxels else { panic!("ring is u8") };
        assert_eq!(ring.iter().filter(|&&v| v == 1).count(), 28 + 2);
        assert_eq!(ring[g.index(4, 4, 3)], 1);
        assert_eq!(ring[g.index(5, 4, 3)], 0);
    }

    #[test]
    fn empty_masks_and_bad_radii_are_rejected() {
        let g = geometry([4, 4, 2], [1.0; 3]);
        let empty = Image { geometry: g, voxels: Voxels::U8(vec![0; 32].into()) };
        assert!(peritumoral_ring(&empty, 3.0).unwrap_err().to_string().contains("empty"));
        let mut one = vec![0u8; 32];
        one[5] = 1;
        let one = Image { geometry: g, voxels: Voxels::U8(one.into()) };
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let err = peritumoral_ring(&one, bad).unwrap_err().to_string();
            assert!(err.contains("ring radius"), "{err}");
        }
    }
}
