//! DICOM results of `radscored analyze` on the lung2-crop fixture with the reference bundle:
//! dicom3tools' `dciodvfy` finds no error in the structured report or the key image, dcmtk's
//! `dsrdump` prints the SR tree with the ten probabilities of the report, the attention map
//! equals a class activation map computed independently (onnxruntime-python and numpy from the
//! ONNX file's head weights, `tests/oracle/attention_reference.py`), and the PNG decodes.

use std::path::Path;
use std::process::Command;

use dicom_dictionary_std::tags;
use radscored::export::{self, Algorithm};
use radscored::model::bundle::Endpoint;
use radscored::model::deep::DeepConfig;
use radscored::model::predict::Predictor;
use radscored::pseudonym::{SiteKey, SITE_KEY_BYTES};
use radscored::roi::{MaskKind, MaskSelector};
use radscored::study::{Analysis, AnalyzeOptions, Analyzer, StudyInput};

use crate::util::{repo, shared};

/// Largest |difference| allowed between our attention map and the independent one.
const CAM_TOLERANCE: f64 = 1e-4;

/// lung2-crop analysed with the reference bundle, the tumor from its SEG.
fn analysis() -> (Analysis, Algorithm) {
    analysis_with(MaskKind::Seg)
}

/// lung2-crop analysed with the reference bundle, the tumor from the `kind` object.
fn analysis_with(kind: MaskKind) -> (Analysis, Algorithm) {
    let repo = repo();
    let predictor = Predictor::load(&repo.join("engines/reference"), &DeepConfig::default(), &repo)
        .expect("reference bundle loads (scripts/setup.sh generates its network)");
    let algorithm = Algorithm::of(predictor.bundle());
    let options =
        AnalyzeOptions::for_bundle(predictor.bundle(), MaskSelector { kind, region: None, object: None });
    let analyzer =
        Analyzer::new(options, SiteKey::from_bytes([7; SITE_KEY_BYTES]), Some(predictor), None).unwrap();
    let dir = shared("fixtures/dicom/lung2-crop");
    let analysis = analyzer.analyze_for_export(StudyInput::Folder(dir.clone())).unwrap();
    // The report travels beside the DICOM results, which carry the UIDs PACS files them by.
    crate::identifiers::Identifiers::of(&[&dir])
        .assert_absent("the report", &serde_json::to_string(&analysis.report).unwrap());
    (analysis, algorithm)
}

