//! Radiomic features as PyRadiomics 3.x computes them: shape, first order and the five texture
//! classes, on the original image (and, from the wavelet stage, on filtered images).
//!
//! Data flow: [`preprocess`] checks the mask and cuts a [`Roi`] (a box around the region) out of
//! the image; [`discretise`] turns it into [`GreyLevels`]; each texture class has a matrix
//! builder (`matrices/`) and separate feature formulas (`features/`), so a GPU backend can
//! replace the builders alone; [`extract`] runs the enabled classes and names the results.

pub mod discretise;
pub mod extract;
pub mod features;
pub mod firstorder;
pub mod matrices;
pub mod numpy;
pub mod params;
pub mod preprocess;
pub mod roi;
pub mod settings;
pub mod shape;
pub mod texture;
pub mod wavelet;

pub use discretise::{discretise, discretise_on, Binning};
pub use extract::{extract, extract_on, extract_parallel, thread_pool, ExtractError, FeatureVector};
pub use roi::{GreyLevels, Roi};
pub use settings::{FeatureClass, Settings};
pub use texture::{TextureSettings, WeightingNorm};
