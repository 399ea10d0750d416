//! Tumor masks from SEG, RTSTRUCT and label maps against the label NRRDs the fixtures were made
//! from; the ring against scipy's exact EDT and the patch against numpy (`tests/oracle/roi_reference.py`);
//! one test per rejection on corrupted copies of the fixtures; the time loading a study takes.

use std::path::{Path, PathBuf};

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;
use radscored::{
    image::{self, Image, Voxels},
    roi::{
        self, MaskKind, MaskSelector, MaskSource, RegionRef, RoiError, StudyError, DEFAULT_RING_RADIUS_MM,
    },
    study::{Study, StudyInput},
};

use crate::study_fixture::{ct_volume, edit_items, fixture, fixture_json, rewrite, roi_reference, StudyDir};

/// A study folder holding the fixture's CT (`ct_folder` of `study`) and the named mask folders.
fn study_dir(study: &str, ct_folder: &str, masks: &[&str]) -> StudyDir {
    let dir = StudyDir::new();
    dir.link(&format!("{study}/{ct_folder}"), "ct");
    for mask in masks {
        dir.link(&format!("{study}/{mask}"), mask);
    }
    dir
}

/// A study folder holding the fixture's CT of `study` and a copy of its `mask` folder (`seg` or
/// `rtstruct`) whose file `change` has rewritten; the path of that file.
fn edited_study(
    study: &str,
    mask: &str,
    change: impl FnOnce(&mut DefaultDicomObject),
) -> (StudyDir, PathBuf) {
    let dir = study_dir(study, "ct", &[]);
    let copies = dir.copy(&format!("{study}/{mask}"), mask);
    rewrite(&copies[0], change);
    (dir, copies[0].clone())
}

fn selector(kind: MaskKind) -> MaskSelector {
    MaskSelector { kind, region: None, object: None }
}

/// The label NRRD of a fixture study.
fn label_path(study: &str) -> std::path::PathBuf {
    match study {
        "lung1" => crate::util::shared("refdata/pyradiomics/lung1_label.nrrd"),
        _ => fixture(&format!("{study}/label.nrrd")),
    }
}

/// The CT NRRD of a fixture study.
fn image_path(study: &str) -> std::path::PathBuf {
    match study {
        "lung1" => crate::util::shared("refdata/pyradiomics/lung1_image.nrrd"),
        _ => fixture(&format!("{study}/image.nrrd")),
    }
}

/// The set voxels of a `u8` mask.
fn set_voxels(mask: &Image) -> Vec<usize> {
    let Voxels::U8(v) = &mask.voxels else { panic!("masks are u8, got {}", mask.voxels.type_name()) };
    (0..v.len()).filter(|&i| v[i] != 0).collect()
}

/// The mask equals the label NRRD voxel for voxel, on the same grid, with `count` voxels.
fn assert_equals_label(mask: &Image, study: &str) {
    let label = image::read(&label_path(study)).unwrap();
    label.geometry.check_same(&mask.geometry).expect("mask on the label's grid");
    let expected: Vec<usize> = (0..label.voxels.len()).filter(|&v| label.voxels.get(v) != 0.0).collect();
    assert_eq!(expected.len() as u64, fixture_json(study)["tumor_voxels"].as_u64().unwrap());
    assert_eq!(set_voxels(mask), expected);
}

/// Loads the study folder `dir` as the study stage does.
fn load_study_at(dir: &std::path::Path, selector: &MaskSelector) -> Result<Study, StudyError> {
    radscored::study::load(StudyInput::Folder(dir.to_path_buf()), selector)
}

fn load(dir: &StudyDir, kind: MaskKind) -> Study {
    load_study_at(dir.path(), &selector(kind)).expect("study loads")
}

fn roi_failure(dir: &Path, selector: &MaskSelector) -> (RoiError, String) {
    match load_study_at(dir, selector) {
        Err(StudyError::Roi(error) | StudyError::Mask { error, .. }) => {
            let message = error.to_string();
            (error, message)
        }
        Err(other) => panic!("expected an roi error, got: {other}"),
        Ok(_) => panic!("expected an roi error, got a study"),
    }
}

