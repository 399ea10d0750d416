//! GLSZM, GLDM and NGTDM against PyRadiomics' own reference data: the plain-configuration
//! matrices (`<case>_<class>.npy`) and the feature baselines (`baseline_<class>.csv`, variants
//! plain, 2d, FBN and flatRegion) in `../shared/refdata/pyradiomics/baseline/`.
//!
//! Each baseline column carries its PyRadiomics settings as a Python dict literal in the row
//! `diagnostics_Configuration_Settings`; they are parsed here, as PyRadiomics' own tests do. The
//! region is cropped to the mask's bounding box; the flatRegion variant's `resegmentRange [0]`
//! keeps the mask voxels with value ≥ 0 (PyRadiomics `imageoperations.resegmentMask`, absolute
//! mode).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use radscored::image;
use radscored::radiomics::features::{gldm::gldm_features, glszm::glszm_features, ngtdm::ngtdm_features};
use radscored::radiomics::matrices::angles::AngleError;
use radscored::radiomics::matrices::{gldm::gldm, glszm::glszm, ngtdm::ngtdm};
use radscored::radiomics::{discretise, Binning, GreyLevels, Roi, TextureSettings};

/// The PyRadiomics test cases with baselines.
const CASES: [&str; 5] = ["brain1", "brain2", "breast1", "lung1", "lung2"];
/// Baseline variants this file checks; normalization, resampling and resegmentation (sigma
/// mode) need preprocessing done by other modules.
const VARIANTS: [&str; 4] = ["", "_2d", "_FBN", "_flatRegion"];
/// Largest accepted relative difference from the reference.
const RELATIVE_TOLERANCE: f64 = 1e-6;
/// Largest accepted absolute difference where the reference is 0.
const ABSOLUTE_TOLERANCE: f64 = 1e-9;

fn refdata() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/refdata/pyradiomics");
    assert!(dir.is_dir(), "reference data missing: {} (the shared folder beside the repo)", dir.display());
    dir
}

/// Image box and full-mask region of one case (label 1), loaded once for all tests.
fn case_roi(case: &str) -> &'static Roi {
    static ROIS: OnceLock<HashMap<&'static str, Roi>> = OnceLock::new();
    let rois = ROIS.get_or_init(|| {
        CASES
            .iter()
            .map(|&name| {
                let dir = refdata();
                let img = image::read(&dir.join(format!("{name}_image.nrrd"))).expect("image readable");
                let mask = image::read(&dir.join(format!("{name}_label.nrrd"))).expect("mask readable");
                let (bbox, _) = mask.label_extent(1.0).expect("label 1 present");
                let roi = Roi {
                    size: bbox.size(),
                    spacing_mm: img.geometry.spacing_mm,
                    values: img.crop_f64(&bbox),
                    mask: mask.crop_label(&bbox, 1.0),
                };
                (name, roi)
            })
            .collect()
    });
    &rois[case]
}

// ---------------------------------------------------------------------------------------------
// Python literals (the settings row) and .npy files, just enough for the reference data.

/// A Python literal value.
#[derive(Debug, Clone, PartialEq)]
enum Py {
    None,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<Py>),
    Dict(Vec<(String, Py)>),
}

/// Parses a Python literal made of dicts, lists, strings, numbers, booleans and None.
fn parse_py(text: &str) -> Py {
    let chars: Vec<char> = text.chars().collect();
    let mut pos = 0;
    let value = parse_value(&chars, &mut pos);
    skip_space(&chars, &mut pos);
    assert_eq!(pos, chars.len(), "trailing text in python literal {text:?}");
    value
}

fn skip_space(c: &[char], pos: &mut usize) {
    while *pos < c.len() && c[*pos].is_whitespace() {
        *pos += 1;
    }
}

fn parse_value(c: &[char], pos: &mut usize) -> Py {
    skip_space(c, pos);
    match c[*pos] {
        '{' | '[' => {
            let close = if c[*pos] == '{' { '}' } else { ']' };
            let is_dict = close == '}';
            *pos += 1;
            let (mut items, mut entries) = (Vec::new(), Vec::new());
            loop {
                skip_space(c, pos);
                if c[*pos] == close {
                    *pos += 1;
                    break;
                }
                let value = parse_value(c, pos);
                if is_dict {
                    skip_space(c, pos);
                    assert_eq!(c[*pos], ':', "expected ':' in python dict");
                    *pos += 1;
                    let Py::Str(key) = value else { panic!("dict key {value:?} is not a string") };
                    entries.push((key, parse_value(c, pos)));
                } else {
                    items.push(value);
                }
                skip_space(c, pos);
                if c[*pos] == ',' {
                    *pos += 1;
                }
            }
            if is_dict {
                Py::Dict(entries)
            } else {
                Py::List(items)
            }
        }
        quote @ ('\'' | '"') => {
            let start = *pos + 1;
            *pos = start;
            while c[*pos] != quote {
                *pos += 1;
            }
            *pos += 1;
            Py::Str(c[start..*pos - 1].iter().collect())
        }
        _ => {
            let start = *pos;
            while *pos < c.len() && !matches!(c[*pos], ',' | '}' | ']' | ':') && !c[*pos].is_whitespace() {
                *pos += 1;
            }
            let word: String = c[start..*pos].iter().collect();
            match word.as_str() {
                "None" => Py::None,
                "True" => Py::Bool(true),
                "False" => Py::Bool(false),
                number => Py::Num(number.parse().unwrap_or_else(|_| panic!("bad python literal {number:?}"))),
            }
        }
    }
}

