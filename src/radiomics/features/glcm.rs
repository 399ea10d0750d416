//! The 24 default GLCM features of PyRadiomics 3.x (`RadiomicsGLCM`), IBSI 2.3.1 where IBSI
//! defines them.
//!
//! Each feature is computed on every matrix of a [`Glcm`] and averaged over the matrices with
//! `nanmean` (a NaN matrix is skipped; no matrix at all gives NaN). With p(i, j) the probabilities
//! of one matrix, i, j the grey levels present, N_g the highest grey level, ε = 2.2·10⁻¹⁶:
//!
//! ```text
//! p_x(i) = Σ_j p(i,j)   p_y(j) = Σ_i p(i,j)   μ_x = Σ i·p(i,j)   μ_y = Σ j·p(i,j)
//! σ_x² = Σ (i−μ_x)² p(i,j)   σ_y² = Σ (j−μ_y)² p(i,j)
//! p_x+y(k) = Σ_{i+j=k} p(i,j), k = 2..2N_g     p_x−y(k) = Σ_{|i−j|=k} p(i,j), k = 0..N_g−1
//! HX = −Σ p_x log₂(p_x+ε)   HY = −Σ p_y log₂(p_y+ε)   HXY = −Σ p log₂(p+ε)
//! HXY1 = −Σ p(i,j) log₂(p_x(i)p_y(j)+ε)   HXY2 = −Σ p_x(i)p_y(j) log₂(p_x(i)p_y(j)+ε)
//!
//! Autocorrelation      Σ i·j·p
//! ClusterProminence    Σ (i+j−μ_x−μ_y)⁴ p
//! ClusterShade         Σ (i+j−μ_x−μ_y)³ p
//! ClusterTendency      Σ (i+j−μ_x−μ_y)² p
//! Contrast             Σ (i−j)² p
//! Correlation          Σ (i−μ_x)(j−μ_y) p / (σ_x·σ_y + ε); 1 if σ_x·σ_y = 0
//! DifferenceAverage    DA = Σ k p_x−y(k)
//! DifferenceEntropy    −Σ p_x−y log₂(p_x−y + ε)
//! DifferenceVariance   Σ (k − DA)² p_x−y(k)
//! Id                   Σ p_x−y(k)/(1 + k)
//! Idm                  Σ p_x−y(k)/(1 + k²)
//! Idmn                 Σ p_x−y(k)/(1 + k²/N_g²)
//! Idn                  Σ p_x−y(k)/(1 + k/N_g)
//! Imc1                 (HXY − HXY1)/max(HX, HY); 0 if the maximum is 0
//! Imc2                 √(1 − e^(−2(HXY2 − HXY))); 0 if HXY2 = HXY, NaN (skipped) if HXY2 < HXY
//! InverseVariance      Σ_{k≥1} p_x−y(k)/k²
//! JointAverage         μ_x, averaged with a plain mean (NaN if any matrix is NaN)
//! JointEnergy          Σ p²
//! JointEntropy         HXY
//! MCC                  √(second largest eigenvalue of Q), Q(i,j) = Σ_k p(i,k)p(j,k)/(p_x(i)p_y(k) + ε);
//!                      1 when only one grey level is present
//! MaximumProbability   max p
//! SumAverage           Σ k p_x+y(k)
//! SumEntropy           −Σ p_x+y log₂(p_x+y + ε)
//! SumSquares           Σ (i − μ_x)² p
//! ```
//! IBSI names: joint average, joint maximum (MaximumProbability), joint variance (SumSquares),
//! joint entropy, angular second moment (JointEnergy), information correlation 1 and 2.

use std::f64::consts::E;

use super::average::{mean, nan_mean, nan_mean_per_feature};
use super::eigen::{self, Eigenvalue};
use crate::radiomics::matrices::angles::AngleError;
use crate::radiomics::matrices::glcm::Glcm;
use crate::radiomics::{GreyLevels, TextureSettings};

