//! `radscored analyze` on the shared DICOM fixtures: the tumor's features equal `features` on the
//! NRRD pair the DICOM files were made from, the report carries no patient identity, a folder
//! without a CT series fails with a one-line reason, the bundle pins the extraction settings, the
//! folder and parsed-instance paths agree, and one predictor serves several threads.

use std::path::Path;
use std::process::Command;

use radscored::image;
use radscored::ingest::Instance;
use radscored::model::predict::Predictor;
use radscored::pseudonym::{SiteKey, SITE_KEY_BYTES};
use radscored::radiomics;
use radscored::study::{AnalyzeError, AnalyzeOptions, Analyzer, Report, StudyInput};

use crate::identifiers::Identifiers;
use crate::study_fixture::StudyDir;
use crate::util::shared;

fn key() -> SiteKey {
    SiteKey::from_bytes([42; SITE_KEY_BYTES])
}

/// Analyses the folder `dir` with `options` and no model stage.
fn analyze(dir: &Path, options: &AnalyzeOptions, key: &SiteKey) -> Report {
    let analyzer = Analyzer::new(options.clone(), key.clone(), None, None).unwrap();
    let report = analyzer.analyze(StudyInput::Folder(dir.to_path_buf())).unwrap();
    let identifiers = Identifiers::of(&[dir]);
    identifiers.assert_absent("the report", &serde_json::to_string(&report).unwrap());
    identifiers.assert_absent("the summary", &report.summary());
    report
}

/// The reference bundle, loaded.
fn reference_predictor() -> Predictor {
    let repo = crate::util::repo();
    Predictor::load(&repo.join("engines/reference"), &radscored::model::deep::DeepConfig::default(), &repo)
        .expect("reference bundle loads (scripts/setup.sh generates its network)")
}

/// The report as JSON with its timings zeroed (the only field that differs between two runs).
fn without_timings(mut report: Report) -> String {
    report.timings = Default::default();
    serde_json::to_string_pretty(&report).unwrap()
}

#[test]
fn lung1_tumor_features_equal_the_nrrd_pair() {
    // lung1 holds the same instances twice (ct/ and ct-rle/): a study folder gets one copy.
    let study = StudyDir::new();
    study.link("lung1/ct-rle", "ct");
    study.link("lung1/seg", "seg");
    let options = AnalyzeOptions::paper();
    let report = analyze(study.path(), &options, &key());
    assert_eq!(report.tumor.voxels, 837);
    let image = image::read(&shared("refdata/pyradiomics/lung1_image.nrrd")).unwrap();
    let mask = image::read(&shared("refdata/pyradiomics/lung1_label.nrrd")).unwrap();
    let expected = radiomics::extract(&image, &mask, &options.extraction.settings).unwrap();
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
    let a = analyze(&dir, &AnalyzeOptions::paper(), &key());
    let text = serde_json::to_string(&a).unwrap();
    for identity in ["FIXTURE", "LUNG2-CROP", "2.25.214489990300862449713486689898810742832", "lung2"] {
        assert!(!text.contains(identity), "report contains '{identity}'");
    }
    // No DICOM UID of the input at all (study, series, instance, frame of reference), no name, no path.
    Identifiers::of(&[&dir]).assert_absent("the report", &text);
    assert_eq!(a.series_key.len(), 32);
    let other = analyze(&dir, &AnalyzeOptions::paper(), &SiteKey::from_bytes([1; SITE_KEY_BYTES]));
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
    let bundle_dir = crate::util::repo().join("engines/reference");
    let predictor = reference_predictor();
    let options = AnalyzeOptions::for_bundle(predictor.bundle(), Default::default());
    let analyzer = Analyzer::new(options, key(), Some(predictor), None).unwrap();
    let study = shared("fixtures/dicom/lung2-crop");
    let report = analyzer.analyze(StudyInput::Folder(study.clone())).unwrap();
    let identifiers = Identifiers::of(&[&study]);
    identifiers.assert_absent("the report", &serde_json::to_string(&report).unwrap());
    identifiers.assert_absent("the summary", &report.summary());
    assert_eq!(report.settings.ring_radius_mm, 3.0);
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
    }
    // The classifier recomputed from the report's RadScores and deep features by the reference
    // data's numpy formulas (tests/oracle/classifier_proba.py), not by the product's classifier.
    let rows: Vec<serde_json::Value> = predictions
        .endpoints
        .iter()
        .map(|(endpoint, p)| {
            let classifier = manifest["endpoints"][endpoint.as_str()]["classifier"]["path"].as_str().unwrap();
            let mut x = vec![p.radscore_tumor, p.radscore_ring];
            x.extend_from_slice(&p.deep_features);
            serde_json::json!({ "model": bundle_dir.join(classifier), "x": x })
        })
        .collect();
    let oracle = classifier_oracle(&rows);
    assert_eq!(oracle.len(), 10, "the oracle scored every endpoint");
    let mut worst = 0.0f64;
    for ((endpoint, p), expected) in predictions.endpoints.iter().zip(&oracle) {
        let d = (p.probability - expected).abs();
        worst = worst.max(d);
        assert!(d <= 1e-12, "{endpoint} ({}): probability {}, numpy {expected}", p.classifier, p.probability);
    }
    println!("fused probabilities against the numpy classifiers: 10 endpoints, worst |difference| {worst:e}");
}

