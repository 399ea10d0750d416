//! Why a classifier scored a row as it did, for every classifier type: the exact Shapley values
//! of the model's output over its inputs against one stated reference input (interventional
//! Shapley values with a background of one row; Lundberg & Lee 2017, eq. 8, with
//! `f_S(x) = f(x_S, r_S̄)`).
//!
//! ```text
//! φ_j = Σ_{S ⊆ N∖{j}} |S|!·(n − |S| − 1)!/n! · (f(x_{S∪j}, r) − f(x_S, r))
//! Σ_j φ_j = f(x) − f(r)                                  (efficiency: the terms sum exactly)
//! ```
//!
//! With the classifiers' twelve inputs every one of the 2ⁿ = 4096 coalitions is evaluated, so the
//! values are exact, not sampled: no approximation, nothing random, the same on every run (Kernel
//! SHAP with every coalition and this background computes the same numbers). The scale is the
//! log-odds for LDA and logistic regression, taken from their exact linear decomposition, where
//! φ_j = coef_j·(x_j − r_j); the probability for the other types (for the random forest these are
//! the interventional TreeSHAP values for this background). The log-odds of the other types are
//! not explained: recovered from a probability near 0 or 1 they lose their digits, and the
//! probability reaches 0 and 1 exactly for the forest and KNN.

use serde::Serialize;

use super::classifier::{ClassifierError, ClassifierModel};

/// Most inputs explained by full enumeration (2ⁿ model evaluations).
pub const MAX_INPUTS: usize = 16;

/// The scale an explanation's terms add up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// ln(p / (1 − p)).
    LogOdds,
    /// p.
    Probability,
}

/// Exact Shapley values of one row against a reference row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// How the terms were computed (always the same words, for the report's reader).
    pub method: &'static str,
    /// The scale of `reference_output`, `output` and the terms.
    pub scale: Scale,
    /// The model's output at the reference input.
    pub reference_output: f64,
    /// The model's output at the row (`reference_output + Σ terms`).
    pub output: f64,
    /// One term per input, in the classifier's input order: (input name, φ).
    pub terms: Vec<(String, f64)>,
}

/// What [`Explanation::method`] says.
pub const METHOD: &str = "exact Shapley values over all input coalitions against the reference input";

/// Why a row cannot be explained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExplainError {
    /// The row or the reference is not a valid input of the classifier.
    #[error(transparent)]
    Classifier(#[from] ClassifierError),
    /// Too many inputs to enumerate every coalition.
    #[error("{inputs} classifier inputs: exact explanations enumerate at most {MAX_INPUTS}")]
    TooManyInputs {
        /// The classifier's input count.
        inputs: usize,
    },
}

/// The model's output on `scale` at `x`.
fn output(model: &ClassifierModel, x: &[f64], scale: Scale) -> Result<f64, ExplainError> {
    Ok(match scale {
        Scale::Probability => model.predict_proba(x)?,
        Scale::LogOdds => model.contributions(x)?.map_or(f64::NAN, |c| c.logit()),
    })
}

/// Explains `model`'s output at `x` against `reference` (both in the model's input order).
pub fn explain(model: &ClassifierModel, x: &[f64], reference: &[f64]) -> Result<Explanation, ExplainError> {
    let n = x.len();
    if n > MAX_INPUTS {
        return Err(ExplainError::TooManyInputs { inputs: n });
    }
    // The linear types decompose their log-odds exactly; the others are explained in probability.
    let scale = if model.contributions(x)?.is_some() { Scale::LogOdds } else { Scale::Probability };
    let mut outputs = vec![0.0; 1 << n];
    let mut row = reference.to_vec();
    for (coalition, value) in outputs.iter_mut().enumerate() {
        for j in 0..n {
            row[j] = if coalition & (1 << j) != 0 { x[j] } else { reference[j] };
        }
        *value = output(model, &row, scale)?;
    }
    let weights = coalition_weights(n);
    let terms = (0..n)
        .map(|j| {
            let bit = 1 << j;
            let phi: f64 = (0..outputs.len())
                .filter(|s| s & bit == 0)
                .map(|s| weights[(s as u32).count_ones() as usize] * (outputs[s | bit] - outputs[s]))
                .sum();
            (model.features()[j].clone(), phi)
        })
        .collect();
    Ok(Explanation {
        method: METHOD,
        scale,
        reference_output: outputs[0],
        output: outputs[outputs.len() - 1],
        terms,
    })
}

/// `|S|!·(n − |S| − 1)!/n!` for |S| = 0..n−1.
fn coalition_weights(n: usize) -> Vec<f64> {
    let factorial = |k: usize| (1..=k).map(|v| v as f64).product::<f64>();
    (0..n).map(|s| factorial(s) * factorial(n - s - 1) / factorial(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalition_weights_sum_to_one_over_subset_sizes() {
        // Σ_s C(n−1, s)·w(s) = 1: every ordering of the inputs counted once.
        let n = 12;
        let w = coalition_weights(n);
        let binomial = |k: usize, s: usize| (0..s).fold(1.0, |acc, i| acc * (k - i) as f64 / (i + 1) as f64);
        let total: f64 = (0..n).map(|s| binomial(n - 1, s) * w[s]).sum();
        assert!((total - 1.0).abs() < 1e-14, "{total}");
    }
}
