//! The 16 default GLRLM features of PyRadiomics 3.x (`RadiomicsGLRLM`), IBSI 2.3.3.
//!
//! Each feature is computed on every matrix of a [`Glrlm`] and averaged over the matrices with
//! `nanmean` (a matrix without runs gives NaN and is skipped; none at all gives NaN). With
//! P(i, j) the run counts of one matrix, i the grey levels present, j the run lengths (voxels)
//! that occur, N_r = Σ P(i,j) the number of runs, N_p = Σ j·P(i,j) the voxels in runs,
//! p_g(i) = Σ_j P(i,j), p_r(j) = Σ_i P(i,j), p = P/N_r, ε = 2.2·10⁻¹⁶ (the sums are those of the
//! private module `emphasis`, shared with the GLSZM and GLDM):
//!
//! ```text
//! GrayLevelNonUniformity             Σ p_g² / N_r
//! GrayLevelNonUniformityNormalized   Σ p_g² / N_r²
//! GrayLevelVariance                  Σ p_g/N_r·(i − μ)²,  μ = Σ p_g/N_r·i
//! HighGrayLevelRunEmphasis           Σ p_g·i² / N_r
//! LongRunEmphasis                    Σ p_r·j² / N_r
//! LongRunHighGrayLevelEmphasis       Σ P·i²·j² / N_r
//! LongRunLowGrayLevelEmphasis        Σ P·j²/i² / N_r
//! LowGrayLevelRunEmphasis            Σ p_g/i² / N_r
//! RunEntropy                         −Σ p log₂(p + ε)
//! RunLengthNonUniformity             Σ p_r² / N_r
//! RunLengthNonUniformityNormalized   Σ p_r² / N_r²
//! RunPercentage                      N_r / N_p
//! RunVariance                        Σ p_r/N_r·(j − μ)²,  μ = Σ p_r/N_r·j
//! ShortRunEmphasis                   Σ p_r/j² / N_r
//! ShortRunHighGrayLevelEmphasis      Σ P·i²/j² / N_r
//! ShortRunLowGrayLevelEmphasis       Σ P/(i²·j²) / N_r
//! ```

use super::average::nan_mean_per_feature;
use super::emphasis::Emphasis;
use crate::radiomics::matrices::angles::AngleError;
use crate::radiomics::matrices::glrlm::Glrlm;
use crate::radiomics::{GreyLevels, TextureSettings};

/// Feature names in PyRadiomics' order (alphabetical, by byte).
pub const NAMES: [&str; 16] = [
    "GrayLevelNonUniformity",
    "GrayLevelNonUniformityNormalized",
    "GrayLevelVariance",
    "HighGrayLevelRunEmphasis",
    "LongRunEmphasis",
    "LongRunHighGrayLevelEmphasis",
    "LongRunLowGrayLevelEmphasis",
    "LowGrayLevelRunEmphasis",
    "RunEntropy",
    "RunLengthNonUniformity",
    "RunLengthNonUniformityNormalized",
    "RunPercentage",
    "RunVariance",
    "ShortRunEmphasis",
    "ShortRunHighGrayLevelEmphasis",
    "ShortRunLowGrayLevelEmphasis",
];

/// The GLRLM features of a region, named without prefix, in [`NAMES`] order.
pub fn glrlm_features(g: &GreyLevels, s: &TextureSettings) -> Result<Vec<(&'static str, f64)>, AngleError> {
    Ok(features(&Glrlm::build(g, s)?))
}

/// The GLRLM features of built matrices, in [`NAMES`] order.
pub fn features(m: &Glrlm) -> Vec<(&'static str, f64)> {
    let per_matrix: Vec<[f64; 16]> = (0..m.angles).map(|a| matrix_features(m, a)).collect();
    nan_mean_per_feature(&NAMES, &per_matrix)
}

/// All features of matrix `a`, in [`NAMES`] order.
fn matrix_features(m: &Glrlm, a: usize) -> [f64; 16] {
    let p = m.matrix(a);
    // PyRadiomics sets N_r = NaN for a matrix without runs, which makes every feature NaN.
    if p.iter().all(|&x| x == 0.0) {
        return [f64::NAN; 16];
    }
    let e = Emphasis::of(&m.levels, &m.run_lengths, p);
    [
        e.grey_non_uniformity,
        e.grey_non_uniformity_normalized,
        e.grey_variance,
        e.high_grey,
        e.large,
        e.large_high,
        e.large_low,
        e.low_grey,
        e.entropy,
        e.size_non_uniformity,
        e.size_non_uniformity_normalized,
        e.total / e.size_total,
        e.size_variance,
        e.small,
        e.small_high,
        e.small_low,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radiomics::features::testutil::{assert_pyradiomics_order, value};

    #[test]
    fn names_are_in_pyradiomics_order() {
        assert_pyradiomics_order(&NAMES, 16);
    }

    #[test]
    fn hand_computed_single_row() {
        // Row [1, 1, 2] along i in a 3×1×1 box: only the offset (i+1) has a line with two
        // region voxels; along it runs are (1, length 2) and (2, length 1): N_r = 2, N_p = 3.
        let g = GreyLevels::new([3, 1, 1], vec![1, 1, 2]);
        let f = glrlm_features(&g, &TextureSettings::default()).unwrap();
        assert_eq!(value(&f, "RunPercentage"), 2.0 / 3.0);
        assert_eq!(value(&f, "ShortRunEmphasis"), (1.0 / 4.0 + 1.0) / 2.0);
        assert_eq!(value(&f, "LongRunEmphasis"), (4.0 + 1.0) / 2.0);
        assert_eq!(value(&f, "GrayLevelNonUniformity"), 1.0);
        assert_eq!(value(&f, "RunLengthNonUniformityNormalized"), 0.5);
        assert_eq!(value(&f, "HighGrayLevelRunEmphasis"), (1.0 + 4.0) / 2.0);
        assert_eq!(value(&f, "LongRunLowGrayLevelEmphasis"), (4.0 + 1.0 / 4.0) / 2.0);
        assert_eq!(value(&f, "GrayLevelVariance"), 0.25);
        assert_eq!(value(&f, "RunEntropy"), -(0.5 * (0.5 + f64::EPSILON).log2()) * 2.0);
    }

    #[test]
    fn a_region_without_runs_gives_nan() {
        let g = GreyLevels::new([1, 1, 1], vec![2]);
        let f = glrlm_features(&g, &TextureSettings::default()).unwrap();
        assert!(f.iter().all(|(_, v)| v.is_nan()));
    }
}