/// Feature names in PyRadiomics' order (alphabetical, by byte).
pub const NAMES: [&str; 24] = [
    "Autocorrelation",
    "ClusterProminence",
    "ClusterShade",
    "ClusterTendency",
    "Contrast",
    "Correlation",
    "DifferenceAverage",
    "DifferenceEntropy",
    "DifferenceVariance",
    "Id",
    "Idm",
    "Idmn",
    "Idn",
    "Imc1",
    "Imc2",
    "InverseVariance",
    "JointAverage",
    "JointEnergy",
    "JointEntropy",
    "MCC",
    "MaximumProbability",
    "SumAverage",
    "SumEntropy",
    "SumSquares",
];

/// Position of `JointAverage` in [`NAMES`]: averaged with a plain mean, not `nanmean`.
const JOINT_AVERAGE: usize = 16;
/// Position of `MCC` in [`NAMES`]: has its own flat-region rule and complex arithmetic.
const MCC: usize = 19;

/// PyRadiomics' ε, `numpy.spacing(1)`.
const EPS: f64 = f64::EPSILON;

/// The GLCM features of a region, named without prefix, in [`NAMES`] order.
pub fn glcm_features(g: &GreyLevels, s: &TextureSettings) -> Result<Vec<(&'static str, f64)>, AngleError> {
    Ok(features(&Glcm::build(g, s)?))
}

/// The GLCM features of built matrices, in [`NAMES`] order.
pub fn features(m: &Glcm) -> Vec<(&'static str, f64)> {
    let per_matrix: Vec<[f64; 24]> = (0..m.angles).map(|a| matrix_features(m, a)).collect();
    let mut out = nan_mean_per_feature(&NAMES, &per_matrix);
    out[JOINT_AVERAGE].1 = mean(per_matrix.iter().map(|v| v[JOINT_AVERAGE]));
    out[MCC].1 = mcc(m);
    out
}

