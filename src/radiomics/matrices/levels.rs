//! The two views of a region's [`GreyLevels`] that several matrix builders walk: the row of each
//! grey level in matrices whose rows are the levels present (PyRadiomics deletes the rows of
//! absent levels), and a copy of the box with an empty border, so that the neighbourhood builders
//! (GLSZM, GLDM, NGTDM, as `cmatrices.c` walks its neighbours) reach every neighbour without a
//! bounds check.

use std::ops::Range;

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

/// Maps each grey level to its row as [`level_rows`] does, and level 0 (outside the region) to an
/// extra row after the last, `g.present.len()`, so that a loop over a row of the box can count
/// outside voxels into a scratch row instead of branching on them.
pub(super) fn level_rows_outside_last(g: &GreyLevels) -> Vec<u32> {
    let mut rows: Vec<u32> = level_rows(g).into_iter().map(|r| r as u32).collect();
    rows[0] = g.present.len() as u32;
    rows
}

/// The matrix row of every voxel of the box, as [`level_rows_outside_last`] maps its level
/// (`g.present.len()` outside the region): the layout of the GPU texture kernels.
pub(super) fn voxel_rows(g: &GreyLevels) -> Vec<u32> {
    let rows = level_rows_outside_last(g);
    g.levels.iter().map(|&level| rows[level as usize]).collect()
}

/// The grey levels of the box with a border of empty voxels (level 0) wide enough for the
/// longest of a set of neighbour offsets, so every neighbour lies inside the buffer.
pub(super) struct PaddedLevels {
    /// Grey levels of the padded box, `i` fastest; 0 outside the region and in the border.
    pub levels: Vec<u32>,
    /// Change of buffer index for each offset it was built for, in the offsets' order.
    pub deltas: Vec<isize>,
    /// For each row of the box along `i` that holds region voxels, in raster order (the order in
    /// which PyRadiomics visits the voxels), the buffer indices from its first to its last
    /// region voxel. Voxels in a span may still be outside the region (level 0).
    pub spans: Vec<Range<usize>>,
}

impl PaddedLevels {
    /// Copies the box of `g` into a buffer bordered for `offsets`.
    pub fn new(g: &GreyLevels, offsets: &[Offset]) -> PaddedLevels {
        let pad = offsets.iter().flatten().map(|step| step.unsigned_abs()).max().unwrap_or(0);
        let size = g.size.map(|n| n + 2 * pad);
        let mut levels = vec![0u32; size[0] * size[1] * size[2]];
        let mut spans = Vec::new();
        for (row, source) in g.levels.chunks_exact(g.size[0].max(1)).enumerate() {
            let (Some(first), Some(last)) =
                (source.iter().position(|&l| l != 0), source.iter().rposition(|&l| l != 0))
            else {
                continue;
            };
            let (j, k) = (row % g.size[1], row / g.size[1]);
            let to = pad + size[0] * (j + pad + size[1] * (k + pad));
            levels[to + first..=to + last].copy_from_slice(&source[first..=last]);
            spans.push(to + first..to + last + 1);
        }
        let deltas =
            offsets.iter().map(|o| o[0] + size[0] as isize * (o[1] + size[1] as isize * o[2])).collect();
        PaddedLevels { levels, deltas, spans }
    }

    /// The widest span, in voxels.
    pub fn widest_span(&self) -> usize {
        self.spans.iter().map(|s| s.len()).max().unwrap_or(0)
    }

    /// The levels of `span` shifted by `delta` buffer steps (a neighbour offset's delta).
    pub fn shifted(&self, span: &Range<usize>, delta: isize) -> &[u32] {
        let start = span.start.wrapping_add_signed(delta);
        &self.levels[start..start + span.len()]
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
        let rows = level_rows_outside_last(&g);
        assert_eq!((rows[0], rows[2], rows[5]), (2, 0, 1));
    }

    /// A 2×1×1 box padded for a two-voxel step: border 2 on every side, so a 6×5×5 buffer; the
    /// deltas step over whole rows and slices of the padded box, and the one row is one span.
    #[test]
    fn padding_fits_the_longest_offset() {
        let g = GreyLevels::new([2, 1, 1], vec![3, 4]);
        let p = PaddedLevels::new(&g, &[[1, 0, 0], [0, -2, 1]]);
        assert_eq!(p.levels.len(), 150);
        assert_eq!(p.deltas, vec![1, -2 * 6 + 30]);
        let first = 2 + 6 * (2 + 5 * 2);
        assert_eq!(p.spans, vec![first..first + 2]);
        assert_eq!((p.levels[first], p.levels[first + 1]), (3, 4));
        assert_eq!(p.levels.iter().filter(|&&l| l != 0).count(), 2);
        assert_eq!(p.shifted(&p.spans[0], -1), &[0, 3]);
    }

    /// Spans run from the first to the last region voxel of each row, rows without any skipped.
    #[test]
    fn spans_cover_each_rows_region() {
        // 4×3×2 box; rows (j, k): (0,0) [0 2 0 5], (1,0) empty, (2,0) [1 0 0 0], (0..3, 1) empty
        // but (2,1) [0 0 0 7]. Border 1: padded 6×5×4.
        let mut levels = vec![0; 24];
        levels[1] = 2;
        levels[3] = 5;
        levels[8] = 1;
        levels[23] = 7;
        let g = GreyLevels::new([4, 3, 2], levels);
        let p = PaddedLevels::new(&g, &[[1, 1, 1]]);
        let at = |i: usize, j: usize, k: usize| (i + 1) + 6 * ((j + 1) + 5 * (k + 1));
        assert_eq!(
            p.spans,
            vec![at(1, 0, 0)..at(4, 0, 0), at(0, 2, 0)..at(1, 2, 0), at(3, 2, 1)..at(4, 2, 1)]
        );
        assert_eq!(p.widest_span(), 3);
        assert_eq!(&p.levels[p.spans[0].clone()], &[2, 0, 5]);
    }
}
