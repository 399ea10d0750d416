//! Multi-layer perceptron, binary (sklearn `MLPClassifier`, tanh hidden layers, logistic output).
//!
//! ```text
//! h⁽⁰⁾ = x
//! h⁽ˡ⁺¹⁾ = tanh(h⁽ˡ⁾ · W⁽ˡ⁾ + b⁽ˡ⁾)     for the hidden layers l = 0 … L−2
//! p1    = sigmoid(h⁽ᴸ⁻¹⁾ · W⁽ᴸ⁻¹⁾ + b⁽ᴸ⁻¹⁾)   the output layer has one unit
//! ```
//! W⁽ˡ⁾: `coefs[l]`, shape [n_in][n_out]; b⁽ˡ⁾: `intercepts[l]`, length n_out. Source: sklearn
//! 1.0.2 `BaseMultilayerPerceptron._forward_pass_fast` and `MLPClassifier.predict_proba`
//! (`sklearn/neural_network/_multilayer_perceptron.py`). `hidden_layer_sizes` is implied by the
//! matrix shapes and is not read.

use serde::Deserialize;

use super::error::InvalidField;
use super::linear::sigmoid;

/// A fitted two-class MLP (JSON `"type": "mlp"`).
#[derive(Debug, Clone, Deserialize)]
pub struct Mlp {
    activation: String,
    out_activation: String,
    coefs: Vec<Vec<Vec<f64>>>,
    intercepts: Vec<Vec<f64>>,
}

impl Mlp {
    pub(super) fn validate(&self, n_features: usize) -> Result<(), InvalidField> {
        InvalidField::check_word(|| "activation".into(), &self.activation, "tanh")?;
        InvalidField::check_word(|| "out_activation".into(), &self.out_activation, "logistic")?;
        let n_layers = self.coefs.len();
        InvalidField::check_not_empty(|| "coefs".into(), n_layers)?;
        InvalidField::check_len(|| "intercepts".into(), n_layers, self.intercepts.len())?;
        let mut n_in = n_features;
        for (l, (w, b)) in self.coefs.iter().zip(&self.intercepts).enumerate() {
            InvalidField::check_len(|| format!("coefs[{l}]"), n_in, w.len())?;
            let n_out = b.len();
            for (i, row) in w.iter().enumerate() {
                InvalidField::check_len(|| format!("coefs[{l}][{i}]"), n_out, row.len())?;
            }
            n_in = n_out;
        }
        InvalidField::check_len(|| format!("intercepts[{}]", n_layers - 1), 1, n_in)
    }

    pub(super) fn predict_proba(&self, x: &[f64]) -> f64 {
        let last = self.coefs.len() - 1;
        let mut h = x.to_vec();
        for (l, (w, b)) in self.coefs.iter().zip(&self.intercepts).enumerate() {
            let mut out = vec![0.0; b.len()];
            for (hi, row) in h.iter().zip(w) {
                for (o, wij) in out.iter_mut().zip(row) {
                    *o += hi * wij;
                }
            }
            for (o, bj) in out.iter_mut().zip(b) {
                *o += bj;
                if l < last {
                    *o = o.tanh();
                }
            }
            h = out;
        }
        sigmoid(h[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Mlp {
        Mlp {
            activation: "tanh".into(),
            out_activation: "logistic".into(),
            coefs: vec![vec![vec![1.0, -1.0]], vec![vec![2.0], vec![0.5]]],
            intercepts: vec![vec![0.0, 0.5], vec![-0.25]],
        }
    }

    #[test]
    fn forward_pass_by_hand() {
        let m = model();
        m.validate(1).unwrap();
        let x = 0.3_f64;
        let h = [x.tanh(), (-x + 0.5).tanh()];
        let z = 2.0 * h[0] + 0.5 * h[1] - 0.25;
        let expected = 1.0 / (1.0 + (-z).exp());
        assert!((m.predict_proba(&[x]) - expected).abs() < 1e-15);
    }

    #[test]
    fn shape_errors_name_the_layer() {
        let m = model();
        assert_eq!(m.validate(2).unwrap_err().field, "coefs[0]");
        let mut m = model();
        m.intercepts[1].push(0.0);
        assert_eq!(m.validate(1).unwrap_err().field, "coefs[1][0]");
        let mut m = model();
        m.activation = "relu".into();
        assert_eq!(m.validate(1).unwrap_err().field, "activation");
    }
}
