//! Grey level dependence matrix (GLDM), as PyRadiomics 3.x `RadiomicsGLDM._calculateMatrix` builds
//! it (C: `cmatrices.c` `calculate_gldm`); IBSI "neighbouring grey level dependence matrix" (NGLDM,
//! IBSI 1, section 3.11) with coarseness parameter α = `gldm_a` and distance δ = `distances`.
//!
//! ```text
//! dep(v) = #{ neighbours u of v in the region : |g(u) − g(v)| ≤ α }
//! P(i, j) = number of region voxels v with g(v) = i and dep(v) + 1 = j
//! ```
//! Neighbours are the voxels at an infinity-norm distance listed in `distances` (within the slice
//! with force2D). Rows are the grey levels present; columns are the dependence sizes `j` that
//! occur, ascending (PyRadiomics deletes the empty ones). `j` counts the centre voxel, as IBSI's
//! dependence `k` does, so it starts at 1.

use super::angles::{neighbour_offsets, AngleError, Directions, Offset};
use super::levels::{level_rows_outside_last, PaddedLevels};
use super::neighbourhood::dependence_limit;
use super::reduce::drop_empty_columns;
use crate::gpu::NeighbourTally;
use crate::radiomics::roi::GreyLevels;
use crate::radiomics::texture::TextureSettings;

/// A GLDM with its row and column labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Gldm {
    /// Grey level of each row, ascending (PyRadiomics `grayLevels`, the features' `i`).
    pub grey_levels: Vec<u32>,
    /// Dependence size of each column (dependent neighbours + 1), ascending, only sizes that occur
    /// (PyRadiomics `jvector`).
    pub dependence_sizes: Vec<u32>,
    /// Voxel counts, row-major: `counts[r * dependence_sizes.len() + c]` voxels of grey level
    /// `grey_levels[r]` with dependence size `dependence_sizes[c]`.
    pub counts: Vec<f64>,
}

/// Builds the GLDM of the region with `distances`, `force_2d_axis` and `gldm_alpha` from the
/// settings (see [`dependence_limit`] for α). Bad distances or a bad force-2D axis are errors.
pub fn gldm(g: &GreyLevels, s: &TextureSettings) -> Result<Gldm, AngleError> {
    gldm_from(g, s, None)
}

/// [`gldm`] from the GPU's tallies of the region's box for the same settings
/// ([`neighbour_tally_on`](super::neighbourhood::neighbour_tally_on)), or tallied on the CPU when
/// `None`.
pub fn gldm_from(
    g: &GreyLevels,
    s: &TextureSettings,
    tally: Option<&NeighbourTally>,
) -> Result<Gldm, AngleError> {
    let offsets = neighbour_offsets(g.size, &s.distances, Directions::Both, s.force_2d_axis)?;
    let n_g = g.present.len();
    let row_of = level_rows_outside_last(g);
    // Columns: 0 ..= offsets.len() dependent neighbours. One extra row for the voxels outside
    // the region, dropped at the end.
    let width = offsets.len() + 1;
    let mut histogram = vec![0u32; (n_g + 1) * width];
    match tally {
        Some(tally) => add_voxels(&mut histogram, width, &row_of, &g.levels, &tally.dependent),
        None => tally_rows(g, &offsets, dependence_limit(s), |centre, dependent| {
            add_voxels(&mut histogram, width, &row_of, centre, dependent);
        }),
    }
    let counts: Vec<f64> = histogram[..n_g * width].iter().map(|&c| f64::from(c)).collect();
    let (used, counts) = drop_empty_columns(&counts, width);
    Ok(Gldm {
        grey_levels: g.present.clone(),
        dependence_sizes: used.iter().map(|&c| c as u32 + 1).collect(),
        counts,
    })
}

