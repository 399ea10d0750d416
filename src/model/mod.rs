//! Model stage: turns a study's features and deep patch into endpoint probabilities (offline
//! evaluation on labelled test sets lives apart, in [`crate::evaluation`]).
//!
//! Per endpoint the paper fuses two RadScores (tumor and peritumoral ring, linear in z-scored
//! PyRadiomics features) with ten deep features (the penultimate layer of a DenseNet121 run on
//! the 160×160 patch) and feeds the twelve values to one classifier. What was learned lives in a
//! model bundle under `engines/<name>/`.
//!
//! - [`classifier`]: the seven classifier types of the Deep-RadScore paper (Gaussian NB, LDA,
//!   logistic regression, SVC, random forest, KNN, MLP), loaded from the portable JSON schema of
//!   `shared/refdata/deepradscore/` and evaluated exactly as scikit-learn 1.0.2 does.
//! - [`bundle`]: a model bundle's manifest, loaded and verified (sha256 of every file).
//! - [`radscore`]: z-score and linear RadScore with per-feature contributions.
//! - [`predict`]: all endpoints of one study, with what drove each score.
//! - [`explain`]: exact Shapley values of any classifier's output over its inputs.
//! - [`deep`]: the [`deep::DeepNet`] boundary and its ONNX Runtime implementation (TensorRT /
//!   CUDA / CPU chosen at run time), with the bundle's patch preprocessing.
#![deny(missing_docs)]

pub mod bundle;
pub mod classifier;
pub mod deep;
pub mod explain;
pub mod predict;
pub mod radscore;

pub use bundle::{Bundle, Endpoint};
pub use classifier::{Classifier, ClassifierError, ClassifierModel};
