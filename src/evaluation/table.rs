//! Labelled feature tables: the test-set CSV that `radscored evaluate` scores.
//!
//! Layout, as in `shared/refdata/deepradscore/test/`: a header `index,disease,<features…>`, then
//! one row per case. `index` is kept as text (in some of the paper's sheets it is a row number, in
//! others 0 on every row; it is not a patient ID). `disease` is the label, `0` or `1`. The feature
//! columns must carry exactly the model's feature names, in the model's order, so that a table
//! can never be scored with its columns swapped.

use std::path::{Path, PathBuf};

/// Name of the first column, the case identifier kept as text.
pub const INDEX_COLUMN: &str = "index";
/// Name of the second column, the 0/1 label.
pub const LABEL_COLUMN: &str = "disease";

/// Why a labelled table could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// The file could not be opened or is not well-formed CSV (including rows whose number of
    /// fields differs from the header's).
    #[error("could not read table {path}")]
    Csv {
        /// The table file.
        path: PathBuf,
        /// The CSV reader's failure.
        #[source]
        source: csv::Error,
    },
    /// The header is not `index,disease,` followed by the model's feature names in order.
    #[error(
        "table {path}: header is {found:?}, expected {expected:?} (index, disease, then the model's features in order)"
    )]
    Header {
        /// The table file.
        path: PathBuf,
        /// The header the model requires.
        expected: Vec<String>,
        /// The header found.
        found: Vec<String>,
    },
    /// A `disease` cell is not `0` or `1`.
    #[error("table {path}, line {line}: disease label {value:?} is not 0 or 1")]
    Label {
        /// The table file.
        path: PathBuf,
        /// 1-based line number in the file.
        line: u64,
        /// The cell's text.
        value: String,
    },
    /// A feature cell is not a number.
    #[error("table {path}, line {line}: column {column} holds {value:?}, which is not a number")]
    Number {
        /// The table file.
        path: PathBuf,
        /// 1-based line number in the file.
        line: u64,
        /// Name of the column.
        column: String,
        /// The cell's text.
        value: String,
    },
    /// The table has a header but no rows.
    #[error("table {path} has no rows")]
    Empty {
        /// The table file.
        path: PathBuf,
    },
}

/// One labelled case of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledRow {
    /// The `index` cell, verbatim.
    pub index: String,
    /// The `disease` label: `true` for 1.
    pub disease: bool,
    /// The feature values, in the model's feature order.
    pub features: Vec<f64>,
}

/// A labelled feature table whose columns match a model's features.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledTable {
    /// The rows, in file order.
    pub rows: Vec<LabelledRow>,
}

impl LabelledTable {
    /// Reads a CSV table whose header must be `index,disease,` followed by exactly
    /// `feature_names` in order.
    ///
    /// Numbers are parsed as Rust's `f64` parser does (correctly rounded, so the Python `repr`
    /// floats of the reference sheets round-trip exactly); surrounding spaces are ignored.
    pub fn read_csv(path: impl AsRef<Path>, feature_names: &[String]) -> Result<Self, TableError> {
        let path = path.as_ref();
        let csv_error = |source| TableError::Csv { path: path.to_owned(), source };
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(path).map_err(csv_error)?;
        let found: Vec<String> = reader.headers().map_err(csv_error)?.iter().map(str::to_owned).collect();
        let expected: Vec<String> = [INDEX_COLUMN, LABEL_COLUMN]
            .into_iter()
            .map(str::to_owned)
            .chain(feature_names.iter().cloned())
            .collect();
        if found != expected {
            return Err(TableError::Header { path: path.to_owned(), expected, found });
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(csv_error)?;
            let line = record.position().map_or(0, |p| p.line());
            let disease = match &record[1] {
                "0" => false,
                "1" => true,
                other => {
                    return Err(TableError::Label { path: path.to_owned(), line, value: other.to_owned() })
                }
            };
            let features = record
                .iter()
                .skip(2)
                .zip(feature_names)
                .map(|(cell, column)| {
                    cell.parse::<f64>().map_err(|_| TableError::Number {
                        path: path.to_owned(),
                        line,
                        column: column.clone(),
                        value: cell.to_owned(),
                    })
                })
                .collect::<Result<Vec<f64>, TableError>>()?;
            rows.push(LabelledRow { index: record[0].to_owned(), disease, features });
        }
        if rows.is_empty() {
            return Err(TableError::Empty { path: path.to_owned() });
        }
        Ok(Self { rows })
    }

    /// The labels, in row order.
    pub fn labels(&self) -> Vec<bool> {
        self.rows.iter().map(|r| r.disease).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn write(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn reads_rows_in_order() {
        let f = write("index,disease,a,b\n7,1,0.5,-2\n0,0,1e-3, 4.25\n");
        let t = LabelledTable::read_csv(f.path(), &names(&["a", "b"])).unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].index, "7");
        assert_eq!(t.rows[1].features, vec![1e-3, 4.25]);
        assert_eq!(t.labels(), vec![true, false]);
    }

    #[test]
    fn swapped_columns_are_a_header_error() {
        let f = write("index,disease,b,a\n0,1,1,2\n");
        let err = LabelledTable::read_csv(f.path(), &names(&["a", "b"])).unwrap_err();
        assert!(matches!(err, TableError::Header { .. }));
        assert!(err.to_string().contains(r#"["index", "disease", "b", "a"]"#), "{err}");
    }

    #[test]
    fn bad_cells_name_line_and_value() {
        let f = write("index,disease,a\n0,1,2\n1,2,3\n");
        let err = LabelledTable::read_csv(f.path(), &names(&["a"])).unwrap_err();
        assert!(err.to_string().ends_with("line 3: disease label \"2\" is not 0 or 1"), "{err}");
        let f = write("index,disease,a\n0,1,x1\n");
        let err = LabelledTable::read_csv(f.path(), &names(&["a"])).unwrap_err();
        assert!(err.to_string().ends_with("line 2: column a holds \"x1\", which is not a number"), "{err}");
    }

    #[test]
    fn ragged_rows_and_empty_tables_are_rejected() {
        let f = write("index,disease,a\n0,1\n");
        let err = LabelledTable::read_csv(f.path(), &names(&["a"])).unwrap_err();
        assert!(matches!(err, TableError::Csv { .. }), "{err}");
        let f = write("index,disease,a\n");
        let err = LabelledTable::read_csv(f.path(), &names(&["a"])).unwrap_err();
        assert!(matches!(err, TableError::Empty { .. }), "{err}");
    }
}
