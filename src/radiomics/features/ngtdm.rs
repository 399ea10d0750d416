//! stub
#[allow(missing_docs)]
pub fn ngtdm_features(
    _g: &crate::radiomics::GreyLevels,
    _s: &crate::radiomics::TextureSettings,
) -> Vec<(&'static str, f64)> {
    vec![]
}
