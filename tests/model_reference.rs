//! The paper's 30 published classifiers against the reference data in
//! `shared/refdata/deepradscore/`: probabilities from real scikit-learn 1.0.2 semantics
//! (`expected_proba/`, computed by the reference numpy implementation that agrees with sklearn to
//! ≤ 1.7e-12, `crosscheck_sklearn.csv`), test-set AUCs (`expected_auc.csv`), the DeLong interval
//! against its O(n²) definition, and the loader's errors on bad input.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use radscored::evaluation::evaluate::evaluate;
use radscored::evaluation::metrics;
use radscored::evaluation::table::{LabelledTable, TableError};
use radscored::model::classifier::{ClassifierError, FieldProblem};
use radscored::model::{Classifier, ClassifierModel};
use serde::Deserialize;

use crate::util::deepradscore_refdata;

/// Largest |p1(radscored) − p1(reference)| accepted: the file prints full float64 precision and
/// the formulas are the same, so only evaluation order differs (achieved: 6.0e-13 for SVC, whose
/// libsvm coupling iterates; 3e-15 or less for the other types).
const PROBA_TOLERANCE: f64 = 5e-12;
/// Largest |AUC(radscored) − AUC(expected_auc.csv)| accepted; the file rounds to 6 decimals.
const AUC_TOLERANCE: f64 = 1e-6;

#[derive(Deserialize)]
struct ManifestEntry {
    endpoint: String,
    feature_set: String,
    model_json: String,
    test_csv: String,
    n_test: usize,
}

fn manifest() -> Vec<ManifestEntry> {
    let text = std::fs::read_to_string(deepradscore_refdata().join("manifest.json")).unwrap();
    let entries: Vec<ManifestEntry> = serde_json::from_str(&text).unwrap();
    assert_eq!(entries.len(), 30, "the paper published 30 classifiers");
    entries
}

/// Loads one reference case: the model and its own test table.
fn load_case(entry: &ManifestEntry) -> (ClassifierModel, LabelledTable) {
    let dir = deepradscore_refdata();
    let model = Classifier::from_json_file(dir.join(&entry.model_json)).unwrap();
    assert_eq!(model.endpoint(), entry.endpoint);
    assert_eq!(model.feature_set(), entry.feature_set);
    let table = LabelledTable::read_csv(dir.join(&entry.test_csv), model.features()).unwrap();
    assert_eq!(table.rows.len(), entry.n_test, "{}", entry.test_csv);
    (model, table)
}

fn csv_records(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    reader.deserialize().map(|r| r.unwrap()).collect()
}

#[test]
fn all_30_models_reproduce_the_expected_probabilities() {
    let mut worst_by_type: BTreeMap<&str, f64> = BTreeMap::new();
    let mut compared = 0;
    for entry in manifest() {
        let (model, table) = load_case(&entry);
        let expected_path = deepradscore_refdata()
            .join("expected_proba")
            .join(&entry.endpoint)
            .join(format!("{}.csv", entry.feature_set));
        for rec in csv_records(&expected_path) {
            let row: usize = rec["row"].parse().unwrap();
            let expected: f64 = rec["proba_class1"].parse().unwrap();
            let case = &table.rows[row];
            assert_eq!(case.index, rec["index"], "{} row {row}", entry.test_csv);
            assert_eq!(u8::from(case.disease).to_string(), rec["disease"]);
            let p = model.predict_proba(&case.features).unwrap();
            let diff = (p - expected).abs();
            assert!(
                diff <= PROBA_TOLERANCE,
                "{} {} row {row}: {p} vs {expected} (|Δ| = {diff:e})",
                entry.endpoint,
                entry.feature_set
            );
            let worst = worst_by_type.entry(model.classifier().type_name()).or_default();
            *worst = worst.max(diff);
            compared += 1;
        }
    }
    assert_eq!(compared, 300, "10 expected rows per model");
    assert_eq!(worst_by_type.len(), 7, "all seven classifier types are exercised");
    for (kind, worst) in &worst_by_type {
        println!("max |p1 - expected| {kind:>20}: {worst:.3e}");
    }
}

