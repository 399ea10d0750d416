//! Grey Level Co-occurrence Matrix (GLCM), built as PyRadiomics 3.x `RadiomicsGLCM._calculateMatrix`
//! with the C kernel `calculate_glcm` (IBSI 2.3.1, "grey level co-occurrence based features").
//!
//! ```text
//! P_a(i, j) = #{ voxel v in the region : level(v) = i, v + o_a in the region, level(v + o_a) = j }
//! ```
//! `o_a` runs over the mono-directional [neighbour offsets](super::angles) for the distances of
//! [`TextureSettings`]. Then, in PyRadiomics' order:
//! 1. rows and columns of grey levels absent from the region are dropped (here never created);
//! 2. with `symmetrical_glcm`, `P_a ← P_a + P_aᵀ` (IBSI's symmetric matrix: both directions);
//! 3. with a weighting norm, the angles merge into one matrix `Σ_a w_a·P_a`,
//!    `w_a = exp(−‖o_a‖²)` with ‖·‖ the norm's length in millimetres (1 for `no_weighting`);
//! 4. with more than one matrix left, matrices without any co-occurrence are deleted;
//! 5. each matrix is divided by its sum, `p_a = P_a / Σ P_a`; a matrix whose sum is 0 (possible
//!    only when one is left) becomes NaN, which the features' `nanmean` then skips.

use super::angles::{neighbour_offsets, offset_length_mm, AngleError, Directions, Offset};
use super::levels::voxel_rows;
use super::padded::RowSpans;
use super::reduce::{keep_non_empty, weighted_sum};
use crate::gpu::Backend;
use crate::radiomics::{GreyLevels, TextureSettings};

/// Normalised co-occurrence matrices of a region, one per kept angle.
#[derive(Debug, Clone, PartialEq)]
pub struct Glcm {
    /// Grey level of each row and column, ascending: the levels present in the region
    /// (PyRadiomics `grayLevels`).
    pub levels: Vec<u32>,
    /// Highest grey level in the region (PyRadiomics `Ng`).
    pub max_level: u32,
    /// Number of matrices: the kept angles, or 1 after weighting.
    pub angles: usize,
    /// Joint probabilities `p_a(i, j)` at `(a·n + i)·n + j`, `n = levels.len()`; NaN throughout a
    /// matrix without co-occurrences.
    pub p: Vec<f64>,
}

impl Glcm {
    /// Builds the matrices of `g` for the distances, symmetry, weighting and 2D setting of `s`.
    pub fn build(g: &GreyLevels, s: &TextureSettings) -> Result<Glcm, AngleError> {
        Glcm::build_on(g, s, &Backend::Cpu)
    }

    /// [`Glcm::build`] with the pair counts taken on `backend` (the rest is shared); a failing
    /// GPU leaves them to the CPU.
    pub fn build_on(g: &GreyLevels, s: &TextureSettings, backend: &Backend) -> Result<Glcm, AngleError> {
        let offsets = neighbour_offsets(g.size, &s.distances, Directions::One, s.force_2d_axis)?;
        let n = g.present.len();
        let mut counts = backend
            .on_gpu("GLCM", |device| device.glcm_counts(&voxel_rows(g), g.size, &offsets, n))
            .map_or_else(|| count_pairs(g, &offsets), |counts| counts.into_iter().map(f64::from).collect());
        if s.symmetrical_glcm {
            for m in counts.chunks_exact_mut(n * n) {
                for i in 0..n {
                    for j in i..n {
                        let sum = m[i * n + j] + m[j * n + i];
                        m[i * n + j] = sum;
                        m[j * n + i] = sum;
                    }
                }
            }
        }
        if let Some(norm) = s.weighting_norm {
            let weights: Vec<f64> = offsets
                .iter()
                .map(|&o| offset_length_mm(o, s.spacing_mm, norm).map_or(1.0, |d| (-(d * d)).exp()))
                .collect();
            counts = weighted_sum(&counts, &weights, n * n);
        }
        let mut p = keep_non_empty(counts, n * n);
        let angles = p.len().checked_div(n * n).unwrap_or(0);
        for m in p.chunks_exact_mut(n * n) {
            let sum: f64 = m.iter().sum();
            let total = if sum == 0.0 { f64::NAN } else { sum };
            m.iter_mut().for_each(|x| *x /= total);
        }
        Ok(Glcm { levels: g.present.clone(), max_level: g.max_level, angles, p })
    }

