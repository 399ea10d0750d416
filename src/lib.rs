//! radscored: Deep-RadScore biomarkers for non-small cell lung cancer, beside the CT scanner.
//!
//! Layout, one module per stage of the data flow, read top-down (an arrow never points up):
//! - [`cli`]: the argument grammar and command-line-only code (benchmarks, batch runs, output
//!   formats);
//! - [`export`]: results sent back to PACS (C-STORE SCU);
//! - [`daemon`]: the appliance (`serve`): intake into the spool, series tracker, analysis
//!   workers, MQTT publisher, systemd notifications;
//! - [`study`]: one function from a study to a typed report, used by the command line and the
//!   daemon alike;
//! - [`export`]: the DICOM results back to PACS (structured report, key image);
//! - [`evaluation`]: classifiers on labelled test sets (AUC, DeLong, ROC plot), apart from the
//!   prediction path;
//! - [`model`]: model bundles, RadScores, the deep network, the classifiers, predictions;
//! - [`roi`]: the tumor mask (DICOM SEG, RTSTRUCT or label map), its peritumoral ring and the deep
//!   patch;
//! - [`radiomics`]: PyRadiomics-exact features of a region;
//! - [`gpu`]: the compute backend (CUDA kernels or the CPU) of the ring and the texture matrices;
//!   [`gpu_check`] compares it with the CPU on a GPU machine;
//! - [`ingest`]: DICOM instances (a folder, C-STORE, a watched drop folder) to one CT volume in
//!   Hounsfield units;
//! - [`image`]: volumes on a physical grid and the research file formats (NRRD, NIfTI);
//! - [`limits`]: every limit on the size of input, with its reason;
//! - [`publish`]: MQTT to the console and the fleet (topics, payloads, outbox publisher,
//!   embedded broker);
//! - [`spool`]: the daemon's durable store (instances, job journal, MQTT outbox);
//! - [`pseudonym`]: keyed study names; [`hex`]: the spelling of digests; [`error_code`]: the stable code every console-facing
//!   error carries.
#![deny(missing_docs)]

pub mod cli;
pub mod daemon;
pub mod error_code;
pub mod evaluation;
pub mod export;
pub mod gpu;
pub mod gpu_check;
pub mod hex;
pub mod image;
pub mod ingest;
pub mod limits;
pub mod model;
pub mod pseudonym;
pub mod publish;
pub mod radiomics;
pub mod roi;
pub mod spool;
pub mod study;
#[cfg(test)]
mod test_random;
