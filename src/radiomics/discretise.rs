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
//!
//! The number of bins is checked against [`MAX_GREY_LEVELS`] before the edges are made: a huge
//! range (a wrong RescaleSlope, an extreme float image) or a tiny width would otherwise ask for
//! billions of edges, and texture matrices grow with the square of the levels. Edges that do not
//! increase (values so large that adding a bin width changes nothing, e.g. 1e20 at width 25) are
//! refused too: no bin could be told from the next.

use super::roi::{GreyLevels, Roi};
use crate::gpu::Backend;
use crate::limits::{LimitExceeded, MAX_GREY_LEVELS};

/// Why a region's values cannot be binned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BinningError {
    /// More bins than [`MAX_GREY_LEVELS`].
    #[error(transparent)]
    Limit(#[from] LimitExceeded),
    /// The edges do not increase: at the values' magnitude a bin has no width.
    #[error("values from {min} to {max} cannot be binned: at this magnitude the bins have no width")]
    Unresolvable {
        /// Lowest value of the region.
        min: f64,
        /// Highest value of the region.
        max: f64,
    },
}

impl crate::error_code::ErrorCode for BinningError {
    fn code(&self) -> &'static str {
        match self {
            BinningError::Limit(_) => "limit_exceeded",
            BinningError::Unresolvable { .. } => "unresolvable_bins",
        }
    }
}

/// How grey levels are binned.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum Binning {
    /// Fixed bin width in the image's unit (PyRadiomics `binWidth`, default 25).
    Width(f64),
    /// Fixed number of bins (PyRadiomics `binCount`).
    Count(u32),
}

/// The bin edges PyRadiomics computes for `values` (the region's voxels; must not be empty).
pub fn bin_edges(values: &[f64], binning: Binning) -> Result<Vec<f64>, BinningError> {
    let (min, max) =
        values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    edges_of_range(min, max, binning)
}

/// Refuses more than [`MAX_GREY_LEVELS`] bins (`edges` edges make `edges − 1` bins); a NaN count
/// (from a non-finite range) counts as too many.
fn check_bins(edges: f64) -> Result<(), LimitExceeded> {
    let limit = MAX_GREY_LEVELS as u64;
    if edges - 1.0 <= limit as f64 {
        Ok(())
    } else {
        let found = if edges.is_finite() { edges as u64 - 1 } else { u64::MAX };
        Err(LimitExceeded { what: "grey levels", found, limit })
    }
}

