//! Feature formulas of the texture classes, computed from the matrices of `matrices/` exactly as
//! PyRadiomics 3.x computes them (per-angle values averaged with `nanmean`, same special cases).

mod average;
pub mod eigen;
mod emphasis;
pub mod glcm;
pub mod gldm;
pub mod glrlm;
pub mod glszm;
pub mod ngtdm;
#[cfg(test)]
mod testutil;
