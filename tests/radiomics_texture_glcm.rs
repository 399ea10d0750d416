//! GLCM and GLRLM against PyRadiomics' own reference data (`../shared/refdata/pyradiomics`):
//! the matrices against `baseline/<case>_{glcm,glrlm}.npy` (PyRadiomics' `tests/test_matrices.py`
//! expectations) and the features against the columns of `baseline/baseline_{glcm,glrlm}.csv`,
//! each column's settings read from its `diagnostics_Configuration_Settings` row.
//!
//! Covered variants: plain, 2d, FBN, combined, flatRegion and resegmentation. The normalization
//! and resampling columns need preprocessing this area does not own. Settings no baseline column
//! uses (the three distance weightings, other distances, an asymmetric GLCM, 2D along the other
//! axes) are checked against PyRadiomics run live from `.venv-ref` (the project's setup script
//! creates it).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use radscored::image;
use radscored::radiomics::features::{glcm, glrlm};
use radscored::radiomics::matrices::glcm::Glcm;
use radscored::radiomics::matrices::glrlm::Glrlm;
use radscored::radiomics::{discretise, Binning, GreyLevels, Roi, TextureSettings, WeightingNorm};

const CASES: [&str; 5] = ["brain1", "brain2", "breast1", "lung1", "lung2"];

/// Relative tolerance on features; absolute where the reference is 0.
const RELATIVE_TOLERANCE: f64 = 1e-6;
const ABSOLUTE_TOLERANCE: f64 = 1e-9;

fn refdata() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/refdata/pyradiomics");
    assert!(
        dir.is_dir(),
        "reference data missing: {} (the shared folder beside the repository)",
        dir.display()
    );
    dir
}

/// A test case cut to the bounding box of label 1.
struct Case {
    name: &'static str,
    size: [usize; 3],
    spacing_mm: [f64; 3],
    values: Vec<f64>,
    mask: Vec<bool>,
}

/// The five cases, read once for all tests.
fn cases() -> &'static [Case] {
    static CACHE: OnceLock<Vec<Case>> = OnceLock::new();
    CACHE.get_or_init(|| {
        CASES
            .iter()
            .map(|&name| {
                let read = |suffix: &str| {
                    let path = refdata().join(format!("{name}_{suffix}.nrrd"));
                    image::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                };
                let (img, label) = (read("image"), read("label"));
                let (bbox, _) = label.label_extent(1.0).expect("label 1 present");
                Case {
                    name,
                    size: bbox.size(),
                    spacing_mm: img.geometry.spacing_mm,
                    values: img.crop_f64(&bbox),
                    mask: label.crop_label(&bbox, 1.0),
                }
            })
            .collect()
    })
}

/// A `.npy` array of little-endian f64 in C order: its shape and values.
fn read_npy(path: &Path) -> (Vec<usize>, Vec<f64>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{}: not a .npy file", path.display());
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize, 12),
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len]).unwrap();
    assert!(header.contains("'descr': '<f8'") && header.contains("'fortran_order': False"), "{header}");
    let shape = header.split("'shape': (").nth(1).and_then(|s| s.split(')').next()).unwrap();
    let shape: Vec<usize> =
        shape.split(',').filter(|s| !s.trim().is_empty()).map(|s| s.trim().parse().unwrap()).collect();
    let data: Vec<f64> = bytes[start + header_len..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(data.len(), shape.iter().product::<usize>(), "{}: data length", path.display());
    (shape, data)
}

/// A value of a Python literal, as written in the settings row.
#[derive(Debug, Clone, PartialEq)]
enum Py {
    None,
    Bool(bool),
    Number(f64),
    Str(String),
    List(Vec<Py>),
}

impl Py {
    fn number(&self) -> Option<f64> {
        match self {
            Py::Number(x) => Some(*x),
            _ => None,
        }
    }
}

