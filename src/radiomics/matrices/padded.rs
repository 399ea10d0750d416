//! The region's grey levels laid out for the GLCM and GLRLM builders' inner loops: a box with a
//! margin of outside voxels, each voxel holding its matrix row, and per row of the box the span
//! of `i` that holds region voxels.
//!
//! With the margin, every region voxel's neighbours at the offsets of the builders lie in the
//! box, so the loops need no bounds logic per voxel; with the spans, rows and row ends outside
//! the region are skipped. Outside voxels get row `n_g` (the number of grey levels present), one
//! past the last level's, so that a loop can count them into a scratch row instead of branching
//! on them.

use std::ops::Range;

use super::levels::level_rows;
use crate::radiomics::GreyLevels;

/// Grey levels as matrix rows in a box padded on every side.
#[derive(Debug, Clone)]
pub(crate) struct RowSpans {
    /// Voxels along `(i, j, k)`, margins included.
    pub size: [usize; 3],
    /// Matrix row of each voxel's grey level (the level's position in `GreyLevels::present`),
    /// or `n_g` outside the region; `i` fastest.
    pub rows: Vec<u32>,
    /// For the row of voxels at `(j, k)`, index `j + size[1]·k`: the `i` from the first to the
    /// last region voxel (empty when the row has none).
    pub spans: Vec<Range<usize>>,
}

impl RowSpans {
    /// Lays out `g` with `margin` outside voxels on every side.
    pub fn new(g: &GreyLevels, margin: usize) -> RowSpans {
        let level_row = level_rows(g);
        let outside = g.present.len() as u32;
        let [sx, sy, sz] = g.size;
        let size = [sx + 2 * margin, sy + 2 * margin, sz + 2 * margin];
        let mut rows = vec![outside; size[0] * size[1] * size[2]];
        let mut spans = vec![0..0; size[1] * size[2]];
        for k in 0..sz {
            for j in 0..sy {
                let source = &g.levels[sx * (j + sy * k)..sx * (j + 1 + sy * k)];
                let (Some(first), Some(last)) =
                    (source.iter().position(|&l| l != 0), source.iter().rposition(|&l| l != 0))
                else {
                    continue;
                };
                let row = (j + margin) + size[1] * (k + margin);
                let start = size[0] * row + margin;
                for (cell, &level) in rows[start + first..=start + last].iter_mut().zip(&source[first..=last])
                {
                    if level != 0 {
                        *cell = level_row[level as usize] as u32;
                    }
                }
                spans[row] = first + margin..last + 1 + margin;
            }
        }
        RowSpans { size, rows, spans }
    }

    /// Index of voxel `(i, j, k)` in [`Self::rows`].
    pub fn index(&self, i: usize, j: usize, k: usize) -> usize {
        i + self.size[0] * (j + self.size[1] * k)
    }

    /// The buffer step of an offset (positive or negative).
    pub fn step(&self, o: [isize; 3]) -> isize {
        o[0] + self.size[0] as isize * (o[1] + self.size[1] as isize * o[2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_rows_and_spans() {
        // One slice 4×2: j = 0: [0, 2, 0, 5]; j = 1: all outside. Levels present: 2, 5.
        let g = GreyLevels::new([4, 2, 1], vec![0, 2, 0, 5, 0, 0, 0, 0]);
        let p = RowSpans::new(&g, 1);
        assert_eq!(p.size, [6, 4, 3]);
        // Voxel (1, 0, 0) of g is (2, 1, 1) in the padded box.
        let row = 1 + 4;
        assert_eq!(p.spans[row], 2..5);
        assert_eq!(&p.rows[p.index(0, 1, 1)..=p.index(5, 1, 1)], &[2, 2, 0, 2, 1, 2]);
        assert!(p.spans.iter().enumerate().all(|(r, s)| r == row || s.is_empty()));
        assert_eq!(p.rows.iter().filter(|&&r| r != 2).count(), 2);
        assert_eq!(p.step([1, -1, 1]), 1 - 6 + 24);
    }
}

/// Random regions for the builders' tests.
#[cfg(test)]
pub(crate) mod testutil {
    use crate::radiomics::GreyLevels;

    /// A box of `size` whose voxels are in the region with probability `fill`, with grey levels
    /// drawn from `1..=levels` (xorshift64, so the same `seed` gives the same box).
    pub(crate) fn random_levels(size: [usize; 3], levels: u32, fill: f64, seed: u64) -> GreyLevels {
        let mut random = crate::test_random::Random::new(seed);
        let voxels = (0..size.iter().product::<usize>())
            .map(|_| if random.unit() < fill { 1 + random.below(levels as usize) as u32 } else { 0 })
            .collect();
        GreyLevels::new(size, voxels)
    }
}
