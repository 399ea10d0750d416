//! Helpers shared by the integration tests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use radscored::image;
use radscored::radiomics::matrices::angles::AngleError;
use radscored::radiomics::preprocess::{self, Normalisation};
use radscored::radiomics::{discretise, params, GreyLevels, Settings, TextureSettings};

/// Largest accepted relative difference from PyRadiomics run live on the same input (the README's
/// promise; achieved: about 3e-14 on the 851 features of the shared cases).
pub const RELATIVE_TOLERANCE: f64 = 1e-10;
/// Largest accepted absolute difference where PyRadiomics gives exactly 0.
pub const ABSOLUTE_TOLERANCE_AT_ZERO: f64 = 1e-12;
/// Relative difference that floating-point evaluation order alone may cause between two correct
/// implementations: the floor under a baseline value's printed precision (achieved: 5e-15 over
/// the baseline tables, but for the features of [`SENSITIVE_FEATURES`]).
pub const ARITHMETIC_FLOOR: f64 = 1e-13;
/// Features whose value amplifies rounding: GLCM's MCC, the square root of an eigenvalue of a
/// non-symmetric matrix that numpy's LAPACK and radscored's solver reach by different iterations
/// (achieved: 1.1e-12), and ClusterShade, a sum of cubes of both signs that cancel (7.2e-13).
pub const SENSITIVE_FEATURES: [&str; 2] = ["_MCC", "_ClusterShade"];
/// The floor for [`SENSITIVE_FEATURES`].
pub const SENSITIVE_FLOOR: f64 = 1e-11;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The reference tools' Python (`.venv-ref`, made by scripts/setup.sh); panics with the fix when
/// it is missing.
pub fn reference_python() -> PathBuf {
    let python = repo().join(".venv-ref/bin/python");
    assert!(python.exists(), "{} missing: run scripts/setup.sh", python.display());
    python
}