/// Parses a flat Python dict literal (`{'key': value, ...}`) of the settings row.
fn parse_settings(text: &str) -> HashMap<String, Py> {
    fn value(s: &mut &str) -> Py {
        *s = s.trim_start();
        if let Some(rest) = s.strip_prefix('[') {
            *s = rest;
            let mut items = Vec::new();
            loop {
                *s = s.trim_start();
                if let Some(rest) = s.strip_prefix(']') {
                    *s = rest;
                    return Py::List(items);
                }
                items.push(value(s));
                *s = s.trim_start().trim_start_matches(',');
            }
        }
        if let Some(rest) = s.strip_prefix('\'') {
            let end = rest.find('\'').expect("closed string");
            *s = &rest[end + 1..];
            return Py::Str(rest[..end].to_string());
        }
        let end = s.find([',', '}', ']']).unwrap_or(s.len());
        let word = s[..end].trim();
        *s = &s[end..];
        match word {
            "None" => Py::None,
            "True" => Py::Bool(true),
            "False" => Py::Bool(false),
            _ => Py::Number(word.parse().unwrap_or_else(|_| panic!("unknown literal {word}"))),
        }
    }
    let mut s = text.trim().strip_prefix('{').and_then(|t| t.strip_suffix('}')).expect("a dict literal");
    let mut out = HashMap::new();
    while !s.trim().is_empty() {
        let Py::Str(key) = value(&mut s) else { panic!("dict key is not a string") };
        s = s.trim_start().strip_prefix(':').expect("colon after key");
        out.insert(key, value(&mut s));
        s = s.trim_start().trim_start_matches(',');
    }
    out
}

/// One feature table: rows by name, then column by configuration.
struct Baseline {
    rows: HashMap<String, HashMap<String, String>>,
}

impl Baseline {
    fn read(class: &str) -> Baseline {
        let path = refdata().join(format!("baseline/baseline_{class}.csv"));
        let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let headers = reader.headers().unwrap().clone();
        let rows = reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                let cells = headers.iter().zip(r.iter()).skip(1).map(|(h, c)| (h.to_string(), c.to_string()));
                (r[0].to_string(), cells.collect())
            })
            .collect();
        Baseline { rows }
    }

    fn cell(&self, row: &str, column: &str) -> &str {
        self.rows.get(row).and_then(|r| r.get(column)).unwrap_or_else(|| panic!("no cell {row} / {column}"))
    }
}

/// The region, grey levels and texture settings of a case under one configuration's settings.
fn prepare(case: &Case, settings: &HashMap<String, Py>) -> (GreyLevels, TextureSettings) {
    let get = |key: &str| settings.get(key).cloned().unwrap_or(Py::None);
    assert_eq!(get("label").number().unwrap_or(1.0), 1.0, "only label 1 is loaded");
    assert!(get("normalize") != Py::Bool(true), "normalization is not covered here");
    assert_eq!(get("resampledPixelSpacing"), Py::None, "resampling is not covered here");
    let mut mask = case.mask.clone();
    if let Py::List(range) = get("resegmentRange") {
        // imageoperations.resegmentMask: 'absolute' (default) takes the bounds as they are;
        // 'sigma' as mean + bound·SD of the region (NumPy std, population).
        let mut bounds: Vec<f64> = range.iter().map(|b| b.number().unwrap()).collect();
        bounds.sort_by(f64::total_cmp);
        let mode = match get("resegmentMode") {
            Py::Str(m) => m,
            _ => "absolute".to_string(),
        };
        if mode == "sigma" {
            let inside: Vec<f64> =
                case.values.iter().zip(&mask).filter(|(_, &m)| m).map(|(&v, _)| v).collect();
            let mean = inside.iter().sum::<f64>() / inside.len() as f64;
            let sd = (inside.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / inside.len() as f64).sqrt();
            bounds.iter_mut().for_each(|b| *b = mean + sd * *b);
        } else {
            assert_eq!(mode, "absolute", "resegment mode");
        }
        for (m, &v) in mask.iter_mut().zip(&case.values) {
            *m = *m && v >= bounds[0] && bounds.get(1).is_none_or(|&hi| v <= hi);
        }
    }
    let binning = match (get("binCount").number(), get("binWidth").number()) {
        (Some(count), _) => Binning::Count(count as u32),
        (None, width) => Binning::Width(width.unwrap_or(25.0)),
    };
    let roi = Roi { size: case.size, spacing_mm: case.spacing_mm, values: case.values.clone(), mask };
    let force_2d = get("force2D") == Py::Bool(true);
    let texture = TextureSettings {
        distances: match get("distances") {
            Py::List(d) => d.iter().map(|x| x.number().unwrap() as usize).collect(),
            _ => vec![1],
        },
        force_2d_axis: force_2d.then(|| 2 - get("force2Ddimension").number().unwrap_or(0.0) as usize),
        weighting_norm: match get("weightingNorm") {
            Py::None => None,
            Py::Str(norm) => Some(match norm.as_str() {
                "infinity" => WeightingNorm::Infinity,
                "manhattan" => WeightingNorm::Manhattan,
                "euclidean" => WeightingNorm::Euclidean,
                _ => WeightingNorm::NoWeighting,
            }),
            other => panic!("weightingNorm {other:?}"),
        },
        symmetrical_glcm: get("symmetricalGLCM") != Py::Bool(false),
        spacing_mm: case.spacing_mm,
        ..TextureSettings::default()
    };
    (discretise(&roi, binning), texture)
}

