//! Predictions for the ten endpoints of one study: per endpoint, the two RadScores (tumor and
//! ring), the ten deep features of the patch, and the endpoint's classifier over
//! `[radscore_3D, radscore_peritumoral, x1..x10]` (the paper's feature order), with what drove
//! the score: the RadScores' per-feature shares always, the classifier's per-input terms for the
//! linear types (LDA, logistic regression), where the decomposition of the log-odds is exact, and
//! for every type the exact Shapley values of the classifier's output against the reference input
//! [`REFERENCE_INPUT`] ([`super::explain`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

use super::bundle::{Bundle, BundleError, Endpoint};
use super::classifier::{Classifier, ClassifierError, ClassifierModel, DECISION_THRESHOLD};
use super::deep::{
    AttentionMap, DeepConfig, DeepError, DeepNet, DeepOutputs, HuPatch, OrtRuntime, ATTENTION_OUTPUTS,
    DEEP_FEATURES,
};
use super::explain::{self, ExplainError, Explanation};
use super::radscore::{Contribution, RadScoreError, RadScoreValue};
use crate::error_code::ErrorCode;
use crate::radiomics::FeatureVector;

/// Why predictions could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PredictError {
    /// The bundle is unusable.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// The deep network could not be loaded or run.
    #[error(transparent)]
    Deep(#[from] DeepError),
    /// A classifier could not be loaded or evaluated.
    #[error(transparent)]
    Classifier(#[from] ClassifierError),
    /// A RadScore feature is missing from the region's features.
    #[error("{endpoint} {region} RadScore: {source}")]
    RadScore {
        /// The endpoint.
        endpoint: Endpoint,
        /// `tumor` or `ring`.
        region: &'static str,
        /// The cause.
        #[source]
        source: RadScoreError,
    },
    /// A network of the bundle was not given to [`Predictor::with_networks`].
    #[error("no network was loaded for the bundle's deep model '{key}'")]
    MissingNetwork {
        /// Its key under `[deep_models]`.
        key: String,
    },
    /// An endpoint's score could not be explained.
    #[error("{endpoint} explanation: {source}")]
    Explain {
        /// The endpoint.
        endpoint: Endpoint,
        /// The cause.
        #[source]
        source: ExplainError,
    },
    /// A classifier expects inputs other than the paper's twelve.
    #[error("{endpoint} classifier expects inputs {found:?}, not the paper's radscore_3D, radscore_peritumoral, x1..x10")]
    ClassifierInputs {
        /// The endpoint.
        endpoint: Endpoint,
        /// The classifier's feature names.
        found: Vec<String>,
    },
}

impl ErrorCode for PredictError {
    fn code(&self) -> &'static str {
        match self {
            PredictError::Bundle(e) => e.code(),
            PredictError::Deep(e) => e.code(),
            PredictError::Classifier(e) => e.code(),
            PredictError::RadScore { .. } => "radscore_feature_missing",
            PredictError::MissingNetwork { .. } => "bundle_network_missing",
            PredictError::Explain { .. } => "explanation_failed",
            PredictError::ClassifierInputs { .. } => "classifier_inputs_mismatch",
        }
    }
}

/// A bundle loaded for prediction: its networks started, its classifiers parsed. Loaded once per
/// process and shared: [`Predictor::predict`] takes `&self` and may be called from any thread.
/// Each network runs one patch at a time (an ONNX Runtime session's run needs it exclusively);
/// RadScores and classifiers run in the calling thread.
pub struct Predictor {
    bundle: Bundle,
    networks: BTreeMap<String, Mutex<Box<dyn DeepNet>>>,
    providers: Vec<&'static str>,
    classifiers: BTreeMap<Endpoint, ClassifierModel>,
}

impl std::fmt::Debug for Predictor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Predictor").field("bundle", &self.bundle.name()).finish_non_exhaustive()
    }
}

/// What drove one endpoint's score.
#[derive(Debug, Clone, Serialize)]
pub struct Contributions {
    /// The tumor RadScore's intercept and per-feature shares.
    pub radscore_tumor: Vec<Contribution>,
    /// The ring RadScore's per-feature shares.
    pub radscore_ring: Vec<Contribution>,
    /// For linear classifiers: `coef · input` per classifier input (in the classifier's input
    /// order) and the intercept; their sum is the log-odds. `None` for the other types.
    pub classifier_terms: Option<BTreeMap<String, f64>>,
    /// The linear classifier's intercept.
    pub classifier_intercept: Option<f64>,
    /// Every type: exact Shapley values of the classifier's output against [`REFERENCE_INPUT`].
    pub explanation: Explanation,
}

/// The input every explanation is measured from: both RadScores and all ten deep features 0.
pub const REFERENCE_INPUT: [f64; 2 + DEEP_FEATURES] = [0.0; 2 + DEEP_FEATURES];

