//! The arithmetic the GLSZM, GLDM and GLRLM feature sets share: PyRadiomics computes the same
//! sums over a count matrix `P(i, j)` whose rows are grey levels `i` and whose columns are sizes
//! `j` (zone sizes for the GLSZM, dependence sizes for the GLDM, run lengths for each angle of the
//! GLRLM), only under different names. Each sum is written in PyRadiomics' form (`p_s / j²`, not
//! `p_s · (1/j²)`), so the rounding follows it too.
//!
//! ```text
//! N_z = Σ_i Σ_j P(i, j)   (1 when the matrix is empty, as PyRadiomics sets it for GLSZM and GLDM)
//! p_g(i) = Σ_j P(i, j)    p_s(j) = Σ_i P(i, j)    p(i, j) = P(i, j) / N_z
//! small      = Σ_j p_s(j) / j² / N_z           large      = Σ_j p_s(j) j² / N_z
//! low_grey   = Σ_i p_g(i) / i² / N_z           high_grey  = Σ_i p_g(i) i² / N_z
//! small_low  = Σ P / (i² j²) / N_z             small_high = Σ P i² / j² / N_z
//! large_low  = Σ P j² / i² / N_z               large_high = Σ P i² j² / N_z
//! grey_non_uniformity = Σ_i p_g(i)² / N_z      size_non_uniformity = Σ_j p_s(j)² / N_z
//! grey_non_uniformity_normalized = Σ_i p_g(i)² / N_z²   (likewise size_non_uniformity_normalized)
//! grey_variance = Σ_i (p_g(i)/N_z) (i − μ_i)²,  μ_i = Σ_i (p_g(i)/N_z) i
//! size_variance = Σ_j (p_s(j)/N_z) (j − μ_j)²,  μ_j = Σ_j (p_s(j)/N_z) j
//! size_total = Σ_j p_s(j) j   (the voxels of all runs, GLRLM's N_p)
//! entropy = −Σ_i Σ_j p(i, j) log₂(p(i, j) + ε),  ε = 2.2·10⁻¹⁶ (numpy.spacing(1))
//! ```

/// The shared sums of a grey-level × size count matrix (see the module formulas).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Emphasis {
    /// `N_z`, the total count (1 for an empty matrix).
    pub total: f64,
    pub small: f64,
    pub large: f64,
    pub low_grey: f64,
    pub high_grey: f64,
    pub small_low: f64,
    pub small_high: f64,
    pub large_low: f64,
    pub large_high: f64,
    pub grey_non_uniformity: f64,
    pub size_non_uniformity: f64,
    pub grey_non_uniformity_normalized: f64,
    pub size_non_uniformity_normalized: f64,
    pub grey_variance: f64,
    pub size_variance: f64,
    pub size_total: f64,
    pub entropy: f64,
}

