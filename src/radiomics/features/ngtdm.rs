//! The 5 NGTDM features of PyRadiomics 3.x (`RadiomicsNGTDM`), from the matrix of
//! [`crate::radiomics::matrices::ngtdm`]; IBSI "neighbourhood grey tone difference based features"
//! (IBSI 1, section 3.10, family `IPET`), Amadasun & King 1989. Names are PyRadiomics' without the
//! `original_ngtdm_` prefix.
//!
//! With `n_i` the voxels of grey level `i`, `N_vp = Σ n_i`, `p_i = n_i / N_vp`, `s_i` the summed
//! absolute differences from the neighbourhood mean, `N_gp` the number of grey levels present,
//! and all sums over present grey levels:
//!
//! ```text
//! Busyness    Σ p_i s_i / Σ_i Σ_j |i p_i − j p_j|                          IBSI NQ30
//! Coarseness  1 / Σ p_i s_i                                                IBSI QCDE
//! Complexity  Σ_i Σ_j |i − j| (p_i s_i + p_j s_j) / (p_i + p_j) / N_vp     IBSI HDEZ
//! Contrast    Σ_i Σ_j p_i p_j (i − j)² · Σ s_i / N_vp / (N_gp (N_gp − 1))  IBSI 65HE
//! Strength    Σ_i Σ_j (p_i + p_j)(i − j)² / Σ s_i                          IBSI 1X9X
//! ```
//! All are dimensionless. PyRadiomics' special values when a denominator is 0 (a flat region):
//! Coarseness 10⁶, Busyness 0, Contrast 0 (also for one grey level), Strength 0.

use crate::radiomics::matrices::angles::AngleError;
use crate::radiomics::matrices::ngtdm::{ngtdm, Ngtdm};
use crate::radiomics::roi::GreyLevels;
use crate::radiomics::texture::TextureSettings;

/// Coarseness PyRadiomics reports when `Σ p_i s_i` is 0 (no grey tone differences at all).
pub const COARSENESS_WITHOUT_DIFFERENCES: f64 = 1e6;

/// Builds the NGTDM of the region and computes its features, in alphabetical order; bad
/// texture settings (distances, force-2D axis) are errors.
pub fn ngtdm_features(g: &GreyLevels, s: &TextureSettings) -> Result<Vec<(&'static str, f64)>, AngleError> {
    Ok(from_matrix(&ngtdm(g, s)?))
}

/// The NGTDM features of a matrix, in alphabetical order.
pub fn from_matrix(m: &Ngtdm) -> Vec<(&'static str, f64)> {
    let voxels: f64 = m.counts.iter().sum();
    let p: Vec<f64> = m.counts.iter().map(|&n| n / voxels).collect();
    let s = &m.differences;
    let i: Vec<f64> = m.grey_levels.iter().map(|&level| f64::from(level)).collect();
    let levels = p.iter().filter(|&&pi| pi > 0.0).count() as f64;
    let sum_s: f64 = s.iter().sum();
    let sum_ps: f64 = p.iter().zip(s).map(|(pi, si)| pi * si).sum();

    // The double sums over pairs of grey levels (a, b), including a = b (which adds 0).
    let (mut contrast_pairs, mut busyness_pairs, mut complexity, mut strength) = (0.0, 0.0, 0.0, 0.0);
    for a in 0..p.len() {
        for b in 0..p.len() {
            let squared = (i[a] - i[b]).powi(2);
            contrast_pairs += p[a] * p[b] * squared;
            busyness_pairs += (i[a] * p[a] - i[b] * p[b]).abs();
            complexity += (i[a] - i[b]).abs() * (p[a] * s[a] + p[b] * s[b]) / (p[a] + p[b]);
            strength += (p[a] + p[b]) * squared;
        }
    }

    let pairs = levels * (levels - 1.0);
    let coarseness = if sum_ps != 0.0 { 1.0 / sum_ps } else { COARSENESS_WITHOUT_DIFFERENCES };
    let contrast = if pairs != 0.0 { contrast_pairs * sum_s / voxels / pairs } else { 0.0 };
    let busyness = if busyness_pairs != 0.0 { sum_ps / busyness_pairs } else { 0.0 };
    let strength = if sum_s != 0.0 { strength / sum_s } else { 0.0 };
    vec![
        ("Busyness", busyness),
        ("Coarseness", coarseness),
        ("Complexity", complexity / voxels),
        ("Contrast", contrast),
        ("Strength", strength),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radiomics::features::testutil::assert_pyradiomics_order;

    fn features(m: &Ngtdm) -> std::collections::HashMap<&'static str, f64> {
        from_matrix(m).into_iter().collect()
    }

    #[test]
    fn five_features_in_alphabetical_order() {
        let g = GreyLevels::new([2, 1, 1], vec![1, 2]);
        let names: Vec<&str> =
            ngtdm_features(&g, &TextureSettings::default()).unwrap().iter().map(|f| f.0).collect();
        assert_pyradiomics_order(&names, 5);
    }

    /// A flat region has no grey tone differences: PyRadiomics' special values.
    #[test]
    fn flat_region_special_values() {
        let g = GreyLevels::new([2, 2, 1], vec![4; 4]);
        let f = features(&ngtdm(&g, &TextureSettings::default()).unwrap());
        assert_eq!(f["Coarseness"], COARSENESS_WITHOUT_DIFFERENCES);
        assert_eq!((f["Busyness"], f["Complexity"], f["Contrast"], f["Strength"]), (0.0, 0.0, 0.0, 0.0));
    }

    /// Two voxels, levels 1 and 3, side by side: n = (1, 1), p = (½, ½), s = (2, 2).
    /// Worked by hand from the module formulas.
    #[test]
    fn two_voxels() {
        let g = GreyLevels::new([2, 1, 1], vec![1, 3]);
        let m = ngtdm(&g, &TextureSettings::default()).unwrap();
        assert_eq!((m.counts.clone(), m.differences.clone()), (vec![1.0, 1.0], vec![2.0, 2.0]));
        let f = features(&m);
        // 1 / (½·2 + ½·2).
        assert_eq!(f["Coarseness"], 0.5);
        // Σ p p (i−j)² = 2·¼·4 = 2; · Σ s / N_vp = 2·4/2 = 4; / (2·1) = 2.
        assert_eq!(f["Contrast"], 2.0);
        // Σ p s = 2; Σ |i p_i − j p_j| = 2·|½ − 3/2| = 2.
        assert_eq!(f["Busyness"], 1.0);
        // 2 · |1−3| · (1 + 1) / 1 / N_vp = 8 / 2.
        assert_eq!(f["Complexity"], 4.0);
        // 2 · 1 · 4 / Σ s = 8 / 4.
        assert_eq!(f["Strength"], 2.0);
    }
}
