//! PyRadiomics-style batch extraction: a CSV of cases (`Image,Mask[,Label]`, paths relative to the
//! CSV's folder) in, one output row per case out. A failing case gets its message in the `error`
//! column and the batch goes on.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use super::output;
use crate::image;
use crate::radiomics::{self, Settings};

/// Why a batch could not run at all (a failing case is not a batch error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The cases file could not be read or parsed.
    #[error("cannot read cases file {path}: {reason}")]
    Cases {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The cases file lacks the `Image` or `Mask` column.
    #[error("cases file {path} has no '{column}' column (expected Image,Mask[,Label])")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The missing column.
        column: &'static str,
    },
    /// The results file could not be written.
    #[error("cannot write results to {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// One case of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Image path as written in the CSV.
    pub image: String,
    /// Mask path as written in the CSV.
    pub mask: String,
    /// Label override, if the CSV has a `Label` column and the cell is not empty.
    pub label: Option<f64>,
}

/// Reads the cases of a batch CSV.
pub fn read_cases(path: &Path) -> Result<Vec<Case>, BatchError> {
    let fail = |reason: String| BatchError::Cases { path: path.into(), reason };
    let mut reader = csv::Reader::from_path(path).map_err(|e| fail(e.to_string()))?;
    let header = reader.headers().map_err(|e| fail(e.to_string()))?.clone();
    let column = |name: &'static str| header.iter().position(|h| h.trim() == name);
    let image = column("Image").ok_or(BatchError::MissingColumn { path: path.into(), column: "Image" })?;
    let mask = column("Mask").ok_or(BatchError::MissingColumn { path: path.into(), column: "Mask" })?;
    let label = column("Label");
    let mut cases = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| fail(e.to_string()))?;
        let label = match label.and_then(|l| record.get(l)).map(str::trim).filter(|s| !s.is_empty()) {
            Some(text) => Some(
                text.parse()
                    .map_err(|_| fail(format!("row {}: label '{text}' is not a number", line + 2)))?,
            ),
            None => None,
        };
        cases.push(Case {
            image: record.get(image).unwrap_or_default().trim().to_string(),
            mask: record.get(mask).unwrap_or_default().trim().to_string(),
            label,
        });
    }
    Ok(cases)
}

/// Extracts one case on `pool` (none: the calling thread); paths are resolved against `base`.
pub fn run_case(
    case: &Case,
    base: &Path,
    settings: &Settings,
    pool: Option<&rayon::ThreadPool>,
) -> anyhow::Result<radiomics::FeatureVector> {
    let image = image::read(&base.join(&case.image))?;
    let mask = image::read(&base.join(&case.mask))?;
    let mut settings = settings.clone();
    if let Some(label) = case.label {
        settings.label = label;
    }
    Ok(radiomics::extract_parallel(&image, &mask, &settings, pool)?)
}

/// Runs every case of `cases_csv`, each on up to `threads` threads, and writes `out_csv`;
/// `progress` is told after each case. Returns the number of failed cases.
pub fn run(
    cases_csv: &Path,
    out_csv: &Path,
    settings: &Settings,
    threads: NonZeroUsize,
    mut progress: impl FnMut(usize, usize),
) -> Result<usize, BatchError> {
    let cases = read_cases(cases_csv)?;
    let base = cases_csv.parent().unwrap_or(Path::new("."));
    let pool = radiomics::thread_pool(threads);
    let results: Vec<Result<radiomics::FeatureVector, String>> = cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let r = run_case(case, base, settings, pool.as_ref()).map_err(|e| format!("{e:#}"));
            progress(i + 1, cases.len());
            r
        })
        .collect();
    let names: Vec<String> = results
        .iter()
        .find_map(|r| r.as_ref().ok())
        .map(|f| f.entries.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    let write_err = |source: std::io::Error| BatchError::Write { path: out_csv.into(), source };
    let mut w = csv::Writer::from_path(out_csv).map_err(|e| write_err(e.into()))?;
    let mut header = vec!["Image".to_string(), "Mask".into(), "Label".into(), "error".into()];
    header.extend(names.iter().cloned());
    w.write_record(&header).map_err(|e| write_err(e.into()))?;
    let mut failed = 0;
    for (case, result) in cases.iter().zip(&results) {
        let label = case.label.unwrap_or(settings.label).to_string();
        let mut row = vec![case.image.clone(), case.mask.clone(), label];
        match result {
            Ok(features) => {
                row.push(String::new());
                row.extend(names.iter().map(|n| features.get(n).map(output::csv_value).unwrap_or_default()));
            }
            Err(message) => {
                failed += 1;
                row.push(message.clone());
                row.extend(names.iter().map(|_| String::new()));
            }
        }
        w.write_record(&row).map_err(|e| write_err(e.into()))?;
    }
    w.flush().map_err(write_err)?;
    Ok(failed)
}