#[test]
fn all_30_models_reproduce_the_expected_test_auc() {
    let cases: BTreeMap<(String, String), ManifestEntry> =
        manifest().into_iter().map(|e| ((e.endpoint.clone(), e.feature_set.clone()), e)).collect();
    let expected = csv_records(&deepradscore_refdata().join("expected_auc.csv"));
    assert_eq!(expected.len(), 30);
    let mut worst: f64 = 0.0;
    for rec in expected {
        let entry = &cases[&(rec["endpoint"].clone(), rec["feature_set"].clone())];
        let (model, table) = load_case(entry);
        let e = evaluate(&model, &table).unwrap();
        assert_eq!(e.positives + e.negatives, rec["n_test"].parse::<usize>().unwrap());
        assert_eq!(e.positives, rec["n_positive"].parse::<usize>().unwrap());
        let want: f64 = rec["auc"].parse().unwrap();
        let diff = (e.auc - want).abs();
        assert!(diff <= AUC_TOLERANCE, "{} {}: AUC {} vs {want}", entry.endpoint, entry.feature_set, e.auc);
        worst = worst.max(diff);
    }
    println!("max |AUC - expected_auc.csv| over 30 models: {worst:.3e}");
}

/// DeLong's placement values straight from their definition (O(m·n) pairs), with
/// ψ(x, y) = 1 if x > y, ½ if x = y, 0 otherwise:
///
/// ```text
/// V10_i = (1/n) Σ_j ψ(X_i, Y_j)    V01_j = (1/m) Σ_i ψ(X_i, Y_j)    AUC = (1/m) Σ_i V10_i
/// var = S10/m + S01/n   (S: sample variances, divisor m−1 and n−1)
/// ```
fn delong_by_definition(labels: &[bool], scores: &[f64]) -> (f64, f64) {
    let x: Vec<f64> = scores.iter().zip(labels).filter(|p| *p.1).map(|p| *p.0).collect();
    let y: Vec<f64> = scores.iter().zip(labels).filter(|p| !*p.1).map(|p| *p.0).collect();
    let psi = |a: f64, b: f64| {
        if a > b {
            1.0
        } else if a == b {
            0.5
        } else {
            0.0
        }
    };
    let (m, n) = (x.len() as f64, y.len() as f64);
    let v10: Vec<f64> = x.iter().map(|&a| y.iter().map(|&b| psi(a, b)).sum::<f64>() / n).collect();
    let v01: Vec<f64> = y.iter().map(|&b| x.iter().map(|&a| psi(a, b)).sum::<f64>() / m).collect();
    let auc = v10.iter().sum::<f64>() / m;
    let svar = |v: &[f64], mean: f64| {
        v.iter().map(|t| (t - mean) * (t - mean)).sum::<f64>() / (v.len() as f64 - 1.0)
    };
    (auc, svar(&v10, auc) / m + svar(&v01, auc) / n)
}

#[test]
fn delong_interval_matches_the_placement_definition_on_all_30_test_sets() {
    // Φ⁻¹(0.975) from the standard normal table.
    const Z: f64 = 1.959_963_984_540_054;
    let mut worst_auc: f64 = 0.0;
    let mut worst_var: f64 = 0.0;
    let mut ties = 0;
    for entry in manifest() {
        let (model, table) = load_case(&entry);
        let labels = table.labels();
        let scores: Vec<f64> = table.rows.iter().map(|r| model.predict_proba(&r.features).unwrap()).collect();
        let d = metrics::delong_auc(&labels, &scores).unwrap();
        let (auc, var) = delong_by_definition(&labels, &scores);
        worst_auc = worst_auc.max((d.auc - auc).abs());
        worst_var = worst_var.max((d.variance - var).abs());
        assert!((d.auc - auc).abs() < 1e-12, "{} {}", entry.endpoint, entry.feature_set);
        assert!((d.variance - var).abs() < 1e-12, "{} {}", entry.endpoint, entry.feature_set);
        let half = Z * var.sqrt();
        assert!((d.lower - (auc - half).max(0.0)).abs() < 1e-12);
        assert!((d.upper - (auc + half).min(1.0)).abs() < 1e-12);
        // the trapezoidal AUC (sklearn's algorithm) agrees with the Mann–Whitney one
        assert!((metrics::roc_auc(&labels, &scores).unwrap() - auc).abs() < 1e-12);
        let mut sorted = scores.clone();
        sorted.sort_by(f64::total_cmp);
        ties += sorted.windows(2).filter(|w| w[0] == w[1]).count();
    }
    // Forests and KNN give tied scores, so the tie handling is exercised on real data.
    assert!(ties > 100, "only {ties} tied scores");
    println!("DeLong vs definition: max |ΔAUC| {worst_auc:.3e}, max |Δvar| {worst_var:.3e}");
}

