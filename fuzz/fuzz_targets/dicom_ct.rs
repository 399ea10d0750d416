//! One CT instance as the study path reads it: the header scan of a folder holding it, then its
//! pixel data decoded to stored values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radscored_fuzz::with_file;

fuzz_target!(|data: &[u8]| {
    with_file("slice.dcm", data, |path| {
        let dir = path.parent().expect("the file's folder");
        if let Ok(series) = radscored::ingest::scan(dir) {
            for s in &series {
                let _ = s.ct_rejection(radscored::ingest::SeriesPolicy::default());
            }
        }
        let _ = radscored::ingest::volume::decode_slice(path);
    });
});
