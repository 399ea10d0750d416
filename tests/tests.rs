//! Integration tests: one binary, one module per area.

/// Shared helpers: where the shared reference data is, baseline tables, the Python oracle.
mod util;

/// Every PyRadiomics baseline column (original image) against `radiomics::extract`.
mod radiomics_reference;

/// Bad input to `radscored features`: typed errors, exit code 2, nothing on stdout.
mod features_errors;

/// The paper's 30 classifiers: probabilities, AUCs, DeLong interval, loader errors.
mod model_reference;

/// `radscored evaluate` run as a process.
mod evaluate_cli;

/// GLSZM, GLDM, NGTDM matrices against PyRadiomics' .npy files; settings without a baseline live.
mod radiomics_texture_szm;

/// GLCM and GLRLM matrices against PyRadiomics' .npy files; settings without a baseline live.
mod radiomics_texture_glcm;
