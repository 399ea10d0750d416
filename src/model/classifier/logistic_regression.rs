//! Binary logistic regression (sklearn `LogisticRegression`, lbfgs, `multi_class="auto"`).
//!
//! ```text
//! p1 = sigmoid(Σ_j coef_j · x_j + intercept)
//! ```
//! coef, intercept: sklearn's `coef_[0]` and `intercept_[0]`. For a binary problem sklearn's
//! `predict_proba` is the logistic function of `decision_function` (`sklearn/linear_model/_base.py`,
//! `_predict_proba_lr`, which returns `[1 − p1, p1]`).

use serde::Deserialize;

use super::error::InvalidField;
use super::linear::{sigmoid, Contributions, LinearScore};

/// A fitted binary logistic regression (JSON `"type": "logistic_regression"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct LogisticRegression {
    score: LinearScore,
}

impl LogisticRegression {
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
