//! The `radscored evaluate` subcommand, run as a process on the paper's reference data.

use std::process::Command;

use crate::util::deepradscore_refdata;

fn radscored(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_radscored")).args(args).output().expect("run radscored")
}

/// The `auc` of one model in `expected_auc.csv`.
fn expected_auc(endpoint: &str, feature_set: &str) -> f64 {
    let mut reader = csv::Reader::from_path(deepradscore_refdata().join("expected_auc.csv")).unwrap();
    for rec in reader.records() {
        let rec = rec.unwrap();
        if &rec[0] == endpoint && &rec[1] == feature_set {
            return rec[5].parse().unwrap();
        }
    }
    panic!("{endpoint} {feature_set} not in expected_auc.csv")
}

#[test]
fn evaluate_prints_rows_summary_and_draws_the_roc() {
    let dir = deepradscore_refdata();
    let tmp = tempfile::tempdir().unwrap();
    let roc = tmp.path().join("roc.png");
    let model = dir.join("models/PI/3D_peritumoral.json");
    let table = dir.join("test/PI/3D_peritumoral.csv");
    let out = radscored(&[
        "evaluate",
        "--classifier",
        model.to_str().unwrap(),
        "--table",
        table.to_str().unwrap(),
        "--roc",
        roc.to_str().unwrap(),
    ]);
    let summary = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{summary}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    // stdout is pure CSV: a header and one row of three cells per table row, nothing else.
    let mut reader = csv::Reader::from_reader(stdout.as_bytes());
    assert_eq!(reader.headers().unwrap(), vec!["index", "disease", "proba"]);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a CSV row")).collect();
    assert!(records.iter().all(|r| r.len() == 3 && r[2].parse::<f64>().is_ok()));
    let rows: Vec<Vec<&str>> = records.iter().map(|r| r.iter().collect()).collect();
    assert_eq!(rows.len(), 153);
    // the first rows against the reference probabilities, printed at full precision
    let mut expected = csv::Reader::from_path(dir.join("expected_proba/PI/3D_peritumoral.csv")).unwrap();
    for rec in expected.records() {
        let rec = rec.unwrap();
        let row: usize = rec[0].parse().unwrap();
        assert_eq!(rows[row][0], &rec[1]);
        assert_eq!(rows[row][1], &rec[2]);
        let p: f64 = rows[row][2].parse().unwrap();
        let want: f64 = rec[3].parse().unwrap();
        // Full precision on both sides: the model_reference tolerance applies.
        assert!((p - want).abs() <= 5e-12, "row {row}: {p} vs {want}");
    }

    let auc_line = summary.lines().find(|l| l.starts_with("# auc: ")).expect(&summary);
    let auc: f64 = auc_line["# auc: ".len()..].split(' ').next().unwrap().parse().unwrap();
    assert!((auc - expected_auc("PI", "3D_peritumoral")).abs() <= 1e-6, "{auc_line}");
    assert!(auc_line.contains("DeLong 95% CI"), "{auc_line}");
    for key in
        ["# n: 153 (96 positive, 57 negative)", "# accuracy: ", "# precision: ", "# recall: ", "# f1: "]
    {
        assert!(summary.contains(key), "{key} missing in\n{summary}");
    }

    assert!(summary.contains("# model: PI 3D_peritumoral ("), "{summary}");
    assert!(summary.contains("tpr ") && summary.contains("fpr "), "operating point in\n{summary}");

    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&roc).unwrap()));
    let reader = decoder.read_info().expect("a valid PNG");
    assert_eq!(reader.info().size(), (560, 560));
}

#[test]
fn a_roc_file_of_another_format_is_refused_before_scoring() {
    let dir = deepradscore_refdata();
    let tmp = tempfile::tempdir().unwrap();
    let model = dir.join("models/PI/3D_peritumoral.json");
    let table = dir.join("test/PI/3D_peritumoral.csv");
    for name in ["roc.svg", "roc.pdf", "roc"] {
        let roc = tmp.path().join(name);
        let out = radscored(&[
            "evaluate",
            "--classifier",
            model.to_str().unwrap(),
            "--table",
            table.to_str().unwrap(),
            "--roc",
            roc.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(out.stdout.is_empty(), "{name}: nothing scored");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("written as PNG; name the file *.png"), "{stderr}");
        assert!(!roc.exists());
    }
}

#[test]
fn evaluate_errors_exit_2_with_a_message() {
    let dir = deepradscore_refdata();
    let out = radscored(&["evaluate", "--classifier", "/nonexistent/model.json", "--table", "x.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: classifier /nonexistent/model.json: could not read the classifier file: "),
        "{stderr}"
    );

    let model = dir.join("models/LVI/deep.json");
    let table = dir.join("test/LVI/3D_peritumoral.csv");
    let out =
        radscored(&["evaluate", "--classifier", model.to_str().unwrap(), "--table", table.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("header is"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing printed before the error");
}
