//! The 16 default-enabled GLSZM features of PyRadiomics 3.x (`RadiomicsGLSZM`), from the matrix
//! of [`crate::radiomics::matrices::glszm`]; IBSI "grey level size zone based features" (IBSI 1,
//! section 3.8, family `9SAK`). Names are PyRadiomics' without the `original_glszm_` prefix.
//!
//! With `P(i, j)` the zones of grey level `i` and size `j`, `N_z` the number of zones and `N_p`
//! the voxels of the region (the shared sums are in the private module `emphasis`):
//!
//! ```text
//! GrayLevelNonUniformity            Σ_i (Σ_j P)² / N_z                     IBSI JNSA
//! GrayLevelNonUniformityNormalized  Σ_i (Σ_j P)² / N_z²                    IBSI Y1RO
//! GrayLevelVariance                 Σ_i p_g(i) (i − μ)²                    IBSI BYLV
//! HighGrayLevelZoneEmphasis         Σ P i² / N_z                           IBSI 5GN9
//! LargeAreaEmphasis                 Σ P j² / N_z                           IBSI 48P8
//! LargeAreaHighGrayLevelEmphasis    Σ P i² j² / N_z                        IBSI J17V
//! LargeAreaLowGrayLevelEmphasis     Σ P j² / i² / N_z                      IBSI YH51
//! LowGrayLevelZoneEmphasis          Σ P / i² / N_z                         IBSI XMSY
//! SizeZoneNonUniformity             Σ_j (Σ_i P)² / N_z                     IBSI 4JP3
//! SizeZoneNonUniformityNormalized   Σ_j (Σ_i P)² / N_z²                    IBSI VB3A
//! SmallAreaEmphasis                 Σ P / j² / N_z                         IBSI 5QRC
//! SmallAreaHighGrayLevelEmphasis    Σ P i² / j² / N_z                      IBSI HW1V
//! SmallAreaLowGrayLevelEmphasis     Σ P / (i² j²) / N_z                    IBSI 5RAI
//! ZoneEntropy                       −Σ p log₂(p + ε)                       IBSI GU8N
//! ZonePercentage                    N_z / N_p                              IBSI P30P
//! ZoneVariance                      Σ_j p_s(j) (j − μ)²                    IBSI 3NSA
//! ```
//! All are dimensionless. A region of one grey level gives GrayLevelVariance 0; one zone gives
//! ZoneVariance 0 and ZoneEntropy ≈ 0 (−log₂(1 + ε)), as in PyRadiomics.

use super::emphasis::Emphasis;
use crate::radiomics::matrices::angles::AngleError;
use crate::radiomics::matrices::glszm::{glszm, Glszm};
use crate::radiomics::roi::GreyLevels;
use crate::radiomics::texture::TextureSettings;

/// Builds the GLSZM of the region and computes its features, in alphabetical order; bad
/// texture settings (distances, force-2D axis) are errors.
pub fn glszm_features(g: &GreyLevels, s: &TextureSettings) -> Result<Vec<(&'static str, f64)>, AngleError> {
    Ok(from_matrix(&glszm(g, s)?))
}

/// The GLSZM features of a matrix, in alphabetical order.
pub fn from_matrix(m: &Glszm) -> Vec<(&'static str, f64)> {
    let e = Emphasis::of(&m.grey_levels, &m.zone_sizes, &m.counts);
    let voxels = if m.voxel_count == 0 { 1.0 } else { m.voxel_count as f64 };
    vec![
        ("GrayLevelNonUniformity", e.grey_non_uniformity),
        ("GrayLevelNonUniformityNormalized", e.grey_non_uniformity_normalized),
        ("GrayLevelVariance", e.grey_variance),
        ("HighGrayLevelZoneEmphasis", e.high_grey),
        ("LargeAreaEmphasis", e.large),
        ("LargeAreaHighGrayLevelEmphasis", e.large_high),
        ("LargeAreaLowGrayLevelEmphasis", e.large_low),
        ("LowGrayLevelZoneEmphasis", e.low_grey),
        ("SizeZoneNonUniformity", e.size_non_uniformity),
        ("SizeZoneNonUniformityNormalized", e.size_non_uniformity_normalized),
        ("SmallAreaEmphasis", e.small),
        ("SmallAreaHighGrayLevelEmphasis", e.small_high),
        ("SmallAreaLowGrayLevelEmphasis", e.small_low),
        ("ZoneEntropy", e.entropy),
        ("ZonePercentage", e.total / voxels),
        ("ZoneVariance", e.size_variance),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radiomics::features::testutil::assert_pyradiomics_order;

    #[test]
    fn sixteen_features_in_alphabetical_order() {
        let g = GreyLevels::new([2, 1, 1], vec![1, 2]);
        let names: Vec<&str> =
            glszm_features(&g, &TextureSettings::default()).unwrap().iter().map(|f| f.0).collect();
        assert_pyradiomics_order(&names, 16);
    }

    /// One zone of 8 voxels of grey level 3 (a 2×2×2 cube): every sum has one term.
    #[test]
    fn single_zone() {
        let g = GreyLevels::new([2, 2, 2], vec![3; 8]);
        let f: std::collections::HashMap<_, _> =
            glszm_features(&g, &TextureSettings::default()).unwrap().into_iter().collect();
        assert_eq!(f["ZonePercentage"], 1.0 / 8.0);
        assert_eq!(f["LargeAreaEmphasis"], 64.0);
        assert_eq!(f["SmallAreaLowGrayLevelEmphasis"], 1.0 / (9.0 * 64.0));
        assert_eq!(f["GrayLevelVariance"], 0.0);
        assert_eq!(f["ZoneVariance"], 0.0);
        assert_eq!(f["GrayLevelNonUniformityNormalized"], 1.0);
        assert!(f["ZoneEntropy"].abs() < 1e-15);
    }
}
