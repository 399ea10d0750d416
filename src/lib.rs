//! radscored: Deep-RadScore biomarkers for non-small cell lung cancer, beside the CT scanner.

pub mod cli;
pub mod model;
