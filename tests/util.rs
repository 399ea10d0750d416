//! Helpers shared by the integration tests.

use std::collections::HashMap;
use std::path::PathBuf;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

    /// The feature rows (`original_<class>_<Feature>`) of a column with their values.
    pub fn features(&self, column: &str) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = self
            .rows
            .iter()
            .filter(|(name, _)| name.starts_with("original_"))
            .map(|(name, cells)| {
                let text = &cells[column];
                let value = text
                    .parse::<f64>()
                    .unwrap_or_else(|_| panic!("{name}/{column}: '{text}' is not a number"));
                (name.clone(), value)
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
