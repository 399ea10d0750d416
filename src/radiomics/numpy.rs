//! The few NumPy reductions whose exact rounding PyRadiomics' numbers inherit: pairwise summation
//! (`np.sum`/`np.mean` on contiguous float64 data), percentiles with linear interpolation
//! (`np.percentile`, method "linear") and the median.
//!
//! Matching NumPy's summation order keeps results within a few ulps of PyRadiomics instead of
//! drifting with naive left-to-right sums on large regions.

/// NumPy's pairwise summation (`pairwise_sum` in `numpy/core/src/umath/loops_utils.h.src`):
/// sequential below 8 values, eight interleaved partial sums up to 128, halving above
/// (the split point rounded down to a multiple of 8).
pub fn pairwise_sum(x: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = x.len();
    if n < 8 {
        let mut s = 0.0;
        for &v in x {
            s += v;
        }
        s
    } else if n <= BLOCK {
        let mut r = [x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]];
        let mut i = 8;
        while i < n - (n % 8) {
            for (a, r) in r.iter_mut().enumerate() {
                *r += x[i + a];
            }
            i += 8;
        }
        let mut s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &x[i..] {
            s += v;
        }
        s
    } else {
        let mut half = n / 2;
        half -= half % 8;
        pairwise_sum(&x[..half]) + pairwise_sum(&x[half..])
    }
}

/// Sum of `f(x)` over `x` in NumPy's pairwise order.
pub fn pairwise_sum_map(x: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mapped: Vec<f64> = x.iter().map(|&v| f(v)).collect();
    pairwise_sum(&mapped)
}

/// Arithmetic mean as `np.mean` computes it (pairwise sum, then one division).
pub fn mean(x: &[f64]) -> f64 {
    pairwise_sum(x) / x.len() as f64
}

/// Population variance as `np.std(x)**2` computes it: `mean(|x − mean(x)|²)`.
pub fn variance(x: &[f64]) -> f64 {
    let m = mean(x);
    pairwise_sum_map(x, |v| (v - m) * (v - m)) / x.len() as f64
}

/// `q`-th percentile (0–100) of already sorted values, NumPy's default "linear" method:
/// virtual index `h = (n − 1)·q/100`, then NumPy's `_lerp` between the neighbours.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let h = (n - 1) as f64 * (q / 100.0);
    let below = h.floor();
    let lo = (below as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = h - below;
    lerp(sorted[lo], sorted[hi], t)
}

/// NumPy's `_lerp(a, b, t)`: `a + (b − a)·t`, computed from `b` when `t ≥ 0.5` for symmetry.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Median of already sorted values as `np.median`: the middle value, or the mean of the two.
pub fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sum_is_exact_on_integers_and_orders_like_numpy() {
        let x: Vec<f64> = (0..1000).map(|v| v as f64).collect();
        assert_eq!(pairwise_sum(&x), 499_500.0);
        // 1e16 + 1 + ... : a left-to-right sum loses every 1.0, the pairwise blocks keep some.
        let mut y = vec![1.0; 300];
        y[0] = 1e16;
        assert_ne!(pairwise_sum(&y), y.iter().fold(0.0, |s, v| s + v));
    }

    #[test]
    fn percentiles_follow_the_linear_rule() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_sorted(&x, 10.0), 1.3);
        assert_eq!(percentile_sorted(&x, 90.0), 3.7);
        assert_eq!(median_sorted(&x), 2.5);
        assert_eq!(percentile_sorted(&[5.0], 75.0), 5.0);
    }
}
