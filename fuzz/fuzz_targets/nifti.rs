//! A NIfTI-1 file, plain (`.nii`) or, when the input starts with the gzip magic, `.nii.gz`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radscored_fuzz::with_file;

fuzz_target!(|data: &[u8]| {
    let name = if data.starts_with(&[0x1f, 0x8b]) { "image.nii.gz" } else { "image.nii" };
    let _ = with_file(name, data, radscored::image::read);
});