#[test]
fn linear_models_explain_their_scores_exactly() {
    let dir = deepradscore_refdata();
    for (file, linear) in [
        ("models/LVI/deep_3D_peritumoral.json", true),    // LDA
        ("models/PD1_L1/deep_3D_peritumoral.json", true), // logistic regression
        ("models/ROS1/deep_3D_peritumoral.json", false),  // Gaussian NB
    ] {
        let model = Classifier::from_json_file(dir.join(file)).unwrap();
        let table = LabelledTable::read_csv(
            dir.join(file.replace("models/", "test/").replace(".json", ".csv")),
            model.features(),
        )
        .unwrap();
        let x = &table.rows[0].features;
        let contributions = model.contributions(x).unwrap();
        assert_eq!(contributions.is_some(), linear, "{file}");
        if let Some(c) = contributions {
            assert_eq!(c.terms.len(), model.features().len());
            let p = model.predict_proba(x).unwrap();
            assert!((c.probability() - p).abs() < 1e-14, "{file}");
        }
    }
}

// ---- bad input -------------------------------------------------------------------------------

fn reference_model_text(file: &str) -> String {
    std::fs::read_to_string(deepradscore_refdata().join(file)).unwrap()
}

fn write_temp(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

/// A small valid model file (logistic regression over two features) edited by `edit`.
fn edited_model(edit: impl FnOnce(&mut serde_json::Value)) -> tempfile::NamedTempFile {
    let mut v: serde_json::Value = serde_json::json!({
        "schema_version": 1,
        "endpoint": "LVI",
        "feature_set": "3D_peritumoral",
        "features": ["radscore_3D", "radscore_peritumoral"],
        "classes": [0, 1],
        "classifier": {"type": "logistic_regression", "coef": [1.5, -0.5], "intercept": 0.1}
    });
    edit(&mut v);
    write_temp(&v.to_string())
}

#[test]
fn missing_model_file_names_the_file() {
    let err = Classifier::from_json_file("/nonexistent/model.json").unwrap_err();
    assert!(matches!(err, ClassifierError::Read { .. }));
    assert_eq!(err.to_string(), "could not read the classifier file");
    assert_eq!(err.path(), Some(std::path::Path::new("/nonexistent/model.json")));
}

#[test]
fn malformed_json_names_the_file() {
    let f = write_temp("{\"schema_version\": 1, \"endpoint\": ");
    let err = Classifier::from_json_file(f.path()).unwrap_err();
    assert!(matches!(err, ClassifierError::Parse { .. }), "{err}");
    assert_eq!(err.path(), Some(f.path()));
    assert!(!err.to_string().contains(&f.path().display().to_string()), "{err}");
    let f = write_temp("not json");
    let err = Classifier::from_json_file(f.path()).unwrap_err();
    assert!(err.to_string().ends_with(" at the top level"), "{err}");
}

#[test]
fn field_errors_name_the_json_path() {
    let f = edited_model(|v| v["classifier"]["coef"][1] = "a".into());
    let err = Classifier::from_json_file(f.path()).unwrap_err();
    match &err {
        ClassifierError::Parse { field, .. } => assert_eq!(field, "classifier.coef[1]"),
        other => panic!("{other}"),
    }
    let f = edited_model(|v| {
        v["classifier"].as_object_mut().unwrap().remove("intercept");
    });
    let err = Classifier::from_json_file(f.path()).unwrap_err();
    assert!(matches!(&err, ClassifierError::Parse { field, .. } if field == "classifier"));
    let cause = std::error::Error::source(&err).expect("the parser's error").to_string();
    assert!(cause.starts_with("missing field `intercept`"), "{cause}");
}

#[test]
fn unknown_classifier_type_is_rejected() {
    let f = edited_model(|v| v["classifier"]["type"] = "xgboost".into());
    let err = Classifier::from_json_file(f.path()).unwrap_err();
    assert!(matches!(&err, ClassifierError::UnknownType { found, .. } if found == "xgboost"));
    assert!(
        err.to_string().contains("field `classifier.type` is 'xgboost', expected one of gaussian_nb, lda,"),
        "{err}"
    );
}

#[test]
fn other_schema_versions_are_rejected() {
    let f = edited_model(|v| v["schema_version"] = 2.into());
    let err = Classifier::from_json_file(f.path()).unwrap_err();
    assert!(matches!(err, ClassifierError::SchemaVersion { found: 2, .. }), "{err}");
}

#[test]
fn coefficient_count_must_match_the_features() {
    let f = edited_model(|v| v["classifier"]["coef"] = serde_json::json!([1.0, 2.0, 3.0]));
    let err = Classifier::from_json_file(f.path()).unwrap_err();
    match &err {
        ClassifierError::Invalid { field, problem, .. } => {
            assert_eq!(field, "classifier.coef");
            assert_eq!(*problem, FieldProblem::Length { expected: 2, found: 3 });
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().ends_with("field `classifier.coef` has 3 entries, expected 2"));
}

#[test]
fn header_fields_are_checked() {
    let f = edited_model(|v| v["features"] = serde_json::json!([]));
    let err = Classifier::from_json_file(f.path()).unwrap_err();
    assert!(err.to_string().ends_with("field `features` is empty"), "{err}");
    let f = edited_model(|v| v["classes"] = serde_json::json!([0, 2]));
    let err = Classifier::from_json_file(f.path()).unwrap_err();
    assert!(matches!(&err, ClassifierError::Invalid { field, .. } if field == "classes[1]"), "{err}");
}

#[test]
fn corrupt_forest_names_tree_and_node() {
    let text = reference_model_text("models/ALK/deep.json");
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["classifier"]["trees"][4]["feature"][0] = 10.into(); // the deep set has features 0..9
    let f = write_temp(&v.to_string());
    let err = Classifier::from_json_file(f.path()).unwrap_err();
    match &err {
        ClassifierError::Invalid { field, .. } => {
            assert_eq!(field, "classifier.trees[4].feature[0]")
        }
        other => panic!("{other}"),
    }
}

#[test]
fn wrong_input_length_and_non_finite_values_are_typed_errors() {
    let model = Classifier::from_json_file(deepradscore_refdata().join("models/PI/deep.json")).unwrap();
    let err = model.predict_proba(&[0.0; 3]).unwrap_err();
    assert!(matches!(err, ClassifierError::InputLength { expected: 10, found: 3 }));
    assert_eq!(err.to_string(), "input row has 3 values, the model expects 10");
    let mut x = [0.5; 10];
    x[7] = f64::NAN;
    let err = model.predict_proba(&x).unwrap_err();
    assert!(matches!(err, ClassifierError::NonFiniteInput { position: 7, .. }));
    assert!(model.contributions(&[0.0; 2]).is_err());
}

#[test]
fn table_with_other_columns_is_a_header_error() {
    let dir = deepradscore_refdata();
    let model = Classifier::from_json_file(dir.join("models/LVI/deep.json")).unwrap();
    let err = LabelledTable::read_csv(dir.join("test/LVI/3D_peritumoral.csv"), model.features()).unwrap_err();
    assert!(matches!(err, TableError::Header { .. }), "{err}");
    assert!(err.to_string().contains("\"radscore_3D\""), "{err}");
}
