//! Grey level size zone matrix (GLSZM), as PyRadiomics 3.x `RadiomicsGLSZM._calculateMatrix` and
//! `_calculateCoefficients` build it (C: `cmatrices.c` `calculate_glszm` / `fill_glszm`); IBSI
//! "grey level size zone matrix" (IBSI 1, section 3.8).
//!
//! ```text
//! P(i, s) = number of zones with grey level i and size s
//! zone    = maximal set of region voxels of one grey level, connected through neighbours at
//!           infinity-norm distance 1 (26-connectivity in 3D, 8-connectivity within a slice with force2D)
//! ```
//! Rows are the grey levels present in the region (PyRadiomics deletes absent levels); columns are
//! the zone sizes that occur, ascending (PyRadiomics deletes the empty sizes). The neighbourhood
//! does not depend on `distances`: PyRadiomics always uses distance 1 here.
//!
//! On the CPU, zones are found by an iterative depth-first flood fill over a copy of the box with a
//! border of empty voxels, so no step needs a bounds check and no recursion can overflow the
//! stack; on the GPU, by union-find (`gpu/glszm.cu`). Both hand their zones to
//! [`Glszm::from_zones`], which builds the matrix.

use super::angles::{neighbour_offsets, AngleError, Directions};
use super::levels::{level_rows, voxel_rows, PaddedLevels};
use crate::gpu::Backend;
use crate::radiomics::roi::GreyLevels;
use crate::radiomics::texture::TextureSettings;

/// A GLSZM with its row and column labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Glszm {
    /// Grey level of each row, ascending (PyRadiomics `grayLevels`, the features' `i`).
    pub grey_levels: Vec<u32>,
    /// Zone size of each column in voxels, ascending, only sizes that occur (PyRadiomics `jvector`).
    pub zone_sizes: Vec<u32>,
    /// Zone counts, row-major: `counts[r * zone_sizes.len() + c]` zones of grey level
    /// `grey_levels[r]` and size `zone_sizes[c]`.
    pub counts: Vec<f64>,
    /// Voxels in the region (PyRadiomics `Np`, the sum of all zone sizes).
    pub voxel_count: usize,
}

/// Builds the GLSZM of the region. Only `force_2d_axis` of the settings applies; an axis other
/// than 0, 1 or 2 is an error.
pub fn glszm(g: &GreyLevels, s: &TextureSettings) -> Result<Glszm, AngleError> {
    glszm_on(g, s, &Backend::Cpu)
}

/// [`glszm`] with the zones found on `backend` (the matrix is built from them by
/// [`Glszm::from_zones`], shared); a failing GPU leaves them to the CPU.
pub fn glszm_on(g: &GreyLevels, s: &TextureSettings, backend: &Backend) -> Result<Glszm, AngleError> {
    // One of each pair of opposite neighbours suffices to the GPU's union-find.
    let one_way = neighbour_offsets(g.size, &[1], Directions::One, s.force_2d_axis)?;
    let zones = match backend
        .on_gpu("GLSZM", |device| device.glszm_zones(&voxel_rows(g), g.size, &one_way, g.present.len()))
    {
        Some(zones) => zones,
        None => zones_on_cpu(g, s)?,
    };
    Ok(Glszm::from_zones(g, &zones))
}

impl Glszm {
    /// The GLSZM of the region `g` from its zones, `(row, size in voxels)` with `row` the position
    /// of the zone's grey level in `g.present`: one count per zone, the sizes that occur as
    /// columns.
    pub fn from_zones(g: &GreyLevels, zones: &[(u32, u32)]) -> Glszm {
        let voxel_count = zones.iter().map(|&(_, size)| size as usize).sum();
        let max_size = zones.iter().map(|&(_, size)| size).max().unwrap_or(0) as usize;
        let mut size_used = vec![false; max_size + 1];
        for &(_, size) in zones {
            size_used[size as usize] = true;
        }
        let zone_sizes: Vec<u32> = (1..=max_size as u32).filter(|&size| size_used[size as usize]).collect();
        let mut column_of = vec![0usize; max_size + 1];
        for (c, &size) in zone_sizes.iter().enumerate() {
            column_of[size as usize] = c;
        }
        let mut counts = vec![0.0; g.present.len() * zone_sizes.len()];
        for &(row, size) in zones {
            counts[row as usize * zone_sizes.len() + column_of[size as usize]] += 1.0;
        }
        Glszm { grey_levels: g.present.clone(), zone_sizes, counts, voxel_count }
    }
}

