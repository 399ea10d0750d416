//! An NRRD file (attached data; a detached `data file` names a file beside it or anywhere).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("image.nrrd");
    std::fs::write(&path, data).expect("temporary file");
    let _ = radscored::image::read(&path);
});