#[test]
fn seg_masks_equal_the_labels() {
    for study in ["lung1", "lung2-crop"] {
        let dir = study_dir(study, "ct", &["seg"]);
        let loaded = load(&dir, MaskKind::Seg);
        assert_equals_label(&loaded.tumor, study);
        let MaskSource::Seg { segment_number, segment_label, .. } = &loaded.mask_source else {
            panic!("{:?}", loaded.mask_source)
        };
        assert_eq!((*segment_number, segment_label.as_str()), (1, "GTV-1"));
        let expected = fixture_json(study);
        assert_eq!(loaded.series_uid, expected["ct_series_uid"].as_str().unwrap());
        assert_eq!(loaded.study_uid, expected["study_uid"].as_str().unwrap());
        loaded.ct.geometry.check_same(&loaded.tumor.geometry).unwrap();
    }
}

#[test]
fn rtstruct_masks_equal_the_labels() {
    for study in ["lung1", "lung2-crop"] {
        let dir = study_dir(study, "ct", &["rtstruct"]);
        let loaded = load(&dir, MaskKind::Rtstruct);
        assert_equals_label(&loaded.tumor, study);
        assert!(
            matches!(&loaded.mask_source, MaskSource::Rtstruct { roi_number: 1, roi_name, .. } if roi_name == "GTV-1"),
            "{:?}",
            loaded.mask_source
        );
    }
}

#[test]
fn any_prefers_the_seg_and_the_rle_series_takes_the_same_mask() {
    let dir = study_dir("lung1", "ct-rle", &["seg", "rtstruct"]);
    let loaded = load(&dir, MaskKind::Any);
    assert!(matches!(loaded.mask_source, MaskSource::Seg { .. }), "{:?}", loaded.mask_source);
    assert_equals_label(&loaded.tumor, "lung1");
    let reference = image::read(&image_path("lung1")).unwrap();
    assert!((0..reference.voxels.len()).all(|v| loaded.ct.voxels.get(v) == reference.voxels.get(v)));
}

#[test]
fn regions_are_chosen_by_name_or_number() {
    let dir = study_dir("lung2-crop", "ct", &["seg", "rtstruct"]);
    for kind in [MaskKind::Seg, MaskKind::Rtstruct] {
        let by_name =
            MaskSelector { kind: kind.clone(), region: Some(RegionRef::Name("GTV-1".into())), object: None };
        assert_eq!(set_voxels(&load_study_at(dir.path(), &by_name).unwrap().tumor).len(), 24644);
        let absent = MaskSelector { kind, region: Some(RegionRef::Number(2)), object: None };
        let (error, message) = roi_failure(dir.path(), &absent);
        assert!(matches!(error, RoiError::NoMask { .. }), "{message}");
        assert!(message.contains("no region number 2; available: 1 'GTV-1'"), "{message}");
    }
}

#[test]
fn label_maps_must_share_the_ct_grid() {
    let dir = study_dir("lung1", "ct", &[]);
    let labels = MaskKind::LabelMap(label_path("lung1"));
    let loaded = load(&dir, labels);
    assert_equals_label(&loaded.tumor, "lung1");
    assert!(matches!(loaded.mask_source, MaskSource::LabelMap { label: 1, .. }));

    let other =
        MaskSelector { kind: MaskKind::LabelMap(label_path("lung2-crop")), region: None, object: None };
    let (error, message) = roi_failure(dir.path(), &other);
    assert!(matches!(error, RoiError::Geometry { .. }), "{message}");
    assert!(
        message.contains("the label map (geometryTolerance 0.000001) is not on the ct grid"),
        "{message}"
    );
    let wrong_label = MaskSelector {
        kind: MaskKind::LabelMap(label_path("lung1")),
        region: Some(RegionRef::Number(2)),
        object: None,
    };
    assert!(roi_failure(dir.path(), &wrong_label).1.contains("no region number 2; available: 1"));
}

