//! Grey Level Run Length Matrix (GLRLM), built as PyRadiomics 3.x `RadiomicsGLRLM._calculateMatrix`
//! and `_calculateCoefficients` with the C kernel `calculate_glrlm` (IBSI 2.3.3, "grey level run
//! length based features").
//!
//! ```text
//! P_a(i, r) = number of runs along o_a of r consecutive region voxels of grey level i
//! ```
//! `o_a` runs over the 13 (2D: 4) mono-directional [neighbour offsets](super::angles) at distance 1;
//! PyRadiomics ignores `distances` here. Each straight line through the box along `o_a` is walked
//! once; a run ends at a voxel of another level or outside the region. Then, in PyRadiomics' order:
//! 1. an angle along which no line holds two region voxels (the region is flat for it) is
//!    emptied;
//! 2. rows of grey levels absent from the region are dropped (here never created);
//! 3. with a weighting norm, the angles merge into one matrix `Σ_a w_a·P_a` with
//!    `w_a = ‖o_a‖` in millimetres (not `exp(−‖o_a‖²)` as for the GLCM; 1 for `no_weighting`);
//! 4. with more than one matrix left, matrices without runs are deleted;
//! 5. run lengths that occur in no matrix lose their column.
//!
//! The matrices hold run counts, not probabilities: the features divide by `N_r`, the number of
//! runs of each angle.

use super::angles::{neighbour_offsets, offset_length_mm, AngleError, Directions, Offset};
use super::levels::level_rows;
use super::reduce::{drop_empty_columns, keep_non_empty, weighted_sum};
use crate::radiomics::{GreyLevels, TextureSettings};

/// Run-length matrices of a region, one per kept angle.
#[derive(Debug, Clone, PartialEq)]
pub struct Glrlm {
    /// Grey level of each row, ascending: the levels present in the region (PyRadiomics
    /// `grayLevels`).
    pub levels: Vec<u32>,
    /// Run length of each column in voxels, ascending: the lengths that occur (PyRadiomics
    /// `jvector` after empty run lengths are deleted).
    pub run_lengths: Vec<u32>,
    /// Number of matrices: the kept angles, or 1 after weighting.
    pub angles: usize,
    /// Run counts (weighted sums when weighting) at `(a·n_g + i)·n_r + r`, with
    /// `n_g = levels.len()`, `n_r = run_lengths.len()`.
    pub counts: Vec<f64>,
}

impl Glrlm {
    /// Builds the matrices of `g` for the weighting and 2D settings of `s`.
    pub fn build(g: &GreyLevels, s: &TextureSettings) -> Result<Glrlm, AngleError> {
        let offsets = neighbour_offsets(g.size, &[1], Directions::One, s.force_2d_axis)?;
        let n_g = g.present.len();
        let longest = g.size.iter().copied().max().unwrap_or(0);
        let mut counts = count_runs(g, &offsets, longest);
        let len = n_g * longest;
        if let Some(norm) = s.weighting_norm {
            let weights: Vec<f64> =
                offsets.iter().map(|&o| offset_length_mm(o, s.spacing_mm, norm).unwrap_or(1.0)).collect();
            counts = weighted_sum(&counts, &weights, len);
        }
        let counts = keep_non_empty(counts, len);
        let angles = counts.len().checked_div(len).unwrap_or(0);
        let (used, counts) = drop_empty_columns(&counts, longest);
        Ok(Glrlm {
            levels: g.present.clone(),
            run_lengths: used.iter().map(|&r| r as u32 + 1).collect(),
            angles,
            counts,
        })
    }

    /// The matrix of angle `a`, row-major (grey levels × run lengths).
    ///
    /// **Panics** if `a >= self.angles`.
    pub fn matrix(&self, a: usize) -> &[f64] {
        let len = self.levels.len() * self.run_lengths.len();
        &self.counts[a * len..(a + 1) * len]
    }
}

/// Run counts of every offset, `(a·n_g + i)·longest + (r − 1)`, each angle emptied when no line
/// along it holds two region voxels (PyRadiomics' `multiElement` check).
fn count_runs(g: &GreyLevels, offsets: &[Offset], longest: usize) -> Vec<f64> {
    let n_g = g.present.len();
    let rows = level_rows(g);
    let size = g.size;
    let strides = [1, size[0] as isize, (size[0] * size[1]) as isize];
    let len = n_g * longest;
    let mut counts = vec![0u32; offsets.len() * len];
    for (&o, m) in offsets.iter().zip(counts.chunks_exact_mut(len.max(1))) {
        let delta: isize = (0..3).map(|d| o[d] * strides[d]).sum();
        let back = o.map(|c| -c);
        let mut add = |level: u32, length: usize| m[rows[level as usize] * longest + length - 1] += 1;
        let mut lines_with_two = false;
        let mut first = 0usize;
        for k in 0..size[2] {
            for j in 0..size[1] {
                for i in 0..size[0] {
                    // A line starts where the voxel one step back lies outside the box.
                    if line_length([i, j, k], back, size) == 1 {
                        let (mut v, mut elements) = (first, 0);
                        // The level of the current run (0: none) and its length so far.
                        let (mut current, mut run) = (0u32, 0usize);
                        for _ in 0..line_length([i, j, k], o, size) {
                            let level = g.levels[v];
                            if level != current {
                                if current != 0 {
                                    add(current, run);
                                }
                                (current, run) = (level, 0);
                            }
                            run += 1;
                            elements += usize::from(level != 0);
                            v = v.wrapping_add_signed(delta);
                        }
                        if current != 0 {
                            add(current, run);
                        }
                        lines_with_two |= elements > 1;
                    }
                    first += 1;
                }
            }
        }
        if !lines_with_two {
            m.fill(0);
        }
    }
    counts.into_iter().map(f64::from).collect()
}

