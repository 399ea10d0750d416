//! `radscored analyze` on the shared DICOM fixtures: the tumor's features equal `features` on the
//! NRRD pair the DICOM files were made from, the report carries no patient identity, and a folder
//! without a CT series fails with a one-line reason.

use std::process::Command;

use radscored::analyze::{analyze, AnalyzeOptions};
use radscored::image;
use radscored::pseudonym::{SiteKey, SITE_KEY_BYTES};
use radscored::radiomics;

use crate::study_fixture::StudyDir;
use crate::util::shared;

fn key() -> SiteKey {
    SiteKey::from_bytes([42; SITE_KEY_BYTES])
}

#[test]
fn lung1_tumor_features_equal_the_nrrd_pair() {
    // lung1 holds the same instances twice (ct/ and ct-rle/): a study folder gets one copy.
    let study = StudyDir::new();
    study.link("lung1/ct-rle", "ct");
    study.link("lung1/seg", "seg");
    let options = AnalyzeOptions::paper();
    let report = analyze(study.path(), &options, &key(), None).unwrap();
    assert_eq!(report.tumor.voxels, 837);
    let image = image::read(&shared("refdata/pyradiomics/lung1_image.nrrd")).unwrap();
    let mask = image::read(&shared("refdata/pyradiomics/lung1_label.nrrd")).unwrap();
    let expected = radiomics::extract(&image, &mask, &options.settings).unwrap();
    let ours = report.tumor.features.as_object().unwrap();
    assert_eq!(ours.len(), 851);
    assert_eq!(expected.len(), 851);
    for (name, value) in &expected.entries {
        let got = ours[name].as_f64().unwrap_or(f64::NAN);
        assert!(got == *value || (got.is_nan() && value.is_nan()), "{name}: analyze {got}, features {value}");
    }
    assert_eq!(report.ring.features.as_object().unwrap().len(), 851);
    assert_eq!(report.patch.slice, 33);
}

#[test]
fn report_names_the_study_by_key_only() {
    let dir = shared("fixtures/dicom/lung2-crop");
    let a = analyze(&dir, &AnalyzeOptions::paper(), &key(), None).unwrap();
    let text = serde_json::to_string(&a).unwrap();
    for identity in ["FIXTURE", "LUNG2-CROP", "2.25.214489990300862449713486689898810742832"] {
        assert!(!text.contains(identity), "report contains '{identity}'");
    }
    let other =
        analyze(&dir, &AnalyzeOptions::paper(), &SiteKey::from_bytes([1; SITE_KEY_BYTES]), None).unwrap();
    assert_ne!(a.study_key, other.study_key);
    assert_eq!((a.tumor.voxels, a.ring.voxels), (24_644, 9_324));
}

#[test]
fn a_folder_without_ct_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("site.key");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_radscored"))
        .args(["analyze", empty.to_str().unwrap(), "--no-predict", "--site-key", key_file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: cannot analyze"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn predictions_follow_the_bundle_for_all_ten_endpoints() {
    let repo = crate::util::repo();
    let bundle_dir = repo.join("engines/reference");
    let mut predictor = radscored::model::predict::Predictor::load(
        &bundle_dir,
        &radscored::model::deep::DeepConfig::default(),
        &repo,
    )
    .expect("reference bundle loads (scripts/setup.sh generates its network)");
    let report =
        analyze(&shared("fixtures/dicom/lung2-crop"), &AnalyzeOptions::paper(), &key(), Some(&mut predictor))
            .unwrap();
    let predictions = report.predictions.expect("predictions with a bundle");
    assert_eq!(predictions.endpoints.len(), 10);
    assert_eq!(predictions.label, "demonstration weights, not for clinical use");

    // RadScores recomputed here from the manifest text and the report's feature values.
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(bundle_dir.join("manifest.toml")).unwrap()).unwrap();
    for (endpoint, p) in &predictions.endpoints {
        assert_eq!(p.bundle_label, predictions.label);
        assert_eq!(p.label, u8::from(p.probability > 0.5), "{endpoint}");
        assert!((0.0..=1.0).contains(&p.probability));
        for (region, features, score) in [
            ("tumor", &report.tumor.features, p.radscore_tumor),
            ("ring", &report.ring.features, p.radscore_ring),
        ] {
            let spec = &manifest["endpoints"][endpoint.as_str()]["radscore"][region];
            let mut expected = spec["intercept"].as_float().unwrap();
            for term in spec["terms"].as_array().unwrap() {
                let value = features[term["feature"].as_str().unwrap()].as_f64().unwrap();
                let z = (value - term["mean"].as_float().unwrap()) / term["std"].as_float().unwrap();
                expected += term["coef"].as_float().unwrap() * z;
            }
            assert!((score - expected).abs() <= 1e-12 * expected.abs().max(1.0), "{endpoint} {region}");
        }
        if let (Some(terms), Some(intercept)) =
            (&p.contributions.classifier_terms, p.contributions.classifier_intercept)
        {
            let logit: f64 = terms.values().sum::<f64>() + intercept;
            let from_p = (p.probability / (1.0 - p.probability)).ln();
            assert!((logit - from_p).abs() < 1e-6 * logit.abs().max(1.0), "{endpoint}: {logit} vs {from_p}");
        }
    }
}
