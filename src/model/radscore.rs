//! RadScore of one region: a linear score over z-scored PyRadiomics features, with the share of
//! each feature kept so that a prediction can show what drove it.
//!
//! The paper ("Exploring non-invasive precision treatment in non-small cell lung cancer…",
//! Biomarker Research 2024, Methods) z-scores every radiomic feature with the training cohort's
//! mean and standard deviation, selects features, and writes the RadScore as a weighted sum
//! `f₁·c₁ + … + fₙ·cₙ`; the fitted linear models behind it carry an intercept as well:
//!
//! ```text
//! zᵢ        = (xᵢ − meanᵢ) / stdᵢ          xᵢ: feature i of the region (PyRadiomics name)
//! RadScore  = intercept + Σᵢ coefᵢ · zᵢ     meanᵢ, stdᵢ: training-cohort z-score parameters
//! shareᵢ    = coefᵢ · zᵢ                    (so RadScore = intercept + Σᵢ shareᵢ, exactly)
//! ```
//!
//! A bundle holds one [`RadScore`] per region (tumor, peritumoral ring) and endpoint; the
//! classifier reads them as `radscore_3D` and `radscore_peritumoral`.

use serde::{Deserialize, Serialize};

use crate::radiomics::FeatureVector;

/// Why a RadScore could not be built or evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RadScoreError {
    /// The score has no terms.
    #[error("a radscore needs at least one term")]
    NoTerms,
    /// A feature appears twice among the terms.
    #[error("feature '{feature}' appears twice in the radscore")]
    DuplicateFeature {
        /// The repeated PyRadiomics feature name.
        feature: String,
    },
    /// A z-score standard deviation is zero, negative or not finite.
    #[error("std of feature '{feature}' must be positive and finite, got {std}")]
    BadStd {
        /// The feature whose term is wrong.
        feature: String,
        /// The value found.
        std: f64,
    },
    /// A mean, coefficient or the intercept is not finite.
    #[error("{what} of the radscore must be finite, got {value}")]
    NotFinite {
        /// Which parameter (`mean of '<feature>'`, `coef of '<feature>'`, `intercept`).
        what: String,
        /// The value found.
        value: f64,
    },
    /// The region's feature vector lacks a feature the score needs.
    #[error("feature '{feature}' needed by the radscore is missing from the region's features")]
    MissingFeature {
        /// The PyRadiomics feature name asked for.
        feature: String,
    },
    /// The region's value of a needed feature is NaN or infinite.
    #[error("feature '{feature}' needed by the radscore is {value}, not a finite number")]
    NonFiniteFeature {
        /// The PyRadiomics feature name.
        feature: String,
        /// The value extracted.
        value: f64,
    },
}

/// One selected feature with its z-score parameters and coefficient.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// PyRadiomics feature name, e.g. `wavelet-LHL_glcm_Contrast`.
    pub feature: String,
    /// Training-cohort mean of the feature, in the feature's own unit.
    pub mean: f64,
    /// Training-cohort standard deviation of the feature (positive), same unit.
    pub std: f64,
    /// Coefficient of the z-scored feature.
    pub coef: f64,
}

/// As written in a bundle manifest; checked into a [`RadScore`] while it is read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RadScoreSpec {
    /// Constant term.
    intercept: f64,
    /// Selected features, in any order.
    terms: Vec<Term>,
}

/// A checked RadScore: at least one term, distinct features, positive finite std, finite rest.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RadScoreSpec")]
pub struct RadScore {
    intercept: f64,
    terms: Vec<Term>,
}

/// One feature's share of an evaluated RadScore (also how predictions report it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// PyRadiomics feature name.
    pub feature: String,
    /// The feature's value in the region.
    pub value: f64,
    /// Its z-score, `(value − mean) / std`.
    pub z: f64,
    /// `coef · z`: what this feature adds to the score.
    pub share: f64,
}

/// An evaluated RadScore with its exact decomposition.
#[derive(Debug, Clone, PartialEq)]
pub struct RadScoreValue {
    /// `intercept + Σ share`.
    pub score: f64,
    /// The constant term.
    pub intercept: f64,
    /// One entry per term, in the order of the score's terms.
    pub contributions: Vec<Contribution>,
}

impl TryFrom<RadScoreSpec> for RadScore {
    type Error = RadScoreError;

    fn try_from(spec: RadScoreSpec) -> Result<Self, Self::Error> {
        RadScore::new(spec.intercept, spec.terms)
    }
}

impl RadScore {
    /// Checks and builds a score.
    pub fn new(intercept: f64, terms: Vec<Term>) -> Result<Self, RadScoreError> {
        if terms.is_empty() {
            return Err(RadScoreError::NoTerms);
        }
        finite("intercept".to_string(), intercept)?;
        for (i, term) in terms.iter().enumerate() {
            if terms[..i].iter().any(|t| t.feature == term.feature) {
                return Err(RadScoreError::DuplicateFeature { feature: term.feature.clone() });
            }
            if !(term.std.is_finite() && term.std > 0.0) {
                return Err(RadScoreError::BadStd { feature: term.feature.clone(), std: term.std });
            }
            finite(format!("mean of '{}'", term.feature), term.mean)?;
            finite(format!("coef of '{}'", term.feature), term.coef)?;
        }
        Ok(RadScore { intercept, terms })
    }