#[test]
fn ring_equals_scipy_distance_transform() {
    for study in ["lung1", "lung2-crop"] {
        let loaded = load(&study_dir(study, "ct", &["seg"]), MaskKind::Seg);
        let ring = roi::peritumoral_ring(&loaded.tumor, DEFAULT_RING_RADIUS_MM).unwrap();
        let reference = roi_reference(&image_path(study), &label_path(study), DEFAULT_RING_RADIUS_MM);
        let expected: Vec<usize> =
            reference["ring"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let ours = set_voxels(&ring);
        assert!(expected.len() > 1000, "{study}: ring of {} voxels", expected.len());
        assert_eq!(ours.len(), expected.len(), "{study}: ring voxel count");
        assert_eq!(ours, expected, "{study}: ring voxels");
        ring.geometry.check_same(&loaded.ct.geometry).unwrap();
    }
}

#[test]
fn patch_equals_numpy() {
    for study in ["lung1", "lung2-crop"] {
        let loaded = load(&study_dir(study, "ct", &["rtstruct"]), MaskKind::Rtstruct);
        let patch = roi::deep_patch(&loaded.ct, &loaded.tumor).unwrap();
        let reference =
            roi_reference(&image_path(study), &label_path(study), DEFAULT_RING_RADIUS_MM)["patch"].clone();
        assert_eq!(patch.slice as u64, reference["slice"].as_u64().unwrap(), "{study}: slice");
        let centre: Vec<u64> =
            reference["centre"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(patch.centre.map(|c| c as u64).to_vec(), centre, "{study}: centre");
        for a in 0..2 {
            assert!((patch.centroid[a] - reference["centroid"][a].as_f64().unwrap()).abs() < 1e-9, "{study}");
        }
        let values: Vec<f32> =
            reference["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
        assert_eq!(patch.values_hu, values, "{study}: patch values");
    }
}

#[test]
fn a_seg_in_another_frame_of_reference_is_rejected() {
    let (dir, _) = edited_study("lung1", "seg", |obj| {
        obj.put(DataElement::new(tags::FRAME_OF_REFERENCE_UID, VR::UI, PrimitiveValue::from("2.25.1234")));
    });
    let (error, message) = roi_failure(dir.path(), &selector(MaskKind::Seg));
    assert!(matches!(error, RoiError::OtherFrameOfReference { .. }), "{message}");
    assert!(message.contains("another patient coordinate system (frame of reference)"), "{message}");
    assert!(message.contains("than CT series 1 'Fixture CT' (48 images)"), "{message}");
    assert!(!message.contains("2.25."), "no UID in the message: {message}");
}

#[test]
fn an_rtstruct_roi_in_another_frame_of_reference_is_rejected() {
    let (dir, _) = edited_study("lung2-crop", "rtstruct", |obj| {
        edit_items(obj, tags::STRUCTURE_SET_ROI_SEQUENCE, |_, roi| {
            roi.put(DataElement::new(
                tags::REFERENCED_FRAME_OF_REFERENCE_UID,
                VR::UI,
                PrimitiveValue::from("2.25.9"),
            ));
        });
    });
    let (error, message) = roi_failure(dir.path(), &selector(MaskKind::Rtstruct));
    assert!(matches!(error, RoiError::OtherFrameOfReference { .. }), "{message}");
    assert!(message.contains("another patient coordinate system (frame of reference)"), "{message}");
    assert!(!message.contains("2.25."), "no UID in the message: {message}");
}

#[test]
fn seg_frames_map_by_plane_position_or_by_referenced_slice_alone() {
    for (drop_tag, what) in [
        (tags::DERIVATION_IMAGE_SEQUENCE, "plane position only"),
        (tags::PLANE_POSITION_SEQUENCE, "referenced slice only"),
    ] {
        let (dir, _) = edited_study("lung1", "seg", |obj| {
            edit_items(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, |_, frame| {
                assert!(frame.remove_element(drop_tag));
            });
        });
        let loaded = load(&dir, MaskKind::Seg);
        assert_eq!(set_voxels(&loaded.tumor).len(), 837, "{what}");
        assert_equals_label(&loaded.tumor, "lung1");
    }
}

#[test]
fn a_seg_frame_at_another_slice_than_it_references_is_rejected() {
    let (dir, _) = edited_study("lung1", "seg", |obj| {
        edit_items(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, |n, frame| {
            if n == 1 {
                edit_items(frame, tags::PLANE_POSITION_SEQUENCE, |_, plane| {
                    plane.put(crate::study_fixture::ds(
                        tags::IMAGE_POSITION_PATIENT,
                        &[-146.0, -325.0, -602.5],
                    ));
                });
            }
        });
    });
    let (error, message) = roi_failure(dir.path(), &selector(MaskKind::Seg));
    assert!(matches!(error, RoiError::FrameOffGrid { frame: 2, .. }), "{message}");
    // lung1's slices lie at z = -777.5 + 5k mm: frame 2 moved to slice 35, it references slice 33.
    assert!(
        message.contains("it lies at z = -602.5 mm but refers to the CT image at z = -612.5 mm"),
        "{message}"
    );
}

#[test]
fn a_seg_frame_referencing_an_unknown_slice_is_rejected() {
    let (dir, _) = edited_study("lung1", "seg", |obj| {
        edit_items(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, |n, frame| {
            assert!(frame.remove_element(tags::PLANE_POSITION_SEQUENCE));
            if n == 0 {
                edit_items(frame, tags::DERIVATION_IMAGE_SEQUENCE, |_, derivation| {
                    edit_items(derivation, tags::SOURCE_IMAGE_SEQUENCE, |_, source| {
                        source.put(DataElement::new(
                            tags::REFERENCED_SOP_INSTANCE_UID,
                            VR::UI,
                            PrimitiveValue::from("2.25.42"),
                        ));
                    });
                });
            }
        });
    });
    let (error, message) = roi_failure(dir.path(), &selector(MaskKind::Seg));
    assert!(matches!(error, RoiError::UnknownInstance { .. }), "{message}");
    assert!(
        message.contains("frame 1 of the segmentation refers to an image that is not in CT series 1"),
        "{message}"
    );
    assert!(
        message.contains("send the CT series it was drawn on") && !message.contains("2.25."),
        "{message}"
    );
}

#[test]
fn a_seg_that_references_nothing_of_the_series_is_rejected() {
    let (dir, copied) = edited_study("lung1", "seg", |obj| {
        assert!(obj.remove_element(tags::REFERENCED_SERIES_SEQUENCE));
        assert!(obj.remove_element(tags::SOURCE_IMAGE_SEQUENCE));
        edit_items(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, |_, frame| {
            assert!(frame.remove_element(tags::DERIVATION_IMAGE_SEQUENCE));
        });
    });
    // The folder search passes it over...
    let (error, message) = roi_failure(dir.path(), &selector(MaskKind::Seg));
    assert!(matches!(error, RoiError::NoMask { .. }), "{message}");
    assert!(
        message.contains("'seg/seg.dcm' (SEG 'Fixture SEG') refers to a series that is not in the study"),
        "{message}"
    );
    assert!(
        message.contains("CT series: CT series 1 'Fixture CT' (48 images) could be analysed"),
        "{message}"
    );
    // ...and drawing it on the series directly is refused.
    let volume = ct_volume(&fixture("lung1/ct")).unwrap();
    let error = roi::seg_mask(&copied, &volume, None).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, RoiError::NotReferencingSeries { .. }), "{message}");
    assert!(
        message.contains("refers neither to CT series 1 'Fixture CT' (48 images) nor to any of its images"),
        "{message}"
    );
    assert!(!message.contains("2.25."), "{message}");
}

#[test]
fn fractional_segs_are_thresholded_at_half() {
    let (dir, _) = edited_study("lung2-crop", "seg", |obj| {
        let frames = obj.element(tags::NUMBER_OF_FRAMES).unwrap().to_int::<usize>().unwrap();
        let pixels = 192 * 192 * frames;
        let packed = obj.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap().into_owned();
        // Set pixels become 128 or 255 (≥ half of 255: in), unset ones 0 or 127 (below half: out).
        let bytes: Vec<u8> = (0..pixels)
            .map(|p| match ((packed[p / 8] >> (p % 8)) & 1 == 1, p % 3 == 0) {
                (true, true) => 128,
                (true, false) => 255,
                (false, true) => 127,
                (false, false) => 0,
            })
            .collect();
        obj.put(DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::from(bytes)));
        obj.put(DataElement::new(tags::SEGMENTATION_TYPE, VR::CS, PrimitiveValue::from("FRACTIONAL")));
        obj.put(DataElement::new(
            tags::SEGMENTATION_FRACTIONAL_TYPE,
            VR::CS,
            PrimitiveValue::from("PROBABILITY"),
        ));
        obj.put(DataElement::new(tags::MAXIMUM_FRACTIONAL_VALUE, VR::US, PrimitiveValue::from(255u16)));
        for (tag, value) in [(tags::BITS_ALLOCATED, 8u16), (tags::BITS_STORED, 8), (tags::HIGH_BIT, 7)] {
            obj.put(DataElement::new(tag, VR::US, PrimitiveValue::from(value)));
        }
    });
    let loaded = load(&dir, MaskKind::Seg);
    assert_equals_label(&loaded.tumor, "lung2-crop");
}