impl Emphasis {
    /// Computes the sums of `counts` (row-major, one row per entry of `grey_levels`, one column per
    /// entry of `sizes`).
    pub fn of(grey_levels: &[u32], sizes: &[u32], counts: &[f64]) -> Emphasis {
        let columns = sizes.len();
        let mut per_grey = vec![0.0; grey_levels.len()];
        let mut per_size = vec![0.0; columns];
        let (mut small_low, mut small_high, mut large_low, mut large_high) = (0.0, 0.0, 0.0, 0.0);
        for (r, &level) in grey_levels.iter().enumerate() {
            let i2 = f64::from(level).powi(2);
            for (c, &size) in sizes.iter().enumerate() {
                let count = counts[r * columns + c];
                let j2 = f64::from(size).powi(2);
                per_grey[r] += count;
                per_size[c] += count;
                small_low += count / (i2 * j2);
                small_high += count * i2 / j2;
                large_low += count * j2 / i2;
                large_high += count * i2 * j2;
            }
        }
        let sum: f64 = per_grey.iter().sum();
        let total = if sum == 0.0 { 1.0 } else { sum };

        // Σ f(n, x) over the marginal counts n and their labels x (grey levels or sizes).
        let by = |labels: &[u32], marginal: &[f64], f: fn(f64, f64) -> f64| -> f64 {
            labels.iter().zip(marginal).map(|(&x, &n)| f(n, f64::from(x))).sum::<f64>()
        };
        let grey_squares: f64 = per_grey.iter().map(|n| n * n).sum();
        let size_squares: f64 = per_size.iter().map(|n| n * n).sum();
        let entropy = -counts
            .iter()
            .map(|&count| {
                let p = count / total;
                p * (p + f64::EPSILON).log2()
            })
            .sum::<f64>();

        Emphasis {
            total,
            small: by(sizes, &per_size, |n, j| n / (j * j)) / total,
            large: by(sizes, &per_size, |n, j| n * (j * j)) / total,
            low_grey: by(grey_levels, &per_grey, |n, i| n / (i * i)) / total,
            high_grey: by(grey_levels, &per_grey, |n, i| n * (i * i)) / total,
            small_low: small_low / total,
            small_high: small_high / total,
            large_low: large_low / total,
            large_high: large_high / total,
            grey_non_uniformity: grey_squares / total,
            size_non_uniformity: size_squares / total,
            grey_non_uniformity_normalized: grey_squares / (total * total),
            size_non_uniformity_normalized: size_squares / (total * total),
            grey_variance: variance(grey_levels, &per_grey, total),
            size_variance: variance(sizes, &per_size, total),
            size_total: by(sizes, &per_size, |n, j| n * j),
            entropy,
        }
    }
}

/// Variance of the labels `values` weighted by `counts / total`.
fn variance(values: &[u32], counts: &[f64], total: f64) -> f64 {
    let mean: f64 = values.iter().zip(counts).map(|(&v, &n)| n / total * f64::from(v)).sum();
    values.iter().zip(counts).map(|(&v, &n)| n / total * (f64::from(v) - mean).powi(2)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2×2 matrix worked by hand: rows i = 1, 2; columns j = 1, 3; P = [[2, 0], [1, 1]].
    #[test]
    fn sums_of_a_small_matrix() {
        let e = Emphasis::of(&[1, 2], &[1, 3], &[2.0, 0.0, 1.0, 1.0]);
        assert_eq!(e.total, 4.0);
        // p_s = (3, 1), p_g = (2, 2).
        assert!((e.small - (3.0 + 1.0 / 9.0) / 4.0).abs() < 1e-15);
        assert!((e.large - (3.0 + 9.0) / 4.0).abs() < 1e-15);
        assert!((e.low_grey - (2.0 + 2.0 / 4.0) / 4.0).abs() < 1e-15);
        assert!((e.high_grey - (2.0 + 8.0) / 4.0).abs() < 1e-15);
        assert!((e.large_high - (2.0 + 4.0 + 36.0) / 4.0).abs() < 1e-15);
        assert!((e.grey_non_uniformity - 2.0).abs() < 1e-15);
        assert!((e.size_non_uniformity - 2.5).abs() < 1e-15);
        assert_eq!((e.grey_non_uniformity_normalized, e.size_non_uniformity_normalized), (0.5, 0.625));
        // Σ p_s(j) j = 3·1 + 1·3.
        assert_eq!(e.size_total, 6.0);
        // Grey levels 1 and 2 equally likely: variance 1/4; sizes 1 (¾) and 3 (¼): mean 1.5, var 0.75.
        assert!((e.grey_variance - 0.25).abs() < 1e-15);
        assert!((e.size_variance - 0.75).abs() < 1e-15);
        // p = (½, ¼, ¼): entropy 1.5 bits.
        assert!((e.entropy - 1.5).abs() < 1e-12);
    }

    #[test]
    fn empty_matrix_divides_by_one() {
        let e = Emphasis::of(&[], &[], &[]);
        assert_eq!((e.total, e.small, e.entropy), (1.0, 0.0, 0.0));
    }
}
