//! Linear discriminant analysis, binary (sklearn `LinearDiscriminantAnalysis`, solver "svd").
//!
//! ```text
//! p1 = sigmoid(Σ_j coef_j · x_j + intercept)
//! ```
//! coef, intercept: sklearn's `coef_[0]` and `intercept_[0]`, which already fold in the class
//! means, priors and scalings. For two classes sklearn 1.0.2's `predict_proba` is
//! `expit(decision_function(x))` (`sklearn/discriminant_analysis.py`). The JSON fields `priors`,
//! `means`, `xbar`, `scalings` and `solver` are informational and not read.

use super::linear::LinearClassifier;

/// A fitted two-class LDA (JSON `"type": "lda"`).
pub type Lda = LinearClassifier;
