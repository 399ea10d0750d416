//! Bad input to `radscored features`: each kind gets exit code 2 and a one-line reason that names
//! the problem, and nothing is printed on stdout.

use std::path::{Path, PathBuf};
use std::process::Command;

use radscored::image::{self, Image, Voxels};

use crate::util::shared;

fn lung2_crop() -> (PathBuf, PathBuf) {
    (shared("fixtures/dicom/lung2-crop/image.nrrd"), shared("fixtures/dicom/lung2-crop/label.nrrd"))
}

/// Runs `radscored features IMAGE MASK [extra]` and returns stderr, asserting failure.
fn fails(image: &Path, mask: &Path, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_radscored"))
        .arg("features")
        .arg(image)
        .arg(mask)
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr).unwrap()
}

/// Writes a raw NRRD copy of `image` with its voxels replaced by `voxels`.
fn write_variant(dir: &Path, name: &str, image: &Image, voxels: Voxels) -> PathBuf {
    let path = dir.join(name);
    image::nrrd::write_raw(&path, &Image { geometry: image.geometry, voxels }).unwrap();
    path
}

#[test]
fn geometry_mismatch_is_named() {
    let (img, _) = lung2_crop();
    let err = fails(&img, &shared("refdata/pyradiomics/lung1_label.nrrd"), &[]);
    assert!(err.contains("geometries differ") && err.contains("size"), "{err}");
}

#[test]
fn missing_label_and_empty_mask() {
    let (img, mask) = lung2_crop();
    let err = fails(&img, &mask, &["--label", "2"]);
    assert!(err.contains("label 2 is not present") && err.contains("labels present: 1"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let m = image::read(&mask).unwrap();
    let empty = write_variant(dir.path(), "empty.nrrd", &m, Voxels::I16(vec![0; m.voxels.len()].into()));
    assert!(fails(&img, &empty, &[]).contains("the mask is empty"));
}

#[test]
fn too_small_regions_are_refused() {
    let (img, mask) = lung2_crop();
    let m = image::read(&mask).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let g = m.geometry;
    let mut single = vec![0i16; m.voxels.len()];
    single[g.index(60, 70, 20)] = 1;
    let path = write_variant(dir.path(), "single.nrrd", &m, Voxels::I16(single.clone().into()));
    assert!(fails(&img, &path, &[]).contains("single voxel"));
    single[g.index(61, 70, 20)] = 1;
    let path = write_variant(dir.path(), "line.nrrd", &m, Voxels::I16(single.into()));
    let err = fails(&img, &path, &[]);
    assert!(err.contains("spans 1 dimension(s), at least 2"), "{err}");
}

#[test]
fn truncated_and_unsupported_files() {
    let (img, mask) = lung2_crop();
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(&img).unwrap();
    let cut = dir.path().join("cut.nrrd");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    assert!(fails(&cut, &mask, &[]).contains("truncated or corrupt"));

    let header_end = bytes.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let text = String::from_utf8_lossy(&bytes[..header_end]).to_string();
    let bz = dir.path().join("bz.nrrd");
    let mut changed = text.replace("encoding: gzip", "encoding: bzip2").into_bytes();
    changed.extend_from_slice(&bytes[header_end..]);
    std::fs::write(&bz, changed).unwrap();
    assert!(fails(&bz, &mask, &[]).contains("unsupported encoding 'bzip2'"));

    let missing = dir.path().join("missing.nrrd");
    assert!(fails(&missing, &mask, &[]).contains("could not read"));
}

#[test]
fn unknown_parameter_keys_are_named() {
    let (img, mask) = lung2_crop();
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("p.yaml");
    std::fs::write(&params, "setting:\n  binWdith: 25\n").unwrap();
    let err = fails(&img, &mask, &["--params", params.to_str().unwrap()]);
    assert!(err.contains("unknown key 'binWdith'"), "{err}");
}