#[test]
fn an_rtstruct_contour_between_slices_is_rejected() {
    let (dir, _) = edited_study("lung2-crop", "rtstruct", |obj| {
        edit_items(obj, tags::ROI_CONTOUR_SEQUENCE, |_, roi| {
            edit_items(roi, tags::CONTOUR_SEQUENCE, |n, contour| {
                if n == 4 {
                    let mut data = contour.element(tags::CONTOUR_DATA).unwrap().to_multi_float64().unwrap();
                    data.iter_mut().skip(2).step_by(3).for_each(|z| *z += 2.5);
                    contour.put(crate::study_fixture::ds(tags::CONTOUR_DATA, &data));
                }
            });
        });
    });
    let (error, message) = roi_failure(dir.path(), &selector(MaskKind::Rtstruct));
    assert!(matches!(error, RoiError::ContourOffGrid { contour: 5, .. }), "{message}");
    assert!(message.contains("contour 5 of the structure set is off the ct grid"), "{message}");
}

#[test]
fn open_contours_are_not_rasterised() {
    let (dir, _) = edited_study("lung2-crop", "rtstruct", |obj| {
        edit_items(obj, tags::ROI_CONTOUR_SEQUENCE, |_, roi| {
            edit_items(roi, tags::CONTOUR_SEQUENCE, |n, contour| {
                if n == 0 {
                    contour.put(DataElement::new(
                        tags::CONTOUR_GEOMETRIC_TYPE,
                        VR::CS,
                        PrimitiveValue::from("OPEN_PLANAR"),
                    ));
                }
            });
        });
    });
    let (error, message) = roi_failure(dir.path(), &selector(MaskKind::Rtstruct));
    assert!(matches!(error, RoiError::Unsupported { what: "ContourGeometricType", .. }), "{message}");
    assert!(message.contains("OPEN_PLANAR (contour 1)"), "{message}");
}

