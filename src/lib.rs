//! radscored: Deep-RadScore biomarkers for non-small cell lung cancer, beside the CT scanner.
//!
//! Layout, one module per stage of the data flow:
//! - [`image`]: volumes on a physical grid and the research file formats (NRRD, NIfTI);
//! - [`ingest`]: a folder of DICOM files to one CT volume in Hounsfield units;
//! - [`roi`]: the tumor mask (DICOM SEG, RTSTRUCT or label map), its peritumoral ring and the deep patch;
//! - [`radiomics`]: PyRadiomics-exact features of a region;
//! - [`gpu`]: the compute backend (CUDA kernels or the CPU) of the ring and the texture matrices;
//!   [`gpu_check`] compares it with the CPU on a GPU machine;
//! - [`model`]: the published classifiers, their statistics and the model bundles;
//! - [`analyze`]: the one-shot pipeline of a study folder, named by [`pseudonym`] keys;
//! - [`error_code`]: the stable code every console-facing error carries;
//! - [`batch`], [`bench`], [`output`], [`cli`]: the command line around them.
#![deny(missing_docs)]

pub mod analyze;
pub mod batch;
pub mod bench;
pub mod cli;
pub mod error_code;
pub mod gpu;
pub mod gpu_check;
pub mod image;
pub mod ingest;
pub mod model;
pub mod output;
pub mod pseudonym;
pub mod radiomics;
pub mod roi;
#[cfg(test)]
mod test_random;