    /// Side of each matrix: the number of grey levels present.
    pub fn size(&self) -> usize {
        self.levels.len()
    }

    /// The matrix of angle `a`, row-major.
    ///
    /// **Panics** if `a >= self.angles`.
    pub fn matrix(&self, a: usize) -> &[f64] {
        let n2 = self.size() * self.size();
        &self.p[a * n2..(a + 1) * n2]
    }
}

/// The asymmetric counts of every offset, `(a·n + i)·n + j`.
///
/// For each offset, each row of the region along `i` is paired with the row at the offset, over
/// the `i` where both rows hold region voxels ([`RowSpans`]). Voxels outside the region in
/// that stretch are counted into an extra row and column, dropped at the end, so that the inner
/// loop does not branch on the region.
fn count_pairs(g: &GreyLevels, offsets: &[Offset]) -> Vec<f64> {
    let n = g.present.len();
    let side = n + 1;
    let margin = offsets.iter().flatten().map(|c| c.unsigned_abs()).max().unwrap_or(0);
    let padded = RowSpans::new(g, margin);
    let [_, sy, sz] = padded.size;
    let mut counts = vec![0u32; offsets.len() * side * side];
    for (&o, m) in offsets.iter().zip(counts.chunks_exact_mut(side * side)) {
        let step = padded.step(o);
        for k in 0..sz {
            for j in 0..sy {
                let span = &padded.spans[j + sy * k];
                if span.is_empty() {
                    continue;
                }
                // The margin keeps the neighbouring row inside the box.
                let (j2, k2) = (j.wrapping_add_signed(o[1]), k.wrapping_add_signed(o[2]));
                let other = &padded.spans[j2 + sy * k2];
                let shift = |i: usize| i.wrapping_add_signed(-o[0]);
                let (first, end) = (span.start.max(shift(other.start)), span.end.min(shift(other.end)));
                if other.is_empty() || first >= end {
                    continue;
                }
                let from = padded.index(first, j, k);
                let to = from.wrapping_add_signed(step);
                let width = end - first;
                for (&r, &c) in padded.rows[from..from + width].iter().zip(&padded.rows[to..to + width]) {
                    m[r as usize * side + c as usize] += 1;
                }
            }
        }
    }
    counts
        .chunks_exact(side * side)
        .flat_map(|m| m.chunks_exact(side).take(n).flat_map(|r| &r[..n]))
        .map(|&c| f64::from(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> TextureSettings {
        TextureSettings::default()
    }

    /// The 5×5 image of the PyRadiomics GLCM documentation (and IBSI's 2D example layout), as one
    /// slice with rows along `j`.
    fn docs_image() -> GreyLevels {
        let rows = [[1, 2, 5, 2, 3], [3, 2, 1, 3, 1], [1, 3, 5, 5, 2], [1, 1, 1, 1, 2], [1, 2, 4, 3, 5]];
        GreyLevels::new([5, 5, 1], rows.iter().flatten().copied().collect())
    }

    #[test]
    fn horizontal_angle_matches_the_pyradiomics_documentation_example() {
        // RadiomicsGLCM docstring: δ = 1, θ = 0° (neighbours left and right), symmetrical:
        let expected = [[6, 4, 3, 0, 0], [4, 0, 2, 1, 3], [3, 2, 0, 1, 2], [0, 1, 1, 0, 0], [0, 3, 2, 0, 2]];
        let s = TextureSettings { force_2d_axis: Some(2), ..settings() };
        let m = Glcm::build(&docs_image(), &s).unwrap();
        // 2D angles in PyRadiomics order: (x+1,y+1), (y+1), (x−1,y+1), (x+1); θ = 0° is the last.
        assert_eq!(m.angles, 4);
        let total: f64 = expected.iter().flatten().sum::<i32>() as f64;
        for (i, row) in expected.iter().enumerate() {
            for (j, &count) in row.iter().enumerate() {
                assert_eq!(m.matrix(3)[i * 5 + j], count as f64 / total, "({i}, {j})");
            }
        }
    }

    #[test]
    fn hand_counted_asymmetric_volume() {
        // Two slices of 2×1: k = 0: [1, 2], k = 1: [2, 2]; region everywhere.
        // Pairs per IBSI (2.3.1), counted from the centre voxel to the one at +offset:
        //   (i+1):       (1→2), (2→2)                  along k = 0 and k = 1
        //   (k+1):       (1→2), (2→2)
        //   (i+1, k+1):  (1→2)
        //   (i−1, k+1):  (2→2)
        // Other offsets join no two voxels and are deleted as empty.
        let g = GreyLevels::new([2, 1, 2], vec![1, 2, 2, 2]);
        let s = TextureSettings { symmetrical_glcm: false, ..settings() };
        let m = Glcm::build(&g, &s).unwrap();
        // Kept offsets, in PyRadiomics order: (k+1, i+1), (k+1), (k+1, i−1), (i+1).
        assert_eq!(m.angles, 4);
        assert_eq!(m.matrix(0), &[0.0, 1.0, 0.0, 0.0]);
        assert_eq!(m.matrix(1), &[0.0, 0.5, 0.0, 0.5]);
        assert_eq!(m.matrix(2), &[0.0, 0.0, 0.0, 1.0]);
        assert_eq!(m.matrix(3), &[0.0, 0.5, 0.0, 0.5]);
    }

    #[test]
    fn absent_levels_get_no_row_and_weighting_merges_angles() {
        // Levels 1 and 3 (2 is absent): a 3×1×1 row [1, 3, 3].
        let g = GreyLevels::new([3, 1, 1], vec![1, 3, 3]);
        let s = TextureSettings {
            weighting_norm: Some(crate::radiomics::WeightingNorm::NoWeighting),
            ..settings()
        };
        let m = Glcm::build(&g, &s).unwrap();
        assert_eq!((m.levels.clone(), m.max_level, m.angles), (vec![1, 3], 3, 1));
        // Symmetric counts along i: (1,3), (3,3) and their transposes: [[0,1],[1,2]] / 4.
        assert_eq!(m.matrix(0), &[0.0, 0.25, 0.25, 0.5]);
    }

    #[test]
    fn a_lone_empty_matrix_is_nan() {
        // One voxel: every angle is empty; weighting leaves a single empty matrix.
        let g = GreyLevels::new([1, 1, 1], vec![4]);
        let s =
            TextureSettings { weighting_norm: Some(crate::radiomics::WeightingNorm::Infinity), ..settings() };
        let m = Glcm::build(&g, &s).unwrap();
        assert_eq!(m.angles, 1);
        assert!(m.matrix(0)[0].is_nan());
        assert_eq!(Glcm::build(&g, &settings()).unwrap().angles, 0);
    }

    #[test]
    fn distance_errors_pass_through() {
        let s = TextureSettings { distances: vec![0], ..settings() };
        assert_eq!(Glcm::build(&docs_image(), &s), Err(AngleError::ZeroDistance { distance: 0 }));
    }

    #[test]
    fn pair_counts_match_visiting_every_voxel_on_random_regions() {
        use super::super::padded::testutil::random_levels;
        for (seed, size, levels, fill, distances) in [
            (11, [9, 7, 5], 3, 0.7, vec![1]),
            (12, [6, 11, 4], 9, 0.4, vec![1, 2]),
            (13, [5, 5, 8], 2, 0.95, vec![3]),
            (14, [12, 3, 1], 4, 0.6, vec![1]),
            (15, [7, 6, 5], 40, 0.15, vec![1, 2]),
        ] {
            let g = random_levels(size, levels, fill, seed);
            let offsets = neighbour_offsets(g.size, &distances, Directions::One, None).unwrap();
            let n = g.present.len();
            let rows = crate::radiomics::matrices::levels::level_rows(&g);
            // Every voxel, every offset, both ends in the region: the definition itself.
            let mut expected = vec![0.0; offsets.len() * n * n];
            for v in 0..g.levels.len() {
                let c = [v % size[0], v / size[0] % size[1], v / (size[0] * size[1])];
                for (a, o) in offsets.iter().enumerate() {
                    let Some(d) = (0..3)
                        .map(|d| c[d].checked_add_signed(o[d]).filter(|&x| x < size[d]))
                        .collect::<Option<Vec<usize>>>()
                    else {
                        continue;
                    };
                    let (from, to) = (g.levels[v], g.levels[d[0] + size[0] * (d[1] + size[1] * d[2])]);
                    if from != 0 && to != 0 {
                        expected[(a * n + rows[from as usize]) * n + rows[to as usize]] += 1.0;
                    }
                }
            }
            assert_eq!(count_pairs(&g, &offsets), expected, "seed {seed}");
        }
    }
}
