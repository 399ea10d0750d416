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

/// GLSZM, GLDM, NGTDM matrices and features against PyRadiomics' baseline tables and .npy matrices.
mod radiomics_texture_szm;

/// Wavelet sub-bands on the region against live PyRadiomics `getWaveletImage` on whole volumes.
mod radiomics_wavelet;
