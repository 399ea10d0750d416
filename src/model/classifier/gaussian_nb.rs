//! Gaussian naive Bayes, binary (sklearn `GaussianNB`).
//!
//! ```text
//! jll_k = ln(prior_k) − ½ Σ_j ln(2π · var_kj) − ½ Σ_j (x_j − theta_kj)² / var_kj
//! p1    = exp(jll_1 − logsumexp(jll_0, jll_1))
//! ```
//! k ∈ {0, 1}: class; prior_k: `class_prior[k]`; theta_kj, var_kj: mean and variance of feature
//! j in class k (`theta`, `var`). The variances already include sklearn's smoothing term
//! `epsilon` (var_smoothing · largest feature variance), so it is not added again; the JSON
//! `epsilon` is informational and not read. Source: sklearn 1.0.2 `GaussianNB._joint_log_likelihood`
//! and `BaseNB.predict_proba` (`sklearn/naive_bayes.py`).

use std::f64::consts::PI;

use serde::Deserialize;

use super::error::InvalidField;

/// A fitted two-class Gaussian naive Bayes model (JSON `"type": "gaussian_nb"`).
#[derive(Debug, Clone, Deserialize)]
pub struct GaussianNb {
    class_prior: [f64; 2],
    theta: [Vec<f64>; 2],
    var: [Vec<f64>; 2],
}

impl GaussianNb {
    pub(super) fn validate(&self, n_features: usize) -> Result<(), InvalidField> {
        for k in 0..2 {
            let prior = self.class_prior[k];
            InvalidField::check_number(
                || format!("class_prior[{k}]"),
                prior,
                prior > 0.0 && prior <= 1.0,
                "must lie in (0, 1]",
            )?;
            InvalidField::check_len(|| format!("theta[{k}]"), n_features, self.theta[k].len())?;
            InvalidField::check_len(|| format!("var[{k}]"), n_features, self.var[k].len())?;
            for (j, &v) in self.var[k].iter().enumerate() {
                InvalidField::check_number(|| format!("var[{k}][{j}]"), v, v > 0.0, "must be positive")?;
            }
        }
        Ok(())
    }

    /// Joint log-likelihood `jll_k` of class `k` for the row `x`.
    fn joint_log_likelihood(&self, k: usize, x: &[f64]) -> f64 {
        let var = &self.var[k];
        let log_norm: f64 = var.iter().map(|v| (2.0 * PI * v).ln()).sum();
        let mahalanobis: f64 =
            x.iter().zip(&self.theta[k]).zip(var).map(|((xj, mean), v)| (xj - mean).powi(2) / v).sum();
        // Same grouping as sklearn: ln(prior) + (−½·Σ ln(2π var) − ½·Σ squared distances).
        self.class_prior[k].ln() + (-0.5 * log_norm - 0.5 * mahalanobis)
    }

    pub(super) fn predict_proba(&self, x: &[f64]) -> f64 {
        let jll = [self.joint_log_likelihood(0, x), self.joint_log_likelihood(1, x)];
        // logsumexp shifted by the larger term so that neither exp underflows to 0/0.
        let top = jll[0].max(jll[1]);
        let log_evidence = top + ((jll[0] - top).exp() + (jll[1] - top).exp()).ln();
        (jll[1] - log_evidence).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> GaussianNb {
        GaussianNb { class_prior: [0.5, 0.5], theta: [vec![0.0], vec![2.0]], var: [vec![1.0], vec![1.0]] }
    }

    #[test]
    fn equal_priors_and_variances_give_a_logistic_in_x() {
        // With equal priors and unit variances the log-odds are
        // ½[(x − 0)² − (x − 2)²] = 2x − 2, so p1 = sigmoid(2x − 2).
        let m = model();
        assert!((m.predict_proba(&[1.0]) - 0.5).abs() < 1e-15);
        let expected = 1.0 / (1.0 + (-(2.0 * 3.0 - 2.0_f64)).exp());
        assert!((m.predict_proba(&[3.0]) - expected).abs() < 1e-15);
    }

    #[test]
    fn far_rows_do_not_underflow() {
        let m = model();
        let p = m.predict_proba(&[-60.0]);
        assert!(p > 0.0 && p < 1e-40, "{p}");
        assert_eq!(m.predict_proba(&[60.0]), 1.0);
    }

    #[test]
    fn zero_variance_is_rejected() {
        let mut m = model();
        m.var[1][0] = 0.0;
        let err = m.validate(1).unwrap_err();
        assert_eq!(err.field, "var[1][0]");
    }
}