/// Relative difference (absolute where the reference is 0); 0 when both are NaN.
fn difference(got: f64, expected: f64) -> f64 {
    if got.is_nan() && expected.is_nan() {
        0.0
    } else if expected == 0.0 {
        got.abs()
    } else {
        ((got - expected) / expected).abs()
    }
}

fn within_tolerance(got: f64, expected: f64) -> bool {
    let d = difference(got, expected);
    if expected == 0.0 {
        d <= ABSOLUTE_TOLERANCE
    } else {
        d <= RELATIVE_TOLERANCE
    }
}

type FeatureFn = fn(&GreyLevels, &TextureSettings) -> Vec<(&'static str, f64)>;

/// Compares every case of one configuration (`variant` "" for plain) with the baseline table.
fn check_features(class: &str, variant: &str, compute: FeatureFn, names: &[&str]) {
    let baseline = Baseline::read(class);
    let mut failures = Vec::new();
    let mut worst = (0.0, String::new());
    for case in cases() {
        let column =
            if variant.is_empty() { case.name.to_string() } else { format!("{}_{variant}", case.name) };
        let settings = parse_settings(baseline.cell("diagnostics_Configuration_Settings", &column));
        let (g, s) = prepare(case, &settings);
        let got = compute(&g, &s);
        assert_eq!(got.iter().map(|(n, _)| *n).collect::<Vec<_>>(), names, "feature names and order");
        let in_table = baseline.rows.keys().filter(|r| r.starts_with(&format!("original_{class}_"))).count();
        assert_eq!(in_table, names.len(), "features in the table");
        for (name, value) in got {
            let cell = baseline.cell(&format!("original_{class}_{name}"), &column);
            let expected: f64 = cell.parse().unwrap_or_else(|_| panic!("{column} {name}: bad number {cell}"));
            let d = difference(value, expected);
            if d > worst.0 || d.is_nan() {
                worst = (d, format!("{column} {name}: {value} vs {expected}"));
            }
            if !within_tolerance(value, expected) {
                failures.push(format!("{column} {name}: got {value}, PyRadiomics {expected}"));
            }
        }
    }
    println!("{class} {variant}: worst difference {:e} ({})", worst.0, worst.1);
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

fn glcm_values(g: &GreyLevels, s: &TextureSettings) -> Vec<(&'static str, f64)> {
    glcm::glcm_features(g, s).expect("valid settings")
}

fn glrlm_values(g: &GreyLevels, s: &TextureSettings) -> Vec<(&'static str, f64)> {
    glrlm::glrlm_features(g, s).expect("valid settings")
}

/// Grey levels of a case under the plain configuration (label 1, bin width 25, 3D).
fn plain(case: &Case) -> (GreyLevels, TextureSettings) {
    let roi = Roi {
        size: case.size,
        spacing_mm: case.spacing_mm,
        values: case.values.clone(),
        mask: case.mask.clone(),
    };
    (
        discretise(&roi, Binning::Width(25.0)),
        TextureSettings { spacing_mm: case.spacing_mm, ..TextureSettings::default() },
    )
}

/// Compares a matrix stored as `[a][row][column]` with the `.npy` array `[row][column][a]`.
fn check_matrix(
    case: &str,
    class: &str,
    rows: usize,
    columns: usize,
    angles: usize,
    got: impl Fn(usize, usize, usize) -> f64,
) {
    let (shape, expected) = read_npy(&refdata().join(format!("baseline/{case}_{class}.npy")));
    assert_eq!(shape, vec![rows, columns, angles], "{case} {class}: shape (rows, columns, angles)");
    let mut worst: f64 = 0.0;
    for r in 0..rows {
        for c in 0..columns {
            for a in 0..angles {
                let e = expected[(r * columns + c) * angles + a];
                let d = (got(a, r, c) - e).abs();
                worst = worst.max(d);
                assert!(d <= 1e-12, "{case} {class} [{r}][{c}][{a}]: got {}, PyRadiomics {e}", got(a, r, c));
            }
        }
    }
    println!("{case} {class}: largest absolute difference {worst:e}");
}

#[test]
fn glcm_matrices_match_pyradiomics_npy() {
    for case in cases() {
        let (g, s) = plain(case);
        let m = Glcm::build(&g, &s).unwrap();
        let n = m.size();
        check_matrix(case.name, "glcm", n, n, m.angles, |a, i, j| m.matrix(a)[i * n + j]);
    }
}

#[test]
fn glrlm_matrices_match_pyradiomics_npy() {
    for case in cases() {
        let (g, s) = plain(case);
        let m = Glrlm::build(&g, &s).unwrap();
        let (n_g, n_r) = (m.levels.len(), m.run_lengths.len());
        check_matrix(case.name, "glrlm", n_g, n_r, m.angles, |a, i, r| m.matrix(a)[i * n_r + r]);
    }
}

#[test]
fn glcm_features_match_baseline_plain() {
    check_features("glcm", "", glcm_values, &glcm::NAMES);
}

#[test]
fn glcm_features_match_baseline_2d() {
    check_features("glcm", "2d", glcm_values, &glcm::NAMES);
}

#[test]
fn glcm_features_match_baseline_fixed_bin_number() {
    check_features("glcm", "FBN", glcm_values, &glcm::NAMES);
}

#[test]
fn glcm_features_match_baseline_combined_angles() {
    check_features("glcm", "combined", glcm_values, &glcm::NAMES);
}

#[test]
fn glcm_features_match_baseline_flat_region() {
    check_features("glcm", "flatRegion", glcm_values, &glcm::NAMES);
}

#[test]
fn glcm_features_match_baseline_resegmentation() {
    check_features("glcm", "resegmentation", glcm_values, &glcm::NAMES);
}

#[test]
fn glrlm_features_match_baseline_plain() {
    check_features("glrlm", "", glrlm_values, &glrlm::NAMES);
}

#[test]
fn glrlm_features_match_baseline_2d() {
    check_features("glrlm", "2d", glrlm_values, &glrlm::NAMES);
}

#[test]
fn glrlm_features_match_baseline_fixed_bin_number() {
    check_features("glrlm", "FBN", glrlm_values, &glrlm::NAMES);
}

#[test]
fn glrlm_features_match_baseline_combined_angles() {
    check_features("glrlm", "combined", glrlm_values, &glrlm::NAMES);
}

#[test]
fn glrlm_features_match_baseline_flat_region() {
    check_features("glrlm", "flatRegion", glrlm_values, &glrlm::NAMES);
}

#[test]
fn glrlm_features_match_baseline_resegmentation() {
    check_features("glrlm", "resegmentation", glrlm_values, &glrlm::NAMES);
}

/// Runs PyRadiomics on `case` for each settings literal; the `original_*` values of each run.
fn live_pyradiomics(case: &str, settings: &[&str]) -> Vec<HashMap<String, f64>> {
    const SCRIPT: &str = r#"
import ast, json, sys
import radiomics
from radiomics import featureextractor
radiomics.setVerbosity(60)
image, mask = sys.argv[1], sys.argv[2]
out = []
for literal in sys.argv[3:]:
    extractor = featureextractor.RadiomicsFeatureExtractor(**ast.literal_eval(literal))
    extractor.disableAllFeatures()
    extractor.enableFeatureClassByName('glcm')
    extractor.enableFeatureClassByName('glrlm')
    result = extractor.execute(image, mask)
    values = {k: float(v) for k, v in result.items() if k.startswith('original_')}
    out.append({k: (v if v == v else None) for k, v in values.items()})
print(json.dumps(out))
"#;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv-ref/bin/python");
    assert!(
        python.exists(),
        "{} missing: run the project's setup script to create the reference venv",
        python.display()
    );
    let dir = refdata();
    let output = Command::new(&python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(dir.join(format!("{case}_image.nrrd")))
        .arg(dir.join(format!("{case}_label.nrrd")))
        .args(settings)
        .output()
        .expect("python runs");
    assert!(output.status.success(), "pyradiomics failed: {}", String::from_utf8_lossy(&output.stderr));
    let runs: Vec<HashMap<String, Option<f64>>> =
        serde_json::from_slice(&output.stdout).expect("json from python");
    runs.into_iter().map(|r| r.into_iter().map(|(k, v)| (k, v.unwrap_or(f64::NAN))).collect()).collect()
}

#[test]
fn settings_without_a_baseline_match_live_pyradiomics() {
    let settings = [
        "{'binWidth': 25, 'weightingNorm': 'infinity'}",
        "{'binWidth': 25, 'weightingNorm': 'euclidean'}",
        "{'binWidth': 25, 'weightingNorm': 'manhattan'}",
        "{'binWidth': 25, 'distances': [1, 2]}",
        "{'binWidth': 25, 'distances': [3], 'weightingNorm': 'manhattan'}",
        "{'binWidth': 25, 'symmetricalGLCM': False}",
        "{'binWidth': 25, 'force2D': True, 'force2Ddimension': 1}",
        "{'binWidth': 25, 'force2D': True, 'force2Ddimension': 2}",
    ];
    let mut failures = Vec::new();
    let mut worst = (0.0, String::new());
    for case in cases().iter().filter(|c| ["brain2", "breast1"].contains(&c.name)) {
        for (literal, reference) in settings.iter().zip(live_pyradiomics(case.name, &settings)) {
            let (g, s) = prepare(case, &parse_settings(literal));
            let classes = [("glcm", glcm_values(&g, &s)), ("glrlm", glrlm_values(&g, &s))];
            for (class, values) in classes {
                for (name, value) in values {
                    let key = format!("original_{class}_{name}");
                    let expected =
                        *reference.get(&key).unwrap_or_else(|| panic!("pyradiomics gave no {key}"));
                    let d = difference(value, expected);
                    if d > worst.0 || d.is_nan() {
                        worst = (d, format!("{} {literal} {key}: {value} vs {expected}", case.name));
                    }
                    if !within_tolerance(value, expected) {
                        failures.push(format!(
                            "{} {literal} {key}: got {value}, PyRadiomics {expected}",
                            case.name
                        ));
                    }
                }
            }
        }
    }
    println!("live pyradiomics: worst difference {:e} ({})", worst.0, worst.1);
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn settings_literal_parser_reads_the_baseline_forms() {
    let s = parse_settings(concat!(
        "{'distances': [1], 'force2D': True, 'interpolator': None, ",
        "'resegmentRange': [-3, 3], 'weightingNorm': 'no_weighting', 'binWidth': 25}"
    ));
    assert_eq!(s["distances"], Py::List(vec![Py::Number(1.0)]));
    assert_eq!(s["force2D"], Py::Bool(true));
    assert_eq!(s["interpolator"], Py::None);
    assert_eq!(s["resegmentRange"], Py::List(vec![Py::Number(-3.0), Py::Number(3.0)]));
    assert_eq!(s["weightingNorm"], Py::Str("no_weighting".into()));
    assert_eq!(s["binWidth"], Py::Number(25.0));
}
