//! Studies as real sites send them, written by pydicom (`tests/oracle/series_variants.py`) from the
//! lung2-crop fixture: re-exported series, copies of one instance, derived and localizer images,
//! truncated files, a SEG drawn on an MR series, positions outside the scan, two segmentations.
//!
//! Each accepted variant must give the fixture's tumor mask (the label NRRD the fixture was made
//! from, voxel for voxel) and the expected warning; each refusal its stable code and the words of
//! its message, which must hold no UID of the input. Expected positions come from the script,
//! which reads them from the DICOM attributes.

use std::path::{Path, PathBuf};
use std::process::Command;

use radscored::{
    error_code::ErrorCode,
    image::{self, Image},
    ingest::SeriesPolicy,
    roi::{MaskKind, MaskSelector, MaskSource, StudyError},
    study::{load_within, AnalyzeOptions, Analyzer, Study, StudyInput},
};

use crate::identifiers::Identifiers;
use crate::study_fixture::{
    data_set_of, fixture, fixture_json, lung2_tumor_voxels, lung2_volume, set_voxels, StudyDir,
};
use crate::util::run_oracle;

/// The variant `name` written into a temporary folder, with the script's expectations.
struct Variant {
    dir: StudyDir,
    name: &'static str,
    expect: serde_json::Value,
}

impl Variant {
    fn new(name: &'static str) -> Variant {
        let dir = StudyDir::new();
        let out = run_oracle(
            "series_variants.py",
            &[fixture("lung2-crop").as_os_str(), dir.path().as_os_str(), name.as_ref()],
            b"",
        );
        let expect = serde_json::from_slice(&out).expect("series_variants.py prints JSON");
        Variant { dir, name, expect }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join(self.name)
    }

    fn load_with(&self, selector: &MaskSelector, policy: SeriesPolicy) -> Result<Study, StudyError> {
        load_within(StudyInput::Folder(self.path()), selector, policy, image::GEOMETRY_TOLERANCE)
    }

    fn load(&self) -> Study {
        self.load_with(&MaskSelector::default(), SeriesPolicy::default())
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }

    /// The refusal of loading the variant: its code and message, checked to hold no UID of the
    /// input.
    fn refusal_with(&self, selector: &MaskSelector) -> (&'static str, String) {
        let error = match self.load_with(selector, SeriesPolicy::default()) {
            Err(error) => error,
            Ok(_) => panic!("{}: expected a refusal, got a study", self.name),
        };
        let message = error.to_string();
        assert_no_uid(&message, &self.path());
        (error.code(), message)
    }

    fn refusal(&self) -> (&'static str, String) {
        self.refusal_with(&MaskSelector::default())
    }

    fn z(&self, key: &str) -> f64 {
        self.expect[key].as_f64().unwrap_or_else(|| panic!("expectation {key}"))
    }
}

fn assert_no_uid(text: &str, dir: &Path) {
    Identifiers::for_messages(&[dir]).assert_absent("a message", text);
}

/// The mask equals lung2-crop's label NRRD voxel for voxel, on its grid.
fn assert_original_mask(mask: &Image) {
    lung2_volume().image.geometry.check_same(&mask.geometry).expect("mask on the label's grid");
    let expected = lung2_tumor_voxels();
    assert_eq!(expected.len() as u64, fixture_json("lung2-crop")["tumor_voxels"].as_u64().unwrap());
    assert_eq!(set_voxels(mask), expected);
}

const PLACED_BY_POSITION: &str = "the segmentation refers to CT images that the CT series does not hold (a \
     re-exported or re-sent series with new image identifiers, same series and coordinate system): it \
     was placed on the CT slices by plane position";

#[test]
fn a_seg_on_a_reexported_series_is_placed_by_plane_position() {
    let variant = Variant::new("reexport-seg");
    let study = variant.load();
    assert_original_mask(&study.tumor);
    assert_eq!(study.warnings, [PLACED_BY_POSITION]);
}

#[test]
fn an_rtstruct_on_a_reexported_series_is_placed_by_plane_position() {
    let variant = Variant::new("reexport-rtstruct");
    let study = variant.load();
    assert!(matches!(study.mask_source, MaskSource::Rtstruct { .. }), "{:?}", study.mask_source);
    assert_original_mask(&study.tumor);
    assert_eq!(study.warnings, [PLACED_BY_POSITION]);
}

