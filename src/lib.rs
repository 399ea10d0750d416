//! radscored: Deep-RadScore biomarkers for non-small cell lung cancer, beside the CT scanner.
//!
//! Layout, one module per stage of the data flow, read top-down (an arrow never points up):
//! - [`cli`]: the argument grammar and command-line-only code (benchmarks, batch runs, output
//!   formats);
//! - [`study`]: one function from a study to a typed report, used by the command line and the
//!   daemon alike;
//! - [`export`]: the DICOM results back to PACS (structured report, key image);
//! - [`evaluation`]: classifiers on labelled test sets (AUC, DeLong, ROC plot), apart from the
//!   prediction path;
//! - [`model`]: model bundles, RadScores, the deep network, the classifiers, predictions;
//! - [`roi`]: the tumor mask (DICOM SEG, RTSTRUCT or label map), its peritumoral ring and the deep
//!   patch;
//! - [`radiomics`]: PyRadiomics-exact features of a region;
//! - [`ingest`]: DICOM instances to one CT volume in Hounsfield units;
//! - [`image`]: volumes on a physical grid and the research file formats (NRRD, NIfTI);
//! - [`pseudonym`]: keyed study names; [`error_code`]: the stable code every console-facing
//!   error carries.
#![deny(missing_docs)]

pub mod cli;
pub mod error_code;
pub mod evaluation;
pub mod export;
pub mod image;
pub mod ingest;
pub mod model;
pub mod pseudonym;
pub mod radiomics;
pub mod roi;
pub mod study;
#[cfg(test)]
mod test_random;
