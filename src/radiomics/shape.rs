//! stub
#[allow(missing_docs)]
pub fn shape_features(_r: &crate::radiomics::Roi) -> Vec<(&'static str, f64)> {
    vec![]
}
