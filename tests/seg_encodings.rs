//! Segmentations in every encoding and type (issue 10), written by third-party tools from the
//! lung2-crop fixture (`tests/oracle/seg_variants.py`: highdicom, pydicom, zlib): each accepted
//! variant draws exactly the fixture's tumor (voxel for voxel against the fixture's label NRRD,
//! the count numpy made), the label maps their segments by value, each refused variant gives its
//! stable code and names its encoding; the CT path reads big endian, deflated and plain copies
//! of the series into the fixture's volume.

use std::path::PathBuf;
use std::sync::OnceLock;

use radscored::{
    error_code::ErrorCode,
    ingest::{self, Volume},
    roi::{self, MaskKind, MaskSelector, MaskSource, RegionRef},
    study::{self, StudyInput},
};

use crate::study_fixture::{
    ct_volume, data_set_of, fixture, lung2_tumor_voxels, lung2_volume, set_voxels, StudyDir,
};

/// The variants, written once per test run.
struct Variants {
    dir: tempfile::TempDir,
    manifest: serde_json::Value,
}

fn variants() -> &'static Variants {
    static VARIANTS: OnceLock<Variants> = OnceLock::new();
    VARIANTS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        // highdicom and its encoders come from scripts/setup.sh.
        crate::util::run_oracle("seg_variants.py", &[dir.path()], b"");
        let manifest = std::fs::read_to_string(dir.path().join("manifest.json")).expect("manifest written");
        Variants { manifest: serde_json::from_str(&manifest).expect("manifest parses"), dir }
    })
}

/// The voxels of the label maps' second segment, a box given in voxel indices by the script.
fn box_voxels(manifest: &serde_json::Value) -> Vec<usize> {
    let range = |axis: &str| {
        let r = &manifest["box"][axis];
        r[0].as_u64().unwrap() as usize..r[1].as_u64().unwrap() as usize
    };
    let geometry = lung2_volume().image.geometry;
    let mut out: Vec<usize> = range("k")
        .flat_map(|k| range("j").flat_map(move |j| range("i").map(move |i| geometry.index(i, j, k))))
        .collect();
    out.sort_unstable();
    out
}

#[test]
fn every_accepted_variant_draws_exactly_the_fixture_tumor() {
    let v = variants();
    let tumor = lung2_tumor_voxels();
    assert_eq!(
        tumor.len() as u64,
        v.manifest["tumor_voxels"].as_u64().unwrap(),
        "numpy's count of the tumor"
    );
    let boxed = box_voxels(&v.manifest);
    assert_eq!(boxed.len() as u64, v.manifest["box_voxels"].as_u64().unwrap(), "numpy's count of the box");
    let original =
        roi::seg_mask(&fixture("lung2-crop/seg/seg.dcm"), lung2_volume(), None).expect("fixture seg");
    assert_eq!(set_voxels(&original.0), tumor, "the fixture's own seg");
    let mut failures = Vec::new();
    let mut checked = 0;
    for variant in v.manifest["variants"].as_array().unwrap() {
        if variant["expect"] != "mask" {
            continue;
        }
        let name = variant["file"].as_str().unwrap();
        let segment = variant["segment"].as_u64().unwrap() as u32;
        let expected = if segment == 1 { &tumor } else { &boxed };
        let region = RegionRef::Number(segment);
        match roi::seg_mask(&v.dir.path().join(name), lung2_volume(), Some(&region)) {
            Ok((mask, source)) => {
                let found = set_voxels(&mask);
                assert!(
                    matches!(source, MaskSource::Seg { segment_number, .. } if segment_number == segment)
                );
                if found != *expected || found.len() as u64 != variant["voxels"].as_u64().unwrap() {
                    let differ = found.iter().filter(|v| expected.binary_search(v).is_err()).count();
                    failures.push(format!("{name}: {} voxels ({differ} not in the fixture's)", found.len()));
                } else {
                    println!("{name}: segment {segment}, {} voxels, equal to the fixture's", found.len());
                }
                checked += 1;
            }
            Err(e) => failures.push(format!("{name}: {} ({e})", e.code())),
        }
    }
    assert!(failures.is_empty(), "variants that do not draw the fixture's mask:\n{}", failures.join("\n"));
    assert!(checked >= 25, "only {checked} variants checked");
}