/// Counts the dependent neighbours of each voxel of each row of the region on the CPU, and
/// hands the row's levels and counts to `add`.
fn tally_rows(g: &GreyLevels, offsets: &[Offset], limit: Option<u32>, mut add: impl FnMut(&[u32], &[u32])) {
    let padded = PaddedLevels::new(g, offsets);
    // Each row of the region is done offset by offset, so that the comparisons run over
    // contiguous voxels without branches (the compiler vectorises them): whether a neighbour
    // depends on the centre is unpredictable.
    let mut dependent = vec![0u32; padded.widest_span()];
    for span in &padded.spans {
        let centre = &padded.levels[span.clone()];
        let dependent = &mut dependent[..span.len()];
        dependent.fill(0);
        if let Some(limit) = limit {
            for &d in &padded.deltas {
                let neighbour = padded.shifted(span, d);
                if limit == 0 {
                    // Centres in the region are not 0, so an equal neighbour is in the region.
                    count(dependent, centre, neighbour, |c, n| c == n);
                } else {
                    count(dependent, centre, neighbour, |c, n| (n != 0) & (c.abs_diff(n) <= limit));
                }
            }
        }
        add(centre, dependent);
    }
}

/// Adds each voxel of `levels` to the histogram at its row (`row_of` its level: the scratch row
/// for level 0) and its number of dependent neighbours.
fn add_voxels(histogram: &mut [u32], width: usize, row_of: &[u32], levels: &[u32], dependent: &[u32]) {
    for (&level, &x) in levels.iter().zip(dependent) {
        histogram[row_of[level as usize] as usize * width + x as usize] += 1;
    }
}