/// One endpoint's prediction.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointPrediction {
    /// The endpoint's full name (the key is its short name).
    pub name: &'static str,
    /// Probability of the positive class.
    pub probability: f64,
    /// 1 when `probability > 0.5`, else 0.
    pub label: u8,
    /// Tumor RadScore (`radscore_3D`).
    pub radscore_tumor: f64,
    /// Ring RadScore (`radscore_peritumoral`).
    pub radscore_ring: f64,
    /// `x1..x10` from the deep network.
    pub deep_features: [f64; DEEP_FEATURES],
    /// Classifier type (`lda`, `svc`, ...).
    pub classifier: &'static str,
    /// What drove the score.
    pub contributions: Contributions,
    /// The bundle's label, repeated on every prediction (e.g. demonstration weights).
    pub bundle_label: String,
}

/// What the fields of a prediction mean, written into every report beside them.
pub const LEGEND: [(&str, &str); 7] = [
    ("probability", "P(positive) from the endpoint's classifier; label is 1 when it exceeds 0.5"),
    ("radscore_tumor, radscore_ring", "intercept + sum of shares over the RadScore's features"),
    ("z", "(value - mean) / std of a RadScore feature, with the bundle's mean and std"),
    ("share", "coef * z: what the feature adds to its RadScore"),
    ("classifier_terms", "linear classifiers: coef * input per input; with the intercept they sum to the log-odds"),
    ("explanation", "exact Shapley values of the classifier's output (scale: log_odds or probability) against the reference input, all twelve inputs 0; reference_output + sum of terms = output"),
    ("bundle_sha256", "sha256 of the bundle's manifest.toml, which pins every file of the bundle"),
];

/// All endpoints of one study.
#[derive(Debug, Clone, Serialize)]
pub struct Predictions {
    /// Bundle name.
    pub bundle: String,
    /// sha256 of the bundle's `manifest.toml` (which pins the sha256 of every file it names).
    pub bundle_sha256: String,
    /// Bundle label ("demonstration weights, not for clinical use" for the reference bundle).
    pub label: String,
    /// What the fields mean ([`LEGEND`]).
    pub legend: BTreeMap<&'static str, &'static str>,
    /// Execution providers the deep network runs on, in preference order.
    pub providers: Vec<&'static str>,
    /// One prediction per endpoint, keyed by the endpoint's short name (LVI, PI, T4, ...).
    pub endpoints: BTreeMap<String, EndpointPrediction>,
}

impl Predictor {
    /// Loads the bundle in `dir`, its networks (ONNX Runtime found as `config` and
    /// `search_root` say) and its classifiers.
    pub fn load(dir: &Path, config: &DeepConfig, search_root: &Path) -> Result<Predictor, PredictError> {
        let bundle = Bundle::load(dir)?;
        let runtime = OrtRuntime::init(config, search_root)?;
        let mut networks: BTreeMap<String, Box<dyn DeepNet>> = BTreeMap::new();
        for (key, spec) in bundle.networks() {
            let outputs = bundle.network_outputs(key);
            let network = runtime.network_with_optional(spec, &outputs, &ATTENTION_OUTPUTS)?;
            networks.insert(key.to_string(), Box::new(network));
        }
        Predictor::with_networks(bundle, networks)
    }

    /// A predictor over a loaded bundle and networks built elsewhere (one per key of the
    /// bundle's `[deep_models]`; tests use small networks here).
    pub fn with_networks(
        bundle: Bundle,
        networks: BTreeMap<String, Box<dyn DeepNet>>,
    ) -> Result<Predictor, PredictError> {
        for (key, _) in bundle.networks() {
            if !networks.contains_key(key) {
                return Err(PredictError::MissingNetwork { key: key.to_string() });
            }
        }
        let providers = networks.values().flat_map(|n| n.providers().iter().copied()).collect();
        let networks = networks.into_iter().map(|(k, n)| (k, Mutex::new(n))).collect();
        let mut classifiers = BTreeMap::new();
        for (endpoint, model) in bundle.endpoints() {
            let classifier = Classifier::from_json_file(&model.classifier)?;
            let expected = super::bundle::CLASSIFIER_FEATURES;
            if classifier.features().iter().map(String::as_str).ne(expected.iter().copied()) {
                return Err(PredictError::ClassifierInputs {
                    endpoint,
                    found: classifier.features().to_vec(),
                });
            }
            classifiers.insert(endpoint, classifier);
        }
        Ok(Predictor { bundle, networks, providers, classifiers })
    }

    /// sha256 of the bundle's `manifest.toml`.
    pub fn bundle_sha256(&self) -> &str {
        self.bundle.manifest_sha256()
    }

