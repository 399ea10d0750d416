//! Integration tests: one binary, one module per area.

// GLSZM, GLDM, NGTDM matrices and features against PyRadiomics' baseline tables and .npy matrices.
mod radiomics_texture_szm;
