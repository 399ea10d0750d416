//! One CT instance as the study path reads it: the header scan of a folder holding it, then its
//! pixel data decoded to stored values.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("slice.dcm");
    std::fs::write(&path, data).expect("temporary file");
    if let Ok(series) = radscored::ingest::scan(dir.path()) {
        for s in &series {
            let _ = s.ct_rejection();
        }
    }
    let _ = radscored::ingest::volume::decode_slice(&path);
});