#[test]
fn the_report_carries_the_warning() {
    let variant = Variant::new("reexport-seg");
    let key = radscored::pseudonym::SiteKey::from_bytes([3; radscored::pseudonym::SITE_KEY_BYTES]);
    let analyzer = Analyzer::new(AnalyzeOptions::paper(), key, None, None).unwrap();
    let report = analyzer.analyze(StudyInput::Folder(variant.path())).unwrap();
    assert_eq!(report.warnings, [PLACED_BY_POSITION]);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["warnings"], serde_json::json!([PLACED_BY_POSITION]));
    assert!(report.summary().contains(&format!("warning: {PLACED_BY_POSITION}\n")), "{}", report.summary());
    let identifiers = Identifiers::of(&[&variant.path()]);
    identifiers.assert_absent("the report", &serde_json::to_string(&report).unwrap());
    identifiers.assert_absent("the summary", &report.summary());
}

#[test]
fn a_byte_identical_copy_is_one_instance() {
    let variant = Variant::new("duplicate");
    let study = variant.load();
    assert_eq!(study.ct.geometry.size[2], 61);
    assert_original_mask(&study.tumor);
    assert!(study.warnings.is_empty(), "{:?}", study.warnings);
}

/// lung1's folder holds each CT slice twice, uncompressed (`ct/`) and RLE (`ct-rle/`), under one
/// SOP Instance UID: one image in two encodings is one instance, and the study gives the mask and
/// volume of the uncompressed series alone.
#[test]
fn one_image_in_two_encodings_is_one_instance() {
    let both = radscored::study::load(StudyInput::Folder(fixture("lung1")), &MaskSelector::default())
        .expect("lung1 with ct/ and ct-rle/ loads");
    let plain = StudyDir::new();
    plain.link("lung1/ct", "ct");
    plain.link("lung1/seg", "seg");
    let alone =
        radscored::study::load(StudyInput::Folder(plain.path().to_path_buf()), &MaskSelector::default())
            .expect("lung1 ct/ alone loads");
    assert_eq!(both.ct.geometry, alone.ct.geometry);
    assert_eq!(both.ct.voxels, alone.ct.voxels);
    assert_eq!(both.tumor.voxels, alone.tumor.voxels);
    assert_eq!(
        both.tumor.label_extent(1.0).map(|(_, n)| n),
        Some(fixture_json("lung1")["tumor_voxels"].as_u64().unwrap() as usize)
    );
}

#[test]
fn two_files_of_one_instance_with_other_pixels_are_named() {
    let variant = Variant::new("conflict");
    let (code, message) = variant.refusal();
    assert_eq!(code, "conflicting_instances", "{message}");
    for file in variant.expect["conflict_files"].as_array().unwrap() {
        assert!(message.contains(&format!("'{}'", file.as_str().unwrap())), "{message}");
    }
    assert!(message.contains("the same image (one SOP Instance UID) with different pixels"), "{message}");
    assert!(message.contains("remove the wrong one"), "{message}");
    assert!(!message.contains(&variant.dir.path().display().to_string()), "{message}");
}

#[test]
fn a_derived_series_is_refused_unless_accepted() {
    let variant = Variant::new("derived");
    let (code, message) = variant.refusal();
    assert_eq!(code, "derived_series", "{message}");
    assert!(message.starts_with("CT series 1 'Fixture CT' (61 images) cannot be analysed"), "{message}");
    assert!(message.contains("holds derived images (ImageType DERIVED"), "{message}");
    assert!(
        message.contains("analyze --accept-derived") && message.contains("accept_derived = true"),
        "{message}"
    );
    let study = variant
        .load_with(&MaskSelector::default(), SeriesPolicy { accept_derived: true })
        .expect("accepted derived series loads");
    assert_original_mask(&study.tumor);
}

#[test]
fn a_series_that_is_not_axial_is_refused_with_its_orientation() {
    let variant = Variant::new("not-axial");
    let (code, message) = variant.refusal();
    assert_eq!(code, "not_axial_series", "{message}");
    assert!(message.starts_with("CT series 1 'Fixture CT' (61 images) cannot be analysed"), "{message}");
    // Rows along +x, columns along -z: the slice normal is (0, 1, 0).
    assert!(
        message.contains("is not axial (slice normal (0.000, 1.000, 0.000)); send the axial series"),
        "{message}"
    );
}

#[test]
fn a_localizer_in_the_series_is_left_out() {
    let variant = Variant::new("localizer-in-series");
    let study = variant.load();
    assert_eq!(study.ct.geometry.size[2], 61);
    assert_original_mask(&study.tumor);
    assert_eq!(study.warnings, ["1 localizer (scout) image(s) in the CT series were left out of the volume"]);
}

