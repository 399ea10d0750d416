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
//! Zones are found by an iterative depth-first flood fill over a copy of the box with a border of
//! empty voxels, so no step needs a bounds check and no recursion can overflow the stack.
//!
//! The bottom of this file also holds the neighbourhood helpers the GLDM and NGTDM builders share
//! (`neighbour_offsets`, `PaddedLevels`).

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

/// Builds the GLSZM of the region. Only `force_2d_axis` of the settings applies.
pub fn glszm(g: &GreyLevels, s: &TextureSettings) -> Glszm {
    let offsets = neighbour_offsets(g.size, &[1], s.force_2d_axis);
    let mut padded = PaddedLevels::new(g, 1);
    let deltas: Vec<isize> = offsets.iter().map(|&o| padded.delta(o)).collect();
    let row_of = row_lookup(g);

    // (row, size) of each zone, found in raster order of the zones' first voxels.
    let mut zones: Vec<(u32, u32)> = Vec::new();
    // Holds the voxels of the current zone waiting to be expanded; each is pushed once, so the
    // region's voxel count (+1 for the speculative write below) bounds it.
    let region_voxels = g.levels.iter().filter(|&&level| level != 0).count();
    let mut stack = vec![0usize; region_voxels + 1];
    let mut voxel_count = 0usize;
    for start in padded.region_indices(g) {
        let level = padded.levels[start];
        if level == 0 {
            continue; // Already taken by an earlier zone.
        }
        padded.levels[start] = 0;
        stack[0] = start;
        let mut top = 1;
        let mut size = 0u32;
        while top > 0 {
            top -= 1;
            let v = stack[top];
            size += 1;
            for &d in &deltas {
                // Without branches, as whether a neighbour joins the zone is unpredictable: the
                // neighbour is always written above the top and kept only when it matches, and
                // taking it (level set to 0) is a conditional move.
                let n = v.wrapping_add_signed(d);
                let old = padded.levels[n];
                let joins = old == level;
                stack[top] = n;
                top += usize::from(joins);
                padded.levels[n] = if joins { 0 } else { old };
            }
        }
        voxel_count += size as usize;
        zones.push((row_of[level as usize], size));
    }

    let max_size = zones.iter().map(|&(_, size)| size).max().unwrap_or(0) as usize;
    let mut size_used = vec![false; max_size + 1];
    for &(_, size) in &zones {
        size_used[size as usize] = true;
    }
    let zone_sizes: Vec<u32> = (1..=max_size as u32).filter(|&size| size_used[size as usize]).collect();
    let mut column_of = vec![0usize; max_size + 1];
    for (c, &size) in zone_sizes.iter().enumerate() {
        column_of[size as usize] = c;
    }
    let mut counts = vec![0.0; g.present.len() * zone_sizes.len()];
    for &(row, size) in &zones {
        counts[row as usize * zone_sizes.len() + column_of[size as usize]] += 1.0;
    }
    Glszm { grey_levels: g.present.clone(), zone_sizes, counts, voxel_count }
}

/// Row index of each grey level in a matrix whose rows are the present grey levels
/// (`lookup[level]`; absent levels map to 0 and never occur).
pub(super) fn row_lookup(g: &GreyLevels) -> Vec<u32> {
    let mut lookup = vec![0u32; g.max_level as usize + 1];
    for (r, &level) in g.present.iter().enumerate() {
        lookup[level as usize] = r as u32;
    }
    lookup
}

/// The neighbour offsets `(di, dj, dk)` PyRadiomics uses for a box of `size` voxels: same rule as
/// `cmatrices.c` `generate_angles` (`get_angle_count` + `build_angles`) with `bidirectional` set.
///
/// Every offset whose infinity norm is one of `distances`, with no movement along
/// `force_2d_axis` (our axis index), and no component as long as the box along its axis (such an
/// offset could never reach a voxel of the box). Both directions of each angle are included.
/// PyRadiomics enumerates NumPy axes `(k, j, i)` from `+max` down to `−max`; the same order is
/// kept here, though no builder depends on it. Distances of 0 give no offsets.
pub(super) fn neighbour_offsets(
    size: [usize; 3],
    distances: &[usize],
    force_2d_axis: Option<usize>,
) -> Vec<[isize; 3]> {
    let max_distance = distances.iter().copied().max().unwrap_or(0) as isize;
    let steps: Vec<isize> = (-max_distance..=max_distance).rev().collect();
    let mut offsets = Vec::new();
    for &dk in &steps {
        for &dj in &steps {
            for &di in &steps {
                let offset = [di, dj, dk];
                let allowed = (0..3).all(|axis| {
                    let step = offset[axis];
                    (force_2d_axis != Some(axis) || step == 0) && step.unsigned_abs() < size[axis]
                });
                let norm = offset.iter().map(|step| step.unsigned_abs()).max().unwrap_or(0);
                if allowed && norm > 0 && distances.contains(&norm) {
                    offsets.push(offset);
                }
            }
        }
    }
    offsets
}