/// The zones of the region as `(row, size)`, by flood fill on the CPU.
fn zones_on_cpu(g: &GreyLevels, s: &TextureSettings) -> Result<Vec<(u32, u32)>, AngleError> {
    let offsets = neighbour_offsets(g.size, &[1], Directions::Both, s.force_2d_axis)?;
    let mut padded = PaddedLevels::new(g, &offsets);
    let deltas = &padded.deltas;
    let row_of = level_rows(g);

    // The first voxel of a zone (in raster order) has no earlier neighbour of its level left:
    // such a neighbour would have been reached first and taken it into its own zone. So the
    // start needs only the neighbours after it, the positive steps (half of them).
    let forward: Vec<isize> = deltas.iter().copied().filter(|&d| d > 0).collect();
    let region_voxels = g.levels.iter().filter(|&&level| level != 0).count();
    let spans = std::mem::take(&mut padded.spans);
    let levels = &mut padded.levels;
    // The usual neighbourhoods (3D, 2D) as arrays, so that the neighbour loops unroll.
    let zones = if let (Ok(f), Ok(a)) =
        (<[isize; 13]>::try_from(&forward[..]), <[isize; 26]>::try_from(&deltas[..]))
    {
        find_zones(levels, &spans, f, a, region_voxels)
    } else if let (Ok(f), Ok(a)) = (<[isize; 4]>::try_from(&forward[..]), <[isize; 8]>::try_from(&deltas[..]))
    {
        find_zones(levels, &spans, f, a, region_voxels)
    } else {
        find_zones(levels, &spans, &forward[..], &deltas[..], region_voxels)
    };
    Ok(zones.into_iter().map(|(level, size)| (row_of[level as usize] as u32, size)).collect())
}

/// `(level, size)` of each zone of the padded `levels`, in raster order of the zones' first
/// voxels, taking the voxels (level set to 0) as it goes. `forward` holds the positive steps of
/// `all`, the buffer steps to every neighbour; `region_voxels` counts the non-zero levels.
fn find_zones<F, A>(
    levels: &mut [u32],
    spans: &[std::ops::Range<usize>],
    forward: F,
    all: A,
    region_voxels: usize,
) -> Vec<(u32, u32)>
where
    F: AsRef<[isize]>,
    A: AsRef<[isize]>,
{
    let (forward, all) = (forward.as_ref(), all.as_ref());
    let mut zones = Vec::new();
    // Holds the voxels of the current zone waiting to be expanded; each is pushed once, so the
    // region's voxel count (+1 for the speculative write below) bounds it.
    let mut stack = vec![0usize; region_voxels + 1];
    for start in spans.iter().cloned().flatten() {
        let level = levels[start];
        if level == 0 {
            continue; // Outside the region, or already taken by an earlier zone.
        }
        levels[start] = 0;
        let mut size = 1u32;
        let mut top = join_neighbours(levels, &mut stack, 0, start, level, forward);
        while top > 0 {
            top -= 1;
            size += 1;
            let v = stack[top];
            top = join_neighbours(levels, &mut stack, top, v, level, all);
        }
        zones.push((level, size));
    }
    zones
}