#[test]
fn a_localizer_series_is_passed_over() {
    let variant = Variant::new("localizer-series");
    let study = variant.load();
    assert_original_mask(&study.tumor);
    assert!(study.warnings.is_empty(), "{:?}", study.warnings);
    // Without a segmentation to say which series is meant, the localizer series does not qualify.
    let label_map =
        MaskSelector { kind: MaskKind::LabelMap(fixture("lung2-crop/label.nrrd")), ..Default::default() };
    let study =
        variant.load_with(&label_map, SeriesPolicy::default()).expect("the CT series is the only one");
    assert_original_mask(&study.tumor);
}

#[test]
fn a_truncated_file_is_named_as_unreadable_not_as_a_missing_slice() {
    for name in ["truncated-pixels", "truncated-header"] {
        let variant = Variant::new(name);
        let (code, message) = variant.refusal();
        assert!(["malformed_dicom", "unreadable_dicom"].contains(&code), "{name}: {code}: {message}");
        let file = variant.expect["truncated_file"].as_str().unwrap();
        assert!(
            message.contains(&format!("file 'ct/{file}' in the study is unreadable or truncated")),
            "{message}"
        );
        assert!(message.contains("send it again"), "{message}");
        assert!(!message.contains("missing"), "{name}: {message}");
        // On the command line: one line that says the cause once.
        let (exit, _, err) = analyze_cli(&variant.path(), &[]);
        assert_eq!(exit, Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.ends_with("; send it again\n"), "the cause is not repeated after the message: {err}");
    }
}

#[test]
fn a_seg_drawn_on_an_mr_series_is_explained() {
    let variant = Variant::new("seg-on-mr");
    let (code, message) = variant.refusal();
    assert_eq!(code, "no_segmentation", "{message}");
    assert!(
        message.contains(
            "'seg/seg.dcm' (SEG 'Fixture SEG') refers to MR series 5 'T1 axial' (61 images), which is not a \
             CT series (Modality MR)"
        ),
        "{message}"
    );
    assert!(
        message.contains("CT series: CT series 1 'Fixture CT' (61 images) could be analysed"),
        "{message}"
    );
}

/// `at z = 215.0 mm lies outside the scanned range -360.0–-60.0 mm`, from the script's values.
fn outside(variant: &Variant, key: &str) -> String {
    let [low, high] = [0, 1].map(|i| variant.expect["scan_z_range"][i].as_f64().unwrap());
    format!("at z = {:.1} mm lies outside the scanned range {low:.1}–{high:.1} mm", variant.z(key))
}

#[test]
fn a_contour_outside_the_scan_is_given_in_millimetres() {
    let variant = Variant::new("contour-outside");
    let (code, message) = variant.refusal();
    assert_eq!(code, "contour_off_grid", "{message}");
    assert!(
        message.starts_with("'rtstruct/rtstruct.dcm' (RTSTRUCT 'Fixture RTSTRUCT'): contour 1 "),
        "{message}"
    );
    assert!(message.contains(&format!("contour {}", outside(&variant, "moved_contour_z"))), "{message}");
    assert!(!message.contains("..") && !message.contains("voxel"), "{message}");
}

#[test]
fn a_seg_frame_outside_the_scan_is_given_in_millimetres() {
    let variant = Variant::new("frame-outside");
    let (code, message) = variant.refusal();
    assert_eq!(code, "frame_off_grid", "{message}");
    assert!(message.starts_with("'seg/seg.dcm' (SEG 'Fixture SEG'): frame 1 "), "{message}");
    assert!(message.contains(&format!("frame {}", outside(&variant, "moved_frame_z"))), "{message}");
    assert!(!message.contains("..") && !message.contains("voxel"), "{message}");
}

#[test]
fn two_qualifying_segmentations_are_listed_with_the_option_that_picks_one() {
    let variant = Variant::new("two-segs");
    let (code, message) = variant.refusal();
    assert_eq!(code, "ambiguous_segmentation", "{message}");
    assert!(message.contains("'seg/seg.dcm' (SEG 'Fixture SEG')"), "{message}");
    assert!(message.contains("'seg2/seg.dcm' (SEG 'Second SEG')"), "{message}");
    assert!(message.contains("choose one with analyze --segmentation FILE"), "{message}");
    for file in ["seg2/seg.dcm", "seg/seg.dcm"] {
        let chosen = MaskSelector { object: Some(file.into()), ..Default::default() };
        let study = variant.load_with(&chosen, SeriesPolicy::default()).expect("the named SEG is used");
        let MaskSource::Seg { path, .. } = &study.mask_source else { panic!("{:?}", study.mask_source) };
        assert_eq!(path, &variant.path().join(file));
        assert_original_mask(&study.tumor);
    }
}

