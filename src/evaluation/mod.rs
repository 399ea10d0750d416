//! Offline evaluation of classifiers on labelled test sets, apart from the prediction path: what
//! `radscored evaluate` and the researchers' checks use, never the daemon.
//!
//! - [`table`]: labelled feature tables (`index,disease,<features…>` CSV);
//! - [`metrics`]: ROC curve, AUC, DeLong 95% CI (DeLong et al. 1988, Sun & Xu 2014's fast
//!   algorithm), accuracy, precision, recall, F1;
//! - [`evaluate`]: one classifier on one table, with all the statistics;
//! - [`roc_plot`]: the ROC curve as a PNG.

pub mod evaluate;
pub mod metrics;
pub mod roc_plot;
pub mod table;