/// Takes the neighbours of `v` at `steps` that have `level` into the zone: sets their level to 0
/// and pushes them on `stack` above `top`; returns the new top.
///
/// Without branches, as whether a neighbour joins the zone is unpredictable: the neighbour is
/// always written above the top and kept only when it matches, and taking it is a conditional
/// move.
#[inline(always)]
fn join_neighbours(
    levels: &mut [u32],
    stack: &mut [usize],
    mut top: usize,
    v: usize,
    level: u32,
    steps: &[isize],
) -> usize {
    for &d in steps {
        let n = v.wrapping_add_signed(d);
        let old = levels[n];
        let joins = old == level;
        stack[top] = n;
        top += usize::from(joins);
        levels[n] = if joins { 0 } else { old };
    }
    top
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radiomics::matrices::testutil::pyradiomics_docs_5x5;

    fn settings_2d() -> TextureSettings {
        TextureSettings { force_2d_axis: Some(2), ..TextureSettings::default() }
    }

    /// The 5×5 example of the PyRadiomics GLSZM documentation (8-connectivity, IBSI 1 section 3.8
    /// zone definition), rows `j`, columns `i`. Counted by hand: level 1 is one zone of 4; level 2
    /// a single voxel and a diagonal chain of 5; level 3 zones of 3, 5 and 1; level 4 zones of 2
    /// and 1; level 5 three single voxels.
    #[test]
    fn pyradiomics_documentation_example() {
        let g = pyradiomics_docs_5x5();
        let m = glszm(&g, &settings_2d()).unwrap();
        // Expected matrix from the documentation (rows grey level 1..5, columns size 1..5):
        //   1: 0 0 0 1 0     2: 1 0 0 0 1     3: 1 0 1 0 1     4: 1 1 0 0 0     5: 3 0 0 0 0
        assert_eq!(m.grey_levels, vec![1, 2, 3, 4, 5]);
        assert_eq!(m.zone_sizes, vec![1, 2, 3, 4, 5]);
        #[rustfmt::skip]
        let expected = vec![
            0.0, 0.0, 0.0, 1.0, 0.0,
            1.0, 0.0, 0.0, 0.0, 1.0,
            1.0, 0.0, 1.0, 0.0, 1.0,
            1.0, 1.0, 0.0, 0.0, 0.0,
            3.0, 0.0, 0.0, 0.0, 0.0,
        ];
        assert_eq!(m.counts, expected);
        assert_eq!(m.voxel_count, 25);
    }

    /// A diagonal pair is one zone in 3D (26-connectivity) and two zones with force2D along the
    /// axis that separates them; absent grey levels and unused sizes are dropped.
    #[test]
    fn connectivity_and_removal_of_empty_rows_and_columns() {
        // 2×2×2 box: level 3 at (0,0,0) and (1,1,1), level 1 at (1,0,0); rest outside.
        let mut levels = vec![0; 8];
        levels[0] = 3;
        levels[7] = 3;
        levels[1] = 1;
        let g = GreyLevels::new([2, 2, 2], levels);
        let m3 = glszm(&g, &TextureSettings::default()).unwrap();
        assert_eq!((m3.grey_levels.clone(), m3.zone_sizes.clone()), (vec![1, 3], vec![1, 2]));
        assert_eq!(m3.counts, vec![1.0, 0.0, 0.0, 1.0]);
        let m2 = glszm(&g, &settings_2d()).unwrap();
        assert_eq!(m2.zone_sizes, vec![1]);
        assert_eq!(m2.counts, vec![1.0, 2.0]);
        assert_eq!(m2.voxel_count, 3);
    }

    /// force2D keeps only the neighbours within the plane normal to the named axis: a pair
    /// differing in `j` and `k` touches in the `j`-`k` plane (axis 0) but not in the others.
    #[test]
    fn force_2d_axis_picks_the_plane() {
        let mut levels = vec![0; 8];
        levels[0] = 2; // (0, 0, 0)
        levels[6] = 2; // (0, 1, 1)
        let g = GreyLevels::new([2, 2, 2], levels);
        let zones = |axis| {
            let s = TextureSettings { force_2d_axis: axis, ..TextureSettings::default() };
            let m = glszm(&g, &s).unwrap();
            m.counts.iter().sum::<f64>()
        };
        assert_eq!((zones(None), zones(Some(0)), zones(Some(1)), zones(Some(2))), (1.0, 1.0, 2.0, 2.0));
    }

    #[test]
    fn a_bad_force_2d_axis_is_an_error() {
        let g = GreyLevels::new([2, 1, 1], vec![1, 2]);
        let s = TextureSettings { force_2d_axis: Some(3), ..TextureSettings::default() };
        assert_eq!(glszm(&g, &s), Err(AngleError::BadAxis { axis: 3 }));
    }

    /// (level, size) of every zone, sorted, found by a flood fill voxel by voxel with
    /// bounds-checked neighbours, for comparison.
    fn zones_by_flood_fill(g: &GreyLevels, axis: Option<usize>) -> Vec<(u32, u32)> {
        let offsets = neighbour_offsets(g.size, &[1], Directions::Both, axis).unwrap();
        let [sx, sy, _] = g.size;
        let mut taken = vec![false; g.levels.len()];
        let mut zones = Vec::new();
        for v in 0..g.levels.len() {
            let level = g.levels[v];
            if level == 0 || taken[v] {
                continue;
            }
            taken[v] = true;
            let (mut stack, mut size) = (vec![v], 0);
            while let Some(u) = stack.pop() {
                size += 1;
                let c = [u % sx, u / sx % sy, u / (sx * sy)];
                for o in &offsets {
                    let n = [0, 1, 2].map(|a| c[a] as isize + o[a]);
                    if n.iter().zip(g.size).any(|(&x, size)| x < 0 || x as usize >= size) {
                        continue;
                    }
                    let w = n[0] as usize + sx * (n[1] as usize + sy * n[2] as usize);
                    if g.levels[w] == level && !taken[w] {
                        taken[w] = true;
                        stack.push(w);
                    }
                }
            }
            zones.push((level, size));
        }
        zones.sort_unstable();
        zones
    }

    /// The flood fill over the padded buffer finds the zones that a flood fill with coordinates
    /// and bounds checks finds, for every neighbourhood.
    #[test]
    fn padded_fill_matches_a_bounds_checked_fill_on_random_regions() {
        use super::super::padded::testutil::random_levels;
        for (seed, size, levels, fill) in [
            (1, [9, 7, 5], 3, 0.7),
            (2, [6, 11, 4], 2, 0.9),
            (3, [12, 3, 1], 4, 0.6),
            (4, [7, 6, 5], 40, 0.15),
            (5, [1, 8, 9], 2, 0.8),
            (6, [10, 10, 10], 2, 0.5),
        ] {
            let g = random_levels(size, levels, fill, seed);
            for axis in [None, Some(0), Some(1), Some(2)] {
                let s = TextureSettings { force_2d_axis: axis, ..TextureSettings::default() };
                let m = glszm(&g, &s).unwrap();
                let mut zones = Vec::new();
                for (r, &level) in m.grey_levels.iter().enumerate() {
                    for (c, &size) in m.zone_sizes.iter().enumerate() {
                        let count = m.counts[r * m.zone_sizes.len() + c] as usize;
                        zones.extend(std::iter::repeat_n((level, size), count));
                    }
                }
                assert_eq!(zones, zones_by_flood_fill(&g, axis), "seed {seed}, axis {axis:?}");
                assert_eq!(m.voxel_count, g.levels.iter().filter(|&&l| l != 0).count());
            }
        }
    }
}