#[test]
fn missing_empty_and_duplicate_segmentations_are_named() {
    let ct_only = study_dir("lung1", "ct", &[]);
    let (error, message) = roi_failure(ct_only.path(), &selector(MaskKind::Any));
    assert!(matches!(error, RoiError::NoMask { .. }), "{message}");
    assert!(message.contains("no SEG or RTSTRUCT found; CT series: CT series 1 'Fixture CT'"), "{message}");

    // A second SEG (another SOP Instance UID: not a copy of the first) drawn on the same series.
    let twice = study_dir("lung1", "ct", &["seg"]);
    let again = twice.copy("lung1/seg", "seg-again");
    rewrite(&again[0], |obj| {
        obj.put(DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, PrimitiveValue::from("2.25.77")));
    });
    let (error, message) = roi_failure(twice.path(), &selector(MaskKind::Seg));
    assert!(matches!(error, RoiError::AmbiguousMask { .. }), "{message}");
    assert!(
        message.contains("'seg/seg.dcm' (SEG 'Fixture SEG'), 'seg-again/seg.dcm' (SEG 'Fixture SEG')"),
        "{message}"
    );
    assert!(message.contains("choose one with analyze --segmentation FILE"), "{message}");
    let chosen = MaskSelector { object: Some("seg-again/seg.dcm".into()), ..selector(MaskKind::Seg) };
    let loaded = load_study_at(twice.path(), &chosen).expect("the SEG named is used");
    assert!(
        matches!(&loaded.mask_source, MaskSource::Seg { sop_instance_uid, .. } if sop_instance_uid == "2.25.77")
    );
    assert_equals_label(&loaded.tumor, "lung1");
    let absent = MaskSelector { object: Some("nowhere.dcm".into()), ..selector(MaskKind::Seg) };
    let (error, message) = roi_failure(twice.path(), &absent);
    assert!(matches!(error, RoiError::NoMask { .. }), "{message}");
    assert!(message.contains("no SEG file 'nowhere.dcm' in the study; found: 'seg/seg.dcm'"), "{message}");

    let (empty, _) = edited_study("lung1", "seg", |obj| {
        let len = obj.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap().len();
        obj.put(DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::from(vec![0u8; len])));
    });
    let (error, message) = roi_failure(empty.path(), &selector(MaskKind::Seg));
    assert!(matches!(error, RoiError::EmptyMask { .. }), "{message}");
    assert!(message.contains("seg.dcm") && message.contains("is empty"), "{message}");
}