/// Runs the script `tests/oracle/<script>` in the reference Python with `args`, feeding it
/// `stdin`; its stdout. Panics with the script's stderr when it fails.
pub fn run_oracle<S: AsRef<std::ffi::OsStr>>(script: &str, args: &[S], stdin: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new(reference_python())
        .arg(repo().join("tests/oracle").join(script))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python starts");
    child.stdin.take().expect("stdin").write_all(stdin).expect("the oracle reads its input");
    let out = child.wait_with_output().expect("python runs");
    assert!(out.status.success(), "{script} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// `../shared/<rel>` from the repository root; panics with a clear message when it is missing.
pub fn shared(rel: &str) -> PathBuf {
    let path = repo().join("../shared").join(rel);
    assert!(
        path.exists(),
        "shared reference data missing: {} (the tests need a copy of shared/ beside the repository)",
        path.display()
    );
    path
}

/// The Deep-RadScore reference data, `../shared/refdata/deepradscore`; panics with a clear message
/// when its `manifest.json` is missing.
pub fn deepradscore_refdata() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/refdata/deepradscore");
    assert!(
        dir.join("manifest.json").is_file(),
        "reference data missing: expected {}/manifest.json (the shared/ folder beside the repo)",
        dir.display()
    );
    dir
}

/// A PyRadiomics baseline table: `values[feature][column]` as written, plus the column order.
pub struct Baseline {
    pub columns: Vec<String>,
    pub rows: HashMap<String, HashMap<String, String>>,
}

impl Baseline {
    pub fn read(class: &str) -> Baseline {
        let path = shared(&format!("refdata/pyradiomics/baseline/baseline_{class}.csv"));
        let mut reader = csv::Reader::from_path(&path).expect("baseline CSV opens");
        let header = reader.headers().expect("baseline header").clone();
        let columns: Vec<String> = header.iter().skip(1).map(str::to_string).collect();
        let mut rows = HashMap::new();
        for record in reader.records() {
            let record = record.expect("baseline row");
            let cells = columns.iter().cloned().zip(record.iter().skip(1).map(str::to_string)).collect();
            rows.insert(record[0].to_string(), cells);
        }
        Baseline { columns, rows }
    }

    /// The column's settings row (a Python dict literal) as YAML flow mapping text.
    pub fn settings_yaml(&self, column: &str) -> String {
        let dict = &self.rows["diagnostics_Configuration_Settings"][column];
        python_literal_to_yaml(dict)
    }

    /// The feature rows (`original_<class>_<Feature>`) of a column with their values and the
    /// largest difference each may show: the unit of the last digit it is printed with
    /// ([`printed_unit`], twice the printing's rounding), or [`ARITHMETIC_FLOOR`] relative
    /// ([`SENSITIVE_FLOOR`] for [`SENSITIVE_FEATURES`]) where the value is printed with nearly all of float64's digits.
    pub fn features_printed(&self, column: &str) -> Vec<(String, f64, f64)> {
        let mut out: Vec<(String, f64, f64)> = self
            .rows
            .iter()
            .filter(|(name, _)| name.starts_with("original_"))
            .map(|(name, cells)| {
                let text = &cells[column];
                let value = text
                    .parse::<f64>()
                    .unwrap_or_else(|_| panic!("{name}/{column}: '{text}' is not a number"));
                let unit = printed_unit(text);
                let sensitive = SENSITIVE_FEATURES.iter().any(|suffix| name.ends_with(suffix));
                let floor = if sensitive { SENSITIVE_FLOOR } else { ARITHMETIC_FLOOR };
                (name.clone(), value, unit.max(floor * value.abs()))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

/// Turns a Python dict literal of plain values into YAML: `None` → `null`; `True`/`False` and
/// single-quoted strings are YAML already.
pub fn python_literal_to_yaml(dict: &str) -> String {
    let mut out = String::new();
    let mut in_str = false;
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(match word.as_str() {
            "None" => "null",
            "True" => "true",
            "False" => "false",
            w => w,
        });
        word.clear();
    };
    for c in dict.chars() {
        if c == '\'' {
            in_str = !in_str;
        }
        if !in_str && c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The unit of the last digit of a number as printed: `0.9614021696232272` → 1e-16,
/// `1.25e-05` → 1e-7, `837` → 1. Half of it is the rounding the printing made.
pub fn printed_unit(text: &str) -> f64 {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i32>().expect("exponent")),
        None => (text, 0),
    };
    let decimals = mantissa.find('.').map_or(0, |dot| mantissa.len() - dot - 1) as i32;
    10f64.powi(exponent - decimals)
}

/// Whether `ours` agrees with a baseline value within `allowed` (from [`Baseline::features_printed`]);
/// two NaNs agree.
pub fn within_printed(ours: f64, reference: f64, allowed: f64) -> bool {
    (ours.is_nan() && reference.is_nan()) || (ours - reference).abs() <= allowed
}

/// Relative difference used by the parity tests: |a − b| / |b|, or |a − b| when b is 0.
pub fn rel_diff(ours: f64, reference: f64) -> f64 {
    if ours.is_nan() && reference.is_nan() {
        return 0.0;
    }
    if reference == 0.0 {
        ours.abs()
    } else {
        ((ours - reference) / reference).abs()
    }
}

/// Whether `ours` agrees with PyRadiomics' `reference` within [`RELATIVE_TOLERANCE`] (or
/// [`ABSOLUTE_TOLERANCE_AT_ZERO`] where the reference is 0); two NaNs agree.
pub fn within_tolerance(ours: f64, reference: f64) -> bool {
    let limit = if reference == 0.0 { ABSOLUTE_TOLERANCE_AT_ZERO } else { RELATIVE_TOLERANCE };
    rel_diff(ours, reference) <= limit
}

/// Defaults with one `setting` section applied (YAML text, e.g. [`Baseline::settings_yaml`] or
/// [`python_literal_to_yaml`] of a settings literal), as `radscored` reads a parameter file.
pub fn settings_from_yaml(yaml: &str) -> Settings {
    let section: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("settings {yaml}: {e}"));
    let mut settings = Settings::default();
    params::apply_settings(&mut settings, &section).unwrap_or_else(|e| panic!("settings {yaml}: {e}"));
    settings
}

/// Image and label map of a PyRadiomics test case (`refdata/pyradiomics/<case>_image.nrrd`,
/// `<case>_label.nrrd`).
pub fn case_paths(case: &str) -> (PathBuf, PathBuf) {
    let dir = "refdata/pyradiomics";
    (shared(&format!("{dir}/{case}_image.nrrd")), shared(&format!("{dir}/{case}_label.nrrd")))
}

/// The grey levels and texture settings of a PyRadiomics test case under `settings`, prepared by
/// the library's own steps in the order `radiomics::extract` runs them (normalisation, region
/// check, resegmentation, crop to the region, discretisation).
pub fn texture_input(case: &str, settings: &Settings) -> (GreyLevels, TextureSettings) {
    let (image_path, mask_path) = case_paths(case);
    let read = |path: &Path| image::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (image, mask) = (read(&image_path), read(&mask_path));
    let normalisation = settings
        .normalize
        .then(|| Normalisation::of(&image, settings))
        .transpose()
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let region = preprocess::find_region(&image, &mask, settings).unwrap_or_else(|e| panic!("{case}: {e}"));
    let values = preprocess::region_values(&image, &region.bbox, normalisation.as_ref());
    let resegmented =
        preprocess::resegment(&region, &values, settings).unwrap_or_else(|e| panic!("{case}: {e}"));
    let roi_values = preprocess::sub_box(&values, &region.bbox, &resegmented.bbox);
    let roi = preprocess::roi(&resegmented, roi_values, image.geometry.spacing_mm);
    let texture = TextureSettings { spacing_mm: roi.spacing_mm, ..settings.texture.clone() };
    (discretise(&roi, settings.binning).expect("test regions have few grey levels"), texture)
}

/// The PyRadiomics test cases with baseline columns and `.npy` matrices.
const CASES: [&str; 5] = ["brain1", "brain2", "breast1", "lung1", "lung2"];

/// Each test case's texture input under its plain column of `baseline_<class>.csv` (label 1, bin
/// width 25, distances [1], 3D): the configuration PyRadiomics wrote the `.npy` matrices with.
pub fn plain_texture_inputs(class: &str) -> Vec<(&'static str, GreyLevels, TextureSettings)> {
    let baseline = Baseline::read(class);
    CASES
        .iter()
        .map(|&case| {
            let (grey, texture) = texture_input(case, &settings_from_yaml(&baseline.settings_yaml(case)));
            (case, grey, texture)
        })
        .collect()
}

/// PyRadiomics' matrix of a test case's plain configuration,
/// `refdata/pyradiomics/baseline/<case>_<class>.npy`: shape and values in C order.
pub fn reference_matrix(case: &str, class: &str) -> (Vec<usize>, Vec<f64>) {
    read_npy(&shared(&format!("refdata/pyradiomics/baseline/{case}_{class}.npy")))
}

/// A `.npy` array of little-endian float64: its shape and its values in C order (last index
/// fastest), whichever order the file stores them in.
fn read_npy(path: &Path) -> (Vec<usize>, Vec<f64>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{}: not a .npy file", path.display());
    // Format 1.0 has a 2-byte header length, later versions 4 bytes.
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize, 12),
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len]).unwrap();
    assert!(header.contains("'descr': '<f8'"), "{}: not little-endian float64: {header}", path.display());
    let fortran = header.contains("'fortran_order': True");
    let shape = header.split("'shape': (").nth(1).and_then(|s| s.split(')').next()).unwrap();
    let shape: Vec<usize> =
        shape.split(',').filter(|s| !s.trim().is_empty()).map(|s| s.trim().parse().unwrap()).collect();
    let stored: Vec<f64> = bytes[start + header_len..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(stored.len(), shape.iter().product::<usize>(), "{}: data length", path.display());
    if !fortran {
        return (shape, stored);
    }
    // Fortran order: the first index is fastest; offset Σ_d index_d · Π_{e<d} shape_e.
    let values = (0..stored.len())
        .map(|mut c| {
            let mut index = vec![0; shape.len()];
            for d in (0..shape.len()).rev() {
                index[d] = c % shape[d];
                c /= shape[d];
            }
            let (mut offset, mut stride) = (0, 1);
            for d in 0..shape.len() {
                offset += index[d] * stride;
                stride *= shape[d];
            }
            stored[offset]
        })
        .collect();
    (shape, values)
}

/// A texture class's features from grey levels (`radiomics::features::<class>::<class>_features`).
pub type TextureFeatures = fn(&GreyLevels, &TextureSettings) -> Result<Vec<(&'static str, f64)>, AngleError>;

/// Runs PyRadiomics (the project's `.venv-ref`) on a test case once per settings literal (a Python
/// dict of extractor settings) with only `classes` enabled: the `original_*` values of each run.
fn live_pyradiomics(case: &str, classes: &[&str], literals: &[&str]) -> Vec<HashMap<String, f64>> {
    const SCRIPT: &str = r#"
import ast, json, sys
import radiomics
from radiomics import featureextractor
radiomics.setVerbosity(60)
image, mask, classes = sys.argv[1], sys.argv[2], sys.argv[3].split(',')
out = []
for literal in sys.argv[4:]:
    extractor = featureextractor.RadiomicsFeatureExtractor(**ast.literal_eval(literal))
    extractor.disableAllFeatures()
    for name in classes:
        extractor.enableFeatureClassByName(name)
    result = extractor.execute(image, mask)
    values = {k: float(v) for k, v in result.items() if k.startswith('original_')}
    out.append({k: (v if v == v else None) for k, v in values.items()})
print(json.dumps(out))
"#;
    let python = repo().join(".venv-ref/bin/python");
    assert!(
        python.exists(),
        "{} missing: run the project's setup script to create the reference venv",
        python.display()
    );
    let (image_path, mask_path) = case_paths(case);
    let output = Command::new(&python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(image_path)
        .arg(mask_path)
        .arg(classes.join(","))
        .args(literals)
        .output()
        .expect("python runs");
    assert!(output.status.success(), "pyradiomics failed: {}", String::from_utf8_lossy(&output.stderr));
    let runs: Vec<HashMap<String, Option<f64>>> =
        serde_json::from_slice(&output.stdout).expect("json from python");
    runs.into_iter().map(|r| r.into_iter().map(|(k, v)| (k, v.unwrap_or(f64::NAN))).collect()).collect()
}

/// Compares texture classes (PyRadiomics name, features) with PyRadiomics run live on each case
/// for each settings literal, both sides reading the same literal; panics listing every value
/// out of tolerance.
pub fn check_texture_against_live_pyradiomics(
    cases: &[&str],
    classes: &[(&str, TextureFeatures)],
    literals: &[&str],
) {
    let names: Vec<&str> = classes.iter().map(|&(name, _)| name).collect();
    let mut failures = Vec::new();
    let mut worst = (0.0, String::new());
    let mut compared = 0;
    for &case in cases {
        let runs = live_pyradiomics(case, &names, literals);
        assert_eq!(runs.len(), literals.len(), "{case}: one PyRadiomics run per settings literal");
        for (literal, reference) in literals.iter().zip(runs) {
            let (grey, texture) = texture_input(case, &settings_from_yaml(&python_literal_to_yaml(literal)));
            let mut compared_here = 0;
            for &(class, compute) in classes {
                let values = compute(&grey, &texture).unwrap_or_else(|e| panic!("{case} {literal}: {e}"));
                for (name, value) in values {
                    let key = format!("original_{class}_{name}");
                    let expected =
                        *reference.get(&key).unwrap_or_else(|| panic!("pyradiomics gave no {key}"));
                    compared_here += 1;
                    let d = rel_diff(value, expected);
                    if d > worst.0 || d.is_nan() {
                        worst = (d, format!("{case} {literal} {key}: {value} vs {expected}"));
                    }
                    if !within_tolerance(value, expected) {
                        failures.push(format!("{case} {literal} {key}: got {value}, PyRadiomics {expected}"));
                    }
                }
            }
            assert_eq!(compared_here, reference.len(), "{case} {literal}: every PyRadiomics value compared");
            assert!(compared_here > 0, "{case} {literal}: PyRadiomics gave no value");
            compared += compared_here;
        }
    }
    println!(
        "{names:?} against live pyradiomics: {compared} values, worst difference {:e} ({})",
        worst.0, worst.1
    );
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
