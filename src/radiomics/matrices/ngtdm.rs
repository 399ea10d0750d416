//! Neighbouring grey tone difference matrix (NGTDM), as PyRadiomics 3.x
//! `RadiomicsNGTDM._calculateMatrix` builds it (C: `cmatrices.c` `calculate_ngtdm`); IBSI
//! "neighbourhood grey tone difference matrix" (IBSI 1, section 3.10), Amadasun & King 1989.
//!
//! ```text
//! Ā(v) = mean grey level of the neighbours of v that lie in the region (0 neighbours: Ā(v) = g(v))
//! n_i  = number of region voxels with grey level i
//! s_i  = Σ_{v : g(v) = i} |i − Ā(v)|
//! ```
//! Neighbours are the voxels at an infinity-norm distance listed in `distances` (within the slice
//! with force2D). Unlike IBSI, a voxel without any neighbour in the region still counts in `n_i`
//! (with difference 0), as in PyRadiomics. Rows are the grey levels present, ascending.

use std::ops::AddAssign;

use super::angles::{neighbour_offsets, AngleError, Directions};
use super::levels::{level_rows, PaddedLevels};
use crate::gpu::NeighbourTally;
use crate::radiomics::roi::GreyLevels;
use crate::radiomics::texture::TextureSettings;

/// An NGTDM: one row per grey level present.
#[derive(Debug, Clone, PartialEq)]
pub struct Ngtdm {
    /// Grey level of each row, ascending (PyRadiomics column 2, the features' `i`).
    pub grey_levels: Vec<u32>,
    /// Voxels of each grey level, `n_i` (PyRadiomics column 0).
    pub counts: Vec<f64>,
    /// Sum of absolute differences from the neighbourhood mean, `s_i` (PyRadiomics column 1).
    pub differences: Vec<f64>,
}

/// Builds the NGTDM of the region with `distances` and `force_2d_axis` from the settings; bad
/// distances or a bad force-2D axis are errors.
pub fn ngtdm(g: &GreyLevels, s: &TextureSettings) -> Result<Ngtdm, AngleError> {
    ngtdm_from(g, s, None)
}

/// [`ngtdm`] from the GPU's tallies of the region's box for the same settings
/// ([`neighbour_tally_on`](super::neighbourhood::neighbour_tally_on)), or tallied on the CPU when
/// `None`.
pub fn ngtdm_from(
    g: &GreyLevels,
    s: &TextureSettings,
    tally: Option<&NeighbourTally>,
) -> Result<Ngtdm, AngleError> {
    let offsets = neighbour_offsets(g.size, &s.distances, Directions::Both, s.force_2d_axis)?;
    let mut sums = Differences::new(g);
    match tally {
        Some(tally) => sums.add(&g.levels, &tally.neighbours, &tally.sums),
        None => {
            let padded = PaddedLevels::new(g, &offsets);
            // Sums of neighbour levels in 32 bits where they cannot overflow: twice the lanes per
            // instruction of 64 bits.
            if u64::from(g.max_level) * offsets.len() as u64 <= u64::from(u32::MAX) {
                summed_in::<u32>(&padded, &mut sums);
            } else {
                summed_in::<u64>(&padded, &mut sums);
            }
        }
    }
    Ok(Ngtdm { grey_levels: g.present.clone(), counts: sums.counts, differences: sums.differences })
}

/// Gathers the neighbours of each row of the region on the CPU, with their levels summed in `S`
/// (which must hold the largest sum exactly), and adds the row to `sums`.
fn summed_in<S>(padded: &PaddedLevels, sums: &mut Differences)
where
    S: Copy + Default + AddAssign + From<u32> + Into<u64>,
{
    // Each row gathers its neighbours offset by offset, over contiguous voxels and without
    // branches (the compiler vectorises it); outside voxels add 0 to the sums.
    let widest = padded.widest_span();
    let (mut neighbours, mut row_sums) = (vec![0u32; widest], vec![S::default(); widest]);
    for span in &padded.spans {
        let (neighbours, row_sums) = (&mut neighbours[..span.len()], &mut row_sums[..span.len()]);
        neighbours.fill(0);
        row_sums.fill(S::default());
        for &d in &padded.deltas {
            for ((count, sum), &level) in
                neighbours.iter_mut().zip(row_sums.iter_mut()).zip(padded.shifted(span, d))
            {
                *count += u32::from(level != 0);
                *sum += S::from(level);
            }
        }
        sums.add(&padded.levels[span.clone()], neighbours, row_sums);
    }
}

/// `n_i` and `s_i` as they are summed, voxel by voxel in raster order (as PyRadiomics adds up
/// the differences, so the doubles round alike on both backends).
struct Differences {
    row_of: Vec<usize>,
    counts: Vec<f64>,
    differences: Vec<f64>,
}

impl Differences {
    fn new(g: &GreyLevels) -> Differences {
        Differences {
            row_of: level_rows(g),
            counts: vec![0.0; g.present.len()],
            differences: vec![0.0; g.present.len()],
        }
    }