/// `radscored analyze` on `dir` with `extra` options: exit code, stdout, stderr.
fn analyze_cli(dir: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let key = dir.parent().unwrap().join("site.key");
    let out = Command::new(env!("CARGO_BIN_EXE_radscored"))
        .arg("analyze")
        .arg(dir)
        .args(["--no-predict", "--site-key", key.to_str().unwrap()])
        .args(extra)
        .output()
        .expect("radscored runs");
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    let stdout = text(out.stdout);
    Identifiers::of(&[dir]).assert_absent("the report", &stdout);
    (out.status.code(), stdout, text(out.stderr))
}

#[test]
fn the_command_line_options_accept_derived_and_pick_a_segmentation() {
    let derived = Variant::new("derived");
    let (code, _, err) = analyze_cli(&derived.path(), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--accept-derived"), "{err}");
    let (code, out, err) = analyze_cli(&derived.path(), &["--accept-derived", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["tumor"]["voxels"], fixture_json("lung2-crop")["tumor_voxels"]);
    assert_eq!(report["warnings"], serde_json::json!([]));

    let two = Variant::new("two-segs");
    let (code, out, err) = analyze_cli(&two.path(), &["--segmentation", "seg2/seg.dcm", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["tumor"]["voxels"], fixture_json("lung2-crop")["tumor_voxels"]);
}

/// A plain data set (no preamble, no file meta group) cut short is named as unreadable too, not
/// passed over as "not DICOM" and then reported as a missing slice.
#[test]
fn a_truncated_plain_data_set_is_named_as_unreadable() {
    let study = StudyDir::new();
    let ct = study.copy("lung2-crop/ct", "study/ct");
    study.link("lung2-crop/seg", "study/seg");
    let victim = &ct[30];
    let part10 = std::fs::read(victim).unwrap();
    let data_set = data_set_of(&part10);
    std::fs::write(victim, &data_set[..data_set.len() / 2]).unwrap();
    let name = victim.file_name().unwrap().to_string_lossy();
    let (exit, _, err) = analyze_cli(&study.path().join("study"), &[]);
    assert_eq!(exit, Some(2), "{err}");
    assert!(err.contains(&format!("file 'ct/{name}' in the study is unreadable or truncated")), "{err}");
    assert!(!err.contains("missing"), "{err}");
}

/// A segmentation file cut short inside its header (its file meta group still says SEG) is listed
/// among the segmentations found, as unreadable; when the study's RTSTRUCT qualifies, it is used
/// and the report says the SEG was left out.
#[test]
fn an_unreadable_seg_is_listed_and_another_segmentation_is_used() {
    let study = StudyDir::new();
    study.link("lung2-crop/ct", "study/ct");
    let seg = study.copy("lung2-crop/seg", "study/seg").remove(0);
    let bytes = std::fs::read(&seg).unwrap();
    std::fs::write(&seg, &bytes[..2000]).unwrap();
    let dir = study.path().join("study");

    let alone = load_within(
        StudyInput::Folder(dir.clone()),
        &MaskSelector::default(),
        SeriesPolicy::default(),
        image::GEOMETRY_TOLERANCE,
    )
    .expect_err("no readable segmentation");
    let message = alone.to_string();
    assert_eq!(alone.code(), "no_segmentation", "{message}");
    assert!(
        message.contains("found file 'seg/seg.dcm' in the study is unreadable or truncated"),
        "{message}"
    );
    assert!(message.contains("CT series 1"), "the CT series are listed too: {message}");
    assert_no_uid(&message, &dir);

    study.link("lung2-crop/rtstruct", "study/rtstruct");
    let loaded = load_within(
        StudyInput::Folder(dir.clone()),
        &MaskSelector::default(),
        SeriesPolicy::default(),
        image::GEOMETRY_TOLERANCE,
    )
    .expect("the RTSTRUCT is used");
    assert!(matches!(loaded.mask_source, MaskSource::Rtstruct { .. }), "{:?}", loaded.mask_source);
    assert_eq!(loaded.warnings, ["an unreadable SEG file in the study was left out; the RTSTRUCT was used"]);
    assert_eq!(
        loaded.tumor.label_extent(1.0).map(|(_, n)| n),
        Some(fixture_json("lung2-crop")["tumor_voxels"].as_u64().unwrap() as usize)
    );
}