#[test]
fn every_refused_variant_gives_its_code_and_names_its_encoding() {
    let v = variants();
    let mut refused = 0;
    for variant in v.manifest["variants"].as_array().unwrap() {
        if variant["expect"] != "refused" {
            continue;
        }
        let name = variant["file"].as_str().unwrap();
        let error = roi::seg_mask(&v.dir.path().join(name), lung2_volume(), None)
            .map(drop)
            .expect_err(&format!("{name} must be refused"));
        let message = error.to_string();
        assert_eq!(error.code(), variant["code"].as_str().unwrap(), "{name}: {message}");
        for words in variant["words"].as_array().unwrap() {
            assert!(message.contains(words.as_str().unwrap()), "{name}: {message:?} lacks {words}");
        }
        println!("{name}: {} — {message}", error.code());
        refused += 1;
    }
    assert!(refused >= 2, "only {refused} refusals checked");
}

#[test]
fn big_endian_deflated_and_plain_ct_series_equal_the_lung2_volume() {
    let v = variants();
    let expected = lung2_volume();
    for folder in ["ct_big_endian", "ct_deflated", "ct_plain"] {
        let volume = ct_volume(&v.dir.path().join(folder)).expect("volume assembles");
        assert_eq!(volume.image.geometry, expected.image.geometry, "{folder}");
        assert_eq!(volume.image.voxels, expected.image.voxels, "{folder}");
        let uids = |v: &Volume| v.slices.iter().map(|s| s.sop_instance_uid.clone()).collect::<Vec<_>>();
        assert_eq!(uids(&volume), uids(expected), "{folder}");
    }
}

#[test]
fn a_label_map_seg_in_a_study_folder_is_a_segmentation_and_draws_its_segment() {
    let v = variants();
    let dir = StudyDir::new();
    dir.link("lung2-crop/ct", "ct");
    std::fs::create_dir_all(dir.path().join("seg")).unwrap();
    let seg: PathBuf = dir.path().join("seg/labelmap.dcm");
    std::fs::copy(v.dir.path().join("labelmap_rle.dcm"), &seg).unwrap();
    let selector =
        MaskSelector { kind: MaskKind::Seg, region: Some(RegionRef::Name("Tumor".to_owned())), object: None };
    let loaded = study::load(StudyInput::Folder(dir.path().to_path_buf()), &selector).expect("study loads");
    assert_eq!(set_voxels(&loaded.tumor), lung2_tumor_voxels());
    assert!(
        matches!(loaded.mask_source, MaskSource::Seg { segment_number: 1, .. }),
        "{:?}",
        loaded.mask_source
    );
}

#[test]
fn the_intake_takes_deflated_and_big_endian_instances_and_they_draw_the_tumor() {
    use radscored::ingest::received::{self, Acceptance, Announced, Handling};
    let v = variants();
    let tumor = lung2_tumor_voxels();
    for name in [
        "binary_deflated.dcm",
        "binary_big_endian.dcm",
        "binary_deflated_frames.dcm",
        "labelmap16_big_endian.dcm",
    ] {
        let bytes = std::fs::read(v.dir.path().join(name)).unwrap();
        let header = dicom_object::OpenFileOptions::new()
            .read_until(dicom_dictionary_std::tags::PIXEL_DATA)
            .open_file(v.dir.path().join(name))
            .expect("dicom-rs reads the variant's header");
        let meta = header.meta();
        let uid = |s: &str| s.trim_end_matches('\0').to_owned();
        let (class, instance, ts) = (
            uid(meta.media_storage_sop_class_uid()),
            uid(meta.media_storage_sop_instance_uid()),
            uid(meta.transfer_syntax()),
        );
        let announced =
            Announced { sop_class_uid: &class, sop_instance_uid: &instance, transfer_syntax_uid: &ts };
        let received =
            received::from_data_set(data_set_of(&bytes), announced, "STORESCU", &Acceptance::default())
                .unwrap_or_else(|e| panic!("{name}: the SCP refuses it: {e}"));
        assert_eq!(received.handling, Handling::Analyse, "{name}");
        let stored = v.dir.path().join(format!("received_{name}"));
        std::fs::write(&stored, &received.part10).unwrap();
        let (mask, _) = roi::seg_mask(&stored, lung2_volume(), Some(&RegionRef::Number(1)))
            .unwrap_or_else(|e| panic!("{name} as received: {e}"));
        assert_eq!(set_voxels(&mask), tumor, "{name} as received");
        let folder = received::from_part10(
            bytes,
            &ingest::pixels::DECODABLE_TRANSFER_SYNTAXES.map(String::from),
            &Acceptance::default(),
        );
        assert!(folder.is_ok(), "{name}: the drop folder refuses it: {:?}", folder.err());
    }
}