/// All features of matrix `a` except MCC (left NaN), in [`NAMES`] order.
fn matrix_features(m: &Glcm, a: usize) -> [f64; 24] {
    let n = m.size();
    let p = m.matrix(a);
    let level: Vec<f64> = m.levels.iter().map(|&l| f64::from(l)).collect();
    let ng = m.max_level as usize;
    let ng_f = ng as f64;

    let mut px = vec![0.0; n];
    let mut py = vec![0.0; n];
    let (mut ux, mut uy) = (0.0, 0.0);
    let mut sum_k = vec![0.0; (2 * ng).saturating_sub(1)];
    let mut diff_k = vec![0.0; ng];
    for i in 0..n {
        for j in 0..n {
            let x = p[i * n + j];
            px[i] += x;
            py[j] += x;
            ux += level[i] * x;
            uy += level[j] * x;
            sum_k[(m.levels[i] + m.levels[j]) as usize - 2] += x;
            diff_k[m.levels[i].abs_diff(m.levels[j]) as usize] += x;
        }
    }
    // A zero term is exactly −0, which leaves any sum as it is: skipped, with its logarithm.
    let entropy = |v: &[f64]| -v.iter().filter(|&&x| x != 0.0).map(|&x| x * (x + EPS).log2()).sum::<f64>();
    // log₂(p_x(i)·p_y(j) + ε) for HXY1 and HXY2. With p_x = p_y (a symmetric matrix) the product,
    // and so the logarithm, of (i, j) is that of (j, i): each is computed once.
    let symmetric = px.iter().zip(&py).all(|(a, b)| a.to_bits() == b.to_bits());
    let mut logs = vec![0.0; n * n];

    let mut f = [0.0; 24];
    let (mut autocorrelation, mut prominence, mut shade, mut tendency, mut contrast) =
        (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut var_x, mut var_y, mut covariance, mut energy, mut hxy1, mut hxy2) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let mut maximum = f64::NEG_INFINITY;
    for i in 0..n {
        for j in 0..n {
            let x = p[i * n + j];
            let (li, lj) = (level[i], level[j]);
            let centred = li + lj - ux - uy;
            autocorrelation += x * li * lj;
            prominence += x * centred.powi(4);
            shade += x * centred.powi(3);
            tendency += x * centred * centred;
            contrast += x * (li - lj) * (li - lj);
            var_x += x * (li - ux) * (li - ux);
            var_y += x * (lj - uy) * (lj - uy);
            covariance += x * (li - ux) * (lj - uy);
            energy += x * x;
            let independent = px[i] * py[j];
            let log = if symmetric && j < i { logs[j * n + i] } else { (independent + EPS).log2() };
            logs[i * n + j] = log;
            hxy1 -= x * log;
            hxy2 -= independent * log;
            // NumPy's amax propagates NaN.
            maximum = if x.is_nan() || maximum.is_nan() { f64::NAN } else { maximum.max(x) };
        }
    }
    let hxy = entropy(p);
    let (hx, hy) = (entropy(&px), entropy(&py));
    let k_diff = |k: usize| k as f64;
    let difference_average: f64 = diff_k.iter().enumerate().map(|(k, &d)| k_diff(k) * d).sum();

    f[0] = autocorrelation;
    f[1] = prominence;
    f[2] = shade;
    f[3] = tendency;
    f[4] = contrast;
    let (sigma_x, sigma_y) = (var_x.sqrt(), var_y.sqrt());
    f[5] = if sigma_x * sigma_y == 0.0 { 1.0 } else { covariance / (sigma_x * sigma_y + EPS) };
    f[6] = difference_average;
    f[7] = entropy(&diff_k);
    f[8] = diff_k.iter().enumerate().map(|(k, &d)| (k_diff(k) - difference_average).powi(2) * d).sum();
    f[9] = diff_k.iter().enumerate().map(|(k, &d)| d / (1.0 + k_diff(k))).sum();
    f[10] = diff_k.iter().enumerate().map(|(k, &d)| d / (1.0 + k_diff(k).powi(2))).sum();
    f[11] = diff_k.iter().enumerate().map(|(k, &d)| d / (1.0 + k_diff(k).powi(2) / (ng_f * ng_f))).sum();
    f[12] = diff_k.iter().enumerate().map(|(k, &d)| d / (1.0 + k_diff(k) / ng_f)).sum();
    // NumPy's fmax ignores a NaN operand; a NaN maximum still fails `!= 0` and divides.
    let divisor = hx.max(hy);
    f[13] = if divisor == 0.0 { 0.0 } else { (hxy - hxy1) / divisor };
    // A (rounding) negative radicand gives NaN, which nanmean skips, as in PyRadiomics.
    f[14] = if hxy2 == hxy { 0.0 } else { (1.0 - E.powf(-2.0 * (hxy2 - hxy))).sqrt() };
    f[15] = diff_k.iter().enumerate().skip(1).map(|(k, &d)| d / k_diff(k).powi(2)).sum();
    f[16] = ux;
    f[17] = energy;
    f[18] = hxy;
    f[19] = f64::NAN;
    f[20] = maximum;
    f[21] = sum_k.iter().enumerate().map(|(k, &s)| (k + 2) as f64 * s).sum();
    f[22] = entropy(&sum_k);
    f[23] = var_x;
    f
}

