//! Texture feature formulas: one module per texture class, each computing its features from the
//! class's matrix.

mod emphasis;
pub mod gldm;
pub mod glszm;
pub mod ngtdm;