#[test]
fn a_jpeg_ls_ct_slice_is_refused_naming_the_encoding_and_what_to_do() {
    let v = variants();
    let dir = v.dir.path().join("ct_jpegls");
    let error = ct_volume(&dir).map(drop).expect_err("a JPEG-LS slice is not decoded");
    let message = error.to_string();
    assert_eq!(error.code(), "unsupported_transfer_syntax", "{message}");
    for words in
        ["JPEG-LS lossless (1.2.840.10008.1.2.4.80) is not read by this build", "re-send it uncompressed"]
    {
        assert!(message.contains(words), "{message:?} lacks {words:?}");
    }
    assert_eq!(error.path().and_then(|p| p.file_name()), Some(std::ffi::OsStr::new("0030.dcm")));
}

/// The drop folder takes plain data sets (the CT slice and the SEG without preamble and file meta
/// group, explicit and implicit VR) and keeps each in a Part-10 file whose meta group names the
/// data set's SOP class and instance and the inferred transfer syntax, the data set's bytes
/// unchanged; a plain big-endian data set, whose encoding cannot be inferred, is refused.
#[test]
fn the_drop_folder_keeps_plain_data_sets_as_part10_files() {
    use radscored::ingest::received::{self, Acceptance, Handling};
    let v = variants();
    let accepted = ingest::pixels::DECODABLE_TRANSFER_SYNTAXES.map(String::from);
    let plain_ct = v.dir.path().join("ct_plain/0030.dcm");
    for (path, syntax) in [
        (plain_ct, "1.2.840.10008.1.2.1"),
        (v.dir.path().join("binary_plain_explicit.dcm"), "1.2.840.10008.1.2.1"),
        (v.dir.path().join("binary_plain_implicit.dcm"), "1.2.840.10008.1.2"),
    ] {
        let bytes = std::fs::read(&path).unwrap();
        assert_ne!(bytes.get(128..132), Some(&b"DICM"[..]), "{path:?} is a plain data set");
        let instance = received::from_part10(bytes.clone(), &accepted, &Acceptance::default())
            .unwrap_or_else(|e| panic!("{path:?}: {e}"));
        assert_eq!(instance.handling, Handling::Analyse);
        assert_eq!(instance.transfer_syntax_uid, syntax, "{path:?}");
        assert_eq!(data_set_of(&instance.part10), &bytes[..], "{path:?}: the data set is kept as it is");
        let file = dicom_object::OpenFileOptions::new()
            .from_reader(&instance.part10[128..])
            .expect("dicom-rs reads the stored file");
        assert_eq!(file.meta().transfer_syntax().trim_end_matches('\0'), syntax);
        assert_eq!(
            file.meta().media_storage_sop_instance_uid().trim_end_matches('\0'),
            instance.sop_instance_uid
        );
    }
    let big_endian = std::fs::read(v.dir.path().join("binary_plain_big_endian.dcm")).unwrap();
    assert!(received::from_part10(big_endian, &accepted, &Acceptance::default()).is_err());
}
