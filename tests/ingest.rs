//! DICOM series → HU volume: equality with the NRRD volumes the fixtures were made from, and one
//! test per rejection, each on a corrupted copy of the lung2-crop fixture.

use std::path::{Path, PathBuf};

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::{tags, uids};
use radscored::{
    image::{self, Image, Voxels},
    ingest::{self, IngestError, ObjectKind, SeriesPolicy, Volume},
};

use crate::study_fixture::{by_z, ct_volume, ds, fixture, fixture_json, rewrite, values, StudyDir};

/// Same grid within the image module's tolerance, and every voxel equal.
fn assert_same_hu(ours: &Image, reference: &Image) {
    reference.geometry.check_same(&ours.geometry).expect("same geometry as the NRRD");
    assert_eq!(ours.voxels.len(), reference.voxels.len());
    let differing = (0..ours.voxels.len()).filter(|&v| ours.voxels.get(v) != reference.voxels.get(v)).count();
    assert_eq!(differing, 0, "voxels differing from the NRRD");
}

/// Geometry equal to `fixture.json` (written by the fixture generator from the NRRD header).
fn assert_fixture_geometry(volume: &Volume, study: &str) {
    let expected = fixture_json(study);
    let g = volume.image.geometry;
    let numbers = |key: &str| -> Vec<f64> {
        expected[key].as_array().expect(key).iter().map(|v| v.as_f64().expect("number")).collect()
    };
    assert_eq!(g.size.map(|s| s as f64).to_vec(), numbers("size_ijk"));
    for (a, want) in numbers("spacing_mm").into_iter().enumerate() {
        assert!((g.spacing_mm[a] - want).abs() < 1e-9, "spacing {:?}", g.spacing_mm);
    }
    for (a, want) in numbers("origin_lps").into_iter().enumerate() {
        assert!((g.origin_mm[a] - want).abs() < 1e-9, "origin {:?}", g.origin_mm);
    }
    for a in 0..3 {
        let scaled = g.direction[a].map(|d| d * g.spacing_mm[a]);
        let want: Vec<f64> =
            expected["directions_lps"][a].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        for d in 0..3 {
            assert!((scaled[d] - want[d]).abs() < 1e-9, "direction {a}: {scaled:?} vs {want:?}");
        }
    }
    assert_eq!(volume.series_uid, expected["ct_series_uid"].as_str().unwrap());
    assert_eq!(volume.study_uid, expected["study_uid"].as_str().unwrap());
    assert_eq!(volume.frame_of_reference_uid, expected["frame_of_reference_uid"].as_str().unwrap());
}

/// Sum of HU over the volume.
fn hu_sum(image: &Image) -> f64 {
    (0..image.voxels.len()).map(|v| image.voxels.get(v)).sum()
}

#[test]
fn lung1_ct_equals_the_nrrd_voxel_for_voxel() {
    let volume = ct_volume(&fixture("lung1/ct")).expect("lung1 ct assembles");
    let reference = image::read(&crate::util::shared("refdata/pyradiomics/lung1_image.nrrd")).unwrap();
    assert_same_hu(&volume.image, &reference);
    assert_fixture_geometry(&volume, "lung1");
    assert!(matches!(volume.image.voxels, Voxels::I16(_)), "slope 1, intercept -1024: kept as i16");
    assert_eq!(hu_sum(&volume.image), fixture_json("lung1")["hu_sum"].as_f64().unwrap());
    // InstanceNumber runs head first in this fixture; the volume runs feet first along +z.
    let z: Vec<f64> =
        volume.slices.iter().map(|s| values(&s.path, tags::IMAGE_POSITION_PATIENT)[2]).collect();
    assert!(z.windows(2).all(|w| w[1] - w[0] == 5.0), "{z:?}");
}

#[test]
fn lung1_rle_ct_equals_the_nrrd_voxel_for_voxel() {
    let volume = ct_volume(&fixture("lung1/ct-rle")).expect("lung1 rle ct assembles");
    let reference = image::read(&crate::util::shared("refdata/pyradiomics/lung1_image.nrrd")).unwrap();
    assert_same_hu(&volume.image, &reference);
    assert_fixture_geometry(&volume, "lung1");
}

