//! Linear discriminant analysis, binary (sklearn `LinearDiscriminantAnalysis`, solver "svd").
//!
//! ```text
//! p1 = sigmoid(Σ_j coef_j · x_j + intercept)
//! ```
//! coef, intercept: sklearn's `coef_[0]` and `intercept_[0]`, which already fold in the class
//! means, priors and scalings. For two classes sklearn 1.0.2's `predict_proba` is
//! `expit(decision_function(x))` (`sklearn/discriminant_analysis.py`). The JSON fields `priors`,
//! `means`, `xbar`, `scalings` and `solver` are informational and not read.

use serde::Deserialize;

use super::error::InvalidField;
use super::linear::{sigmoid, Contributions, LinearScore};

/// A fitted two-class LDA (JSON `"type": "lda"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Lda {
    score: LinearScore,
}

impl Lda {
    pub(super) fn validate(&self, n_features: usize) -> Result<(), InvalidField> {
        self.score.validate(n_features)
    }

    pub(super) fn predict_proba(&self, x: &[f64]) -> f64 {
        sigmoid(self.score.logit(x))
    }

    pub(super) fn contributions(&self, x: &[f64]) -> Contributions {
        self.score.contributions(x)
    }
}