/// Maximal correlation coefficient averaged over the matrices, as PyRadiomics: 1 with a single
/// grey level; otherwise √λ₂ per matrix (λ₂ the second largest eigenvalue of Q, ordered as
/// NumPy sorts: by real part when any eigenvalue of any matrix is complex), `nanmean`, real part.
///
/// NumPy gets λ₂ from `eigvals(Q)`. Q is not symmetric, but with D = diag(p_x) the similar
/// matrix S = D^½·Q·D^-½ is symmetric up to the ε in Q's denominators:
///
/// ```text
/// S(i,j) = Σ_k p(i,k)·p(j,k)·√(p_x(i)/p_x(j)) / (p_x(i)·p_y(k) + ε)
///        = Σ_k p(i,k)·p(j,k) / (√(p_x(i)·p_x(j))·p_y(k))·(1 − O(ε/(p_x(i)·p_y(k))))
/// ```
///
/// Writing S = A + K with A = (S + Sᵀ)/2 and K = (S − Sᵀ)/2 skew-symmetric, a simple eigenvalue
/// of A moves by uᵀ·K·u = 0 to first order and by at most ‖K‖²/gap in all. So λ₂ comes from the
/// symmetric problem on A when ‖K‖_F²/gap ≤ 10⁻¹² λ₂ (and ‖K‖_F ≤ gap/4, λ₂ > 0); otherwise from
/// the general solver on Q, formed as NumPy forms it. The symmetric problem needs neither Q (S is
/// a product of two scaled copies of p, see [`symmetric_second_largest`]) nor the whole spectrum
/// (only λ₁, λ₂ and λ₃ for the gap, by bisection).
///
/// A double λ₂ = λ₃ (gap 0) goes to the general solver unless K = 0: there K's first-order effect is
/// the eigenvalues of a skew 2×2 block, imaginary, and whether NumPy's λ₂ is complex decides the
/// dtype of the whole result.
fn mcc(m: &Glcm) -> f64 {
    let n = m.size();
    if n == 0 {
        return f64::NAN;
    }
    if n < 2 {
        return 1.0;
    }
    let mut second = Vec::with_capacity(m.angles);
    let mut complex = false;
    let mut all_general = true;
    let mut negative = false;
    for a in 0..m.angles {
        let value = match symmetric_second_largest(m.matrix(a), n) {
            Some(value) => {
                all_general = false;
                (value, 0.0)
            }
            None => {
                let Some(values) = second_largest(&mcc_matrix(m.matrix(a), n), n, &mut complex) else {
                    return f64::NAN;
                };
                values
            }
        };
        negative |= value.1 == 0.0 && value.0 < 0.0;
        second.push(value);
    }
    if negative && !complex && !all_general {
        // Whether √λ₂ of a negative λ₂ is NaN or 0 depends on NumPy's dtype, i.e. on whether any
        // eigenvalue of any matrix is complex; only the general solver knows.
        second.clear();
        for a in 0..m.angles {
            let Some(values) = second_largest(&mcc_matrix(m.matrix(a), n), n, &mut complex) else {
                return f64::NAN;
            };
            second.push(values);
        }
    }
    nan_mean(second.into_iter().map(|(re, im)| if complex { complex_sqrt(re, im).0 } else { re.sqrt() }))
}

/// p_x and p_y of one matrix (row and column sums, added in index order as NumPy adds them).
fn marginals(p: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let px: Vec<f64> = (0..n).map(|i| p[i * n..(i + 1) * n].iter().sum()).collect();
    let py: Vec<f64> = (0..n).map(|j| (0..n).map(|i| p[i * n + j]).sum()).collect();
    (px, py)
}

/// Q of one matrix, row-major: `Q(i,j) = Σ_k p(i,k)·p(j,k)/(p_x(i)·p_y(k) + ε)`, the terms added
/// for k ascending, as NumPy adds them.
fn mcc_matrix(p: &[f64], n: usize) -> Vec<f64> {
    let (px, py) = marginals(p, n);
    // Pairs with p(i,k) = 0 or p(j,k) = 0 add exactly 0 and are skipped.
    let mut q = vec![0.0; n * n];
    let mut nonzero = Vec::with_capacity(n);
    for k in 0..n {
        nonzero.clear();
        nonzero.extend((0..n).filter(|&i| p[i * n + k] != 0.0));
        for &i in &nonzero {
            let denominator = px[i] * py[k] + EPS;
            for &j in &nonzero {
                q[i * n + j] += p[i * n + k] * p[j * n + k] / denominator;
            }
        }
    }
    q
}

