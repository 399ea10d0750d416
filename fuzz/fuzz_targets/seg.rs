//! A DICOM SEG drawn on the lung2-crop CT volume (read once).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use radscored::ingest::{self, Volume};

fn volume() -> &'static Volume {
    static VOLUME: OnceLock<Volume> = OnceLock::new();
    VOLUME.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/dicom/lung2-crop/ct");
        let series = ingest::scan(&dir).expect("lung2-crop ct fixture (../shared/fixtures) readable");
        ingest::assemble(ingest::select_ct(&dir, &series, None).expect("one ct series")).expect("volume")
    })
}

fuzz_target!(|data: &[u8]| {
    let volume = volume();
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("seg.dcm");
    std::fs::write(&path, data).expect("temporary file");
    let _ = radscored::roi::seg_mask(&path, volume, None);
});
