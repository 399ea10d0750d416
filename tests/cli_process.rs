//! Each command and output the README documents, run as a process from a folder other than the
//! repository (nothing may depend on the current folder): `features --format csv|json`,
//! `features --batch`, `analyze --out`, `bench-model`, `prepare`. Feature values are checked
//! against live PyRadiomics (`tests/oracle/pyradiomics_features.py`), the report against the
//! fixture's counts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::{rel_diff, repo, shared, ABSOLUTE_TOLERANCE_AT_ZERO, RELATIVE_TOLERANCE};

/// Runs radscored in `cwd` with its site key in `cwd` (never the user's).
fn radscored(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radscored"))
        .current_dir(cwd)
        .env("RADSCORED_SITE_KEY", cwd.join("site.key"))
        .args(args)
        .output()
        .expect("radscored runs")
}

fn text(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn paper_params() -> PathBuf {
    repo().join("firmware-config/radiomics-paper.yaml")
}

/// Live PyRadiomics on one case with one parameter file: name → value (NaN for null).
fn live_pyradiomics(image: &Path, mask: &Path, label: u32, params: &Path) -> HashMap<String, f64> {
    let python = repo().join(".venv-ref/bin/python");
    assert!(python.exists(), "{} missing: run scripts/setup.sh", python.display());
    let out = Command::new(&python)
        .arg(repo().join("tests/oracle/pyradiomics_features.py"))
        .arg(image)
        .arg(mask)
        .arg(label.to_string())
        .arg(params)
        .output()
        .expect("python runs");
    assert!(out.status.success(), "PyRadiomics failed: {}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8(out.stdout).unwrap();
    let values: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line.trim()).unwrap();
    values.into_iter().map(|(k, v)| (k, v.as_f64().unwrap_or(f64::NAN))).collect()
}

/// Every PyRadiomics value has an equal value (within the live tolerance) in `ours`; returns how
/// many were compared.
fn assert_matches(what: &str, ours: &HashMap<String, f64>, reference: &HashMap<String, f64>) -> usize {
    assert_eq!(ours.len(), reference.len(), "{what}: feature count");
    let mut failures = Vec::new();
    for (name, &theirs) in reference {
        let mine = *ours.get(name).unwrap_or_else(|| panic!("{what}: no {name}"));
        let limit = if theirs == 0.0 { ABSOLUTE_TOLERANCE_AT_ZERO } else { RELATIVE_TOLERANCE };
        let d = rel_diff(mine, theirs);
        if d.is_nan() || d > limit {
            failures.push(format!("{name}: {mine:e} vs {theirs:e}"));
        }
    }
    assert!(failures.is_empty(), "{what}: {} differ:\n{}", failures.len(), failures.join("\n"));
    reference.len()
}

/// A CSV cell as a feature value (empty = NaN).
fn cell(text: &str) -> f64 {
    if text.is_empty() {
        f64::NAN
    } else {
        text.parse().unwrap_or_else(|_| panic!("'{text}' is not a number"))
    }
}

#[test]
fn features_csv_and_json_are_pyradiomics_values() {
    let cwd = tempfile::tempdir().unwrap();
    let (image, mask) =
        (shared("refdata/pyradiomics/lung1_image.nrrd"), shared("refdata/pyradiomics/lung1_label.nrrd"));
    let params = paper_params();
    let run = |format: &str| {
        let out = radscored(
            cwd.path(),
            &["features", text(&image), text(&mask), "--params", text(&params), "--format", format],
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let csv_text = run("csv");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1, "one row of values");
    let from_csv: HashMap<String, f64> = header.iter().cloned().zip(rows[0].iter().map(cell)).collect();
    let json: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&run("json")).unwrap();
    let from_json: HashMap<String, f64> =
        json.into_iter().map(|(k, v)| (k, v.as_f64().unwrap_or(f64::NAN))).collect();
    let reference = live_pyradiomics(&image, &mask, 1, &params);
    assert_eq!(assert_matches("csv", &from_csv, &reference), 851);
    assert_eq!(assert_matches("json", &from_json, &reference), 851);
}

#[test]
fn batch_passes_columns_through_and_exits_non_zero_with_the_failed_count() {
    let dir = tempfile::tempdir().unwrap();
    for case in ["lung1", "breast1"] {
        for part in ["image", "label"] {
            let name = format!("{case}_{part}.nrrd");
            std::os::unix::fs::symlink(
                shared(&format!("refdata/pyradiomics/{name}")),
                dir.path().join(&name),
            )
            .unwrap();
        }
    }
    let cases = dir.path().join("cases.csv");
    std::fs::write(
        &cases,
        "PatientID,Image,Mask,Label,Note\n\
         P-001,lung1_image.nrrd,lung1_label.nrrd,1,first\n\
         P-002,breast1_image.nrrd,breast1_label.nrrd,,second\n\
         P-003,missing_image.nrrd,lung1_label.nrrd,1,third\n",
    )
    .unwrap();
    let out_csv = dir.path().join("results.csv");
    let params = paper_params();
    let batch = |cases: &Path| {
        radscored(
            dir.path(),
            &["features", "--batch", text(cases), "--out", text(&out_csv), "--params", text(&params)],
        )
    };
    let out = batch(&cases);
    assert_eq!(out.status.code(), Some(2), "a failed case fails the run");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("1 of 3 cases failed; see the error column of"), "{err}");

    let mut reader = csv::Reader::from_path(&out_csv).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header[..6], ["PatientID", "Image", "Mask", "Label", "Note", "error"]);
    assert_eq!(header.len(), 6 + 851);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    let ids: Vec<(&str, &str, &str)> = rows.iter().map(|r| (&r[0], &r[3], &r[4])).collect();
    assert_eq!(ids, [("P-001", "1", "first"), ("P-002", "1", "second"), ("P-003", "1", "third")]);
    assert!(rows[0][5].is_empty() && rows[1][5].is_empty(), "the good cases have no error");
    assert!(rows[2][5].contains("missing_image.nrrd"), "{}", &rows[2][5]);
    let mut compared = 0;
    for (row, case) in rows.iter().zip(["lung1", "breast1"]) {
        let values: HashMap<String, f64> =
            header[6..].iter().cloned().zip(row.iter().skip(6).map(cell)).collect();
        let (image, mask) =
            (dir.path().join(format!("{case}_image.nrrd")), dir.path().join(format!("{case}_label.nrrd")));
        compared += assert_matches(case, &values, &live_pyradiomics(&image, &mask, 1, &params));
    }
    assert_eq!(compared, 2 * 851);

    // Without the failing row the run succeeds.
    let good = dir.path().join("good.csv");
    let text_all = std::fs::read_to_string(&cases).unwrap();
    std::fs::write(&good, text_all.lines().take(3).collect::<Vec<_>>().join("\n") + "\n").unwrap();
    let out = batch(&good);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(csv::Reader::from_path(&out_csv).unwrap().records().count(), 2);
}