/// λ₂ of Q from the symmetric part of S = D^½·Q·D^-½ (see [`mcc`]) of the matrix `p`; `None`
/// when the skew part could move it by more than 10⁻¹² relative, when λ₂ ≤ 0 or when `p` is not
/// finite.
///
/// S is formed without Q, as the product S = L·Rᵀ of
///
/// ```text
/// L(i,k) = p(i,k)·√p_x(i) / (p_x(i)·p_y(k) + ε)      R(j,k) = p(j,k) / √p_x(j)
/// ```
///
/// which equals D^½·Q·D^-½ term by term in exact arithmetic, ε included: n divisions per column
/// k instead of one per term of Q and two per entry of the similarity. Rounding differs from
/// NumPy's Q in the last bits of each entry, a perturbation of a few ulps of ‖S‖.
///
/// A level without co-occurrences (p_x = 0) has a zero row and column in Q: an exact eigenvalue
/// 0 (LAPACK's balancing isolates it too), left out of the symmetric problem.
fn symmetric_second_largest(p: &[f64], n: usize) -> Option<f64> {
    /// Bound on the skew part's effect on λ₂, relative to λ₂.
    const SKEW_TOLERANCE: f64 = 1e-12;
    let (px, py) = marginals(p, n);
    if px.iter().chain(&py).any(|x| !x.is_finite()) {
        return None;
    }
    let mut position = vec![usize::MAX; n];
    let mut root = Vec::with_capacity(n);
    for i in (0..n).filter(|&i| px[i] > 0.0) {
        position[i] = root.len();
        root.push(px[i].sqrt());
    }
    let size = root.len();
    if size < 2 {
        return None;
    }
    let mut s = vec![0.0; size * size];
    // (position, L(i,k), R(i,k)) of the rows with p(i,k) ≠ 0: the other terms are exactly 0.
    let mut column: Vec<(usize, f64, f64)> = Vec::with_capacity(size);
    // R(·,k) from the first to the last of those positions, zeros between: a GLCM's nonzeros
    // gather near the diagonal, and a contiguous band updates a row in one vectorised pass.
    // Adding L·0 = +0 to a sum of non-negative terms leaves it unchanged, so both ways agree.
    let mut band = vec![0.0; size];
    for k in 0..n {
        column.clear();
        column.extend((0..n).filter(|&i| p[i * n + k] != 0.0).map(|i| {
            let (r, x) = (position[i], p[i * n + k]);
            (r, x * root[r] / (px[i] * py[k] + EPS), x / root[r])
        }));
        let (Some(&(first, ..)), Some(&(last, ..))) = (column.first(), column.last()) else {
            continue;
        };
        if last - first < 2 * column.len() {
            let band = &mut band[..=last - first];
            band.fill(0.0);
            for &(c, _, right) in &column {
                band[c - first] = right;
            }
            for &(r, left, _) in &column {
                let row = &mut s[r * size + first..=r * size + last];
                for (x, right) in row.iter_mut().zip(band.iter()) {
                    *x += left * right;
                }
            }
        } else {
            for &(r, left, _) in &column {
                let row = &mut s[r * size..(r + 1) * size];
                for &(c, _, right) in &column {
                    row[c] += left * right;
                }
            }
        }
    }
    let mut symmetric = vec![0.0; size * size];
    let mut skew_squared = 0.0;
    for r in 0..size {
        for c in 0..=r {
            let (lower, upper) = (s[r * size + c], s[c * size + r]);
            symmetric[r * size + c] = 0.5 * (lower + upper);
            skew_squared += 2.0 * (0.5 * (lower - upper)).powi(2);
        }
    }
    let values = eigen::symmetric_largest_eigenvalues(&symmetric, size, 3)?;
    let top = values.len() - 1;
    let second = values[top - 1];
    let above = values[top] - second;
    let below = if top >= 2 { second - values[top - 2] } else { f64::INFINITY };
    let gap = above.min(below);
    let safe =
        second > 0.0 && 16.0 * skew_squared <= gap * gap && skew_squared <= SKEW_TOLERANCE * second * gap;
    safe.then_some(second)
}

