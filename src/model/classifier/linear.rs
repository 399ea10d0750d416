//! The linear classifier that LDA and logistic regression both are, its per-feature
//! contributions, and the numerically stable logistic function.
//!
//! ```text
//! logit = Σ_j coef_j · x_j + intercept      p1 = sigmoid(logit) = 1 / (1 + exp(−logit))
//! ```
//! x_j: input feature j (model feature order), coef_j and intercept: the fitted linear model
//! (sklearn `coef_[0]`, `intercept_[0]`). sklearn 1.0.2 computes both `LinearDiscriminantAnalysis`
//! and binary `LogisticRegression` probabilities as `expit(decision_function(x))`.

use serde::Deserialize;

use super::error::InvalidField;

/// Numerically stable logistic function `1 / (1 + exp(−z))`: the branch keeps `exp` from
/// overflowing for large |z|.
pub(super) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// A fitted binary linear classifier, `p1 = sigmoid(x·coef + intercept)` (JSON fields `coef`,
/// `intercept`): the type behind [`Lda`](super::Lda) and
/// [`LogisticRegression`](super::LogisticRegression).
#[derive(Debug, Clone, Deserialize)]
pub struct LinearClassifier {
    coef: Vec<f64>,
    intercept: f64,
}

impl LinearClassifier {
    /// Checks that there is one coefficient per model feature.
    pub(super) fn validate(&self, n_features: usize) -> Result<(), InvalidField> {
        InvalidField::check_len(|| "coef".into(), n_features, self.coef.len())
    }

    /// The decision value (log-odds of class 1). `x` has one value per feature (checked by the
    /// caller).
    pub(super) fn logit(&self, x: &[f64]) -> f64 {
        dot(&self.coef, x) + self.intercept
    }

    /// P(class 1), `sigmoid(logit)`. `x` has one value per feature (checked by the caller).
    pub(super) fn predict_proba(&self, x: &[f64]) -> f64 {
        sigmoid(self.logit(x))
    }

    /// The terms of [`Self::logit`], one per feature, plus the intercept.
    pub(super) fn contributions(&self, x: &[f64]) -> Contributions {
        Contributions {
            terms: self.coef.iter().zip(x).map(|(c, v)| c * v).collect(),
            intercept: self.intercept,
        }
    }
}

/// Sequential dot product of two equally long slices.
pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| p * q).sum()
}

/// What drove a linear classifier's score: the log-odds of class 1 split into one term per
/// feature plus the intercept.
///
/// ```text
/// logit = Σ_j terms[j] + intercept,   terms[j] = coef_j · x_j,   p1 = sigmoid(logit)
/// ```
/// A positive term pushes the prediction towards class 1. The terms are exact: they add up to the
/// classifier's own decision value (up to floating-point summation order).
#[derive(Debug, Clone, PartialEq)]
pub struct Contributions {
    /// `coef_j · x_j` for each feature j, in the model's feature order.
    pub terms: Vec<f64>,
    /// The model's intercept.
    pub intercept: f64,
}

impl Contributions {
    /// The log-odds of class 1: the sum of the terms and the intercept.
    pub fn logit(&self) -> f64 {
        self.terms.iter().sum::<f64>() + self.intercept
    }

    /// The probability of class 1 these contributions give, `sigmoid(logit)`.
    pub fn probability(&self) -> f64 {
        sigmoid(self.logit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_is_stable_and_symmetric() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid(800.0), 1.0);
        assert_eq!(sigmoid(-800.0), 0.0);
        for z in [0.3, 2.0, 17.5] {
            assert!((sigmoid(z) + sigmoid(-z) - 1.0).abs() < 1e-15);
        }
        // 1 / (1 + e^-1) by hand: e^-1 = 0.36787944117144233
        assert!((sigmoid(1.0) - 0.731_058_578_630_004_9).abs() < 1e-15);
    }

    #[test]
    fn contributions_add_up_to_the_logit() {
        let score = LinearClassifier { coef: vec![2.0, -0.5], intercept: 0.25 };
        let x = [1.5, 4.0];
        let c = score.contributions(&x);
        assert_eq!(c.terms, vec![3.0, -2.0]);
        assert_eq!(c.intercept, 0.25);
        assert_eq!(c.logit(), 1.25);
        assert_eq!(score.logit(&x), 1.25);
        assert_eq!(c.probability(), sigmoid(1.25));
    }

    #[test]
    fn wrong_coefficient_count_is_rejected() {
        let score = LinearClassifier { coef: vec![1.0; 3], intercept: 0.0 };
        let err = score.validate(2).unwrap_err();
        assert_eq!(err.field, "coef");
    }
}