#[test]
fn batch_configuration_errors_stop_before_the_first_case() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases.csv");
    let image = shared("refdata/pyradiomics/lung1_image.nrrd");
    let mask = shared("refdata/pyradiomics/lung1_label.nrrd");
    std::fs::write(&cases, format!("Image,Mask\n{},{}\n", image.display(), mask.display())).unwrap();
    let out_csv = dir.path().join("results.csv");
    let bad_feature = dir.path().join("bad-feature.yaml");
    std::fs::write(&bad_feature, "featureClass:\n  glcm: [NoSuchFeature]\n").unwrap();
    let bad_key = dir.path().join("bad-key.yaml");
    std::fs::write(&bad_key, "setting:\n  binWidht: 25\n").unwrap();
    let zero_label = dir.path().join("zero.csv");
    std::fs::write(&zero_label, format!("Image,Mask,Label\n{},{},0\n", image.display(), mask.display()))
        .unwrap();
    for (extra, cases_file, expected) in [
        (vec!["--params", text(&bad_feature)], &cases, "NoSuchFeature"),
        (vec!["--params", text(&bad_key)], &cases, "binWidht"),
        (vec![], &zero_label, "label 0 is the background"),
        (vec!["--format", "json"], &cases, "--format json is not available with --batch"),
    ] {
        let mut args = vec!["features", "--batch", text(cases_file), "--out", text(&out_csv)];
        args.extend(extra);
        let out = radscored(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!out_csv.exists(), "{args:?}: no case ran, no results file");
    }
    // Options a single case would ignore, and the background label.
    let out = radscored(dir.path(), &["features", text(&image), text(&mask), "--out", text(&out_csv)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--batch"));
    let out = radscored(dir.path(), &["features", text(&image), text(&mask), "--label", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 is the background"));
    assert!(out.stdout.is_empty());
}

#[test]
fn analyze_out_writes_the_report_from_any_folder() {
    let cwd = tempfile::tempdir().unwrap();
    let report_path = cwd.path().join("report.json");
    let study = shared("fixtures/dicom/lung2-crop");
    let out = radscored(cwd.path(), &["analyze", text(&study), "--out", text(&report_path)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "the report goes to the file only");
    let written = std::fs::read_to_string(&report_path).unwrap();
    crate::identifiers::Identifiers::of(&[&study]).assert_absent("the report", &written);
    let report: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(report["tumor"]["voxels"], 24_644);
    assert_eq!(report["ring"]["voxels"], 9_324);
    assert_eq!(report["tumor"]["features"].as_object().map(|o| o.len()), Some(851));
    assert_eq!(report["ring"]["features"].as_object().map(|o| o.len()), Some(851));
    let endpoints =
        report["predictions"]["endpoints"].as_object().expect("predictions with the default bundle");
    assert_eq!(endpoints.len(), 10);
    for (name, p) in endpoints {
        let probability = p["probability"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&probability), "{name}: {probability}");
    }
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("demonstration weights, not for clinical use"), "announced on stderr: {err}");

    // The report documents itself: version, then the demonstration notice, before anything else.
    let keys: Vec<&String> = report.as_object().unwrap().keys().collect();
    assert_eq!(keys[..2], ["radscored_version", "notice"]);
    assert_eq!(report["notice"], "model bundle 'reference': demonstration weights, not for clinical use");
    let predictions = &report["predictions"];
    assert_eq!(predictions["bundle_sha256"].as_str().map(str::len), Some(64));
    assert_eq!(predictions["endpoints"]["LVI"]["name"], "lymphovascular invasion");
    assert_eq!(predictions["endpoints"]["PD1_L1"]["name"], "PD-1/PD-L1 expression");
    for field in ["z", "share", "explanation"] {
        assert!(
            predictions["legend"].as_object().unwrap().keys().any(|k| k == field),
            "legend lacks {field}"
        );
    }
    for (stage, ms) in report["timings"].as_object().unwrap() {
        let ms = ms.as_f64().unwrap();
        assert_eq!((ms * 10.0).round() / 10.0, ms, "{stage}: {ms} ms is not rounded to 0.1 ms");
    }
}

#[test]
fn bench_model_times_the_model_stage_from_any_folder() {
    let cwd = tempfile::tempdir().unwrap();
    let study = shared("fixtures/dicom/lung2-crop");
    let out = radscored(cwd.path(), &["bench-model", text(&study), "--repeat", "2"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.starts_with("model stage: 10 endpoints in "), "{line}");
    assert!(line.contains("(median of 2; providers ") && line.contains("CPU"), "{line}");
}

/// The ONNX Runtime library of the reference venv's `onnxruntime` wheel.
fn wheel_library() -> PathBuf {
    let lib = repo().join(".venv-ref/lib");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&lib)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup.sh)", lib.display()))
        .flatten()
        .flat_map(|python| {
            std::fs::read_dir(python.path().join("site-packages/onnxruntime/capi"))
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("libonnxruntime.so")))
        .collect();
    found.sort();
    found.pop().expect("the onnxruntime wheel's library in .venv-ref (run scripts/setup.sh)")
}

#[test]
fn install_script_lays_out_a_product_that_runs_from_anywhere() {
    let dest = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg(repo().join("scripts/install.sh"))
        .args(["--binary", env!("CARGO_BIN_EXE_radscored")])
        .env("DESTDIR", dest.path())
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "install.sh: {}", String::from_utf8_lossy(&out.stderr));
    let root = dest.path().join("usr/lib/radscored");
    for file in [
        "bin/radscored",
        "engines/reference/manifest.toml",
        "engines/reference/densenet121.onnx",
        "firmware-config/radiomics-paper.yaml",
        "scripts/pyradiomics_peer.py",
    ] {
        assert!(root.join(file).is_file(), "{file} not installed");
    }
    assert!(dest.path().join("etc/radscored/radiomics-paper.yaml").is_file());
    assert!(dest.path().join("usr/share/doc/radscored/README.md").is_file());
    if repo().join("systemd").is_dir() {
        assert!(dest.path().join("usr/lib/systemd/system").read_dir().unwrap().next().is_some());
    }

    // The installed binary, from another folder, finds its bundle beside itself.
    let cwd = tempfile::tempdir().unwrap();
    let report_path = cwd.path().join("report.json");
    let study = shared("fixtures/dicom/lung2-crop");
    let installed = |ort: Option<PathBuf>| {
        let mut command = Command::new(root.join("bin/radscored"));
        command
            .current_dir(cwd.path())
            .env("RADSCORED_SITE_KEY", cwd.path().join("site.key"))
            .env_remove("RADSCORED_HOME")
            .env_remove("ORT_DYLIB_PATH")
            .args(["analyze", text(&study), "--out", text(&report_path)]);
        if let Some(library) = ort {
            command.env("ORT_DYLIB_PATH", library);
        }
        command.output().unwrap()
    };
    // No ONNX Runtime beside an installed binary: the error names the variable that fixes it.
    let out = installed(None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("set ORT_DYLIB_PATH"), "{err}");
    assert!(err.contains(&root.join("engines/reference").display().to_string()), "names the bundle: {err}");

    let out = installed(Some(wheel_library()));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written = std::fs::read_to_string(&report_path).unwrap();
    crate::identifiers::Identifiers::of(&[&study]).assert_absent("the report", &written);
    let report: serde_json::Value = serde_json::from_str(&written).unwrap();
    let sha = Command::new("sha256sum").arg(root.join("engines/reference/manifest.toml")).output().unwrap();
    let sha = String::from_utf8(sha.stdout).unwrap();
    assert_eq!(report["predictions"]["bundle_sha256"].as_str(), sha.split_whitespace().next());
    assert_eq!(report["predictions"]["endpoints"].as_object().map(|o| o.len()), Some(10));
}

