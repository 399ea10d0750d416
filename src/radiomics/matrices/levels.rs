//! The two views of a region's [`GreyLevels`] that several matrix builders walk: the row of each
//! grey level in matrices whose rows are the levels present (PyRadiomics deletes the rows of
//! absent levels), and a copy of the box with an empty border, so that the neighbourhood builders
//! (GLSZM, GLDM, NGTDM, as `cmatrices.c` walks its neighbours) reach every neighbour without a
//! bounds check.

use super::angles::Offset;
use crate::radiomics::roi::GreyLevels;

/// Maps each grey level to its row in matrices whose rows are `g.present` (levels absent from the
/// region map to `usize::MAX` and are never looked up).
pub(super) fn level_rows(g: &GreyLevels) -> Vec<usize> {
    let mut rows = vec![usize::MAX; g.max_level as usize + 1];
    for (row, &level) in g.present.iter().enumerate() {
        rows[level as usize] = row;
    }
    rows
}

/// The grey levels of the box with a border of empty voxels (level 0) wide enough for the
/// longest of a set of neighbour offsets, so every neighbour lies inside the buffer.
pub(super) struct PaddedLevels {
    /// Grey levels of the padded box, `i` fastest; 0 outside the region and in the border.
    pub levels: Vec<u32>,
    /// Change of buffer index for each offset it was built for, in the offsets' order.
    pub deltas: Vec<isize>,
    /// Voxels along `(i, j, k)` of the padded box.
    size: [usize; 3],
    /// Border width in voxels: the largest component of any offset.
    pad: usize,
}

impl PaddedLevels {
    /// Copies the box of `g` into a buffer bordered for `offsets`.
    pub fn new(g: &GreyLevels, offsets: &[Offset]) -> PaddedLevels {
        let pad = offsets.iter().flatten().map(|step| step.unsigned_abs()).max().unwrap_or(0);
        let size = g.size.map(|n| n + 2 * pad);
        let mut levels = vec![0u32; size[0] * size[1] * size[2]];
        for k in 0..g.size[2] {
            for j in 0..g.size[1] {
                let from = g.size[0] * (j + g.size[1] * k);
                let to = pad + size[0] * (j + pad + size[1] * (k + pad));
                levels[to..to + g.size[0]].copy_from_slice(&g.levels[from..from + g.size[0]]);
            }
        }
        let deltas =
            offsets.iter().map(|o| o[0] + size[0] as isize * (o[1] + size[1] as isize * o[2])).collect();
        PaddedLevels { levels, deltas, size, pad }
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

    #[test]
    fn rows_follow_the_present_levels() {
        let g = GreyLevels::new([4, 1, 1], vec![5, 0, 2, 5]);
        let rows = level_rows(&g);
        assert_eq!((rows[2], rows[5]), (0, 1));
    }

    /// A 2×1×1 box padded for a two-voxel step: border 2 on every side, so a 6×5×5 buffer; the
    /// deltas step over whole rows and slices of the padded box.
    #[test]
    fn padding_fits_the_longest_offset() {
        let g = GreyLevels::new([2, 1, 1], vec![3, 4]);
        let p = PaddedLevels::new(&g, &[[1, 0, 0], [0, -2, 1]]);
        assert_eq!((p.size, p.pad, p.levels.len()), ([6, 5, 5], 2, 150));
        assert_eq!(p.deltas, vec![1, -2 * 6 + 30]);
        let indices: Vec<usize> = p.region_indices(&g).collect();
        let first = 2 + 6 * (2 + 5 * 2);
        assert_eq!(indices, vec![first, first + 1]);
        assert_eq!((p.levels[first], p.levels[first + 1]), (3, 4));
        assert_eq!(p.levels.iter().filter(|&&l| l != 0).count(), 2);
    }
}
