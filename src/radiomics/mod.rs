//! Radiomic features as PyRadiomics 3.x computes them: shape, first order and the five texture
//! classes, on the original image (and, from the wavelet stage, on filtered images).
//!
//! Data flow: the image and mask become a [`Roi`] (a box around the mask); [`discretise`] turns
//! it into [`GreyLevels`]; each texture class has a matrix builder (`matrices/`) and separate
//! feature formulas (`features/`), so a GPU backend can replace the builders alone.

pub mod discretise;
pub mod features;
pub mod matrices;
pub mod roi;
pub mod texture;

pub use discretise::{discretise, Binning};
pub use roi::{GreyLevels, Roi};
pub use texture::{TextureSettings, WeightingNorm};
