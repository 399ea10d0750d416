//! Model stage: turns feature rows into endpoint probabilities and measures classifiers on
//! labelled test sets.
//!
//! - [`classifier`]: the seven classifier types of the Deep-RadScore paper (Gaussian NB, LDA,
//!   logistic regression, SVC, random forest, KNN, MLP), loaded from the portable JSON schema of
//!   `shared/refdata/deepradscore/` and evaluated exactly as scikit-learn 1.0.2 does.
//! - [`table`]: labelled feature tables (`index,disease,<features…>` CSV).
//! - [`metrics`]: ROC curve, AUC, DeLong 95% CI, accuracy, precision, recall, F1.
//! - [`evaluate`]: one classifier on one table, with all the statistics (`radscored evaluate`).
//! - [`roc_plot`]: the ROC curve as a PNG.
#![deny(missing_docs)]

pub mod classifier;
pub mod evaluate;
pub mod metrics;
pub mod roc_plot;
pub mod table;

pub use classifier::{Classifier, ClassifierError, ClassifierModel};