#[test]
fn lung2_crop_ct_equals_its_nrrd_voxel_for_voxel() {
    let volume = ct_volume(&fixture("lung2-crop/ct")).expect("lung2-crop ct assembles");
    let reference = image::read(&fixture("lung2-crop/image.nrrd")).unwrap();
    assert_same_hu(&volume.image, &reference);
    assert_fixture_geometry(&volume, "lung2-crop");
    assert_eq!(hu_sum(&volume.image), fixture_json("lung2-crop")["hu_sum"].as_f64().unwrap());
}

#[test]
fn jpeg_lossless_and_jpeg_2000_slices_equal_the_nrrd() {
    let reference = image::read(&fixture("lung2-crop/image.nrrd")).unwrap();
    let [nx, ny, _] = reference.geometry.size;
    for (folder, syntax) in
        [("jpeg-lossless", uids::JPEG_LOSSLESS_SV1), ("jpeg2000", uids::JPEG2000_LOSSLESS)]
    {
        let dir = crate::util::repo().join("tests/data/lung2-crop-compressed").join(folder);
        let series = ingest::scan(&dir).unwrap();
        assert_eq!(series[0].instances[0].transfer_syntax(), syntax);
        let volume = ct_volume(&dir).unwrap_or_else(|e| panic!("{folder}: {e}"));
        // Slices 18..=21 of lung2-crop: the NRRD's grid moved 18 slices up.
        let mut expected = reference.geometry;
        expected.size[2] = 4;
        expected.origin_mm = reference.geometry.point_mm([0.0, 0.0, 18.0]);
        expected.check_same(&volume.image.geometry).unwrap_or_else(|e| panic!("{folder}: {e}"));
        let differing = (0..nx * ny * 4)
            .filter(|&v| volume.image.voxels.get(v) != reference.voxels.get(v + 18 * nx * ny))
            .count();
        assert_eq!(differing, 0, "{folder}: voxels differing from the NRRD");
    }
}

#[test]
fn implicit_vr_little_endian_equals_the_nrrd() {
    let (study, files) = lung2_copy();
    for f in &files {
        // The UID has an odd length: the element value is padded with one NUL (PS3.5 9.1).
        let uid = format!("{}\0", uids::IMPLICIT_VR_LITTLE_ENDIAN);
        rewrite(f, |obj| obj.update_meta(|meta| meta.transfer_syntax = uid));
    }
    let series = ingest::scan(study.path()).unwrap();
    assert!(series[0].instances.iter().all(|i| i.transfer_syntax() == uids::IMPLICIT_VR_LITTLE_ENDIAN));
    let volume = ct_volume(study.path()).unwrap();
    assert_same_hu(&volume.image, &image::read(&fixture("lung2-crop/image.nrrd")).unwrap());
}

#[test]
fn per_slice_rescale_is_applied_and_kept_as_f64_when_not_integral_or_too_large() {
    let reference = image::read(&fixture("lung2-crop/image.nrrd")).unwrap();
    let per_slice = 192 * 192;
    // Slice 3 with slope 0.5; slice 4 with an intercept that pushes values past i16.
    for (k, slope, intercept) in [(3usize, 0.5, -1024.0), (4, 1.0, 31000.0)] {
        let (study, files) = lung2_copy();
        rewrite(&files[k], |obj| {
            obj.put(ds(tags::RESCALE_SLOPE, &[slope]));
            obj.put(ds(tags::RESCALE_INTERCEPT, &[intercept]));
        });
        let volume = ct_volume(study.path()).unwrap();
        assert!(matches!(volume.image.voxels, Voxels::F64(_)), "slope {slope}, intercept {intercept}");
        for v in 0..reference.voxels.len() {
            // The fixture stores HU + 1024 (slope 1, intercept -1024).
            let stored = reference.voxels.get(v) + 1024.0;
            let expected = if v / per_slice == k { slope * stored + intercept } else { stored - 1024.0 };
            assert_eq!(volume.image.voxels.get(v), expected, "voxel {v}");
        }
    }
}

