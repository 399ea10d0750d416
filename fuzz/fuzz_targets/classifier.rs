//! A classifier model file (portable JSON schema), scored on a row of ones when it loads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radscored::model::Classifier;
use radscored_fuzz::with_file;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = with_file("model.json", data, |path| Classifier::from_json_file(path)) {
        let _ = model.predict_proba(&vec![1.0; model.features().len()]);
    }
});