/// The grey levels of the box with a border of `pad` empty voxels (level 0) on every side, so a
/// neighbour up to `pad` voxels away is always inside the buffer.
pub(super) struct PaddedLevels {
    /// Grey levels of the padded box, `i` fastest; 0 outside the region and in the border.
    pub levels: Vec<u32>,
    /// Voxels along `(i, j, k)` of the padded box.
    size: [usize; 3],
    /// Border width in voxels.
    pad: usize,
}

impl PaddedLevels {
    /// Copies the box of `g` into a buffer with a border of `pad` voxels.
    pub fn new(g: &GreyLevels, pad: usize) -> PaddedLevels {
        let size = g.size.map(|n| n + 2 * pad);
        let mut levels = vec![0u32; size[0] * size[1] * size[2]];
        for k in 0..g.size[2] {
            for j in 0..g.size[1] {
                let from = g.size[0] * (j + g.size[1] * k);
                let to = pad + size[0] * (j + pad + size[1] * (k + pad));
                levels[to..to + g.size[0]].copy_from_slice(&g.levels[from..from + g.size[0]]);
            }
        }
        PaddedLevels { levels, size, pad }
    }

    /// Change of buffer index for a step of `offset` voxels.
    pub fn delta(&self, offset: [isize; 3]) -> isize {
        offset[0] + self.size[0] as isize * (offset[1] + self.size[1] as isize * offset[2])
    }

    /// Buffer indices of the region's voxels in raster order (`i` fastest), the order in which
    /// PyRadiomics visits them. `g` must be the grey levels this buffer was built from.
    pub fn region_indices<'a>(&self, g: &'a GreyLevels) -> impl Iterator<Item = usize> + 'a {
        let [sx, sy, _] = self.size;
        let pad = self.pad;
        let width = g.size[0];
        let height = g.size[1];
        g.levels.iter().enumerate().filter(|(_, &level)| level != 0).map(move |(index, _)| {
            let (i, j, k) = (index % width, (index / width) % height, index / (width * height));
            (i + pad) + sx * ((j + pad) + sy * (k + pad))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings_2d() -> TextureSettings {
        TextureSettings { force_2d_axis: Some(2), ..TextureSettings::default() }
    }

    /// The 5×5 example of the PyRadiomics GLSZM documentation (8-connectivity, IBSI 1 section 3.8
    /// zone definition), rows `j`, columns `i`. Counted by hand: level 1 is one zone of 4; level 2
    /// a single voxel and a diagonal chain of 5; level 3 zones of 3, 5 and 1; level 4 zones of 2
    /// and 1; level 5 three single voxels.
    #[test]
    fn pyradiomics_documentation_example() {
        #[rustfmt::skip]
        let image = vec![
            5, 2, 5, 4, 4,
            3, 3, 3, 1, 3,
            2, 1, 1, 1, 3,
            4, 2, 2, 2, 3,
            3, 5, 3, 3, 2,
        ];
        let g = GreyLevels::new([5, 5, 1], image);
        let m = glszm(&g, &settings_2d());
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
        let m3 = glszm(&g, &TextureSettings::default());
        assert_eq!((m3.grey_levels.clone(), m3.zone_sizes.clone()), (vec![1, 3], vec![1, 2]));
        assert_eq!(m3.counts, vec![1.0, 0.0, 0.0, 1.0]);
        let m2 = glszm(&g, &settings_2d());
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
            let m = glszm(&g, &TextureSettings { force_2d_axis: axis, ..TextureSettings::default() });
            m.counts.iter().sum::<f64>()
        };
        assert_eq!((zones(None), zones(Some(0)), zones(Some(1)), zones(Some(2))), (1.0, 1.0, 2.0, 2.0));
    }

    #[test]
    fn offsets_follow_generate_angles() {
        assert_eq!(neighbour_offsets([5, 5, 5], &[1], None).len(), 26);
        assert_eq!(neighbour_offsets([5, 5, 5], &[1], Some(2)).len(), 8);
        // (2d+1)³ − (2d−1)³ = 98 offsets at distance 2, 26 at distance 1.
        assert_eq!(neighbour_offsets([5, 5, 5], &[1, 2], None).len(), 124);
        // A box one voxel thick along k has no offsets moving along k.
        let flat = neighbour_offsets([5, 5, 1], &[1], None);
        assert_eq!(flat.len(), 8);
        assert!(flat.iter().all(|o| o[2] == 0));
        assert_eq!(neighbour_offsets([5, 5, 5], &[1], None)[0], [1, 1, 1]);
    }
}