    /// Runs every network once on a patch of air, so that lazy set-up (a TensorRT engine build,
    /// memory arenas) happens before the first study, not during it.
    pub fn warm_up(&self) -> Result<(), PredictError> {
        let air = HuPatch::new(vec![crate::roi::patch::PATCH_FILL_HU; super::deep::PATCH_PIXELS])?;
        for net in self.networks.values() {
            net.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).run(&air)?;
        }
        Ok(())
    }

    /// The bundle it predicts with.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// Execution providers of the loaded networks.
    pub fn providers(&self) -> &[&'static str] {
        &self.providers
    }

    /// Predicts every endpoint from the tumor's and ring's features and the deep patch.
    pub fn predict(
        &self,
        tumor: &FeatureVector,
        ring: &FeatureVector,
        patch: &HuPatch,
    ) -> Result<Predictions, PredictError> {
        self.predict_with_attention(tumor, ring, patch).map(|(predictions, _)| predictions)
    }

    /// As [`Predictor::predict`], with the deep network's attention map over the patch when
    /// the bundle's network provides its inputs (the first network that does).
    pub fn predict_with_attention(
        &self,
        tumor: &FeatureVector,
        ring: &FeatureVector,
        patch: &HuPatch,
    ) -> Result<(Predictions, Option<AttentionMap>), PredictError> {
        let mut outputs: BTreeMap<String, DeepOutputs> = BTreeMap::new();
        for (key, net) in &self.networks {
            // A panic in another thread's run leaves the network as it was before that call
            // (runs hold no state between calls), so a poisoned lock is still usable.
            let mut net = net.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            outputs.insert(key.clone(), net.run(patch)?);
        }
        let mut attention = None;
        for outputs in outputs.values() {
            if attention.is_none() {
                attention = AttentionMap::from_outputs(outputs)?;
            }
        }
        let mut endpoints = BTreeMap::new();
        for (endpoint, model) in self.bundle.endpoints() {
            let score = |region: &'static str, value: Result<RadScoreValue, RadScoreError>| {
                value.map_err(|source| PredictError::RadScore { endpoint, region, source })
            };
            let tumor_score = score("tumor", model.tumor.evaluate(tumor))?;
            let ring_score = score("ring", model.ring.evaluate(ring))?;
            let deep = outputs
                .get(&model.deep.model)
                .expect("the bundle checks that every endpoint names a loaded network")
                .features(&model.deep.output)?;
            let mut x = vec![tumor_score.score, ring_score.score];
            x.extend_from_slice(&deep);
            let classifier = &self.classifiers[&endpoint];
            let probability = classifier.predict_proba(&x)?;
            let linear = classifier.contributions(&x)?;
            let explanation = explain::explain(classifier, &x, &REFERENCE_INPUT)
                .map_err(|source| PredictError::Explain { endpoint, source })?;
            let names = classifier.features();
            endpoints.insert(
                endpoint.as_str().to_string(),
                EndpointPrediction {
                    name: endpoint_name(endpoint),
                    probability,
                    label: u8::from(probability > DECISION_THRESHOLD),
                    radscore_tumor: tumor_score.score,
                    radscore_ring: ring_score.score,
                    deep_features: deep,
                    classifier: classifier.classifier().type_name(),
                    contributions: Contributions {
                        radscore_tumor: tumor_score.contributions,
                        radscore_ring: ring_score.contributions,
                        classifier_terms: linear
                            .as_ref()
                            .map(|c| names.iter().cloned().zip(c.terms.iter().copied()).collect()),
                        classifier_intercept: linear.as_ref().map(|c| c.intercept),
                        explanation,
                    },
                    bundle_label: self.bundle.label().to_string(),
                },
            );
        }
        let predictions = Predictions {
            bundle: self.bundle.name().to_string(),
            bundle_sha256: self.bundle.manifest_sha256().to_string(),
            label: self.bundle.label().to_string(),
            legend: LEGEND.into_iter().collect(),
            providers: self.providers.clone(),
            endpoints,
        };
        Ok((predictions, attention))
    }
}

/// The paper's full name of an endpoint.
pub fn endpoint_name(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::LVI => "lymphovascular invasion",
        Endpoint::PI => "pleural invasion",
        Endpoint::T4 => "T staging (T4)",
        Endpoint::ALK => "ALK rearrangement",
        Endpoint::EGFR => "EGFR mutation",
        Endpoint::KRAS => "KRAS mutation",
        Endpoint::PIK3CA => "PIK3CA mutation",
        Endpoint::ROS1 => "ROS1 rearrangement",
        Endpoint::TP53 => "TP53 mutation",
        Endpoint::Pd1L1 => "PD-1/PD-L1 expression",
    }
}

#[cfg(test)]
mod tests {
    use super::Predictor;

    /// The daemon shares one predictor between its workers.
    #[test]
    fn predictor_is_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Predictor>();
    }
}
