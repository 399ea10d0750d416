//! Helpers shared by the unit tests of the feature formulas.

/// The value of feature `name` in a class's output.
///
/// **Panics** if the output has no such feature.
pub fn value(features: &[(&'static str, f64)], name: &str) -> f64 {
    features.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no feature {name}")).1
}

/// Asserts that a class names `count` features in PyRadiomics' output order (alphabetical, by
/// byte).
pub fn assert_pyradiomics_order(names: &[&str], count: usize) {
    let mut sorted = names.to_vec();
    sorted.sort_unstable();
    assert_eq!((names.len(), names), (count, &sorted[..]));
}
