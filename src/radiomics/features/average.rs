//! Averaging per-angle feature values over the angles, as the GLCM and GLRLM classes of
//! PyRadiomics 3.x do: `numpy.nanmean` over the angle axis (a NaN matrix, one without any count,
//! is skipped), or `numpy.mean` where PyRadiomics uses it (GLCM JointAverage).
//!
//! ```text
//! mean(v)    = Σ_a v_a / A                        (NaN when some v_a is NaN or A = 0)
//! nanmean(v) = Σ_{a : v_a not NaN} v_a / #{a : v_a not NaN}   (NaN when there is none)
//! ```
//! The sums run over the angles in order.

/// Mean, NaN if any value is NaN or there is none (NumPy `mean`).
pub(super) fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), x| (s + x, c + 1));
    sum / count as f64
}

/// Mean of the values that are not NaN; NaN if there is none (NumPy `nanmean`).
pub(super) fn nan_mean(values: impl Iterator<Item = f64>) -> f64 {
    mean(values.filter(|x| !x.is_nan()))
}

/// Each feature of `names` averaged over the matrices with [`nan_mean`]; `per_matrix` holds the
/// values of one matrix per entry, in `names` order.
pub(super) fn nan_mean_per_feature<const N: usize>(
    names: &[&'static str; N],
    per_matrix: &[[f64; N]],
) -> Vec<(&'static str, f64)> {
    names.iter().enumerate().map(|(f, &name)| (name, nan_mean(per_matrix.iter().map(|v| v[f])))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_values_are_skipped_only_by_nan_mean() {
        let values = [1.0, f64::NAN, 2.0];
        assert!(mean(values.into_iter()).is_nan());
        assert_eq!(nan_mean(values.into_iter()), 1.5);
        assert!(nan_mean([f64::NAN].into_iter()).is_nan());
        assert!(nan_mean(std::iter::empty()).is_nan());
    }

    #[test]
    fn features_are_averaged_over_matrices() {
        let per_matrix = [[1.0, f64::NAN], [3.0, f64::NAN]];
        let got = nan_mean_per_feature(&["A", "B"], &per_matrix);
        assert_eq!(got[0], ("A", 2.0));
        assert!(got[1].0 == "B" && got[1].1.is_nan());
        assert!(nan_mean_per_feature(&["A"], &[]).iter().all(|(_, v)| v.is_nan()));
    }
}