/// `tests/oracle/classifier_proba.py` on rows `{"model": PATH, "x": [..]}`: P(class 1) of each.
pub fn classifier_oracle(rows: &[serde_json::Value]) -> Vec<f64> {
    let out = crate::util::run_oracle(
        "classifier_proba.py",
        &[crate::util::deepradscore_refdata().join("scripts")],
        serde_json::to_string(rows).unwrap().as_bytes(),
    );
    let values: Vec<String> = serde_json::from_slice(&out).expect("oracle prints JSON");
    values.iter().map(|v| v.parse().expect("a float")).collect()
}

/// The reference bundle pins the paper's setting: its canonical settings hash is that of the
/// embedded paper file, and other settings are refused with the setting and the required value.
#[test]
fn the_bundle_pins_its_extraction_settings() {
    let predictor = reference_predictor();
    let paper = AnalyzeOptions::paper();
    let pinned = AnalyzeOptions::for_bundle(predictor.bundle(), Default::default());
    assert_eq!(pinned.extraction, paper.extraction);

    let mut ring = paper.clone();
    ring.extraction.ring_radius_mm = 4.0;
    let err = ring.check_bundle(predictor.bundle()).unwrap_err();
    assert!(matches!(err, AnalyzeError::SettingsDiffer { setting: "ring radius", .. }), "{err}");
    assert!(err.to_string().contains("asked for 4 mm, the bundle requires 3 mm"), "{err}");

    let mut binned = paper.clone();
    binned.extraction.settings.binning = radiomics::Binning::Width(10.0);
    let err = binned.check_bundle(predictor.bundle()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("other PyRadiomics parameters"), "{text}");
    assert!(text.contains(&paper.extraction.settings_sha256()), "{text}");
    let err = Analyzer::new(binned, key(), Some(predictor), None).unwrap_err();
    assert!(matches!(err, AnalyzeError::SettingsDiffer { .. }), "{err}");
}

