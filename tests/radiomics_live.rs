//! All 851 features (original image and the eight wavelet sub-bands) against live PyRadiomics on
//! the shared cases, with the paper's setting and two other bin widths. PyRadiomics runs from the
//! project's `.venv-ref` (made by `scripts/setup.sh`).

use std::path::PathBuf;
use std::process::Command;

use radscored::image;
use radscored::radiomics::{self, params};

use crate::util::{rel_diff, repo, shared, ABSOLUTE_TOLERANCE_AT_ZERO, RELATIVE_TOLERANCE};

/// The paper's parameter file with another bin width, written to `dir`.
fn params_with_bin_width(dir: &std::path::Path, width: u32) -> PathBuf {
    let paper = std::fs::read_to_string(repo().join("firmware-config/radiomics-paper.yaml")).unwrap();
    let text = paper.replace("binWidth: 25", &format!("binWidth: {width}"));
    assert!(text.contains(&format!("binWidth: {width}")));
    let path = dir.join(format!("bw{width}.yaml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Compares radscored with PyRadiomics on one image/mask/label for bin widths 25, 10 and 50.
fn check_case(image_rel: &str, mask_rel: &str, label: u32) {
    let python = repo().join(".venv-ref/bin/python");
    assert!(python.exists(), "{} missing: run scripts/setup.sh", python.display());
    let (image_path, mask_path) = (shared(image_rel), shared(mask_rel));
    let dir = tempfile::tempdir().unwrap();
    let widths = [25, 10, 50];
    let param_files: Vec<PathBuf> = widths.iter().map(|&w| params_with_bin_width(dir.path(), w)).collect();
    let out = Command::new(&python)
        .arg(repo().join("tests/oracle/pyradiomics_features.py"))
        .arg(&image_path)
        .arg(&mask_path)
        .arg(label.to_string())
        .args(&param_files)
        .output()
        .unwrap();
    assert!(out.status.success(), "PyRadiomics failed: {}", String::from_utf8_lossy(&out.stderr));
    let image = image::read(&image_path).unwrap();
    let mask = image::read(&mask_path).unwrap();
    let mut failures = Vec::new();
    let mut worst = (0.0f64, String::new());
    let mut compared = 0;
    for (line, (params_path, width)) in
        String::from_utf8(out.stdout).unwrap().lines().zip(param_files.iter().zip(widths))
    {
        let reference: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
        let mut settings = params::read(params_path).unwrap();
        settings.label = label as f64;
        let ours = radiomics::extract(&image, &mask, &settings).unwrap();
        assert_eq!(ours.len(), reference.len(), "{image_rel} label {label} bw {width}: feature count");
        assert_eq!(ours.len(), 851);
        for (name, value) in &reference {
            let Some(mine) = ours.get(name) else {
                failures.push(format!("bw {width} {name}: not computed"));
                continue;
            };
            let theirs = value.as_f64().unwrap_or(f64::NAN);
            compared += 1;
            let d = rel_diff(mine, theirs);
            if d > worst.0 {
                worst = (d, format!("bw {width} {name}"));
            }
            let limit = if theirs == 0.0 { ABSOLUTE_TOLERANCE_AT_ZERO } else { RELATIVE_TOLERANCE };
            if d.is_nan() || d > limit {
                failures.push(format!("bw {width} {name}: ours {mine:e}, PyRadiomics {theirs:e}, rel {d:e}"));
            }
        }
    }
    assert_eq!(compared, 851 * widths.len(), "{image_rel} label {label}: values compared");
    println!(
        "{image_rel} label {label}: {compared} values, worst relative difference {:e} ({})",
        worst.0, worst.1
    );
    assert!(
        failures.is_empty(),
        "{image_rel} label {label}: {} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn lung1_all_features() {
    check_case("refdata/pyradiomics/lung1_image.nrrd", "refdata/pyradiomics/lung1_label.nrrd", 1);
}

#[test]
fn lung2_all_features() {
    check_case("refdata/pyradiomics/lung2_image.nrrd", "refdata/pyradiomics/lung2_label.nrrd", 1);
}

#[test]
fn brain1_all_features() {
    check_case("refdata/pyradiomics/brain1_image.nrrd", "refdata/pyradiomics/brain1_label.nrrd", 1);
}

#[test]
fn breast1_all_features() {
    check_case("refdata/pyradiomics/breast1_image.nrrd", "refdata/pyradiomics/breast1_label.nrrd", 1);
}

#[test]
fn prostate_phantom_all_labels() {
    for label in [1, 7, 8, 9] {
        check_case(
            "refdata/pyradiomics/prostate_phantom_subvolume.nrrd",
            "refdata/pyradiomics/prostate_phantom_subvolume-label.nrrd",
            label,
        );
    }
}
