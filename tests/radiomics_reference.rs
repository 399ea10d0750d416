//! Every feature of every PyRadiomics baseline column (`../shared/refdata/pyradiomics/baseline/`)
//! recomputed by `radiomics::extract` on the same image and mask with the column's own settings.
//! Resampling columns are not part of this product's scope and are left out, as are the shape2D
//! columns, whose single-slice masks are not in the shared data. Each value must agree to the
//! precision the table prints it with (one unit of its last digit; float64 arithmetic's floor
//! where all digits are printed).

use radscored::image;
use radscored::radiomics::{self, FeatureClass};

use crate::util::{case_paths, rel_diff, settings_from_yaml, within_printed, Baseline};

/// Compares one class over all its columns; returns the number of values compared.
fn check_class(class: FeatureClass) -> usize {
    let baseline = Baseline::read(class.name());
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut worst = (0.0f64, String::new());
    let mut worst_units = (0.0f64, String::new());
    for column in &baseline.columns {
        if column.ends_with("_resampling") {
            continue;
        }
        let (image_path, mask_path) = case_paths(column.split('_').next().unwrap());
        let (image, mask) = (image::read(&image_path).unwrap(), image::read(&mask_path).unwrap());
        let mut settings = settings_from_yaml(&baseline.settings_yaml(column));
        settings.classes = vec![(class, Vec::new())];
        let ours = radiomics::extract(&image, &mask, &settings).unwrap_or_else(|e| panic!("{column}: {e}"));
        for (name, reference, allowed) in baseline.features_printed(column) {
            compared += 1;
            let Some(value) = ours.get(&name) else {
                failures.push(format!("{column} {name}: not computed"));
                continue;
            };
            let d = rel_diff(value, reference);
            if d > worst.0 {
                worst = (d, format!("{column} {name}"));
            }
            let share = (value - reference).abs() / allowed;
            if share > worst_units.0 {
                worst_units = (share, format!("{column} {name}, allowed {allowed:e}"));
            }
            if !within_printed(value, reference, allowed) {
                failures
                    .push(format!("{column} {name}: ours {value:e}, PyRadiomics {reference:e}, rel {d:e}"));
            }
        }
    }
    println!(
        "{}: {compared} values, worst relative difference {:e} ({}), worst share of the allowed difference {:.3} ({})",
        class.name(),
        worst.0,
        worst.1,
        worst_units.0,
        worst_units.1
    );
    assert!(failures.is_empty(), "{} of {compared} values differ:\n{}", failures.len(), failures.join("\n"));
    compared
}

#[test]
fn firstorder_matches_pyradiomics_baseline() {
    assert!(check_class(FeatureClass::FirstOrder) > 200);
}

#[test]
fn glszm_matches_pyradiomics_baseline() {
    assert!(check_class(FeatureClass::Glszm) > 400);
}

#[test]
fn gldm_matches_pyradiomics_baseline() {
    assert!(check_class(FeatureClass::Gldm) > 350);
}

#[test]
fn ngtdm_matches_pyradiomics_baseline() {
    assert!(check_class(FeatureClass::Ngtdm) > 120);
}

#[test]
fn glcm_matches_pyradiomics_baseline() {
    assert!(check_class(FeatureClass::Glcm) > 800);
}

#[test]
fn glrlm_matches_pyradiomics_baseline() {
    assert!(check_class(FeatureClass::Glrlm) > 500);
}