#[test]
fn scan_groups_series_and_classifies_objects() {
    let study = StudyDir::new();
    study.copy("lung2-crop/seg", "seg");
    study.copy("lung2-crop/rtstruct", "rt");
    study.copy("lung2-crop/ct", "ct");
    std::fs::write(study.path().join("README.txt"), "not dicom").unwrap();
    let series = ingest::scan(study.path()).unwrap();
    let kinds: Vec<(usize, ObjectKind)> =
        series.iter().map(|s| (s.instances.len(), s.instances[0].kind)).collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(kinds.contains(&(61, ObjectKind::CtImage)));
    assert!(kinds.contains(&(1, ObjectKind::Segmentation)));
    assert!(kinds.contains(&(1, ObjectKind::RtStruct)));
    let ct = ingest::select_ct(study.path(), &series, None, SeriesPolicy::default()).unwrap();
    assert_eq!(ct.uid, fixture_json("lung2-crop")["ct_series_uid"].as_str().unwrap());
}

/// A copy of the lung2-crop CT, its files sorted along z.
fn lung2_copy() -> (StudyDir, Vec<PathBuf>) {
    let study = StudyDir::new();
    let files = by_z(&study.copy("lung2-crop/ct", "ct"));
    (study, files)
}

/// The error of loading `study`, with its message.
fn failure(study: &StudyDir) -> (IngestError, String) {
    let error = ct_volume(study.path()).expect_err("corrupted series must be rejected");
    let message = error.to_string();
    (error, message)
}

const LUNG2_SERIES: &str = "2.25.117019632558222095222119177641425599578";

/// Whether `message` names the lung2-crop series as a technologist knows it (number,
/// description, image count) and not by its UID.
fn names_series(message: &str, images: usize) -> bool {
    message.contains(&format!("CT series 1 'Fixture CT' ({images} images)"))
        && !message.contains(LUNG2_SERIES)
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Whether `error` points at `file` through its path field while its message does not name it
/// (a path may hold a patient's name).
fn at(error: &IngestError, file: &Path) -> bool {
    error.path() == Some(file) && !error.to_string().contains(&name(file))
}

#[test]
fn a_missing_slice_is_named_with_its_neighbours() {
    let (study, files) = lung2_copy();
    std::fs::remove_file(&files[30]).unwrap();
    let (error, message) = failure(&study);
    assert!(matches!(error, IngestError::MissingSlices { .. }), "{message}");
    assert!(message.contains("missing slice"), "{message}");
    assert!(names_series(&message, 60) && at(&error, &files[29]), "{message}");
    assert!(message.contains("send the complete series"), "{message}");
    assert!(!message.contains(&name(&files[31])) && message.contains("gap 10 mm"), "{message}");
}

#[test]
fn non_uniform_spacing_is_rejected() {
    let (study, files) = lung2_copy();
    rewrite(&files[20], |obj| {
        let mut ipp = values(&files[20], tags::IMAGE_POSITION_PATIENT);
        ipp[2] += 1.5;
        obj.put(ds(tags::IMAGE_POSITION_PATIENT, &ipp));
    });
    let (error, message) = failure(&study);
    assert!(matches!(error, IngestError::NonUniformSpacing { .. }), "{message}");
    assert!(message.contains("non-uniform slice spacing") && names_series(&message, 61), "{message}");
}

#[test]
fn a_slice_in_another_orientation_is_rejected() {
    let (study, files) = lung2_copy();
    let angle = 3f64.to_radians();
    rewrite(&files[10], |obj| {
        let (c, s) = (angle.cos(), angle.sin());
        obj.put(ds(tags::IMAGE_ORIENTATION_PATIENT, &[c, s, 0.0, -s, c, 0.0]));
    });
    let (error, message) = failure(&study);
    assert!(matches!(error, IngestError::MixedOrientation { .. }), "{message}");
    assert!(message.contains("orientation") && at(&error, &files[10]), "{message}");
}

#[test]
fn gantry_tilt_is_rejected() {
    let (study, files) = lung2_copy();
    // Each slice steps 5 mm along z and 5·tan 10° mm along y: a 10° tilt, orientation unchanged.
    for (k, file) in files.iter().enumerate() {
        rewrite(file, |obj| {
            let mut ipp = values(file, tags::IMAGE_POSITION_PATIENT);
            ipp[1] += k as f64 * 5.0 * 10f64.to_radians().tan();
            obj.put(ds(tags::IMAGE_POSITION_PATIENT, &ipp));
        });
    }
    let (error, message) = failure(&study);
    let IngestError::GantryTilt { angle_deg, .. } = error else { panic!("{message}") };
    assert!((angle_deg - 10.0).abs() < 1e-6, "{message}");
    assert!(message.contains("gantry tilt") && names_series(&message, 61), "{message}");
}

#[test]
fn a_slice_of_another_size_is_rejected() {
    let (study, files) = lung2_copy();
    rewrite(&files[5], |obj| {
        obj.put(DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(96u16)));
    });
    let (error, message) = failure(&study);
    assert!(matches!(error, IngestError::MixedSizes { what: "rows x columns", .. }), "{message}");
    assert!(message.contains("96x192") && at(&error, &files[5]), "{message}");
}

