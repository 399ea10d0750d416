//! The seven classifier types of the Deep-RadScore paper, evaluated as scikit-learn 1.0.2
//! evaluates them, and loaded from the portable JSON schema of
//! `shared/refdata/deepradscore/README.md`.
//!
//! - [`Classifier`] (`kind.rs`): the closed set of types; one module per type holds its
//!   `predict_proba` formula: `gaussian_nb`, `lda`, `logistic_regression` (both the one
//!   `linear` classifier), `svc`, `random_forest`, `knn`, `mlp`.
//! - [`ClassifierModel`] (`model.rs`): a classifier with its endpoint, feature set and feature
//!   names; loaded by [`Classifier::from_json_file`], it scores rows with
//!   [`ClassifierModel::predict_proba`] and explains linear scores with
//!   [`ClassifierModel::contributions`].
//! - [`ClassifierError`] (`error.rs`): every loading and scoring failure.

mod error;
mod gaussian_nb;
mod kind;
mod knn;
mod lda;
mod linear;
mod logistic_regression;
mod mlp;
mod model;
mod random_forest;
mod svc;

pub use error::{ClassifierError, FieldProblem};
pub use gaussian_nb::GaussianNb;
pub use kind::Classifier;
pub use knn::Knn;
pub use lda::Lda;
pub use linear::Contributions;
pub use logistic_regression::LogisticRegression;
pub use mlp::Mlp;
pub use model::{ClassifierModel, SCHEMA_VERSION};
pub use random_forest::RandomForest;
pub use svc::Svc;

/// Probability of class 1 above which a classifier predicts class 1 (scikit-learn's `predict` of
/// a binary classifier: the larger of the two class probabilities, class 0 on a tie).
pub const DECISION_THRESHOLD: f64 = 0.5;
