//! An NRRD file (attached data; a detached `data file` names a file beside it or anywhere).
#![no_main]

use libfuzzer_sys::fuzz_target;
use radscored_fuzz::with_file;

fuzz_target!(|data: &[u8]| {
    let _ = with_file("image.nrrd", data, radscored::image::read);
});
