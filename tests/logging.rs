//! What `radscored analyze` prints on stderr when a library it uses complains about a file it
//! still reads correctly (issue 10): nothing by default on success; with `RADSCORED_LOG=warn`,
//! the library's line goes through radscored's logging with the file it concerns and, stderr not
//! being a terminal, without colour codes.

use std::process::{Command, Output};

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;

use crate::study_fixture::{rewrite, StudyDir};

fn analyze(study: &StudyDir, log: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_radscored"));
    command
        .args(["analyze", "--no-predict", "--site-key"])
        .arg(study.path().join("site.key"))
        .arg(study.path().join("study"))
        .env_remove("RADSCORED_LOG");
    if let Some(filter) = log {
        command.env("RADSCORED_LOG", filter);
    }
    command.output().expect("radscored runs")
}

#[test]
fn library_warnings_name_their_file_and_add_no_line_on_success() {
    let study = StudyDir::new();
    let ct = study.copy("lung2-crop/ct", "study/ct");
    study.link("lung2-crop/seg", "study/seg");
    // A character set dicom-rs does not know: it warns and reads the (ASCII) values anyway.
    let odd = &ct[7];
    rewrite(odd, |obj| {
        obj.put(DataElement::new(tags::SPECIFIC_CHARACTER_SET, VR::CS, PrimitiveValue::from("ISO_IR 999")));
    });

    let quiet = analyze(&study, None);
    assert!(quiet.status.success(), "{}", String::from_utf8_lossy(&quiet.stderr));
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "", "no extra line on success");
    assert!(String::from_utf8_lossy(&quiet.stdout).contains("24644 voxels"));

    let verbose = analyze(&study, Some("warn"));
    assert!(verbose.status.success());
    let err = String::from_utf8(verbose.stderr).expect("UTF-8");
    let name = odd.file_name().unwrap().to_string_lossy();
    let line = err
        .lines()
        .find(|l| l.contains("ISO_IR 999"))
        .unwrap_or_else(|| panic!("dicom-rs' warning is logged: {err}"));
    assert!(line.contains(&format!("file={name}")), "the line names the file: {line}");
    assert!(!line.contains(&study.path().display().to_string()), "only the file's name: {line}");
    assert!(!err.contains('\x1b'), "no colour codes when stderr is not a terminal: {err:?}");
}
