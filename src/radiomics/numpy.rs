//! The few NumPy reductions whose exact rounding PyRadiomics' numbers inherit: pairwise summation
//! (`np.sum`/`np.mean` on contiguous float64 data), percentiles with linear interpolation
//! (`np.percentile`, method "linear") and the median. The order statistics those read come from
//! [`select_ranks`] (nested selection), which gives the values a full sort would.
//!
//! Matching NumPy's summation order keeps results within a few ulps of PyRadiomics instead of
//! drifting with naive left-to-right sums on large regions.

/// NumPy's pairwise summation (`pairwise_sum` in `numpy/core/src/umath/loops_utils.h.src`):
/// sequential below 8 values, eight interleaved partial sums up to 128, halving above
/// (the split point rounded down to a multiple of 8).
pub fn pairwise_sum(x: &[f64]) -> f64 {
    pairwise_sums(x, |v| [v])[0]
}

/// Sum of `f(x)` over `x` in NumPy's pairwise order.
pub fn pairwise_sum_map(x: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    pairwise_sums(x, |v| [f(v)])[0]
}

/// The `K` sums of the components of `f(x)` over `x`, each in NumPy's pairwise order (as
/// [`pairwise_sum`] of the mapped array), in one pass and without the mapped arrays.
pub fn pairwise_sums<const K: usize>(x: &[f64], f: impl Fn(f64) -> [f64; K]) -> [f64; K] {
    pairwise_sums_of(x, &f)
}

fn pairwise_sums_of<const K: usize>(x: &[f64], f: &impl Fn(f64) -> [f64; K]) -> [f64; K] {
    const BLOCK: usize = 128;
    let n = x.len();
    if n < 8 {
        let mut s = [0.0; K];
        for &v in x {
            add(&mut s, f(v));
        }
        s
    } else if n <= BLOCK {
        let mut r: [[f64; K]; 8] = std::array::from_fn(|a| f(x[a]));
        let mut i = 8;
        while i < n - (n % 8) {
            for (a, r) in r.iter_mut().enumerate() {
                add(r, f(x[i + a]));
            }
            i += 8;
        }
        let mut s: [f64; K] = std::array::from_fn(|k| {
            ((r[0][k] + r[1][k]) + (r[2][k] + r[3][k])) + ((r[4][k] + r[5][k]) + (r[6][k] + r[7][k]))
        });
        for &v in &x[i..] {
            add(&mut s, f(v));
        }
        s
    } else {
        let mut half = n / 2;
        half -= half % 8;
        let (a, b) = (pairwise_sums_of(&x[..half], f), pairwise_sums_of(&x[half..], f));
        std::array::from_fn(|k| a[k] + b[k])
    }
}

/// `s += y`, component by component.
#[inline]
fn add<const K: usize>(s: &mut [f64; K], y: [f64; K]) {
    for (s, y) in s.iter_mut().zip(y) {
        *s += y;
    }
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

/// `q`-th percentile (0–100) of values sorted at least at the ranks [`percentile_ranks`] names
/// (fully sorted, or ordered by [`select_ranks`]), NumPy's default "linear" method: virtual index
/// `h = (n − 1)·q/100`, then NumPy's `_lerp` between the neighbours.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let (h, [lo, hi]) = virtual_index(sorted.len(), q);
    lerp(sorted[lo], sorted[hi], h - h.floor())
}

/// The two ranks (0-based positions in sorted order) that the `q`-th percentile of `n` values
/// interpolates between.
pub fn percentile_ranks(n: usize, q: f64) -> [usize; 2] {
    virtual_index(n, q).1
}

/// NumPy's virtual index `h = (n − 1)·q/100` and the ranks below and above it.
fn virtual_index(n: usize, q: f64) -> (f64, [usize; 2]) {
    let h = (n - 1) as f64 * (q / 100.0);
    let lo = (h.floor() as usize).min(n - 1);
    (h, [lo, (lo + 1).min(n - 1)])
}

/// The ranks (0-based positions in sorted order) that the median of `n` values reads.
pub fn median_ranks(n: usize) -> [usize; 2] {
    if n % 2 == 1 {
        [n / 2; 2]
    } else {
        [n / 2 - 1, n / 2]
    }
}

/// Reorders `values` so that each position in `ranks` (ascending, duplicates allowed) holds the
/// value a full sort by [`f64::total_cmp`] would put there: the same order statistics as
/// sorting, by nested selections in O(n·log(ranks)) instead of O(n·log n).
pub fn select_ranks(values: &mut [f64], ranks: &[usize]) {
    select_ranks_from(values, 0, ranks);
}

/// [`select_ranks`] on a part of the array that starts at rank `first`; `ranks` are the ranks in
/// the whole array that fall inside this part.
fn select_ranks_from(values: &mut [f64], first: usize, ranks: &[usize]) {
    if ranks.is_empty() {
        return;
    }
    let middle = ranks[ranks.len() / 2];
    let (below, _, above) = values.select_nth_unstable_by(middle - first, f64::total_cmp);
    select_ranks_from(below, first, &ranks[..ranks.partition_point(|&r| r < middle)]);
    select_ranks_from(above, middle + 1, &ranks[ranks.partition_point(|&r| r <= middle)..]);
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

/// Median as `np.median`, of values sorted at least at the ranks [`median_ranks`] names: the
/// middle value, or the mean of the two.
pub fn median_sorted(sorted: &[f64]) -> f64 {
    let [lo, hi] = median_ranks(sorted.len());
    if lo == hi {
        sorted[lo]
    } else {
        (sorted[lo] + sorted[hi]) / 2.0
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
    fn several_sums_in_one_pass_match_numpy() {
        // x = 1 / (1..=1000); expected: np.sum(x), np.sum(x * x), np.sum(np.abs(x - 0.5)) (NumPy 2.4).
        let x: Vec<f64> = (1..=1000).map(|i| 1.0 / f64::from(i)).collect();
        assert_eq!(pairwise_sum(&x), 7.485470860550345);
        let [sum, squares, absolute] = pairwise_sums(&x, |v| [v, v * v, (v - 0.5).abs()]);
        assert_eq!((sum, squares, absolute), (7.485470860550345, 1.6439345666815601, 493.5145291394496));
        assert_ne!(sum, x.iter().sum::<f64>());
    }

    #[test]
    fn selected_ranks_hold_the_sorted_values() {
        // Many duplicates and both signs of zero; every rank set against a full sort.
        let values: Vec<f64> =
            (0..997).map(|i| f64::from((i * 7919) % 211) - 105.0).chain([0.0, -0.0]).collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let n = values.len();
        let rank_sets =
            [vec![0, n - 1], vec![3, 3, 4, 500, 501, 997], (0..n).step_by(37).collect::<Vec<_>>()];
        for ranks in rank_sets {
            let mut ordered = values.clone();
            select_ranks(&mut ordered, &ranks);
            for &r in &ranks {
                assert_eq!(ordered[r].to_bits(), sorted[r].to_bits(), "rank {r}");
            }
        }
    }

    #[test]
    fn percentiles_follow_the_linear_rule() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_sorted(&x, 10.0), 1.3);
        assert_eq!(percentile_sorted(&x, 90.0), 3.7);
        assert_eq!(median_sorted(&x), 2.5);
        assert_eq!(percentile_sorted(&[5.0], 75.0), 5.0);
        assert_eq!((percentile_ranks(4, 10.0), percentile_ranks(4, 100.0)), ([0, 1], [3, 3]));
        assert_eq!((median_ranks(4), median_ranks(5)), ([1, 2], [2, 2]));
    }
}
