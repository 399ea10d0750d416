//! Grey Level Run Length Matrix (GLRLM), built as PyRadiomics 3.x `RadiomicsGLRLM._calculateMatrix`
//! and `_calculateCoefficients` with the C kernel `calculate_glrlm` (IBSI 2.3.3, "grey level run
//! length based features").
//!
//! ```text
//! P_a(i, r) = number of runs along o_a of r consecutive region voxels of grey level i
//! ```
//! `o_a` runs over the 13 (2D: 4) mono-directional [neighbour offsets](super::angles) at distance 1;
//! PyRadiomics ignores `distances` here. Runs are followed along every straight line through the
//! box (see `count_runs`); a run ends at a voxel of another level or outside the region. Then, in
//! PyRadiomics' order:
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
use super::levels::voxel_rows;
use super::padded::RowSpans;
use super::reduce::{drop_empty_columns, keep_non_empty, weighted_sum};
use crate::gpu::Backend;
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
        Glrlm::build_on(g, s, &Backend::Cpu)
    }

    /// [`Glrlm::build`] with the run counts taken on `backend` (the rest, the emptying of flat
    /// angles included, is shared); a failing GPU leaves them to the CPU.
    pub fn build_on(g: &GreyLevels, s: &TextureSettings, backend: &Backend) -> Result<Glrlm, AngleError> {
        let offsets = neighbour_offsets(g.size, &[1], Directions::One, s.force_2d_axis)?;
        let n_g = g.present.len();
        let longest = g.size.iter().copied().max().unwrap_or(0);
        let len = n_g * longest;
        let mut counts = backend
            .on_gpu("GLRLM", |device| device.glrlm_counts(&voxel_rows(g), g.size, &offsets, n_g, longest))
            .map_or_else(
                || count_runs(g, &offsets, longest),
                |mut counts| {
                    let region_voxels = g.levels.iter().filter(|&&l| l != 0).count();
                    for (&o, m) in offsets.iter().zip(counts.chunks_exact_mut(len.max(1))) {
                        let runs = m.iter().map(|&c| u64::from(c)).sum();
                        if is_flat(g, o, runs, region_voxels) {
                            m.fill(0);
                        }
                    }
                    counts.into_iter().map(f64::from).collect()
                },
            );
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
///
/// Lines along `k` are as short as the box is deep, so walking them one by one costs more in
/// set-up than in voxels. Instead every line advances at once: the region's rows are visited in
/// buffer order ([`RowSpans`]) with `o` turned, if need be, so that the previous voxel of a
/// line, `v − δ`, comes earlier (runs read the same both ways). `run[v]` is the length of the run
/// ending at `v`; the run is counted at `v` when the next voxel of the line, `v + δ`, has another
/// level (the margin is outside, so a line's last region voxel always ends its run). Along `i`
/// (δ = 1) the run is kept in a register instead.
///
/// A finished run is one index into the matrix, `row·longest + length − 1`; voxels outside the
/// region within a row's span count into an extra row, dropped at the end. The loops do not
/// branch on the levels, which change at most voxels of a noisy image (a mispredicted branch per
/// voxel doubled the time): a run grows as `run·[same level] + 1`, every voxel writes its run to
/// the list of finished runs, and the list advances only where the run ends.
fn count_runs(g: &GreyLevels, offsets: &[Offset], longest: usize) -> Vec<f64> {
    let n_g = g.present.len();
    let padded = RowSpans::new(g, 1);
    let [sx, sy, sz] = padded.size;
    let length = longest as u32;
    let len = (n_g + 1) * longest;
    let region_voxels = g.levels.iter().filter(|&&l| l != 0).count();
    let mut counts = vec![0u32; offsets.len() * len];
    let mut run = vec![0u32; padded.rows.len()];
    let mut ends = vec![0u32; sx];
    for (&o, m) in offsets.iter().zip(counts.chunks_exact_mut(len.max(1))) {
        let forward = padded.step(o);
        let delta = forward.unsigned_abs();
        for k in 0..sz {
            for j in 0..sy {
                let span = &padded.spans[j + sy * k];
                if span.is_empty() {
                    continue;
                }
                let (from, width) = (padded.index(span.start, j, k), span.len());
                let mut n = 0;
                if delta == 1 {
                    let cells = &padded.rows[from - 1..from + width + 1];
                    let mut r = 0;
                    for window in cells.windows(3) {
                        let [previous, current, next] = [window[0], window[1], window[2]];
                        r = (r & same_mask(current, previous)) + 1;
                        ends[n] = current * length + r - 1;
                        n += usize::from(current != next);
                    }
                } else {
                    let (done, rest) = run.split_at_mut(from);
                    let before = &done[from - delta..from - delta + width];
                    let current = &padded.rows[from..from + width];
                    let previous = &padded.rows[from - delta..from - delta + width];
                    let next = &padded.rows[from + delta..from + delta + width];
                    // The runs first, in a loop of their own that the compiler vectorises; the
                    // list of finished runs depends on its own length and stays scalar.
                    let runs = &mut rest[..width];
                    for (r, ((&c, &p), &b)) in runs.iter_mut().zip(current.iter().zip(previous).zip(before)) {
                        *r = (b & same_mask(c, p)) + 1;
                    }
                    for ((&r, &c), &x) in runs.iter().zip(current).zip(next) {
                        ends[n] = c * length + r - 1;
                        n += usize::from(c != x);
                    }
                }
                for &e in &ends[..n] {
                    m[e as usize] += 1;
                }
            }
        }
        let region_runs: u64 = m[..n_g * longest].iter().map(|&c| u64::from(c)).sum();
        if is_flat(g, o, region_runs, region_voxels) {
            m.fill(0);
        }
    }
    // Drop each angle's row of runs outside the region.
    counts.chunks_exact(len.max(1)).flat_map(|m| &m[..n_g * longest]).map(|&c| f64::from(c)).collect()
}

/// Whether the angle `o`, along which the region's `region_voxels` voxels form `runs` runs, is
/// to be emptied: no line along it holds two region voxels (PyRadiomics' `multiElement` check).
/// A run of two or more region voxels (fewer runs than voxels) proves such a line.
fn is_flat(g: &GreyLevels, o: Offset, runs: u64, region_voxels: usize) -> bool {
    runs >= region_voxels as u64 && !has_line_with_two(g, o)
}

/// All ones when `a == b`, else 0, computed without a comparison: LLVM turns a select on the
/// comparison into a branch here, which mispredicts at most voxels.
#[inline]
fn same_mask(a: u32, b: u32) -> u32 {
    // (a ^ b) − 1 borrows into the high half exactly when a ^ b = 0.
    ((u64::from(a ^ b)).wrapping_sub(1) >> 32) as u32
}

/// Whether some line along `o` holds two region voxels, adjacent or not (needed only when every
/// run in the region has length 1).
fn has_line_with_two(g: &GreyLevels, o: Offset) -> bool {
    let [sx, sy, sz] = g.size;
    // seen[v]: the line through v holds a region voxel at v or before it.
    let mut seen = vec![false; g.levels.len()];
    let mut v = 0;
    for k in 0..sz {
        for j in 0..sy {
            for i in 0..sx {
                let back = [i as isize - o[0], j as isize - o[1], k as isize - o[2]];
                let inside = back.iter().zip(g.size).all(|(&c, n)| c >= 0 && (c as usize) < n);
                let before =
                    inside && seen[back[0] as usize + sx * (back[1] as usize + sy * back[2] as usize)];
                let region = g.levels[v] != 0;
                if region && before {
                    return true;
                }
                seen[v] = region || before;
                v += 1;
            }
        }
    }
    false
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

    /// Run counts as `count_runs` lays them out, by walking each line from its first voxel: the
    /// obvious method, for comparison.
    fn runs_line_by_line(g: &GreyLevels, offsets: &[Offset], longest: usize) -> Vec<f64> {
        let rows = crate::radiomics::matrices::levels::level_rows(g);
        let n_g = g.present.len();
        let inside = |c: [isize; 3]| (0..3).all(|d| c[d] >= 0 && (c[d] as usize) < g.size[d]);
        let at =
            |c: [isize; 3]| g.levels[c[0] as usize + g.size[0] * (c[1] as usize + g.size[1] * c[2] as usize)];
        let mut out = vec![0.0; offsets.len() * n_g * longest];
        for (a, o) in offsets.iter().enumerate() {
            let m = &mut out[a * n_g * longest..(a + 1) * n_g * longest];
            let mut two = false;
            for v in 0..g.levels.len() {
                let c = [v % g.size[0], v / g.size[0] % g.size[1], v / (g.size[0] * g.size[1])]
                    .map(|x| x as isize);
                if inside([c[0] - o[0], c[1] - o[1], c[2] - o[2]]) {
                    continue;
                }
                let (mut c, mut current, mut run, mut region) = (c, 0, 0, 0);
                while inside(c) {
                    let level = at(c);
                    if level != current && current != 0 {
                        m[rows[current as usize] * longest + run - 1] += 1.0;
                    }
                    run = if level == current { run + 1 } else { 1 };
                    current = level;
                    region += usize::from(level != 0);
                    c = [c[0] + o[0], c[1] + o[1], c[2] + o[2]];
                }
                if current != 0 {
                    m[rows[current as usize] * longest + run - 1] += 1.0;
                }
                two |= region > 1;
            }
            if !two {
                m.fill(0.0);
            }
        }
        out
    }

    #[test]
    fn runs_match_walking_each_line_on_random_regions() {
        use super::super::padded::testutil::random_levels;
        for (seed, size, levels, fill) in [
            (1, [9, 7, 5], 3, 0.7),
            (2, [6, 11, 4], 9, 0.4),
            (3, [5, 5, 8], 2, 0.95),
            (4, [12, 3, 1], 4, 0.6),
            (5, [1, 8, 9], 3, 0.8),
            (6, [7, 6, 5], 40, 0.15),
        ] {
            let g = random_levels(size, levels, fill, seed);
            for axis in [None, Some(0), Some(2)] {
                let offsets = neighbour_offsets(g.size, &[1], Directions::One, axis).unwrap();
                let longest = size.into_iter().max().unwrap();
                assert_eq!(
                    count_runs(&g, &offsets, longest),
                    runs_line_by_line(&g, &offsets, longest),
                    "seed {seed}, axis {axis:?}"
                );
            }
        }
    }
}