/// The bin edges of a region whose values run from `min` to `max`.
fn edges_of_range(min: f64, max: f64, binning: Binning) -> Result<Vec<f64>, BinningError> {
    let edges = match binning {
        Binning::Width(w) => {
            let low = min - python_mod(min, w);
            let high = max + 2.0 * w;
            let n = ((high - low) / w).ceil().max(0.0);
            check_bins(n)?;
            let n = n as usize;
            let delta = (low + w) - low;
            let edges: Vec<f64> = (0..n).map(|i| low + i as f64 * delta).collect();
            if edges.len() == 1 {
                vec![edges[0] - 0.5, edges[0] + 0.5]
            } else {
                edges
            }
        }
        Binning::Count(count) => {
            check_bins(f64::from(count) + 1.0)?;
            let (first, last) = if min == max { (min - 0.5, max + 0.5) } else { (min, max) };
            let step = (last - first) / count as f64;
            let mut edges: Vec<f64> = (0..=count).map(|i| i as f64 * step + first).collect();
            edges[count as usize] = last + 1.0;
            edges
        }
    };
    if edges.len() < 2 || edges.windows(2).any(|w| w[1] <= w[0]) {
        return Err(BinningError::Unresolvable { min, max });
    }
    Ok(edges)
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

/// `numpy.digitize(x, edges)`, the number of edges ≤ `x`, for increasing edges that are (nearly)
/// evenly spaced `1/per_step` apart, as both binnings' are: a first guess from the spacing, then
/// moved to the one place where the edges below are ≤ `x` and those above are not, which is
/// exactly the count (a NaN `x` guesses 0 and stays there: it is ≥ no edge, as in NumPy).
fn digitize(x: f64, edges: &[f64], per_step: f64) -> u32 {
    let Some(&first) = edges.first() else {
        return 0;
    };
    let guess = ((x - first) * per_step).floor();
    let mut k = if guess >= 0.0 { (guess as usize).saturating_add(1).min(edges.len()) } else { 0 };
    while k < edges.len() && edges[k] <= x {
        k += 1;
    }
    while k > 0 && edges[k - 1] > x {
        k -= 1;
    }
    k as u32
}

/// Discretises the region's voxels; voxels outside the mask get level 0.
pub fn discretise(roi: &Roi, binning: Binning) -> Result<GreyLevels, BinningError> {
    discretise_on(roi, binning, &Backend::Cpu)
}

/// [`discretise`] with the levels counted on `backend` from the same bin edges; a failing GPU
/// leaves them to the CPU.
pub fn discretise_on(roi: &Roi, binning: Binning, backend: &Backend) -> Result<GreyLevels, BinningError> {
    let (min, max) = roi
        .values
        .iter()
        .zip(&roi.mask)
        .filter(|&(_, &m)| m)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (&v, _)| (lo.min(v), hi.max(v)));
    let edges = edges_of_range(min, max, binning)?;
    let per_step = match edges[..] {
        [first, second, ..] => 1.0 / (second - first),
        _ => 0.0,
    };
    let on_gpu = backend.on_gpu("discretisation", |device| {
        let mask: Vec<u8> = roi.mask.iter().map(|&m| u8::from(m)).collect();
        device.discretise(&roi.values, &mask, &edges)
    });
    let levels = on_gpu.unwrap_or_else(|| {
        roi.values
            .iter()
            .zip(&roi.mask)
            .map(|(&v, &m)| if m { digitize(v, &edges, per_step) } else { 0 })
            .collect()
    });
    Ok(GreyLevels::new(roi.size, levels))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `numpy.digitize(x, edges)` by its definition: the number of edges ≤ `x`.
    fn edges_at_most(x: f64, edges: &[f64]) -> u32 {
        edges.partition_point(|&e| e <= x) as u32
    }

    #[test]
    fn width_edges_match_the_pyradiomics_docstring_example() {
        // getBinEdges docstring: values 54..166, width 25 → edges 50, 75, ..., 175 (and one more,
        // since arange runs to max + 2w, exclusive).
        let edges = bin_edges(&[54.0, 100.0, 166.0], Binning::Width(25.0)).unwrap();
        assert_eq!(edges, vec![50.0, 75.0, 100.0, 125.0, 150.0, 175.0, 200.0]);
    }

    #[test]
    fn negative_minimum_uses_floor_modulo() {
        let edges = bin_edges(&[-1024.0, -1000.0], Binning::Width(25.0)).unwrap();
        assert_eq!(edges[0], -1025.0);
        assert_eq!(edges_at_most(-1024.0, &edges), 1);
        assert_eq!(edges_at_most(-1000.0, &edges), 2);
    }

    #[test]
    fn digitize_counts_the_edges_at_most_x() {
        // Width edges from −1025 (floor modulo), count edges with the top edge at max + 1, and
        // values on, between and outside the edges, NaN and infinities included.
        let width = bin_edges(&[-1024.0, 3071.0], Binning::Width(25.0)).unwrap();
        let count = bin_edges(&[-3.7, 12.9], Binning::Count(16)).unwrap();
        let values: Vec<f64> = (-2000..4000)
            .map(|i| f64::from(i) * 0.7)
            .chain([-1025.0, -1000.0, 3100.0, 12.9, 13.9, f64::NAN, f64::INFINITY, f64::NEG_INFINITY])
            .collect();
        for edges in [width, count] {
            let per_step = 1.0 / (edges[1] - edges[0]);
            for &v in values.iter().chain(&edges) {
                assert_eq!(digitize(v, &edges, per_step), edges_at_most(v, &edges), "{v}");
            }
        }
    }

    #[test]
    fn flat_region_has_one_grey_level() {
        assert_eq!(bin_edges(&[5000.0, 5000.0], Binning::Width(5000.0)).unwrap(), vec![5000.0, 10000.0]);
        let roi = Roi { size: [2, 1, 1], spacing_mm: [1.0; 3], values: vec![7.0, 7.0], mask: vec![true; 2] };
        // numpy: e = histogram([7, 7], 8)[1]; e[-1] += 1; digitize(7, e) == 5
        assert_eq!(discretise(&roi, Binning::Count(8)).unwrap().levels, vec![5, 5]);
    }

    #[test]
    fn too_many_bins_are_refused_before_they_are_made() {
        // 4096 levels of width 1 pass; a huge range (a RescaleSlope of 1e6) or a NaN does not.
        assert!(bin_edges(&[0.0, 4095.0], Binning::Width(1.0)).is_ok());
        let err = bin_edges(&[0.0, 4096.0], Binning::Width(1.0)).err();
        let expected = LimitExceeded { what: "grey levels", found: 4097, limit: 4096 };
        assert_eq!(err, Some(BinningError::Limit(expected)));
        // At 1e20 adding a width of 25 changes nothing: no bin has a width.
        let flat = bin_edges(&[1e20, 1e20], Binning::Width(25.0)).err();
        assert!(matches!(flat, Some(BinningError::Unresolvable { .. })), "{flat:?}");
        assert!(bin_edges(&[1e20, 1e20], Binning::Count(8)).is_err());
        assert!(bin_edges(&[-1024e6, 3071e6], Binning::Width(25.0)).is_err());
        assert!(bin_edges(&[0.0, f64::INFINITY], Binning::Width(25.0)).is_err());
        assert!(bin_edges(&[0.0, 1.0], Binning::Count(1 << 20)).is_err());
    }

    #[test]
    fn count_binning_puts_the_maximum_in_the_top_bin() {
        let roi = Roi {
            size: [4, 1, 1],
            spacing_mm: [1.0; 3],
            values: vec![0.0, 1.0, 2.0, 4.0],
            mask: vec![true, true, true, true],
        };
        let g = discretise(&roi, Binning::Count(4)).unwrap();
        assert_eq!(g.levels, vec![1, 2, 3, 4]);
        assert_eq!((g.max_level, g.present.clone()), (4, vec![1, 2, 3, 4]));
    }
}
