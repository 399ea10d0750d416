//! radscored: Deep-RadScore biomarkers for non-small cell lung cancer, beside the CT scanner.
//!
//! Layout, one module per stage of the data flow:
//! - [`image`]: volumes on a physical grid and the research file formats (NRRD, NIfTI);
//! - [`radiomics`]: PyRadiomics-exact features of a region.
#![deny(missing_docs)]

pub mod image;
pub mod radiomics;