#[test]
fn a_slice_of_another_pixel_spacing_is_rejected() {
    let (study, files) = lung2_copy();
    rewrite(&files[7], |obj| {
        obj.put(ds(tags::PIXEL_SPACING, &[0.7, 0.7]));
    });
    let (error, message) = failure(&study);
    assert!(matches!(error, IngestError::MixedSizes { what: "pixel spacing", .. }), "{message}");
    assert!(at(&error, &files[7]), "{message}");
}

#[test]
fn a_slice_without_pixel_data_is_rejected() {
    let (study, files) = lung2_copy();
    rewrite(&files[12], |obj| assert!(obj.remove_element(tags::PIXEL_DATA)));
    let (error, message) = failure(&study);
    assert!(matches!(error, IngestError::MissingPixelData { .. }), "{message}");
    assert!(message.contains("no pixel data") && at(&error, &files[12]), "{message}");
}

#[test]
fn an_unsupported_transfer_syntax_is_named() {
    let (study, files) = lung2_copy();
    // JPEG-LS needs the CharLS C library, which this build leaves out. Only the file meta is
    // changed (the data set stays native): the series is refused before any pixel is decoded.
    rewrite(&files[3], |obj| obj.update_meta(|meta| meta.transfer_syntax = uids::JPEGLS_LOSSLESS.to_owned()));
    let (error, message) = failure(&study);
    assert!(matches!(error, IngestError::UnsupportedTransferSyntax { .. }), "{message}");
    assert!(message.contains(uids::JPEGLS_LOSSLESS) && at(&error, &files[3]), "{message}");
}

#[test]
fn two_slices_at_one_position_are_rejected() {
    let (study, files) = lung2_copy();
    let ipp = values(&files[8], tags::IMAGE_POSITION_PATIENT);
    rewrite(&files[9], |obj| {
        obj.put(ds(tags::IMAGE_POSITION_PATIENT, &ipp));
    });
    let (error, message) = failure(&study);
    assert!(matches!(error, IngestError::DuplicatePosition { .. }), "{message}");
    assert!(at(&error, &files[9]) && !message.contains(&name(&files[8])), "{message}");
}

#[test]
fn a_slice_without_position_is_named() {
    let (study, files) = lung2_copy();
    rewrite(&files[2], |obj| assert!(obj.remove_element(tags::IMAGE_POSITION_PATIENT)));
    let (error, message) = failure(&study);
    assert!(
        matches!(error, IngestError::MissingAttribute { attribute: "ImagePositionPatient", .. }),
        "{message}"
    );
    assert!(at(&error, &files[2]), "{message}");
}

#[test]
fn a_single_slice_is_not_a_volume() {
    let (study, files) = lung2_copy();
    for f in &files[1..] {
        std::fs::remove_file(f).unwrap();
    }
    let (error, message) = failure(&study);
    assert!(matches!(error, IngestError::TooFewSlices { count: 1, .. }), "{message}");
}

