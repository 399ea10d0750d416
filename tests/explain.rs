//! Explanations (`model::explain`) of the paper's 30 classifiers on rows of their own test tables:
//! the terms sum to the model's output; the model's output at the row and at the reference equals
//! the reference data's numpy formulas (`tests/oracle/classifier_proba.py`); LDA/logistic terms are
//! `coef·(x − r)` recomputed here from the model file; for Gaussian NB, whose probability is a
//! function of additive log-likelihood ratios, and every other type the terms are checked against
//! Shapley values of the numpy model computed by the oracle by the same definition; an input no
//! tree of a forest splits on gets exactly 0.

use std::collections::BTreeMap;
use std::time::Instant;

use radscored::evaluation::table::LabelledTable;
use radscored::model::explain::{explain, Scale};
use radscored::model::Classifier;
use serde_json::Value;

use crate::util::deepradscore_refdata;

/// Rows explained per model.
const ROWS: usize = 2;

fn log_odds(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// `tests/oracle/shapley.py` on rows `{"model", "x", "reference"}`: the Shapley values of each.
fn shapley_oracle(rows: &[Value]) -> Vec<Vec<f64>> {
    let out = crate::util::run_oracle(
        "shapley.py",
        &[deepradscore_refdata().join("scripts")],
        serde_json::to_string(rows).unwrap().as_bytes(),
    );
    let values: Vec<Vec<String>> = serde_json::from_slice(&out).expect("oracle prints JSON");
    values.iter().map(|row| row.iter().map(|v| v.parse().expect("a float")).collect()).collect()
}

#[test]
fn terms_sum_to_the_output_of_every_classifier_type() {
    let dir = deepradscore_refdata();
    let manifest: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest.len(), 30);
    let mut oracle_rows = Vec::new();
    let mut paths = BTreeMap::new();
    let mut cases = Vec::new();
    for entry in &manifest {
        let model_path = dir.join(entry["model_json"].as_str().unwrap());
        let model = Classifier::from_json_file(&model_path).unwrap();
        let table =
            LabelledTable::read_csv(dir.join(entry["test_csv"].as_str().unwrap()), model.features()).unwrap();
        let json: Value = serde_json::from_str(&std::fs::read_to_string(&model_path).unwrap()).unwrap();
        paths.insert(
            format!("{} {} ({})", model.endpoint(), model.feature_set(), model.classifier().type_name()),
            model_path.clone(),
        );
        let reference = vec![0.0; model.features().len()];
        for row in table.rows.iter().take(ROWS) {
            oracle_rows.push(serde_json::json!({ "model": model_path, "x": row.features }));
            oracle_rows.push(serde_json::json!({ "model": model_path, "x": reference }));
            cases.push((model.clone(), json.clone(), row.features.clone(), reference.clone()));
        }
    }
    let oracle = crate::analyze::classifier_oracle(&oracle_rows);
    assert_eq!(oracle.len(), 2 * 30 * ROWS, "the oracle scored every row");

    let mut per_type: BTreeMap<&str, (usize, f64, f64)> = BTreeMap::new();
    let (mut shapley_rows, mut shapley_ours) = (Vec::new(), Vec::new());
    for ((model, json, x, reference), p) in cases.iter().zip(oracle.chunks(2)) {
        let kind = model.classifier().type_name();
        let what = format!("{} {} ({kind})", model.endpoint(), model.feature_set());
        let start = Instant::now();
        let e = explain(model, x, reference).unwrap();
        let seconds = start.elapsed().as_secs_f64();
        assert_eq!(e.terms.len(), x.len(), "{what}");
        let sum: f64 = e.terms.iter().map(|(_, phi)| phi).sum();
        let gap = (e.reference_output + sum - e.output).abs();
        assert!(gap <= 1e-12 * e.output.abs().max(1.0), "{what}: terms sum to {sum}, gap {gap:e}");
        let (want_x, want_r) = match e.scale {
            Scale::LogOdds => (log_odds(p[0]), log_odds(p[1])),
            Scale::Probability => (p[0], p[1]),
        };
        for (got, want, at) in [(e.output, want_x, "row"), (e.reference_output, want_r, "reference")] {
            assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{what} {at}: {got} vs numpy {want}");
        }
        let c = &json["classifier"];
        let closed_form: Option<Vec<f64>> = match kind {
            "lda" | "logistic_regression" => {
                Some((0..x.len()).map(|j| c["coef"][j].as_f64().unwrap() * (x[j] - reference[j])).collect())
            }
            "random_forest" => {
                let used: Vec<bool> = (0..x.len())
                    .map(|j| {
                        c["trees"].as_array().unwrap().iter().any(|t| {
                            t["feature"].as_array().unwrap().iter().any(|f| f.as_i64() == Some(j as i64))
                        })
                    })
                    .collect();
                for (j, (_, phi)) in e.terms.iter().enumerate() {
                    assert!(used[j] || *phi == 0.0, "{what}: unused input {j} got {phi}");
                }
                None
            }
            _ => {
                shapley_rows
                    .push(serde_json::json!({ "model": paths[&what], "x": x, "reference": reference }));
                shapley_ours.push((what.clone(), e.terms.clone()));
                None
            }
        };
        if let Some(expected) = closed_form {
            for ((name, phi), want) in e.terms.iter().zip(&expected) {
                assert!((phi - want).abs() <= 1e-9 * want.abs().max(1.0), "{what} {name}: {phi} vs {want}");
            }
        }
        let stats = per_type.entry(kind).or_default();
        *stats = (stats.0 + 1, stats.1.max(gap), stats.2.max(seconds));
    }
    assert_eq!(per_type.len(), 7, "all seven classifier types explained");
    let oracle = shapley_oracle(&shapley_rows);
    assert_eq!(oracle.len(), shapley_ours.len(), "the oracle explained every row");
    let mut worst = 0.0f64;
    for ((what, ours), theirs) in shapley_ours.iter().zip(&oracle) {
        assert_eq!(ours.len(), theirs.len(), "{what}");
        for ((name, phi), want) in ours.iter().zip(theirs) {
            let d = (phi - want).abs();
            worst = worst.max(d);
            assert!(d <= 1e-9, "{what} {name}: {phi} vs numpy Shapley {want}");
        }
    }
    println!(
        "explain: {} non-linear rows against numpy Shapley values, worst |difference| {worst:e}",
        oracle.len()
    );
    for (kind, (n, gap, seconds)) in &per_type {
        println!(
            "explain {kind:>20}: {n} rows, worst |sum - output| {gap:.1e}, slowest {:.1} ms",
            seconds * 1e3
        );
    }
}
