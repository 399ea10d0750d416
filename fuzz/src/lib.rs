//! What the fuzz targets share: the bytes under test written to a file (the readers take paths),
//! and the lung2-crop CT volume that SEG and RTSTRUCT inputs are drawn on (read once).

use std::path::Path;
use std::sync::OnceLock;

use radscored::ingest::{self, SeriesPolicy, Volume};

/// Writes `data` to a fresh temporary file named `name` and runs `read` on its path.
pub fn with_file<T>(name: &str, data: &[u8], read: impl FnOnce(&Path) -> T) -> T {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join(name);
    std::fs::write(&path, data).expect("temporary file");
    read(&path)
}

/// The lung2-crop CT volume of ../shared/fixtures, assembled once per process.
pub fn lung2_volume() -> &'static Volume {
    static VOLUME: OnceLock<Volume> = OnceLock::new();
    VOLUME.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/dicom/lung2-crop/ct");
        let series = ingest::scan(&dir).expect("lung2-crop ct fixture (../shared/fixtures) readable");
        ingest::assemble(
            ingest::select_ct(&dir, &series, None, SeriesPolicy::default()).expect("one ct series"),
        )
        .expect("volume")
    })
}
