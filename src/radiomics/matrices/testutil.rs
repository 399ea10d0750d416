//! Fixtures shared by the unit tests of the matrix builders.

use crate::radiomics::roi::GreyLevels;

/// The 5×5 example image of the PyRadiomics GLSZM and GLDM documentation (the same image in both
/// docstrings), as one slice with rows along `j`, columns along `i`.
pub fn pyradiomics_docs_5x5() -> GreyLevels {
    #[rustfmt::skip]
    let image = vec![
        5, 2, 5, 4, 4,
        3, 3, 3, 1, 3,
        2, 1, 1, 1, 3,
        4, 2, 2, 2, 3,
        3, 5, 3, 3, 2,
    ];
    GreyLevels::new([5, 5, 1], image)
}
