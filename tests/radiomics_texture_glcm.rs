//! GLCM and GLRLM where the baseline tables do not reach (`radiomics_reference` checks every
//! baseline column's features through `radiomics::extract`): the matrices of the plain
//! configuration against `refdata/pyradiomics/baseline/<case>_{glcm,glrlm}.npy` (PyRadiomics'
//! `tests/test_matrices.py` expectations), and settings no baseline column uses (the three distance
//! weightings, other distances, an asymmetric GLCM, 2D along the other axes) against PyRadiomics
//! run live from `.venv-ref` (the project's setup script creates it).
//!
//! Grey levels come from the library's own preprocessing (`util::texture_input`), settings from
//! the plain baseline column's settings row or the literal given to PyRadiomics
//! (`util::settings_from_yaml`).

use radscored::radiomics::features::{glcm, glrlm};
use radscored::radiomics::matrices::glcm::Glcm;
use radscored::radiomics::matrices::glrlm::Glrlm;

use crate::util::{check_texture_against_live_pyradiomics, plain_texture_inputs, reference_matrix};

/// Largest accepted absolute difference of a matrix entry from the `.npy` file.
const MATRIX_TOLERANCE: f64 = 1e-12;

/// Compares a matrix stored as `[a][row][column]` with the `.npy` array `[row][column][a]`.
fn check_matrix(
    case: &str,
    class: &str,
    rows: usize,
    columns: usize,
    angles: usize,
    got: impl Fn(usize, usize, usize) -> f64,
) {
    let (shape, expected) = reference_matrix(case, class);
    assert_eq!(shape, vec![rows, columns, angles], "{case} {class}: shape (rows, columns, angles)");
    let mut worst: f64 = 0.0;
    for r in 0..rows {
        for c in 0..columns {
            for a in 0..angles {
                let e = expected[(r * columns + c) * angles + a];
                let d = (got(a, r, c) - e).abs();
                worst = worst.max(d);
                assert!(
                    d <= MATRIX_TOLERANCE,
                    "{case} {class} [{r}][{c}][{a}]: got {}, PyRadiomics {e}",
                    got(a, r, c)
                );
            }
        }
    }
    println!("{case} {class}: largest absolute difference {worst:e}");
}

#[test]
fn glcm_matrices_match_pyradiomics_npy() {
    for (case, g, s) in plain_texture_inputs("glcm") {
        let m = Glcm::build(&g, &s).unwrap();
        let n = m.size();
        check_matrix(case, "glcm", n, n, m.angles, |a, i, j| m.matrix(a)[i * n + j]);
    }
}

#[test]
fn glrlm_matrices_match_pyradiomics_npy() {
    for (case, g, s) in plain_texture_inputs("glrlm") {
        let m = Glrlm::build(&g, &s).unwrap();
        let (n_g, n_r) = (m.levels.len(), m.run_lengths.len());
        check_matrix(case, "glrlm", n_g, n_r, m.angles, |a, i, r| m.matrix(a)[i * n_r + r]);
    }
}

#[test]
fn settings_without_a_baseline_match_live_pyradiomics() {
    let settings = [
        "{'binWidth': 25, 'weightingNorm': 'infinity'}",
        "{'binWidth': 25, 'weightingNorm': 'euclidean'}",
        "{'binWidth': 25, 'weightingNorm': 'manhattan'}",
        "{'binWidth': 25, 'distances': [1, 2]}",
        "{'binWidth': 25, 'distances': [3], 'weightingNorm': 'manhattan'}",
        "{'binWidth': 25, 'symmetricalGLCM': False}",
        "{'binWidth': 25, 'force2D': True, 'force2Ddimension': 1}",
        "{'binWidth': 25, 'force2D': True, 'force2Ddimension': 2}",
    ];
    check_texture_against_live_pyradiomics(
        &["brain2", "breast1"],
        &[("glcm", glcm::glcm_features), ("glrlm", glrlm::glrlm_features)],
        &settings,
    );
}
