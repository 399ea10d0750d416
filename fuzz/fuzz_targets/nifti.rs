//! A NIfTI-1 file, plain (`.nii`) or, when the input starts with the gzip magic, `.nii.gz`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temporary folder");
    let name = if data.starts_with(&[0x1f, 0x8b]) { "image.nii.gz" } else { "image.nii" };
    let path = dir.path().join(name);
    std::fs::write(&path, data).expect("temporary file");
    let _ = radscored::image::read(&path);
});