/// The second largest eigenvalue of Q by NumPy's order (real part, then imaginary part) from the
/// general solver; sets `complex` when any eigenvalue is complex. `None` when the solver fails.
fn second_largest(q: &[f64], n: usize, complex: &mut bool) -> Option<Eigenvalue> {
    // numpy.linalg.eigvals raises where this fails; PyRadiomics reports the feature as NaN.
    let mut values = eigen::eigenvalues(q, n)?;
    *complex |= values.iter().any(|&(_, im)| im != 0.0);
    values.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
    Some(values[n - 2])
}

/// Principal square root of `re + i·im`, as `(real, imaginary)`.
fn complex_sqrt(re: f64, im: f64) -> (f64, f64) {
    let modulus = re.hypot(im);
    let real = ((modulus + re) / 2.0).sqrt();
    let imaginary = ((modulus - re) / 2.0).sqrt().copysign(im);
    (real, imaginary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radiomics::features::testutil::{assert_pyradiomics_order, value};

    #[test]
    fn names_are_in_pyradiomics_order() {
        assert_pyradiomics_order(&NAMES, 24);
        assert_eq!((NAMES[JOINT_AVERAGE], NAMES[MCC]), ("JointAverage", "MCC"));
    }

    #[test]
    fn hand_computed_two_level_matrix() {
        // Row [1, 2, 2] along i, one angle after weighting (no_weighting), symmetric counts:
        // (1,2), (2,2) + transposes → [[0, 1], [1, 2]] / 4.
        let g = GreyLevels::new([3, 1, 1], vec![1, 2, 2]);
        let s = TextureSettings {
            weighting_norm: Some(crate::radiomics::WeightingNorm::NoWeighting),
            ..TextureSettings::default()
        };
        let f = glcm_features(&g, &s).unwrap();
        // p_x = p_y = (0.25, 0.75), μ_x = 1·0.25 + 2·0.75 = 1.75.
        assert_eq!(value(&f, "JointAverage"), 1.75);
        assert_eq!(value(&f, "Autocorrelation"), 2.0 * 0.25 * 2.0 + 4.0 * 0.5);
        assert_eq!(value(&f, "Contrast"), 0.5);
        assert_eq!(value(&f, "JointEnergy"), 0.25 * 0.25 * 2.0 + 0.25);
        assert_eq!(value(&f, "MaximumProbability"), 0.5);
        assert_eq!(value(&f, "SumAverage"), 3.5);
        assert_eq!(value(&f, "DifferenceAverage"), 0.5);
        assert_eq!(value(&f, "InverseVariance"), 0.5);
        assert_eq!(value(&f, "SumSquares"), 0.25 * 0.75 * 0.75 + 0.75 * 0.25 * 0.25);
        // Q is 2×2 and row-stochastic, so its eigenvalues are 1 and Q₁₁ + Q₂₂ − 1, with
        // Q₁₁ = 0.25²/(0.25·0.75) and Q₂₂ = 0.25²/(0.75·0.25) + 0.5²/(0.75·0.75).
        let q11: f64 = 0.0625 / 0.1875;
        let q22 = 0.0625 / 0.1875 + 0.25 / 0.5625;
        assert!((value(&f, "MCC") - (q11 + q22 - 1.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn no_matrix_gives_nan_and_one_grey_level_gives_mcc_one() {
        let g = GreyLevels::new([1, 1, 1], vec![3]);
        let f = glcm_features(&g, &TextureSettings::default()).unwrap();
        assert!(f.iter().filter(|(n, _)| *n != "MCC").all(|(_, v)| v.is_nan()));
        assert_eq!(value(&f, "MCC"), 1.0);
    }

    /// A one-angle [`Glcm`] from counts, normalised as PyRadiomics normalises them.
    fn one_matrix(counts: &[f64], n: usize) -> Glcm {
        let total: f64 = counts.iter().sum();
        Glcm {
            levels: (1..=n as u32).collect(),
            max_level: n as u32,
            angles: 1,
            p: counts.iter().map(|c| c / total).collect(),
        }
    }

    #[test]
    fn prostate_phantom_label_1_bin_width_10_mcc_is_not_nan() {
        // Regression: prostate phantom, label 1, binWidth 10, original image, the second of six
        // GLCMs: 51 levels, 30 symmetric pairs counted once each way. Its Q has about a dozen
        // eigenvalues within 2·10⁻¹³ of 1 (groups of levels that never meet). The former solver
        // formed the first column of (H − μ₁I)(H − μ₂I) from the shifts' sum and product, lost it
        // to cancellation, did not converge, and MCC came out NaN (PyRadiomics:
        // original_glcm_MCC = 0.9999999999995479 over the six angles). Expected values:
        // numpy.linalg.eigvals, printed by tests/oracle/glcm_mcc_q.py.
        const PAIRS: [(usize, usize); 30] = [
            (0, 8),
            (0, 9),
            (0, 17),
            (0, 18),
            (1, 7),
            (1, 20),
            (2, 12),
            (2, 19),
            (4, 10),
            (4, 29),
            (5, 32),
            (6, 21),
            (6, 23),
            (7, 49),
            (8, 13),
            (8, 45),
            (8, 48),
            (10, 19),
            (11, 26),
            (11, 34),
            (11, 36),
            (15, 36),
            (20, 25),
            (21, 23),
            (23, 49),
            (24, 32),
            (27, 40),
            (28, 32),
            (30, 37),
            (35, 37),
        ];
        const NUMPY_LARGEST: f64 = 0.9999999999998229;
        const NUMPY_SECOND: f64 = 0.9999999999998216;
        const NUMPY_MCC: f64 = 0.9999999999999107;
        let n = 51;
        let mut counts = vec![0.0; n * n];
        for (i, j) in PAIRS {
            counts[i * n + j] = 1.0;
            counts[j * n + i] = 1.0;
        }
        let m = one_matrix(&counts, n);
        let q = mcc_matrix(m.matrix(0), n);
        let mut values = eigen::eigenvalues(&q, n).expect("the QR iteration converges");
        values.sort_by(|x, y| x.0.total_cmp(&y.0));
        assert!((values[n - 1].0 - NUMPY_LARGEST).abs() < 1e-12, "{:?}", values[n - 1]);
        assert!((values[n - 2].0 - NUMPY_SECOND).abs() < 1e-12, "{:?}", values[n - 2]);
        // λ₁ and λ₂ are too close for the symmetric shortcut's error bound: the general solver
        // decides.
        assert_eq!(symmetric_second_largest(m.matrix(0), n), None);
        assert!((mcc(&m) - NUMPY_MCC).abs() < 1e-12, "{}", mcc(&m));
    }

    #[test]
    fn asymmetric_matrix_with_an_empty_row_takes_the_symmetric_shortcut() {
        // Level 3 is never the reference voxel (p_x = 0): its zero row and column in Q are left
        // out of the symmetric problem. Expected: numpy.linalg.eigvals via
        // tests/oracle/glcm_mcc_q.py (λ₂ = 0.4535279033427751).
        const NUMPY_SECOND: f64 = 0.4535279033427751;
        const NUMPY_MCC: f64 = 0.6734448034863548;
        let counts = [3.0, 1.0, 0.0, 2.0, 1.0, 4.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 1.0, 5.0];
        let m = one_matrix(&counts, 4);
        let second = symmetric_second_largest(m.matrix(0), 4).expect("well separated eigenvalues");
        assert!((second - NUMPY_SECOND).abs() < 1e-14 * NUMPY_SECOND, "{second}");
        assert!((mcc(&m) - NUMPY_MCC).abs() < 1e-14, "{}", mcc(&m));
    }
}