/// On the command line: `--ring-mm` or `--params` that differ from the bundle's are refused, the
/// same options are free with `--no-predict`, and equal ones pass.
#[test]
fn the_command_refuses_settings_the_bundle_was_not_fitted_on() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("site.key");
    let params = dir.path().join("params.yaml");
    std::fs::write(&params, "setting:\n  binWidth: 10\n").unwrap();
    let study = shared("fixtures/dicom/lung2-crop");
    let run = |extra: &[&str]| {
        let mut args = vec!["analyze", study.to_str().unwrap(), "--site-key", key_file.to_str().unwrap()];
        args.extend_from_slice(extra);
        Command::new(env!("CARGO_BIN_EXE_radscored")).args(&args).output().unwrap()
    };
    let out = run(&["--ring-mm", "4"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("ring radius: asked for 4 mm, the bundle requires 3 mm"), "{err}");
    let out = run(&["--params", params.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("other PyRadiomics parameters"));

    let out = run(&["--ring-mm", "4", "--no-predict", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Identifiers::of(&[&study]).assert_absent("the report", &String::from_utf8_lossy(&out.stdout));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["settings"]["ring_radius_mm"], 4.0);
    assert!(report.get("predictions").is_none());

    let paper = crate::util::repo().join("firmware-config/radiomics-paper.yaml");
    let out = run(&["--ring-mm", "3", "--params", paper.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary = String::from_utf8(out.stdout).unwrap();
    Identifiers::of(&[&study]).assert_absent("the summary", &summary);
    assert!(
        summary.starts_with("model bundle 'reference' (sha256 ")
            && summary.lines().next().unwrap().ends_with("demonstration weights, not for clinical use"),
        "{summary}"
    );
    for endpoint in ["LVI", "PI", "T4", "EGFR", "KRAS", "ALK", "TP53", "PIK3CA", "ROS1", "PD1_L1"] {
        assert!(summary.lines().any(|l| l.starts_with(endpoint)), "no line for {endpoint}: {summary}");
    }
}

/// The daemon's path (instances whose headers were parsed as they arrived) and the folder path
/// give the same report, byte for byte but for the timings.
#[test]
fn parsed_instances_and_the_folder_give_the_same_report() {
    let dir = shared("fixtures/dicom/lung2-crop");
    let analyzer = Analyzer::new(AnalyzeOptions::paper(), key(), None, None).unwrap();
    let from_folder = analyzer.analyze(StudyInput::Folder(dir.clone())).unwrap();
    let files = ["ct", "seg", "rtstruct"].iter().flat_map(|sub| crate::study_fixture::files(&dir.join(sub)));
    let instances: Vec<Instance> = files.filter_map(|f| Instance::read(&dir, f).unwrap()).collect();
    assert_eq!(instances.len(), 63, "61 CT slices, a SEG and an RTSTRUCT");
    let from_instances = analyzer.analyze(StudyInput::Instances { dir, instances }).unwrap();
    assert_eq!(without_timings(from_instances), without_timings(from_folder));
}

/// One predictor used from four threads at once gives each thread the predictions one thread
/// gets alone.
#[test]
fn one_predictor_serves_several_threads() {
    let predictor = reference_predictor();
    let options = AnalyzeOptions::for_bundle(predictor.bundle(), Default::default());
    let analyzer = Analyzer::new(options, key(), Some(predictor), None).unwrap();
    let features = analyzer.features(StudyInput::Folder(shared("fixtures/dicom/lung2-crop"))).unwrap();
    let patch = radscored::model::deep::HuPatch::new(features.patch.values_hu.clone()).unwrap();
    let predictor = analyzer.predictor().unwrap();
    let predict = || {
        let p = predictor.predict(&features.tumor_features, &features.ring_features, &patch).unwrap();
        serde_json::to_string(&p).unwrap()
    };
    let alone = predict();
    let together: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            (0..4).map(|_| scope.spawn(|| (0..3).map(|_| predict()).collect::<Vec<_>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(together.len(), 12);
    for p in together {
        assert_eq!(p, alone);
    }
}

/// The report's study and series keys equal HMAC-SHA256 computed by Python's `hmac` (not the
/// product's crate) under the same fixed key over the StudyInstanceUID and SeriesInstanceUID that
/// pydicom reads from the CT files: a key over another UID, or another MAC, fails.
#[test]
fn study_key_equals_python_hmac_of_the_study_uid() {
    const SCRIPT: &str = r#"
import hmac, hashlib, os, sys
import pydicom
ct = sys.argv[1]
ds = pydicom.dcmread(os.path.join(ct, sorted(os.listdir(ct))[0]), stop_before_pixels=True)
key = bytes([42] * 32)
for uid in (ds.StudyInstanceUID, ds.SeriesInstanceUID):
    print(hmac.new(key, str(uid).encode("ascii"), hashlib.sha256).hexdigest()[:32])
"#;
    let python = crate::util::repo().join(".venv-ref/bin/python");
    assert!(python.exists(), "{} missing: run scripts/setup.sh", python.display());
    let dir = shared("fixtures/dicom/lung2-crop");
    let out = Command::new(&python).arg("-c").arg(SCRIPT).arg(dir.join("ct")).output().expect("python runs");
    assert!(out.status.success(), "python hmac failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let expected: Vec<&str> = text.lines().collect();
    assert_eq!(expected.len(), 2, "{text}");
    let report = analyze(&dir, &AnalyzeOptions::paper(), &key());
    assert_eq!(report.study_key, expected[0], "study key");
    assert_eq!(report.series_key, expected[1], "series key");
}

/// `SiteKey` as the command uses it: a key file created by `analyze` has mode 0600 and keys the
/// report like Python's `hmac` over its bytes; a key file others may read is refused with the fix.
#[test]
fn the_site_key_file_is_private_and_refused_when_open() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("state/site.key");
    let study = shared("fixtures/dicom/lung2-crop");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_radscored"))
            .args(["analyze", study.to_str().unwrap(), "--no-predict", "--format", "json", "--site-key"])
            .arg(&key_file)
            .output()
            .unwrap()
    };
    let out = run();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    Identifiers::of(&[&study]).assert_absent("the report", &String::from_utf8_lossy(&out.stdout));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let script = "import hmac, hashlib, sys\nkey = open(sys.argv[1], 'rb').read()\n\
                  print(hmac.new(key, sys.argv[2].encode(), hashlib.sha256).hexdigest()[:32])";
    let uid = crate::study_fixture::fixture_json("lung2-crop")["study_uid"].as_str().unwrap().to_string();
    let python = crate::util::repo().join(".venv-ref/bin/python");
    let hmac = Command::new(&python).arg("-c").arg(script).arg(&key_file).arg(&uid).output().unwrap();
    assert!(hmac.status.success(), "{}", String::from_utf8_lossy(&hmac.stderr));
    assert_eq!(report["study_key"].as_str().unwrap(), String::from_utf8(hmac.stdout).unwrap().trim());

    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("is open to group or others (mode 0644)"), "{err}");
    assert!(err.contains(&format!("chmod 600 {}", key_file.display())), "{err}");
}

/// A ring thinner than the smallest voxel spacing (0.627 mm in-plane for lung2-crop) or larger
/// than the image (61 slices of 5 mm) is refused with its reason; the paper's 3 mm passes.
#[test]
fn ring_radii_the_grid_cannot_hold_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("site.key");
    let study = shared("fixtures/dicom/lung2-crop");
    for (ring, reason) in [
        ("0.5", "a 0.5 mm ring is thinner than the smallest voxel spacing, 0.6269531 mm"),
        ("400", "a 400 mm ring is larger than the image, whose largest extent is 305 mm"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_radscored"))
            .args(["analyze", study.to_str().unwrap(), "--no-predict", "--ring-mm", ring, "--site-key"])
            .arg(&key_file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--ring-mm {ring}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(reason), "{err}");
        assert!(err.trim_end().ends_with("choose another --ring-mm"), "{err}");
    }
}

/// `analyze --labelmap` meets PyRadiomics' `geometryTolerance` from `--params`: a label map whose
/// origin is 1e-3 mm off the CT grid is refused by default with a message naming the setting, and
/// accepted with `geometryTolerance: 0.01` (relative to the spacing, as PyRadiomics has it).
#[test]
fn labelmap_geometry_tolerance_comes_from_the_params() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("site.key");
    let label = image::read(&shared("fixtures/dicom/lung2-crop/label.nrrd")).unwrap();
    let mut geometry = label.geometry;
    geometry.origin_mm[0] += 1e-3;
    let shifted = dir.path().join("shifted.nrrd");
    image::nrrd::write_raw(&shifted, &image::Image { geometry, voxels: label.voxels }).unwrap();
    let params = dir.path().join("tolerant.yaml");
    let paper =
        std::fs::read_to_string(crate::util::repo().join("firmware-config/radiomics-paper.yaml")).unwrap();
    assert!(paper.contains("setting:\n"), "the paper's file has a setting section");
    std::fs::write(&params, paper.replace("setting:\n", "setting:\n  geometryTolerance: 0.01\n")).unwrap();
    let study = shared("fixtures/dicom/lung2-crop");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_radscored"))
            .args(["analyze", study.to_str().unwrap(), "--no-predict", "--format", "json", "--labelmap"])
            .arg(&shifted)
            .arg("--site-key")
            .arg(&key_file)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("(geometryTolerance 0.000001) is not on the ct grid"), "{err}");
    assert!(err.contains("origin"), "{err}");
    let out = run(&["--params", params.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Identifiers::of(&[&study, &shifted]).assert_absent("the report", &String::from_utf8_lossy(&out.stdout));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["tumor"]["voxels"], 24_644);
}
