//! `radscored bench` run as a process: both tools on the same case, the same feature count, the
//! ratios and the peak memory printed; a bad repeat count refused. Speed itself is measured by
//! running the benchmark, never asserted here.

use std::process::Command;

use crate::util::{repo, shared};

fn bench(extra: &[&str]) -> std::process::Output {
    let image = shared("refdata/pyradiomics/brain1_image.nrrd");
    let mask = shared("refdata/pyradiomics/brain1_label.nrrd");
    let python = repo().join(".venv-ref/bin/python");
    assert!(python.exists(), "{} missing: run scripts/setup.sh", python.display());
    // From another folder: the peer script and its Python are found from the binary's install root.
    let cwd = tempfile::tempdir().unwrap();
    let params = repo().join("firmware-config/radiomics-paper.yaml");
    Command::new(env!("CARGO_BIN_EXE_radscored"))
        .current_dir(cwd.path())
        .arg("bench")
        .arg(image)
        .arg(mask)
        .arg("--params")
        .arg(params)
        .args(["--name", "brain1"])
        .args(extra)
        .output()
        .expect("run radscored bench")
}

/// The number just before `suffix` in `line`.
fn number_before(line: &str, suffix: &str) -> f64 {
    let head = &line[..line.find(suffix).unwrap_or_else(|| panic!("'{suffix}' not in: {line}"))];
    let start = head.rfind(|c: char| !(c.is_ascii_digit() || c == '.')).map_or(0, |i| i + 1);
    head[start..].parse().unwrap_or_else(|_| panic!("no number before '{suffix}' in: {line}"))
}

#[test]
fn bench_runs_both_tools_and_prints_ratios_and_memory() {
    let out = bench(&["--repeat", "1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.starts_with("brain1: 851 features (PyRadiomics 851)"), "{line}");
    let in_process = number_before(&line, "x in process");
    let whole = number_before(&line, "x whole process");
    assert!(in_process > 0.0 && whole > 0.0, "{line}");
    // brain1's label map alone is 6.55 MB of int32 samples, all of it read.
    assert!(number_before(&line, " MB)") > 6.55, "peak memory: {line}");
}

#[test]
fn bench_refuses_zero_repeats() {
    let out = bench(&["--repeat", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--repeat must be at least 1"), "{stderr}");
}
