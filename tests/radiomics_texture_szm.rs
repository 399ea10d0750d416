//! GLSZM, GLDM and NGTDM where the baseline tables do not reach (`radiomics_reference` checks every
//! baseline column's features through `radiomics::extract`): the matrices of the plain
//! configuration against `refdata/pyradiomics/baseline/<case>_<class>.npy` (PyRadiomics'
//! `tests/test_matrices.py` expectations), and settings no baseline column uses (other and
//! repeated distances, a GLDM α, 2D along the other axes) against PyRadiomics run live from
//! `.venv-ref` (the project's setup script creates it).
//!
//! Grey levels come from the library's own preprocessing (`util::texture_input`), settings from
//! the plain baseline column's settings row or the literal given to PyRadiomics
//! (`util::settings_from_yaml`).

use radscored::radiomics::features::{gldm::gldm_features, glszm::glszm_features, ngtdm::ngtdm_features};
use radscored::radiomics::matrices::{gldm::gldm, glszm::glszm, ngtdm::ngtdm};

use crate::util::{check_texture_against_live_pyradiomics, plain_texture_inputs, reference_matrix, rel_diff};

/// Compares a count matrix (`rows` grey levels × `columns` sizes, row-major) with the `.npy` file:
/// same shape, every count equal.
fn check_counts(case: &str, class: &str, rows: usize, columns: usize, counts: &[f64]) {
    let (shape, want) = reference_matrix(case, class);
    assert_eq!(shape, vec![rows, columns], "{case} {class} shape (grey levels, sizes)");
    assert_eq!(counts, want, "{case} {class}");
}

#[test]
fn glszm_matrices_match_pyradiomics_npy() {
    for (case, g, s) in plain_texture_inputs("glszm") {
        let m = glszm(&g, &s).unwrap();
        check_counts(case, "glszm", m.grey_levels.len(), m.zone_sizes.len(), &m.counts);
    }
}

#[test]
fn gldm_matrices_match_pyradiomics_npy() {
    for (case, g, s) in plain_texture_inputs("gldm") {
        let m = gldm(&g, &s).unwrap();
        check_counts(case, "gldm", m.grey_levels.len(), m.dependence_sizes.len(), &m.counts);
    }
}

#[test]
fn ngtdm_matrices_match_pyradiomics_npy() {
    let mut worst = 0.0f64;
    for (case, g, s) in plain_texture_inputs("ngtdm") {
        let m = ngtdm(&g, &s).unwrap();
        let (shape, want) = reference_matrix(case, "ngtdm");
        let rows = m.grey_levels.len();
        assert_eq!(shape, vec![rows, 3], "{case} ngtdm shape");
        for r in 0..rows {
            assert_eq!(m.counts[r], want[r * 3], "{case} ngtdm n_i, row {r}");
            assert_eq!(f64::from(m.grey_levels[r]), want[r * 3 + 2], "{case} ngtdm grey level, row {r}");
            let d = rel_diff(m.differences[r], want[r * 3 + 1]);
            assert!(d <= 1e-12, "{case} ngtdm s_i, row {r}: {} vs {}", m.differences[r], want[r * 3 + 1]);
            worst = worst.max(d);
        }
    }
    println!("ngtdm matrices: worst relative difference of s_i {worst:e}");
}

/// PyRadiomics repeats the neighbours of a repeated distance (`generate_angles` counts it twice),
/// which doubles GLDM dependences; the other literals use settings no baseline column has.
#[test]
fn settings_without_a_baseline_match_live_pyradiomics() {
    let settings = [
        "{'binWidth': 25, 'distances': [1, 2]}",
        "{'binWidth': 25, 'distances': [1, 1]}",
        "{'binWidth': 25, 'gldm_a': 2}",
        "{'binWidth': 25, 'force2D': True, 'force2Ddimension': 1}",
        "{'binWidth': 25, 'force2D': True, 'force2Ddimension': 2}",
    ];
    check_texture_against_live_pyradiomics(
        &["brain2", "breast1"],
        &[("glszm", glszm_features), ("gldm", gldm_features), ("ngtdm", ngtdm_features)],
        &settings,
    );
}
