//! Integration tests: one binary, one module per area.

// GLCM and GLRLM matrices and features against PyRadiomics' baseline files.
mod radiomics_texture_glcm;
