//! Texture matrix builders: discretised grey levels in, one matrix per texture class out.

pub mod gldm;
pub mod glszm;
pub mod ngtdm;
