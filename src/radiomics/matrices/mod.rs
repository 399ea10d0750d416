//! Texture matrices as PyRadiomics 3.x builds them (`_calculateMatrix` of each feature class and
//! the C kernels in `cmatrices.c`), from a region's [`GreyLevels`](super::GreyLevels). Feature
//! formulas live apart, in `features/`, so another backend can replace the builders alone.

pub mod angles;
pub mod glcm;
pub mod gldm;
pub mod glrlm;
pub mod glszm;
mod levels;
pub mod neighbourhood;
pub mod ngtdm;
mod padded;
mod reduce;
#[cfg(test)]
mod testutil;
