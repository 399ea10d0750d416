//! Temporary study folders built from the shared DICOM fixtures (`../shared/fixtures/dicom`), the
//! corruptions the rejection tests apply to copies of them, and the Python oracle for the ROIs.
//!
//! Corrupted copies are rewritten with dicom-object (the third-party parser, not radscored code);
//! expected values come from `fixture.json`, the NRRD files the fixtures were made from, and
//! numpy/scipy in `tests/oracle/roi_reference.py`.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{mem::InMemDicomObject, open_file, DefaultDicomObject, OpenFileOptions};
use radscored::image::{self, Image, Voxels};
use radscored::ingest::{self, IngestError, SeriesPolicy, Volume};

use crate::util;

/// `../shared/fixtures/dicom/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    util::shared(&format!("fixtures/dicom/{rel}"))
}

/// The CT volume of a study folder: scanned, its only CT series selected (default policy) and
/// assembled.
pub fn ct_volume(dir: &Path) -> Result<Volume, IngestError> {
    let series = ingest::scan(dir)?;
    ingest::assemble(ingest::select_ct(dir, &series, None, SeriesPolicy::default())?)
}

/// The lung2-crop CT volume, read once per test process.
pub fn lung2_volume() -> &'static Volume {
    static VOLUME: std::sync::OnceLock<Volume> = std::sync::OnceLock::new();
    VOLUME.get_or_init(|| ct_volume(&fixture("lung2-crop/ct")).expect("lung2-crop ct assembles"))
}

/// The set voxels of a `u8` mask.
pub fn set_voxels(mask: &Image) -> Vec<usize> {
    let Voxels::U8(v) = &mask.voxels else { panic!("masks are u8, got {}", mask.voxels.type_name()) };
    (0..v.len()).filter(|&i| v[i] != 0).collect()
}

/// The tumor voxels of lung2-crop's label NRRD (what its SEG and RTSTRUCT were written from), on
/// its CT grid.
pub fn lung2_tumor_voxels() -> Vec<usize> {
    let label = image::read(&fixture("lung2-crop/label.nrrd")).expect("fixture label reads");
    label.geometry.check_same(&lung2_volume().image.geometry).expect("label on the ct grid");
    (0..label.voxels.len()).filter(|&v| label.voxels.get(v) != 0.0).collect()
}

/// The data set of a Part-10 file: after the file meta group, whose length (0002,0000) says
/// where it ends.
pub fn data_set_of(part10: &[u8]) -> &[u8] {
    assert_eq!(&part10[128..132], b"DICM");
    assert_eq!(&part10[136..138], b"UL", "the file meta group starts with its group length");
    let length = u32::from_le_bytes(part10[140..144].try_into().unwrap()) as usize;
    &part10[144 + length..]
}

/// The `fixture.json` of a fixture study.
pub fn fixture_json(study: &str) -> serde_json::Value {
    let path = fixture(&format!("{study}/fixture.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture.json reads"))
        .expect("fixture.json parses")
}

/// The files of a fixture folder, by name.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("fixture folder lists").map(|e| e.expect("entry").path()).collect();
    files.sort();
    files
}

/// A study folder in a temporary directory; removed when dropped.
pub struct StudyDir {
    pub dir: tempfile::TempDir,
}

impl StudyDir {
    pub fn new() -> StudyDir {
        StudyDir { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Links every file of the fixture folder `rel` into `<study>/<sub>/` (read-only use).
    pub fn link(&self, rel: &str, sub: &str) {
        let target = self.path().join(sub);
        std::fs::create_dir_all(&target).expect("sub-folder");
        for f in files(&fixture(rel)) {
            std::os::unix::fs::symlink(&f, target.join(f.file_name().expect("file name"))).expect("symlink");
        }
    }

    /// Copies every file of the fixture folder `rel` into `<study>/<sub>/`, returning the copies.
    pub fn copy(&self, rel: &str, sub: &str) -> Vec<PathBuf> {
        let target = self.path().join(sub);
        std::fs::create_dir_all(&target).expect("sub-folder");
        files(&fixture(rel))
            .into_iter()
            .map(|f| {
                let to = target.join(f.file_name().expect("file name"));
                std::fs::copy(&f, &to).expect("copy");
                to
            })
            .collect()
    }
}

/// The copies sorted by slice position along z (ImagePositionPatient[2]; the fixtures are axial).
pub fn by_z(files: &[PathBuf]) -> Vec<PathBuf> {
    let z = |f: &PathBuf| {
        let obj = OpenFileOptions::new().read_until(tags::PIXEL_DATA).open_file(f).expect("header");
        obj.element(tags::IMAGE_POSITION_PATIENT).expect("IPP").to_multi_float64().expect("IPP values")[2]
    };
    let mut keyed: Vec<(f64, PathBuf)> = files.iter().map(|f| (z(f), f.clone())).collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    keyed.into_iter().map(|(_, f)| f).collect()
}

/// Opens `path`, lets `change` edit the data set, and writes it back.
pub fn rewrite(path: &Path, change: impl FnOnce(&mut DefaultDicomObject)) {
    let mut obj = open_file(path).expect("fixture copy opens");
    change(&mut obj);
    obj.write_to_file(path).expect("rewritten file writes");
}

/// Lets `change` edit each item (with its index) of the sequence `tag` of `obj`.
pub fn edit_items(
    obj: &mut InMemDicomObject,
    tag: Tag,
    mut change: impl FnMut(usize, &mut InMemDicomObject),
) {
    let mut element = obj.take_element(tag).expect("sequence present");
    for (n, item) in element.items_mut().expect("a sequence").iter_mut().enumerate() {
        change(n, item);
    }
    obj.put(element);
}

/// A decimal-string element with `values`.
pub fn ds(tag: Tag, values: &[f64]) -> DataElement<InMemDicomObject> {
    let strings: Vec<String> = values.iter().map(|v| format!("{v}")).collect();
    DataElement::new(tag, VR::DS, PrimitiveValue::Strs(strings.into()))
}

/// The numeric values of `tag` in the file at `path`.
pub fn values(path: &Path, tag: Tag) -> Vec<f64> {
    let obj = OpenFileOptions::new().read_until(tags::PIXEL_DATA).open_file(path).expect("header");
    obj.element(tag).expect("element").to_multi_float64().expect("numbers")
}

/// Runs `tests/oracle/roi_reference.py` (numpy/scipy) on an image/label NRRD pair; returns its JSON.
pub fn roi_reference(image: &Path, label: &Path, radius_mm: f64) -> serde_json::Value {
    let python = util::repo().join(".venv-ref/bin/python");
    assert!(
        python.exists(),
        "Python oracle missing: {} (run scripts/setup.sh to create .venv-ref)",
        python.display()
    );
    let script = util::repo().join("tests/oracle/roi_reference.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(image)
        .arg(label)
        .arg(radius_mm.to_string())
        .output()
        .expect("python runs");
    assert!(output.status.success(), "roi_reference.py failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("roi_reference.py prints JSON")
}
