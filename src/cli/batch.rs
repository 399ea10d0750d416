//! PyRadiomics-style batch extraction: a CSV of cases (`Image,Mask[,Label]` and any other columns,
//! paths relative to the CSV's folder) in, one output row per case out. As in PyRadiomics' batch
//! script, every input column passes through to the output in its order (patient or case IDs
//! included); then `Label` (when the input has none), `error` and the features. A failing case gets
//! its message in the `error` column and the batch goes on; the caller learns how many failed.
//! The cases file is read and checked whole before the first case runs.

use anyhow::Context;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use super::output;
use crate::image::{self, Geometry, Image, Voxels};
use crate::radiomics::{self, ExtractError, Settings};

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
    /// A case names label 0, the background, which PyRadiomics refuses as a region.
    #[error("cases file {path}, row {row}: label 0 is the background, not a region")]
    BackgroundLabel {
        /// The file.
        path: PathBuf,
        /// 1-based line number in the file (the header is line 1).
        row: usize,
    },
    /// The parameter file enables a feature that does not exist.
    #[error("the parameter file enables an unknown feature")]
    Settings(#[source] ExtractError),
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
    /// Every cell of the input row, in the input's column order (passed through to the output).
    pub cells: Vec<String>,
}

/// The cases of a batch CSV with its header.
#[derive(Debug, Clone, PartialEq)]
pub struct Cases {
    /// The input's column names, in order.
    pub columns: Vec<String>,
    /// Position of the `Label` column, if any.
    pub label_column: Option<usize>,
    /// One case per row.
    pub cases: Vec<Case>,
}

/// Reads the cases of a batch CSV.
pub fn read_cases(path: &Path) -> Result<Cases, BatchError> {
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
        if label == Some(0.0) {
            return Err(BatchError::BackgroundLabel { path: path.into(), row: line + 2 });
        }
        cases.push(Case {
            image: record.get(image).unwrap_or_default().trim().to_string(),
            mask: record.get(mask).unwrap_or_default().trim().to_string(),
            label,
            cells: record.iter().map(str::to_string).collect(),
        });
    }
    Ok(Cases { columns: header.iter().map(str::to_string).collect(), label_column: label, cases })
}

/// Extracts one case on `pool` (none: the calling thread); paths are resolved against `base`.
pub fn run_case(
    case: &Case,
    base: &Path,
    settings: &Settings,
    pool: Option<&rayon::ThreadPool>,
) -> anyhow::Result<radiomics::FeatureVector> {
    let image = image::read(&base.join(&case.image)).with_context(|| format!("image {}", case.image))?;
    let mask = image::read(&base.join(&case.mask)).with_context(|| format!("mask {}", case.mask))?;
    let mut settings = settings.clone();
    if let Some(label) = case.label {
        settings.label = label;
    }
    Ok(radiomics::extract_parallel(&image, &mask, &settings, pool)?)
}

/// Side of the synthetic cube [`check_feature_names`] extracts from, in voxels.
const PROBE_SIDE: usize = 8;

/// Refuses settings that name a feature no class has, before any case runs: the features are
/// extracted once from a small synthetic image (a ramp with a cube of `settings.label` inside),
/// and only an unknown-feature error counts (anything else the probe meets is a property of the
/// probe, not of the settings).
pub fn check_feature_names(settings: &Settings) -> Result<(), BatchError> {
    let n = PROBE_SIDE;
    let geometry = Geometry {
        size: [n; 3],
        origin_mm: [0.0; 3],
        spacing_mm: [1.0; 3],
        direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    };
    let values: Vec<f64> = (0..n * n * n).map(|v| ((v * 37) % 101) as f64).collect();
    let inside = |c: usize| (2..n - 2).contains(&c);
    let mask: Vec<f64> = (0..n * n * n)
        .map(|v| if inside(v % n) && inside(v / n % n) && inside(v / (n * n)) { settings.label } else { 0.0 })
        .collect();
    let image = Image { geometry, voxels: Voxels::F64(values.into()) };
    let mask = Image { geometry, voxels: Voxels::F64(mask.into()) };
    match radiomics::extract(&image, &mask, settings) {
        Err(error @ ExtractError::UnknownFeature { .. }) => Err(BatchError::Settings(error)),
        _ => Ok(()),
    }
}

/// How a batch went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Cases in the file.
    pub cases: usize,
    /// Cases that failed (their message is in the `error` column).
    pub failed: usize,
}

/// Runs every case of `cases_csv`, each on up to `threads` threads, and writes `out_csv`;
/// `progress` is told after each case.
pub fn run(
    cases_csv: &Path,
    out_csv: &Path,
    settings: &Settings,
    threads: NonZeroUsize,
    mut progress: impl FnMut(usize, usize),
) -> Result<BatchOutcome, BatchError> {
    let Cases { columns, label_column, cases } = read_cases(cases_csv)?;
    check_feature_names(settings)?;
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
    let mut header = columns.clone();
    if label_column.is_none() {
        header.push("Label".into());
    }
    header.push("error".into());
    header.extend(names.iter().cloned());
    w.write_record(&header).map_err(|e| write_err(e.into()))?;
    let mut failed = 0;
    for (case, result) in cases.iter().zip(&results) {
        // The label the case ran with: its own cell, else the settings' (written into an empty
        // Label cell, or into the added Label column).
        let label = case.label.unwrap_or(settings.label).to_string();
        let mut row = case.cells.clone();
        row.resize(columns.len(), String::new());
        match label_column {
            Some(at) => row[at] = label,
            None => row.push(label),
        }
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
    Ok(BatchOutcome { cases: cases.len(), failed })
}