/// Reads a 2-D little-endian float64 `.npy` file into (rows, columns, row-major values).
fn read_npy(path: &Path) -> (usize, usize, Vec<f64>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{} is not a .npy file", path.display());
    let (header_len, header_start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize, 12),
    };
    let header = std::str::from_utf8(&bytes[header_start..header_start + header_len]).unwrap();
    let header = header.trim().replace('(', "[").replace(')', "]");
    let Py::Dict(entries) = parse_py(&header) else { panic!("bad .npy header {header}") };
    let field = |name: &str| entries.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(field("descr"), Py::Str("<f8".into()), "{}: only float64 supported", path.display());
    let Py::List(shape) = field("shape") else { panic!("bad shape") };
    let dims: Vec<usize> = shape.iter().map(|d| if let Py::Num(n) = d { *n as usize } else { 0 }).collect();
    assert_eq!(dims.len(), 2, "{}: expected a 2-D array", path.display());
    let (rows, cols) = (dims[0], dims[1]);
    let raw: Vec<f64> = bytes[header_start + header_len..]
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(raw.len(), rows * cols, "{}: data length", path.display());
    let values = if field("fortran_order") == Py::Bool(true) {
        (0..rows * cols).map(|n| raw[(n % cols) * rows + n / cols]).collect()
    } else {
        raw
    };
    (rows, cols, values)
}

// ---------------------------------------------------------------------------------------------
// Baseline columns → grey levels and settings.

/// One baseline table: feature name → value per column, and the columns' settings.
struct Baseline {
    columns: Vec<String>,
    rows: HashMap<String, Vec<String>>,
}

fn read_baseline(class: &str) -> Baseline {
    let path = refdata().join(format!("baseline/baseline_{class}.csv"));
    let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let columns: Vec<String> = reader.headers().unwrap().iter().skip(1).map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r.iter().skip(1).map(String::from).collect())
        })
        .collect();
    Baseline { columns, rows }
}

/// The grey levels and texture settings PyRadiomics used for one baseline column.
fn prepare(case: &str, settings_literal: &str) -> (GreyLevels, TextureSettings) {
    let Py::Dict(entries) = parse_py(settings_literal) else { panic!("settings are not a dict") };
    let get = |key: &str| entries.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or(Py::None);
    let num = |key: &str, default: f64| if let Py::Num(n) = get(key) { n } else { default };
    assert_eq!(num("label", 1.0), 1.0, "only label 1 is loaded");

    let mut roi = case_roi(case).clone();
    match get("resegmentRange") {
        Py::None => {}
        Py::List(range) => {
            assert_eq!(get("resegmentMode"), Py::None, "only absolute resegmentation is handled here");
            let bounds: Vec<f64> =
                range.iter().map(|v| if let Py::Num(n) = v { *n } else { f64::NAN }).collect();
            let (low, high) =
                (bounds[0].min(*bounds.last().unwrap()), bounds[0].max(*bounds.last().unwrap()));
            let high = if bounds.len() == 2 { high } else { f64::INFINITY };
            for (m, &v) in roi.mask.iter_mut().zip(&roi.values) {
                *m = *m && v >= low && v <= high;
            }
        }
        other => panic!("unexpected resegmentRange {other:?}"),
    }
    let binning = match get("binCount") {
        Py::Num(n) => Binning::Count(n as u32),
        _ => Binning::Width(num("binWidth", 25.0)),
    };
    let force_2d = get("force2D") == Py::Bool(true);
    let distances = match get("distances") {
        Py::List(d) => d.iter().map(|v| if let Py::Num(n) = v { *n as usize } else { 0 }).collect(),
        _ => vec![1],
    };
    let settings = TextureSettings {
        distances,
        force_2d_axis: force_2d.then(|| 2 - num("force2Ddimension", 0.0) as usize),
        gldm_alpha: num("gldm_a", 0.0),
        spacing_mm: roi.spacing_mm,
        ..TextureSettings::default()
    };
    (discretise(&roi, binning), settings)
}