    /// Adds the voxels of `levels` (in raster order; 0 outside the region, skipped), with the
    /// number of their neighbours in the region and the sum of those neighbours' levels.
    fn add<S: Copy + Into<u64>>(&mut self, levels: &[u32], neighbours: &[u32], sums: &[S]) {
        for ((&level, &count), &sum) in levels.iter().zip(neighbours).zip(sums) {
            if level == 0 {
                continue;
            }
            // Same arithmetic as the C code: level − sum / count in doubles, then the absolute
            // value.
            let sum: u64 = sum.into();
            let difference =
                if count == 0 { 0.0 } else { (f64::from(level) - sum as f64 / f64::from(count)).abs() };
            let row = self.row_of[level as usize];
            self.counts[row] += 1.0;
            self.differences[row] += difference;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radiomics::matrices::testutil::neighbour_levels;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    /// The 4×4 example of the PyRadiomics NGTDM documentation (δ = 1, 8-neighbourhood; IBSI 1
    /// section 3.10 definition), rows `j`, columns `i`, counted by hand. For level 3:
    /// |3 − 12/5| + |3 − 18/5| + |3 − 20/8| + |3 − 5/3| = 91/30 (the documentation's table says
    /// 2.63, its own sum 3.03). Level 4 is absent and gets no row.
    #[test]
    fn pyradiomics_documentation_example() {
        #[rustfmt::skip]
        let image = vec![
            1, 2, 5, 2,
            3, 5, 1, 3,
            1, 3, 5, 5,
            3, 1, 1, 1,
        ];
        let g = GreyLevels::new([4, 4, 1], image);
        let m = ngtdm(&g, &TextureSettings { force_2d_axis: Some(2), ..TextureSettings::default() }).unwrap();
        assert_eq!(m.grey_levels, vec![1, 2, 3, 5]);
        assert_eq!(m.counts, vec![6.0, 2.0, 4.0, 4.0]);
        // s_1 = 7/3 + 22/8 + 2 + 8/5 + 2 + 8/3; s_2 = 1 + 1; s_5 = 12/5 + 19/8 + 5/2 + 14/5.
        let expected = [267.0 / 20.0, 2.0, 91.0 / 30.0, 403.0 / 40.0];
        for (got, want) in m.differences.iter().zip(expected) {
            assert!(close(*got, want), "{got} vs {want}");
        }
    }

    /// A voxel with no neighbour in the region counts with difference 0 (PyRadiomics, not IBSI).
    #[test]
    fn isolated_voxel_counts_with_zero_difference() {
        let g = GreyLevels::new([3, 1, 1], vec![2, 0, 7]);
        let m = ngtdm(&g, &TextureSettings::default()).unwrap();
        assert_eq!(
            (m.grey_levels.clone(), m.counts.clone(), m.differences.clone()),
            (vec![2, 7], vec![1.0, 1.0], vec![0.0, 0.0])
        );
        // With δ = 2 they see each other: |2 − 7| and |7 − 2|.
        let far = ngtdm(&g, &TextureSettings { distances: vec![2], ..TextureSettings::default() }).unwrap();
        assert_eq!(far.differences, vec![5.0, 5.0]);
    }

    #[test]
    fn bad_distances_are_errors() {
        let g = GreyLevels::new([2, 1, 1], vec![1, 2]);
        let s = TextureSettings { distances: Vec::new(), ..TextureSettings::default() };
        assert_eq!(ngtdm(&g, &s), Err(AngleError::NoDistances));
    }

    /// `n_i` and `s_i` found voxel by voxel with bounds-checked neighbours, for comparison.
    fn voxel_by_voxel(g: &GreyLevels, s: &TextureSettings) -> (Vec<f64>, Vec<f64>) {
        let offsets = neighbour_offsets(g.size, &s.distances, Directions::Both, s.force_2d_axis).unwrap();
        let rows = level_rows(g);
        let (mut counts, mut differences) = (vec![0.0; g.present.len()], vec![0.0; g.present.len()]);
        for (v, &level) in g.levels.iter().enumerate().filter(|(_, &l)| l != 0) {
            let inside: Vec<u32> = neighbour_levels(g, v, &offsets).into_iter().filter(|&l| l != 0).collect();
            let sum: u64 = inside.iter().map(|&l| u64::from(l)).sum();
            let difference = if inside.is_empty() {
                0.0
            } else {
                (f64::from(level) - sum as f64 / inside.len() as f64).abs()
            };
            counts[rows[level as usize]] += 1.0;
            differences[rows[level as usize]] += difference;
        }
        (counts, differences)
    }

    /// Both widths of the neighbour sums give, bit for bit, what walking voxel by voxel gives.
    #[test]
    fn rows_offset_by_offset_match_voxel_by_voxel_on_random_regions() {
        use super::super::padded::testutil::random_levels;
        for (seed, size, levels, fill) in [
            (1, [9, 7, 5], 3, 0.7),
            (2, [6, 11, 4], 9, 0.4),
            (3, [12, 3, 1], 400, 0.6),
            (4, [7, 6, 5], 40, 0.15),
        ] {
            let g = random_levels(size, levels, fill, seed);
            for s in [
                TextureSettings::default(),
                TextureSettings { distances: vec![1, 2], ..TextureSettings::default() },
                TextureSettings { force_2d_axis: Some(0), ..TextureSettings::default() },
            ] {
                let offsets =
                    neighbour_offsets(g.size, &s.distances, Directions::Both, s.force_2d_axis).unwrap();
                let padded = PaddedLevels::new(&g, &offsets);
                let expected = voxel_by_voxel(&g, &s);
                for sums in [summed_in::<u32>, summed_in::<u64>] {
                    let mut differences = Differences::new(&g);
                    sums(&padded, &mut differences);
                    assert_eq!((differences.counts, differences.differences), expected, "seed {seed}, {s:?}");
                }
            }
        }
    }
}
