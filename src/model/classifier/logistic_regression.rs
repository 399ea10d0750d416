//! Binary logistic regression (sklearn `LogisticRegression`, lbfgs, `multi_class="auto"`).
//!
//! ```text
//! p1 = sigmoid(Σ_j coef_j · x_j + intercept)
//! ```
//! coef, intercept: sklearn's `coef_[0]` and `intercept_[0]`. For a binary problem sklearn's
//! `predict_proba` is the logistic function of `decision_function` (`sklearn/linear_model/_base.py`,
//! `_predict_proba_lr`, which returns `[1 − p1, p1]`).

use super::linear::LinearClassifier;

/// A fitted binary logistic regression (JSON `"type": "logistic_regression"`).
pub type LogisticRegression = LinearClassifier;
