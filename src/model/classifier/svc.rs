//! Support vector classifier with Platt probabilities, binary (sklearn `SVC(probability=True)`,
//! which runs libsvm).
//!
//! ```text
//! K(s, x) = exp(−gamma · (x·x + s·s − 2 x·s))       kernel "rbf" (libsvm's form)
//!         = s·x                                     kernel "linear"
//! f   = Σ_i dual_coef_i · K(sv_i, x) + intercept    sklearn decision_function, f > 0 ⇒ class 1
//! dec = −f                                          libsvm's own decision value
//! r   = clamp(1 / (1 + exp(prob_a · dec + prob_b)), 1e-7, 1 − 1e-7)   Platt: pairwise P(class 0)
//! p0  = couple(r),  p1 = 1 − p0
//! ```
//! sv_i: support vector i (`support_vectors`); dual_coef, intercept: sklearn's public
//! `dual_coef_[0]` and `intercept_[0]` (libsvm's internal values negated, hence dec = −f);
//! prob_a, prob_b: Platt's sigmoid parameters (`probA_`, `probB_`). `couple` is libsvm's
//! `multiclass_probability` for k = 2: libsvm's `svm_predict_probability` runs it even for two
//! classes, and its early stop makes p0 differ from r by a few 1e-3 on the paper's models.
//! Sources: libsvm 3.x `svm.cpp` (`sigmoid_predict`, `multiclass_probability`,
//! `svm_predict_probability`) as vendored by sklearn 1.0.2; the schema README in
//! `shared/refdata/deepradscore/`. The JSON fields `coef0`, `degree`, `n_support` and
//! `support_indices` are not needed for these two kernels and are not read.

use serde::Deserialize;

use super::error::InvalidField;
use super::linear::dot;

/// Bounds libsvm puts on the Platt probability before coupling (`min_prob` in `svm.cpp`).
const PLATT_MIN_PROB: f64 = 1e-7;

/// Kernel function of the SVC (JSON `kernel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kernel {
    /// Gaussian radial basis function `exp(−gamma·‖s − x‖²)`.
    Rbf,
    /// Plain dot product `s·x`.
    Linear,
}

/// A fitted two-class SVC with Platt scaling (JSON `"type": "svc"`).
#[derive(Debug, Clone, Deserialize)]
pub struct Svc {
    kernel: Kernel,
    gamma: f64,
    support_vectors: Vec<Vec<f64>>,
    dual_coef: Vec<f64>,
    intercept: f64,
    prob_a: f64,
    prob_b: f64,
}

impl Svc {
    pub(super) fn validate(&self, n_features: usize) -> Result<(), InvalidField> {
        let n_sv = self.support_vectors.len();
        InvalidField::check_not_empty(|| "support_vectors".into(), n_sv)?;
        for (i, sv) in self.support_vectors.iter().enumerate() {
            InvalidField::check_len(|| format!("support_vectors[{i}]"), n_features, sv.len())?;
        }
        InvalidField::check_len(|| "dual_coef".into(), n_sv, self.dual_coef.len())?;
        if self.kernel == Kernel::Rbf {
            InvalidField::check_number(
                || "gamma".into(),
                self.gamma,
                self.gamma > 0.0,
                "must be positive for the rbf kernel",
            )?;
        }
        Ok(())
    }

    fn kernel(&self, sv: &[f64], x: &[f64]) -> f64 {
        match self.kernel {
            Kernel::Rbf => (-self.gamma * (dot(x, x) + dot(sv, sv) - 2.0 * dot(x, sv))).exp(),
            Kernel::Linear => dot(sv, x),
        }
    }

    /// sklearn's `decision_function`: positive means class 1.
    fn decision_function(&self, x: &[f64]) -> f64 {
        let sum: f64 =
            self.support_vectors.iter().zip(&self.dual_coef).map(|(sv, c)| c * self.kernel(sv, x)).sum();
        sum + self.intercept
    }

    pub(super) fn predict_proba(&self, x: &[f64]) -> f64 {
        let libsvm_decision = -self.decision_function(x);
        let r = platt_class0(libsvm_decision, self.prob_a, self.prob_b)
            .clamp(PLATT_MIN_PROB, 1.0 - PLATT_MIN_PROB);
        1.0 - couple_two_classes(r)
    }
}

