//! First-order (intensity histogram and statistics) features, PyRadiomics `firstorder` with its 18
//! default-enabled features (StandardDeviation is deprecated there and stays off).
//!
//! Notation (PyRadiomics documentation, "First Order Features"): `X` the `Np` image values
//! inside the region in the image's unit, `c` the `voxelArrayShift`, `p(i)` the fraction of voxels
//! in discretised grey level `i`, `P_q` the q-th percentile, `μ_k` the k-th central moment,
//! `V` the voxel volume in mm³.
//!
//! ```text
//! Energy            Σ (X + c)²                      IBSI N8CA (with c = 0)
//! TotalEnergy       V · Energy
//! Entropy           −Σ p(i) log₂(p(i) + ε)           ε = machine epsilon; IBSI TLU2
//! Minimum, Maximum, Median, Mean, Range, 10Percentile, 90Percentile, InterquartileRange (P75 − P25)
//! MeanAbsoluteDeviation        mean |X − mean(X)|
//! RobustMeanAbsoluteDeviation  the same over the voxels with P10 ≤ X ≤ P90
//! RootMeanSquared   √(Σ (X + c)² / Np)
//! Skewness          μ₃ / μ₂^1.5,  Kurtosis  μ₄ / μ₂²  (0 for a flat region; not excess kurtosis)
//! Variance          μ₂,  Uniformity  Σ p(i)²
//! ```
//! Reductions follow NumPy's rounding ([`super::numpy`]) so values match PyRadiomics to ulps.

use super::numpy::{mean, median_sorted, pairwise_sum, pairwise_sum_map, percentile_sorted};
use super::GreyLevels;

/// First-order features of the region's values `x` (buffer order, at least one voxel) and
/// their discretised grey levels; `shift` is `voxelArrayShift`, `voxel_volume_mm3` the volume
/// of one voxel. Returned in PyRadiomics' (alphabetical) order.
pub fn firstorder_features(
    x: &[f64],
    grey: &GreyLevels,
    shift: f64,
    voxel_volume_mm3: f64,
) -> Vec<(&'static str, f64)> {
    let n = x.len() as f64;
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let p10 = percentile_sorted(&sorted, 10.0);
    let p90 = percentile_sorted(&sorted, 90.0);
    let min = sorted[0];
    let max = sorted[sorted.len() - 1];
    let mu = mean(x);

    let energy = pairwise_sum_map(x, |v| (v + shift) * (v + shift));
    let p = level_fractions(grey);
    let eps = f64::EPSILON;
    let entropy = -pairwise_sum(&p.iter().map(|&p| p * (p + eps).log2()).collect::<Vec<_>>());
    let uniformity = pairwise_sum_map(&p, |p| p * p);

    let mad = pairwise_sum_map(x, |v| (v - mu).abs()) / n;
    // NumPy's nanmean over the full array with the excluded voxels set to 0 (NaN in PyRadiomics):
    // keeping their places keeps the pairwise summation order.
    let inside = |v: f64| v - p10 >= 0.0 && v - p90 <= 0.0;
    let kept = x.iter().filter(|&&v| inside(v)).count() as f64;
    let robust_mean = pairwise_sum_map(x, |v| if inside(v) { v } else { 0.0 }) / kept;
    let robust_mad = pairwise_sum_map(x, |v| if inside(v) { (v - robust_mean).abs() } else { 0.0 }) / kept;

    let m2 = pairwise_sum_map(x, |v| (v - mu) * (v - mu)) / n;
    let m3 = pairwise_sum_map(x, |v| (v - mu).powf(3.0)) / n;
    let m4 = pairwise_sum_map(x, |v| (v - mu).powf(4.0)) / n;
    let m2_safe = if m2 == 0.0 { 1.0 } else { m2 };
    let std = m2.sqrt();

    vec![
        ("10Percentile", p10),
        ("90Percentile", p90),
        ("Energy", energy),
        ("Entropy", entropy),
        ("InterquartileRange", percentile_sorted(&sorted, 75.0) - percentile_sorted(&sorted, 25.0)),
        ("Kurtosis", m4 / (m2_safe * m2_safe)),
        ("Maximum", max),
        ("Mean", mu),
        ("MeanAbsoluteDeviation", mad),
        ("Median", median_sorted(&sorted)),
        ("Minimum", min),
        ("Range", max - min),
        ("RobustMeanAbsoluteDeviation", robust_mad),
        ("RootMeanSquared", (energy / n).sqrt()),
        ("Skewness", m3 / m2_safe.powf(1.5)),
        ("TotalEnergy", energy * voxel_volume_mm3),
        ("Uniformity", uniformity),
        ("Variance", std * std),
    ]
}

/// `p(i)`: the fraction of region voxels at each grey level that occurs, ascending by level.
fn level_fractions(grey: &GreyLevels) -> Vec<f64> {
    let mut counts = vec![0usize; grey.max_level as usize + 1];
    for &l in &grey.levels {
        counts[l as usize] += 1;
    }
    let total: usize = counts[1..].iter().sum();
    grey.present.iter().map(|&l| counts[l as usize] as f64 / total as f64).collect()
}
