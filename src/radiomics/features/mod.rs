//! Texture feature formulas: one module per texture class, each computing its features from the
//! class's matrix.
#![allow(missing_docs)]

mod emphasis;
pub mod glcm;
pub mod gldm;
pub mod glrlm;
pub mod glszm;
pub mod ngtdm;