/// A minimal appliance configuration whose model runs on `library` and caches in `cache`.
fn appliance_config(dir: &Path, library: &Path, cache: &Path) -> PathBuf {
    let path = dir.join("appliance.toml");
    let toml = format!(
        "[site]\nid = \"site\"\ndevice = \"box1\"\n[dicom]\nae_title = \"RADSCORED\"\n[spool]\ndir = \"{}\"\n\
         [model]\nonnxruntime_library = \"{}\"\ncache_dir = \"{}\"\naccelerators = [\"tensorrt\", \"cuda\"]\n",
        text(&dir.join("spool")),
        text(library),
        text(cache)
    );
    std::fs::write(&path, toml).unwrap();
    path
}

#[test]
fn prepare_loads_and_warms_the_configured_model_and_says_where_it_runs() {
    let cwd = tempfile::tempdir().unwrap();
    let cache = cwd.path().join("cache");
    let config = appliance_config(cwd.path(), &wheel_library(), &cache);
    let out = radscored(cwd.path(), &["prepare", "--config", text(&config)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8(out.stdout).unwrap();
    // The CPU wheel has neither TensorRT nor CUDA: nothing is built or cached.
    assert!(line.starts_with("prepare: bundle reference loaded and warmed in "), "{line}");
    assert!(line.contains("networks run on CPU;") && line.contains(text(&cache)), "{line}");
    assert!(!cache.exists(), "a cache folder without TensorRT");

    // A runtime that is not there: the error names it, and the exit status says so.
    let config = appliance_config(cwd.path(), &cwd.path().join("libonnxruntime.so.missing"), &cache);
    let out = radscored(cwd.path(), &["prepare", "--config", text(&config)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("libonnxruntime.so.missing"), "{err}");
}