/// Voxels on the line from `c` (included) along `o` until it leaves a box of `size`.
fn line_length(c: [usize; 3], o: Offset, size: [usize; 3]) -> usize {
    let steps = (0..3).filter(|&d| o[d] != 0).map(|d| {
        let room = if o[d] > 0 { size[d] - 1 - c[d] } else { c[d] };
        room / o[d].unsigned_abs()
    });
    steps.min().map_or(1, |s| s + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radiomics::WeightingNorm;

    /// Rows along `i`: j = 0: [1, 1, 2], j = 1: [1, 2, 2]; one slice, region everywhere.
    fn two_rows() -> GreyLevels {
        GreyLevels::new([3, 2, 1], vec![1, 1, 2, 1, 2, 2])
    }

    #[test]
    fn hand_counted_runs_per_angle() {
        // IBSI 2.3.3: runs of equal grey level along each direction, counted by hand
        // (rows: grey levels 1, 2; columns: run lengths 1, 2). Angles in PyRadiomics order.
        //   (i+1, j+1): lines (0,0)-(1,1): 1 2; (1,0)-(2,1): 1 2; (2,0): 2; (0,1): 1
        //   (j+1):      columns 1 1 | 1 2 | 2 2
        //   (i−1, j+1): lines (0,0): 1; (1,0)-(0,1): 1 1; (2,0)-(1,1): 2 2; (2,1): 2
        //   (i+1):      rows 1 1 2 | 1 2 2
        let m = Glrlm::build(&two_rows(), &TextureSettings::default()).unwrap();
        assert_eq!((m.levels.clone(), m.run_lengths.clone(), m.angles), (vec![1, 2], vec![1, 2], 4));
        assert_eq!(m.matrix(0), &[3.0, 0.0, 3.0, 0.0]);
        assert_eq!(m.matrix(1), &[1.0, 1.0, 1.0, 1.0]);
        assert_eq!(m.matrix(2), &[1.0, 1.0, 1.0, 1.0]);
        assert_eq!(m.matrix(3), &[1.0, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn weighting_sums_angles_by_their_length_in_millimetres() {
        let s = TextureSettings {
            weighting_norm: Some(WeightingNorm::NoWeighting),
            ..TextureSettings::default()
        };
        let m = Glrlm::build(&two_rows(), &s).unwrap();
        assert_eq!((m.angles, m.matrix(0)), (1, &[6.0, 3.0, 6.0, 3.0][..]));
        // Manhattan lengths with spacing (1, 2, 1) mm: 3, 2, 3 and 1 for the four angles.
        let s = TextureSettings {
            weighting_norm: Some(WeightingNorm::Manhattan),
            spacing_mm: [1.0, 2.0, 1.0],
            ..TextureSettings::default()
        };
        let m = Glrlm::build(&two_rows(), &s).unwrap();
        assert_eq!(m.matrix(0), &[15.0, 6.0, 15.0, 6.0]);
    }

    #[test]
    fn angles_without_two_voxels_on_a_line_are_dropped() {
        // Region (0,0) and (1,1) of a 2×2 slice, both level 1: only the diagonal (i+1, j+1)
        // has a line with two region voxels, one run of length 2; length 1 never occurs.
        let g = GreyLevels::new([2, 2, 1], vec![1, 0, 0, 1]);
        let m = Glrlm::build(&g, &TextureSettings::default()).unwrap();
        assert_eq!((m.angles, m.run_lengths.clone(), m.counts.clone()), (1, vec![2], vec![1.0]));
    }

    #[test]
    fn a_gap_outside_the_region_ends_a_run() {
        let g = GreyLevels::new([3, 1, 1], vec![1, 0, 1]);
        let m = Glrlm::build(&g, &TextureSettings::default()).unwrap();
        assert_eq!((m.angles, m.run_lengths.clone(), m.counts.clone()), (1, vec![1], vec![2.0]));
    }

    #[test]
    fn force_2d_axis_errors_pass_through() {
        let s = TextureSettings { force_2d_axis: Some(5), ..TextureSettings::default() };
        assert_eq!(Glrlm::build(&two_rows(), &s), Err(AngleError::BadAxis { axis: 5 }));
    }
}