/// Runs a tool that scripts/setup.sh installs; its stdout and stderr together.
fn tool(name: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(name)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{name} is missing ({e}): run scripts/setup.sh"));
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// dciodvfy's errors, and its warnings other than those `explained` accepts.
fn dciodvfy_problems(file: &Path, explained: impl Fn(&str) -> bool) -> Vec<String> {
    let output = tool("dciodvfy", &[], file);
    println!("dciodvfy {}:\n{output}", file.file_name().unwrap().to_string_lossy());
    output
        .lines()
        .filter(|l| l.starts_with("Error") || (l.starts_with("Warning") && !explained(l)))
        .map(str::to_string)
        .collect()
}

#[test]
fn structured_report_and_key_image_validate_and_carry_the_report() {
    check_results(MaskKind::Seg, "Referenced Segment\")=(SG image,,1)");
}

#[test]
fn results_from_an_rtstruct_validate_and_reference_it() {
    check_results(MaskKind::Rtstruct, "Region In Space\")=(RTStructureSetStorage,)");
}

/// Writes the results of lung2-crop with the tumor from `kind`, validates them, and checks the
/// SR tree: the segmentation reference (`reference` appears in it), the ten probabilities, the
/// tumor volume.
fn check_results(kind: MaskKind, reference: &str) {
    let (analysis, algorithm) = analysis_with(kind);
    let dir = tempfile::tempdir().unwrap();
    let files = export::write_dicom_dir(&analysis, &algorithm, dir.path()).unwrap();
    let (sr, key_image) = (&files[0], &files[1]);

    // The private coding scheme designator (99RADSCORED, PS3.16 Section 8) is by definition
    // unknown to dciodvfy's list of defined terms; it is declared in the Coding Scheme
    // Identification Sequence. No other warning is accepted.
    let sr_problems = dciodvfy_problems(sr, |l| l.contains("Unrecognized defined term <99RADSCORED>"));
    assert!(sr_problems.is_empty(), "dciodvfy on the SR:\n{}", sr_problems.join("\n"));
    let image_problems = dciodvfy_problems(key_image, |_| false);
    assert!(image_problems.is_empty(), "dciodvfy on the key image:\n{}", image_problems.join("\n"));

    // Both in the CT's study and patient, each in a new series of its own, labelled as AI output.
    let ct_dir = shared("fixtures/dicom/lung2-crop/ct");
    let ct_file = std::fs::read_dir(&ct_dir).unwrap().next().unwrap().unwrap().path();
    let ct = dicom_object::open_file(&ct_file).unwrap();
    let attr = |obj: &dicom_object::DefaultDicomObject, tag| {
        obj.element(tag).unwrap().to_str().unwrap().trim_end_matches('\0').trim().to_string()
    };
    let sr_obj = dicom_object::open_file(sr).unwrap();
    let image_obj = dicom_object::open_file(key_image).unwrap();
    for obj in [&sr_obj, &image_obj] {
        for tag in [tags::STUDY_INSTANCE_UID, tags::PATIENT_ID, tags::PATIENT_NAME, tags::ACCESSION_NUMBER] {
            assert_eq!(attr(obj, tag), attr(&ct, tag), "{tag}");
        }
        assert_ne!(attr(obj, tags::SERIES_INSTANCE_UID), attr(&ct, tags::SERIES_INSTANCE_UID));
        assert!(attr(obj, tags::SOP_INSTANCE_UID).starts_with("2.25."));
    }
    assert_ne!(attr(&sr_obj, tags::SERIES_INSTANCE_UID), attr(&image_obj, tags::SERIES_INSTANCE_UID));
    assert_eq!(attr(&sr_obj, tags::SERIES_DESCRIPTION), "AI result");
    assert!(attr(&image_obj, tags::SERIES_DESCRIPTION).starts_with("AI output"));
    assert_eq!(attr(&image_obj, tags::BURNED_IN_ANNOTATION), "YES");
    assert!(attr(&image_obj, tags::IMAGE_TYPE).starts_with("DERIVED"));
    assert_eq!(attr(&image_obj, tags::PHOTOMETRIC_INTERPRETATION), "RGB");
    let rendered = export::render_key_image(&analysis, &algorithm).unwrap();
    assert_eq!(attr(&image_obj, tags::ROWS), rendered.height.to_string());
    assert_eq!(attr(&image_obj, tags::COLUMNS), rendered.width.to_string());
    let pixels = image_obj.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap();
    assert_eq!(pixels.len(), rendered.pixels.len());

    let tree = tool("dsrdump", &["+Pl"], sr);
    println!("{tree}");
    assert!(tree.contains("Imaging Measurement Report") && !tree.contains("\nE: "), "{tree}");
    assert!(tree.contains(reference), "{reference} not in\n{tree}");
    assert!(tree.contains(&algorithm.label), "the bundle label is in the SR");
    // Each endpoint group: Finding = the endpoint, then its predicted probability.
    let predictions = analysis.report.predictions.as_ref().unwrap();
    let mut found = Vec::new();
    let mut endpoint = None;
    for line in tree.lines() {
        if line.contains("\"Finding\")=(") {
            endpoint = line.split("=(").nth(1).and_then(|v| v.split(',').next()).map(str::to_string);
        }
        if line.contains("\"Predicted probability\")=\"") {
            let value: f64 = line.split("=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
            found.push((endpoint.clone().expect("a Finding before the probability"), value));
        }
    }
    assert_eq!(found.len(), 10, "{found:?}");
    for (name, value) in &found {
        let expected = predictions.endpoints[name.as_str()].probability;
        // DS holds at most 16 characters: 14 significant digits of a probability.
        assert!((value - expected).abs() <= 1e-13, "{name}: SR {value}, report {expected}");
    }
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    let all: Vec<&str> = Endpoint::ALL.iter().map(|e| e.as_str()).collect();
    assert_eq!(names, all);
    let volume_line = tree.lines().find(|l| l.contains("\"Volume\")=\"")).unwrap();
    let volume: f64 = volume_line.split("=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    assert!((volume - analysis.report.tumor.volume_mm3).abs() < 1e-6 * volume, "{volume_line}");
    assert!(volume_line.contains("(mm3,UCUM"), "{volume_line}");
}

#[test]
fn attention_map_equals_an_independent_class_activation_map() {
    let (analysis, _) = analysis();
    let ours = analysis.patch.attention.as_ref().expect("the reference network gives an attention map");
    assert_eq!(ours.side(), 5);
    let dir = tempfile::tempdir().unwrap();
    let patch_file = dir.path().join("patch.f32");
    let bytes: Vec<u8> = analysis.patch.hu.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&patch_file, bytes).unwrap();
    let python = repo().join(".venv-ref/bin/python");
    assert!(python.exists(), "{} is missing: run scripts/setup.sh", python.display());
    let run = Command::new(python)
        .arg(repo().join("tests/oracle/attention_reference.py"))
        .arg(repo().join("engines/reference"))
        .arg("densenet121")
        .arg(&patch_file)
        .output()
        .expect("python runs");
    assert!(run.status.success(), "oracle failed: {}", String::from_utf8_lossy(&run.stderr));
    let oracle: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let cam: Vec<f64> = oracle["cam"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(cam.len(), 25);
    let worst = ours.values().iter().zip(&cam).map(|(a, b)| (f64::from(*a) - b).abs()).fold(0.0, f64::max);
    let scale = cam.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    println!(
        "attention: ours {:?}\noracle {cam:?}\nworst |difference| {worst:e} (largest |cam| {scale})",
        ours.values()
    );
    assert!(worst <= CAM_TOLERANCE, "worst |difference| {worst}");
    // CAM's mean over the grid is the mean log-odds less the heads' bias terms.
    let mean = cam.iter().sum::<f64>() / 25.0;
    let log_odds = oracle["mean_log_odds"].as_f64().unwrap() - oracle["bias_log_odds"].as_f64().unwrap();
    assert!((mean - log_odds).abs() <= 1e-4 * (1.0 + log_odds.abs()), "CAM mean {mean}, log-odds {log_odds}");
}

#[test]
fn key_image_png_decodes_with_the_expected_size() {
    let (analysis, algorithm) = analysis();
    let image = export::render_key_image(&analysis, &algorithm).unwrap();
    let png = image.png().unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    assert_eq!((info.width, info.height), (920, 480));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(&buffer[..info.buffer_size()], image.pixels.as_slice());
}
