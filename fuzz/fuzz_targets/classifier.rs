//! A classifier model file (portable JSON schema), scored on a row of ones when it loads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radscored::model::Classifier;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("model.json");
    std::fs::write(&path, data).expect("temporary file");
    if let Ok(model) = Classifier::from_json_file(&path) {
        let _ = model.predict_proba(&vec![1.0; model.features().len()]);
    }
});