/// libsvm's `sigmoid_predict`: `1 / (1 + exp(a·dec + b))`, branching on the sign of the exponent
/// so that `exp` never overflows.
fn platt_class0(dec: f64, a: f64, b: f64) -> f64 {
    let t = dec * a + b;
    if t >= 0.0 {
        (-t).exp() / (1.0 + (-t).exp())
    } else {
        1.0 / (1.0 + t.exp())
    }
}

/// libsvm's `multiclass_probability` (Wu, Lin & Weng 2004, method 2) for k = 2 classes: turns
/// the pairwise estimate `r01` = P(class 0 | class 0 or 1) into class probabilities and returns
/// P(class 0).
///
/// The fixed point is p0 = r01, but the iteration stops once every |(Qp)_t − pᵀQp| is below
/// 0.005 / k, so the result is what libsvm's early stop leaves, which is what sklearn returns.
/// The updates are sequential and in place, in libsvm's order.
#[allow(clippy::needless_range_loop)] // indices mirror libsvm's matrix loops one to one
fn couple_two_classes(r01: f64) -> f64 {
    const K: usize = 2;
    let eps = 0.005 / K as f64;
    let max_iter = 100.max(K);
    // r[i][j] = P(class i | class i or j)
    let r = [[0.0, r01], [1.0 - r01, 0.0]];
    let mut q = [[0.0; K]; K];
    for t in 0..K {
        for j in 0..K {
            if j != t {
                q[t][t] += r[j][t] * r[j][t];
                q[t][j] = -r[j][t] * r[t][j];
            }
        }
    }
    let mut p = [1.0 / K as f64; K];
    let mut qp = [0.0; K];
    for _ in 0..max_iter {
        let mut pqp = 0.0;
        for t in 0..K {
            qp[t] = 0.0;
            for j in 0..K {
                qp[t] += q[t][j] * p[j];
            }
            pqp += p[t] * qp[t];
        }
        let max_error = qp.iter().map(|v| (v - pqp).abs()).fold(0.0, f64::max);
        if max_error < eps {
            break;
        }
        for t in 0..K {
            let diff = (-qp[t] + pqp) / q[t][t];
            p[t] += diff;
            pqp = (pqp + diff * (diff * q[t][t] + 2.0 * qp[t])) / (1.0 + diff) / (1.0 + diff);
            for j in 0..K {
                qp[j] = (qp[j] + diff * q[t][j]) / (1.0 + diff);
                p[j] /= 1.0 + diff;
            }
        }
    }
    p[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coupling_keeps_a_symmetric_estimate() {
        assert_eq!(couple_two_classes(0.5), 0.5);
    }

    #[test]
    fn coupling_moves_towards_the_pairwise_estimate_but_stops_early() {
        // From p = (½, ½) the first sweep moves p0 towards r; libsvm stops as soon as the
        // optimality gap is below 0.0025, before reaching r exactly.
        for r in [0.1, 0.3, 0.8, 0.97] {
            let p0 = couple_two_classes(r);
            assert!((p0 - 0.5) * (r - 0.5) > 0.0, "r={r} p0={p0}");
            assert!((p0 - r).abs() < 0.05, "r={r} p0={p0}");
            assert!(p0 != r, "r={r}");
        }
    }

    #[test]
    fn platt_branches_agree_at_the_switch() {
        let below = platt_class0(-1e-12, 1.0, 0.0);
        let above = platt_class0(1e-12, 1.0, 0.0);
        assert!((below - 0.5).abs() < 1e-11 && (above - 0.5).abs() < 1e-11);
        assert_eq!(platt_class0(800.0, 1.0, 0.0), 0.0);
        assert_eq!(platt_class0(-800.0, 1.0, 0.0), 1.0);
    }

    #[test]
    fn rbf_without_gamma_is_rejected() {
        let svc = Svc {
            kernel: Kernel::Rbf,
            gamma: 0.0,
            support_vectors: vec![vec![0.0, 1.0]],
            dual_coef: vec![1.0],
            intercept: 0.0,
            prob_a: -1.0,
            prob_b: 0.0,
        };
        assert_eq!(svc.validate(2).unwrap_err().field, "gamma");
        assert_eq!(svc.validate(3).unwrap_err().field, "support_vectors[0]");
    }
}