    /// The constant term.
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// The selected features with their parameters.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Evaluates the score on one region's features.
    pub fn evaluate(&self, features: &FeatureVector) -> Result<RadScoreValue, RadScoreError> {
        let mut contributions = Vec::with_capacity(self.terms.len());
        for term in &self.terms {
            let value = features
                .get(&term.feature)
                .ok_or_else(|| RadScoreError::MissingFeature { feature: term.feature.clone() })?;
            if !value.is_finite() {
                return Err(RadScoreError::NonFiniteFeature { feature: term.feature.clone(), value });
            }
            let z = (value - term.mean) / term.std;
            contributions.push(Contribution {
                feature: term.feature.clone(),
                value,
                z,
                share: term.coef * z,
            });
        }
        let score = self.intercept + contributions.iter().map(|c| c.share).sum::<f64>();
        Ok(RadScoreValue { score, intercept: self.intercept, contributions })
    }
}

fn finite(what: String, value: f64) -> Result<(), RadScoreError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(RadScoreError::NotFinite { what, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(feature: &str, mean: f64, std: f64, coef: f64) -> Term {
        Term { feature: feature.to_string(), mean, std, coef }
    }

    fn features(entries: &[(&str, f64)]) -> FeatureVector {
        FeatureVector { entries: entries.iter().map(|(n, v)| (n.to_string(), *v)).collect() }
    }

    /// Worked by hand:
    /// z₁ = (120 − 100) / 40 = 0.5,    share₁ =  2 · 0.5  =  1
    /// z₂ = (0.2 − 0.5) / 0.1 = −3,    share₂ = −0.25 · −3 = 0.75
    /// score = −0.5 + 1 + 0.75 = 1.25
    #[test]
    fn score_matches_hand_computation() {
        let score = RadScore::new(
            -0.5,
            vec![
                term("original_firstorder_Mean", 100.0, 40.0, 2.0),
                term("wavelet-LLH_glcm_Id", 0.5, 0.1, -0.25),
            ],
        )
        .unwrap();
        let value = score
            .evaluate(&features(&[
                ("original_shape_Sphericity", 0.7),
                ("wavelet-LLH_glcm_Id", 0.2),
                ("original_firstorder_Mean", 120.0),
            ]))
            .unwrap();
        assert!((value.score - 1.25).abs() < 1e-12, "{}", value.score);
        assert_eq!(value.contributions.len(), 2);
        assert!((value.contributions[0].z - 0.5).abs() < 1e-12);
        assert!((value.contributions[0].share - 1.0).abs() < 1e-12);
        assert!((value.contributions[1].z + 3.0).abs() < 1e-12);
        assert!((value.contributions[1].share - 0.75).abs() < 1e-12);
        assert_eq!(value.contributions[1].value, 0.2);
    }

    #[test]
    fn missing_feature_is_named() {
        let score = RadScore::new(0.0, vec![term("original_glcm_Contrast", 0.0, 1.0, 1.0)]).unwrap();
        let err = score.evaluate(&features(&[("original_glcm_Id", 1.0)])).unwrap_err();
        assert_eq!(err, RadScoreError::MissingFeature { feature: "original_glcm_Contrast".into() });
        assert!(err.to_string().contains("'original_glcm_Contrast'"), "{err}");
    }

    #[test]
    fn nan_feature_is_an_error() {
        let score = RadScore::new(0.0, vec![term("original_glcm_Contrast", 0.0, 1.0, 1.0)]).unwrap();
        let err = score.evaluate(&features(&[("original_glcm_Contrast", f64::NAN)])).unwrap_err();
        assert!(matches!(err, RadScoreError::NonFiniteFeature { .. }), "{err}");
    }

    #[test]
    fn bad_parameters_are_rejected() {
        assert_eq!(RadScore::new(0.0, vec![]).unwrap_err(), RadScoreError::NoTerms);
        let err = RadScore::new(0.0, vec![term("a", 0.0, 0.0, 1.0)]).unwrap_err();
        assert_eq!(err.to_string(), "std of feature 'a' must be positive and finite, got 0");
        let err = RadScore::new(0.0, vec![term("a", 0.0, 1.0, 1.0), term("a", 1.0, 1.0, 1.0)]).unwrap_err();
        assert!(matches!(err, RadScoreError::DuplicateFeature { .. }), "{err}");
        let err = RadScore::new(f64::INFINITY, vec![term("a", 0.0, 1.0, 1.0)]).unwrap_err();
        assert_eq!(err.to_string(), "intercept of the radscore must be finite, got inf");
        let err = RadScore::new(0.0, vec![term("a", f64::NAN, 1.0, 1.0)]).unwrap_err();
        assert_eq!(err.to_string(), "mean of 'a' of the radscore must be finite, got NaN");
    }
}
