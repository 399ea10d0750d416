//! Settings shared by the texture matrix builders (PyRadiomics `distances`, `symmetricalGLCM`,
//! `weightingNorm`, `force2D`/`force2Ddimension`, `gldm_a`).

/// How per-angle matrices are weighted by the length of their displacement (PyRadiomics
/// `weightingNorm`). Without weighting, features are computed per angle and averaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum WeightingNorm {
    /// Weight `exp(-‖d‖²)` with ‖d‖ the infinity norm of the displacement in millimetres.
    Infinity,
    /// Weight `exp(-‖d‖²)` with the Manhattan norm.
    Manhattan,
    /// Weight `exp(-‖d‖²)` with the Euclidean norm.
    Euclidean,
    /// Sum the matrices of all angles with weight 1 (PyRadiomics `no_weighting`).
    NoWeighting,
}

/// Settings of the texture classes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TextureSettings {
    /// Neighbour distances in voxels (infinity norm) for GLCM, NGTDM and GLDM; default `[1]`.
    pub distances: Vec<usize>,
    /// Add the transposed GLCM to each GLCM (PyRadiomics `symmetricalGLCM`, default true).
    pub symmetrical_glcm: bool,
    /// Combine angles into one matrix before the features (default: none, average features).
    pub weighting_norm: Option<WeightingNorm>,
    /// Compute texture in 2D slices normal to this axis (`i`=0, `j`=1, `k`=2) instead of 3D.
    /// PyRadiomics names axes in NumPy order: its `force2Ddimension` d is our axis `2 − d`.
    pub force_2d_axis: Option<usize>,
    /// Dependence cut-off α of the GLDM, in grey levels (PyRadiomics `gldm_a`, default 0).
    pub gldm_alpha: f64,
    /// Voxel spacing along `(i, j, k)`, millimetres (needed for the weighting norms).
    pub spacing_mm: [f64; 3],
}

impl Default for TextureSettings {
    fn default() -> Self {
        TextureSettings {
            distances: vec![1],
            symmetrical_glcm: true,
            weighting_norm: None,
            force_2d_axis: None,
            gldm_alpha: 0.0,
            spacing_mm: [1.0; 3],
        }
    }
}