#[test]
fn load_study_timings() {
    for (study, ct) in [("lung1", "ct"), ("lung1", "ct-rle"), ("lung2-crop", "ct")] {
        let dir = study_dir(study, ct, &["seg"]);
        load(&dir, MaskKind::Seg);
        let mut best = None::<radscored::study::LoadTimings>;
        for _ in 0..5 {
            let t = load(&dir, MaskKind::Seg).timings;
            if best.is_none_or(|b| t.scan + t.volume + t.mask < b.scan + b.volume + b.mask) {
                best = Some(t);
            }
        }
        let t = best.unwrap();
        println!(
            "load_study {study}/{ct} + seg (best of 5): scan {:.1} ms, volume {:.1} ms, mask {:.1} ms",
            t.scan.as_secs_f64() * 1e3,
            t.volume.as_secs_f64() * 1e3,
            t.mask.as_secs_f64() * 1e3
        );
        // Loose bound, so that only a gross regression fails on a shared machine; the report gives
        // the release-build times.
        assert!((t.scan + t.volume).as_secs_f64() < 2.0, "{study}/{ct}: {t:?}");
    }
}

/// An RTSTRUCT made with pydicom from the lung2-crop fixture (`tests/oracle/rtstruct_holes.py`)
/// whose tumor slice holds an outer contour, a hole inside it and a separate island: the whole
/// DICOM path (`study::load`) gives the mask that the script's own even-odd rasterisation of
/// voxel centres gives, voxel for voxel. A union of the contours would fill the hole.
#[test]
fn rtstruct_holes_and_islands_follow_the_even_odd_rule() {
    let python = crate::util::repo().join(".venv-ref/bin/python");
    assert!(python.exists(), "{} missing: run scripts/setup.sh", python.display());
    let dir = study_dir("lung2-crop", "ct", &[]);
    let source = crate::study_fixture::files(&fixture("lung2-crop/rtstruct")).remove(0);
    std::fs::create_dir(dir.path().join("rtstruct")).unwrap();
    let made = dir.path().join("rtstruct/holes.dcm");
    let out = std::process::Command::new(&python)
        .arg(crate::util::repo().join("tests/oracle/rtstruct_holes.py"))
        .arg(fixture("lung2-crop/ct"))
        .arg(&source)
        .arg(&made)
        .output()
        .expect("python runs");
    assert!(out.status.success(), "rtstruct_holes.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let oracle: serde_json::Value = serde_json::from_slice(&out.stdout).expect("oracle prints JSON");
    let counts = &oracle["counts"];
    for part in ["outer", "hole", "island"] {
        assert!(counts[part].as_u64().unwrap() > 0, "the fixture's {part} covers no voxel centre: {counts}");
    }
    let expected: Vec<usize> =
        oracle["inside"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();

    let loaded = load(&dir, MaskKind::Rtstruct);
    let geometry = &loaded.tumor.geometry;
    let size: Vec<usize> =
        oracle["size"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    assert_eq!(geometry.size.to_vec(), size, "the oracle's grid");
    for (axis, origin) in oracle["origin"].as_array().unwrap().iter().enumerate() {
        let origin = origin.as_f64().unwrap();
        assert!(
            (geometry.origin_mm[axis] - origin).abs() < 1e-6,
            "slice order: origin {:?}",
            geometry.origin_mm
        );
    }
    let got = set_voxels(&loaded.tumor);
    let missing: Vec<_> = expected.iter().filter(|v| got.binary_search(v).is_err()).collect();
    let extra: Vec<_> = got.iter().filter(|v| expected.binary_search(v).is_err()).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} voxels missing, {} extra (of {} expected); first missing {:?}, first extra {:?}",
        missing.len(),
        extra.len(),
        expected.len(),
        missing.first(),
        extra.first()
    );
    println!("rtstruct with a hole and an island: {} voxels equal the even-odd oracle ({counts})", got.len());
}