/// Sets ImageType of the file at `path`.
fn set_image_type(path: &Path, values: &[&str]) {
    rewrite(path, |obj| {
        let image_type: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        obj.put(DataElement::new(tags::IMAGE_TYPE, VR::CS, PrimitiveValue::Strs(image_type.into())));
    });
}

#[test]
fn derived_series_are_refused_unless_accepted() {
    let (study, files) = lung2_copy();
    for f in &files {
        set_image_type(f, &["DERIVED", "SECONDARY", "AXIAL"]);
    }
    let (error, message) = failure(&study);
    assert!(matches!(error, IngestError::NoCtSeries { .. }), "{message}");
    assert!(message.contains("holds derived images") && names_series(&message, 61), "{message}");
    assert!(message.contains("--accept-derived") && message.contains("accept_derived = true"), "{message}");
    let series = ingest::scan(study.path()).unwrap();
    let accepting = SeriesPolicy { accept_derived: true };
    let volume =
        ingest::assemble(ingest::select_ct(study.path(), &series, None, accepting).unwrap()).unwrap();
    assert_eq!(volume.image.geometry.size[2], 61);
}

#[test]
fn localizer_images_are_left_out_and_a_localizer_series_is_named() {
    let (study, files) = lung2_copy();
    set_image_type(&files[0], &["ORIGINAL", "PRIMARY", "LOCALIZER"]);
    let volume = ct_volume(study.path()).expect("the localizer is left out, the rest is a series");
    assert_eq!(volume.image.geometry.size[2], 60);
    assert!(volume.slices.iter().all(|s| s.path != files[0]));
    let full = ct_volume(lung2_copy().0.path()).unwrap();
    let uids = |v: &Volume| v.slices.iter().map(|s| s.sop_instance_uid.clone()).collect::<Vec<_>>();
    let localizer = &full.slices.iter().find(|s| name(&s.path) == name(&files[0])).unwrap().sop_instance_uid;
    let expected: Vec<String> = uids(&full).into_iter().filter(|u| u != localizer).collect();
    assert_eq!(uids(&volume), expected);
    let (study, files) = lung2_copy();
    for f in &files {
        set_image_type(f, &["ORIGINAL", "PRIMARY", "LOCALIZER"]);
    }
    let (error, message) = failure(&study);
    assert!(matches!(error, IngestError::NoCtSeries { .. }), "{message}");
    assert!(message.contains("is a localizer (scout) series") && names_series(&message, 61), "{message}");
}

#[test]
fn a_folder_without_ct_says_so() {
    let study = StudyDir::new();
    study.copy("lung2-crop/seg", "seg");
    let (error, message) = failure(&study);
    assert!(matches!(error, IngestError::NoCtSeries { .. }), "{message}");
    assert!(
        message.contains("SEG series 100 'Fixture SEG' (1 image) is not a CT series (Modality SEG)"),
        "{message}"
    );
    let empty = StudyDir::new();
    assert!(failure(&empty).1.contains("the folder holds no DICOM files"));
}

#[test]
fn two_qualifying_series_are_ambiguous_unless_one_is_named() {
    let (study, _) = lung2_copy();
    let other = study.copy("lung1/ct", "other");
    let (error, message) = failure(&study);
    assert!(matches!(error, IngestError::AmbiguousCtSeries { .. }), "{message}");
    assert!(names_series(&message, 61) && message.contains("(48 images)"), "{message}");
    assert!(message.contains("send only the one to analyse"), "{message}");
    let series = ingest::scan(study.path()).unwrap();
    let chosen =
        ingest::select_ct(study.path(), &series, Some(LUNG2_SERIES), SeriesPolicy::default()).unwrap();
    assert_eq!(chosen.ct_images().count(), 61);
    assert_eq!(other.len(), 48);
    let missing = ingest::select_ct(study.path(), &series, Some("1.2.3"), SeriesPolicy::default())
        .unwrap_err()
        .to_string();
    assert!(missing.contains("the series asked for cannot be analysed: it is not in the study"), "{missing}");
    assert!(!missing.contains("1.2.3"), "{missing}");
}
