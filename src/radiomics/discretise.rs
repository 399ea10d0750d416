//! Grey-level discretisation, exactly as PyRadiomics `imageoperations.getBinEdges` and `binImage`.
//!
//! ```text
//! fixed bin width w:   edges_n = low + n·Δ,  low = min − (min mod w),  Δ = (low + w) − low,
//!                      n = 0 .. ⌈(max + 2w − low)/w⌉ − 1          (numpy.arange)
//! fixed bin count N:   edges_n = min + n·(max − min)/N, n = 0..N, edges_N = max + 1   (numpy.histogram)
//! level(x) = #{ n : edges_n ≤ x }                                   (numpy.digitize, right=False)
//! ```
//! `mod` is Python's floor modulo. A single-valued region with a width-aligned value gives one
//! edge, widened to `[e − 0.5, e + 0.5]` as PyRadiomics does. IBSI calls the width rule
//! "fixed bin size" but bins from 0 rather than from the minimum; PyRadiomics' rule is used.

use super::roi::{GreyLevels, Roi};

/// How grey levels are binned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Binning {
    /// Fixed bin width in the image's unit (PyRadiomics `binWidth`, default 25).
    Width(f64),
    /// Fixed number of bins (PyRadiomics `binCount`).
    Count(u32),
}

/// The bin edges PyRadiomics computes for `values` (the region's voxels; must not be empty).
pub fn bin_edges(values: &[f64], binning: Binning) -> Vec<f64> {
    let (min, max) =
        values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    match binning {
        Binning::Width(w) => {
            let low = min - python_mod(min, w);
            let high = max + 2.0 * w;
            let n = ((high - low) / w).ceil().max(0.0) as usize;
            let delta = (low + w) - low;
            let edges: Vec<f64> = (0..n).map(|i| low + i as f64 * delta).collect();
            if edges.len() == 1 {
                vec![edges[0] - 0.5, edges[0] + 0.5]
            } else {
                edges
            }
        }
        Binning::Count(count) => {
            let (first, last) = if min == max { (min - 0.5, max + 0.5) } else { (min, max) };
            let step = (last - first) / count as f64;
            let mut edges: Vec<f64> = (0..=count).map(|i| i as f64 * step + first).collect();
            edges[count as usize] = last + 1.0;
            edges
        }
    }
}

/// Python's `a % b` for floats: the remainder takes the sign of `b`.
fn python_mod(a: f64, b: f64) -> f64 {
    let r = a % b;
    if r != 0.0 && (r < 0.0) != (b < 0.0) {
        r + b
    } else {
        r
    }
}

/// `numpy.digitize(x, edges)` for increasing edges: the number of edges ≤ `x`.
fn digitize(x: f64, edges: &[f64]) -> u32 {
    edges.partition_point(|&e| e <= x) as u32
}

/// Discretises the region's voxels; voxels outside the mask get level 0.
pub fn discretise(roi: &Roi, binning: Binning) -> GreyLevels {
    let edges = bin_edges(&roi.masked_values(), binning);
    let levels =
        roi.values.iter().zip(&roi.mask).map(|(&v, &m)| if m { digitize(v, &edges) } else { 0 }).collect();
    GreyLevels::new(roi.size, levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_edges_match_the_pyradiomics_docstring_example() {
        // getBinEdges docstring: values 54..166, width 25 → edges 50, 75, ..., 175 (and one more,
        // since arange runs to max + 2w, exclusive).
        let edges = bin_edges(&[54.0, 100.0, 166.0], Binning::Width(25.0));
        assert_eq!(edges, vec![50.0, 75.0, 100.0, 125.0, 150.0, 175.0, 200.0]);
    }

    #[test]
    fn negative_minimum_uses_floor_modulo() {
        let edges = bin_edges(&[-1024.0, -1000.0], Binning::Width(25.0));
        assert_eq!(edges[0], -1025.0);
        assert_eq!(digitize(-1024.0, &edges), 1);
        assert_eq!(digitize(-1000.0, &edges), 2);
    }

    #[test]
    fn flat_region_has_one_grey_level() {
        assert_eq!(bin_edges(&[5000.0, 5000.0], Binning::Width(5000.0)), vec![5000.0, 10000.0]);
        let roi = Roi { size: [2, 1, 1], spacing_mm: [1.0; 3], values: vec![7.0, 7.0], mask: vec![true; 2] };
        // numpy: e = histogram([7, 7], 8)[1]; e[-1] += 1; digitize(7, e) == 5
        assert_eq!(discretise(&roi, Binning::Count(8)).levels, vec![5, 5]);
    }

    #[test]
    fn count_binning_puts_the_maximum_in_the_top_bin() {
        let roi = Roi {
            size: [4, 1, 1],
            spacing_mm: [1.0; 3],
            values: vec![0.0, 1.0, 2.0, 4.0],
            mask: vec![true, true, true, true],
        };
        let g = discretise(&roi, Binning::Count(4));
        assert_eq!(g.levels, vec![1, 2, 3, 4]);
        assert_eq!((g.max_level, g.present.clone()), (4, vec![1, 2, 3, 4]));
    }
}
