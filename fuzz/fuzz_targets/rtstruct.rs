//! An RTSTRUCT rasterised on the lung2-crop CT volume (read once).
#![no_main]

use libfuzzer_sys::fuzz_target;
use radscored_fuzz::{lung2_volume, with_file};

fuzz_target!(|data: &[u8]| {
    let volume = lung2_volume();
    let _ = with_file("rtstruct.dcm", data, |path| radscored::roi::rtstruct_mask(path, volume, None));
});