/// |got − want| relative to |want| (absolute where `want` is 0); 0 when both are NaN.
fn difference(got: f64, want: f64) -> f64 {
    if got.is_nan() && want.is_nan() {
        0.0
    } else if want == 0.0 {
        (got - want).abs() / (ABSOLUTE_TOLERANCE / RELATIVE_TOLERANCE)
    } else {
        ((got - want) / want).abs()
    }
}

type FeatureFn = fn(&GreyLevels, &TextureSettings) -> Result<Vec<(&'static str, f64)>, AngleError>;

/// Compares every feature of every checked column of `baseline_<class>.csv`; returns the worst
/// relative difference.
fn check_features(class: &str, compute: FeatureFn) -> f64 {
    let baseline = read_baseline(class);
    let prefix = format!("original_{class}_");
    let mut reference: Vec<&String> = baseline.rows.keys().filter(|k| k.starts_with(&prefix)).collect();
    reference.sort();
    let (mut worst, mut failures, mut checked) = (0.0f64, Vec::new(), 0);
    for case in CASES {
        for variant in VARIANTS {
            let column = format!("{case}{variant}");
            let c = baseline.columns.iter().position(|x| *x == column).expect("baseline column");
            let (grey, settings) = prepare(case, &baseline.rows["diagnostics_Configuration_Settings"][c]);
            let features = compute(&grey, &settings).expect("valid settings");
            let names: Vec<String> = features.iter().map(|(n, _)| format!("{prefix}{n}")).collect();
            assert_eq!(names.iter().collect::<Vec<_>>(), reference, "{class} feature set of {column}");
            for (name, got) in names.iter().zip(features.iter().map(|f| f.1)) {
                let want: f64 = baseline.rows[name][c].parse().expect("numeric baseline value");
                let d = difference(got, want);
                worst = worst.max(d);
                checked += 1;
                if d > RELATIVE_TOLERANCE {
                    failures.push(format!("{column} {name}: got {got:e}, baseline {want:e}"));
                }
            }
        }
    }
    println!("{class}: {checked} feature values, worst relative difference {worst:e}");
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    worst
}

#[test]
fn glszm_features_match_pyradiomics_baseline() {
    check_features("glszm", glszm_features);
}

#[test]
fn gldm_features_match_pyradiomics_baseline() {
    check_features("gldm", gldm_features);
}

#[test]
fn ngtdm_features_match_pyradiomics_baseline() {
    check_features("ngtdm", ngtdm_features);
}

/// Matrices of the plain configuration (label 1, binWidth 25, distances [1], 3D).
fn plain(case: &str) -> (GreyLevels, TextureSettings) {
    (discretise(case_roi(case), Binning::Width(25.0)), TextureSettings::default())
}

fn reference_matrix(case: &str, class: &str) -> (usize, usize, Vec<f64>) {
    read_npy(&refdata().join(format!("baseline/{case}_{class}.npy")))
}

#[test]
fn glszm_matrices_match_pyradiomics_npy() {
    for case in CASES {
        let (g, s) = plain(case);
        let m = glszm(&g, &s).unwrap();
        let (rows, cols, want) = reference_matrix(case, "glszm");
        assert_eq!((m.grey_levels.len(), m.zone_sizes.len()), (rows, cols), "{case} glszm shape");
        assert_eq!(m.counts, want, "{case} glszm");
    }
}

#[test]
fn gldm_matrices_match_pyradiomics_npy() {
    for case in CASES {
        let (g, s) = plain(case);
        let m = gldm(&g, &s).unwrap();
        let (rows, cols, want) = reference_matrix(case, "gldm");
        assert_eq!((m.grey_levels.len(), m.dependence_sizes.len()), (rows, cols), "{case} gldm shape");
        assert_eq!(m.counts, want, "{case} gldm");
    }
}

#[test]
fn ngtdm_matrices_match_pyradiomics_npy() {
    let mut worst = 0.0f64;
    for case in CASES {
        let (g, s) = plain(case);
        let m = ngtdm(&g, &s).unwrap();
        let (rows, cols, want) = reference_matrix(case, "ngtdm");
        assert_eq!((m.grey_levels.len(), cols), (rows, 3), "{case} ngtdm shape");
        for r in 0..rows {
            assert_eq!(m.counts[r], want[r * 3], "{case} ngtdm n_i, row {r}");
            assert_eq!(f64::from(m.grey_levels[r]), want[r * 3 + 2], "{case} ngtdm grey level, row {r}");
            let d = difference(m.differences[r], want[r * 3 + 1]);
            assert!(d <= 1e-12, "{case} ngtdm s_i, row {r}: {} vs {}", m.differences[r], want[r * 3 + 1]);
            worst = worst.max(d);
        }
    }
    println!("ngtdm matrices: worst relative difference of s_i {worst:e}");
}
