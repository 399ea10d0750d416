//! The 14 default-enabled GLDM features of PyRadiomics 3.x (`RadiomicsGLDM`), from the matrix of
//! [`crate::radiomics::matrices::gldm`]; IBSI "neighbouring grey level dependence based features"
//! (IBSI 1, section 3.11, family `REK0`). Names are PyRadiomics' without the `original_gldm_`
//! prefix. PyRadiomics' deprecated GrayLevelNonUniformityNormalized and DependencePercentage are
//! not default-enabled and not computed.
//!
//! With `P(i, j)` the voxels of grey level `i` and dependence size `j`, and `N_z` the voxels of the
//! region (the shared sums are in the private module `emphasis`):
//!
//! ```text
//! DependenceEntropy                         −Σ p log₂(p + ε)          IBSI FCBV
//! DependenceNonUniformity                   Σ_j (Σ_i P)² / N_z        IBSI Z87G
//! DependenceNonUniformityNormalized         Σ_j (Σ_i P)² / N_z²       IBSI OKJI
//! DependenceVariance                        Σ_j p_d(j) (j − μ)²       IBSI DNX2
//! GrayLevelNonUniformity                    Σ_i (Σ_j P)² / N_z        IBSI FP8K
//! GrayLevelVariance                         Σ_i p_g(i) (i − μ)²       IBSI 1PFV
//! HighGrayLevelEmphasis                     Σ P i² / N_z              IBSI OAE7
//! LargeDependenceEmphasis                   Σ P j² / N_z              IBSI IMOQ
//! LargeDependenceHighGrayLevelEmphasis      Σ P i² j² / N_z           IBSI 9QMG
//! LargeDependenceLowGrayLevelEmphasis       Σ P j² / i² / N_z         IBSI NBZI
//! LowGrayLevelEmphasis                      Σ P / i² / N_z            IBSI TL9H
//! SmallDependenceEmphasis                   Σ P / j² / N_z            IBSI SODN
//! SmallDependenceHighGrayLevelEmphasis      Σ P i² / j² / N_z         IBSI JA6D
//! SmallDependenceLowGrayLevelEmphasis       Σ P / (i² j²) / N_z       IBSI EQ3F
//! ```
//! All are dimensionless. A region of one grey level gives GrayLevelVariance 0.

use super::emphasis::Emphasis;
use crate::radiomics::matrices::angles::AngleError;
use crate::radiomics::matrices::gldm::{gldm, Gldm};
use crate::radiomics::roi::GreyLevels;
use crate::radiomics::texture::TextureSettings;

/// Builds the GLDM of the region and computes its features, in alphabetical order; bad
/// texture settings (distances, force-2D axis) are errors.
pub fn gldm_features(g: &GreyLevels, s: &TextureSettings) -> Result<Vec<(&'static str, f64)>, AngleError> {
    Ok(from_matrix(&gldm(g, s)?))
}

/// The GLDM features of a matrix, in alphabetical order.
pub fn from_matrix(m: &Gldm) -> Vec<(&'static str, f64)> {
    let e = Emphasis::of(&m.grey_levels, &m.dependence_sizes, &m.counts);
    vec![
        ("DependenceEntropy", e.entropy),
        ("DependenceNonUniformity", e.size_non_uniformity),
        ("DependenceNonUniformityNormalized", e.size_non_uniformity_normalized),
        ("DependenceVariance", e.size_variance),
        ("GrayLevelNonUniformity", e.grey_non_uniformity),
        ("GrayLevelVariance", e.grey_variance),
        ("HighGrayLevelEmphasis", e.high_grey),
        ("LargeDependenceEmphasis", e.large),
        ("LargeDependenceHighGrayLevelEmphasis", e.large_high),
        ("LargeDependenceLowGrayLevelEmphasis", e.large_low),
        ("LowGrayLevelEmphasis", e.low_grey),
        ("SmallDependenceEmphasis", e.small),
        ("SmallDependenceHighGrayLevelEmphasis", e.small_high),
        ("SmallDependenceLowGrayLevelEmphasis", e.small_low),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radiomics::features::testutil::assert_pyradiomics_order;

    #[test]
    fn fourteen_features_in_alphabetical_order() {
        let g = GreyLevels::new([2, 1, 1], vec![1, 2]);
        let names: Vec<&str> =
            gldm_features(&g, &TextureSettings::default()).unwrap().iter().map(|f| f.0).collect();
        assert_pyradiomics_order(&names, 14);
    }

    /// A flat 3×1×1 row of level 2: dependence sizes 2, 3, 2 (the ends have one neighbour).
    #[test]
    fn flat_row() {
        let g = GreyLevels::new([3, 1, 1], vec![2, 2, 2]);
        let f: std::collections::HashMap<_, _> =
            gldm_features(&g, &TextureSettings::default()).unwrap().into_iter().collect();
        assert_eq!(f["GrayLevelVariance"], 0.0);
        assert_eq!(f["GrayLevelNonUniformity"], 3.0);
        assert!((f["LargeDependenceEmphasis"] - (4.0 + 9.0 + 4.0) / 3.0).abs() < 1e-15);
        assert!((f["DependenceNonUniformityNormalized"] - 5.0 / 9.0).abs() < 1e-15);
    }
}