/// Adds 1 to `dependent[x]` for each `x` where `depends(centre[x], neighbour[x])`.
#[inline(always)]
fn count(dependent: &mut [u32], centre: &[u32], neighbour: &[u32], depends: impl Fn(u32, u32) -> bool) {
    for ((x, &c), &n) in dependent.iter_mut().zip(centre).zip(neighbour) {
        *x += u32::from(depends(c, n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radiomics::matrices::testutil::{neighbour_levels, pyradiomics_docs_5x5};

    /// The 5×5 example of the PyRadiomics GLDM documentation (α = 0, δ = 1, 8-neighbourhood in the
    /// slice; IBSI 1 section 3.11 dependence definition), rows `j`, columns `i`. Counted by hand,
    /// e.g. the level-1 voxel at row 2, column 2 has the 1s left, right and above-right as
    /// dependent neighbours: dependence size 4.
    #[test]
    fn pyradiomics_documentation_example() {
        let g = pyradiomics_docs_5x5();
        let s = TextureSettings { force_2d_axis: Some(2), ..TextureSettings::default() };
        let m = gldm(&g, &s).unwrap();
        assert_eq!(m.grey_levels, vec![1, 2, 3, 4, 5]);
        assert_eq!(m.dependence_sizes, vec![1, 2, 3, 4]);
        #[rustfmt::skip]
        let expected = vec![
            0.0, 1.0, 2.0, 1.0,
            1.0, 2.0, 3.0, 0.0,
            1.0, 4.0, 4.0, 0.0,
            1.0, 2.0, 0.0, 0.0,
            3.0, 0.0, 0.0, 0.0,
        ];
        assert_eq!(m.counts, expected);
        // The slice alone has no neighbours along k, so 3D gives the same matrix.
        assert_eq!(gldm(&g, &TextureSettings::default()).unwrap(), m);
    }

    /// α widens dependence; a second distance adds neighbours; unused sizes are dropped.
    #[test]
    fn alpha_and_distances() {
        // One row of 4 voxels: levels 1 2 4 4.
        let g = GreyLevels::new([4, 1, 1], vec![1, 2, 4, 4]);
        let plain = gldm(&g, &TextureSettings::default()).unwrap();
        // Dependent neighbours at α=0, δ=1: 0, 0, 1, 1.
        assert_eq!((plain.grey_levels.clone(), plain.dependence_sizes.clone()), (vec![1, 2, 4], vec![1, 2]));
        assert_eq!(plain.counts, vec![1.0, 0.0, 1.0, 0.0, 0.0, 2.0]);
        let alpha = gldm(&g, &TextureSettings { gldm_alpha: 1.0, ..TextureSettings::default() }).unwrap();
        // α=1: 1 (the 2), 1 (the 1; the 4 differs by 2), 1, 1.
        assert_eq!(alpha.dependence_sizes, vec![2]);
        assert_eq!(alpha.counts, vec![1.0, 1.0, 2.0]);
        let far = gldm(&g, &TextureSettings { distances: vec![1, 2], ..TextureSettings::default() }).unwrap();
        // δ ∈ {1, 2}, α=0: the 2 now sees a 4 two voxels away (not dependent); still 0, 0, 1, 1.
        assert_eq!(far, plain);
        // A negative α makes no neighbour dependent: every voxel has dependence size 1.
        let negative = gldm(&g, &TextureSettings { gldm_alpha: -1.0, ..TextureSettings::default() }).unwrap();
        assert_eq!((negative.dependence_sizes, negative.counts), (vec![1], vec![1.0, 1.0, 2.0]));
    }

    /// A repeated distance repeats its neighbours, as PyRadiomics' `generate_angles` does: each
    /// dependent neighbour counts twice.
    #[test]
    fn a_repeated_distance_counts_twice() {
        let g = GreyLevels::new([4, 1, 1], vec![1, 2, 4, 4]);
        let twice =
            gldm(&g, &TextureSettings { distances: vec![1, 1], ..TextureSettings::default() }).unwrap();
        // Dependent neighbours 0, 0, 2, 2: dependence sizes 1 and 3.
        assert_eq!((twice.dependence_sizes, twice.counts), (vec![1, 3], vec![1.0, 0.0, 1.0, 0.0, 0.0, 2.0]));
    }

    #[test]
    fn bad_distances_are_errors() {
        let g = GreyLevels::new([2, 1, 1], vec![1, 2]);
        let s = TextureSettings { distances: vec![1, 0], ..TextureSettings::default() };
        assert_eq!(gldm(&g, &s), Err(AngleError::ZeroDistance { distance: 0 }));
    }

    /// The dependence histogram (rows: levels present, columns: 0 ..= offsets dependent
    /// neighbours) found voxel by voxel with bounds-checked neighbours, for comparison.
    fn voxel_by_voxel(g: &GreyLevels, s: &TextureSettings) -> Vec<f64> {
        let offsets = neighbour_offsets(g.size, &s.distances, Directions::Both, s.force_2d_axis).unwrap();
        let rows = crate::radiomics::matrices::levels::level_rows(g);
        let width = offsets.len() + 1;
        let mut histogram = vec![0.0; g.present.len() * width];
        for (v, &level) in g.levels.iter().enumerate().filter(|(_, &l)| l != 0) {
            let dependent = neighbour_levels(g, v, &offsets)
                .into_iter()
                .filter(|&n| n != 0 && f64::from(level.abs_diff(n)) <= s.gldm_alpha)
                .count();
            histogram[rows[level as usize] * width + dependent] += 1.0;
        }
        histogram
    }

    #[test]
    fn rows_offset_by_offset_match_voxel_by_voxel_on_random_regions() {
        use super::super::padded::testutil::random_levels;
        for (seed, size, levels, fill) in [
            (1, [9, 7, 5], 3, 0.7),
            (2, [6, 11, 4], 9, 0.4),
            (3, [12, 3, 1], 4, 0.6),
            (4, [7, 6, 5], 40, 0.15),
        ] {
            let g = random_levels(size, levels, fill, seed);
            for s in [
                TextureSettings::default(),
                TextureSettings { gldm_alpha: 2.5, ..TextureSettings::default() },
                TextureSettings { distances: vec![1, 2], ..TextureSettings::default() },
                TextureSettings { force_2d_axis: Some(1), gldm_alpha: 1.0, ..TextureSettings::default() },
            ] {
                let m = gldm(&g, &s).unwrap();
                let expected = voxel_by_voxel(&g, &s);
                let width = expected.len() / g.present.len();
                let used: Vec<usize> = (0..width)
                    .filter(|&c| (0..g.present.len()).any(|r| expected[r * width + c] != 0.0))
                    .collect();
                let kept: Vec<f64> = (0..g.present.len())
                    .flat_map(|r| used.iter().map(|&c| expected[r * width + c]).collect::<Vec<_>>())
                    .collect();
                let sizes: Vec<u32> = used.iter().map(|&c| c as u32 + 1).collect();
                assert_eq!((&m.dependence_sizes, &m.counts), (&sizes, &kept), "seed {seed}, {s:?}");
            }
        }
    }
}
