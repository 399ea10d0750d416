//! Writing feature vectors: one flat JSON object, or CSV with a header row of feature names.
//! Values PyRadiomics leaves undefined (NaN) are written as JSON `null` / an empty CSV cell.

use std::io::Write;

use serde_json::{Number, Value};

use crate::radiomics::FeatureVector;
use crate::study::features_json;

/// Output formats of `radscored features`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object `{"original_shape_Elongation": 0.73, ...}`.
    Json,
    /// A header row of feature names and one row of values.
    Csv,
}

/// Formats one value for CSV: shortest round-trip text, empty when undefined.
pub fn csv_value(v: f64) -> String {
    if v.is_finite() {
        Number::from_f64(v).map(|n| n.to_string()).unwrap_or_default()
    } else {
        String::new()
    }
}

/// Writes the features in `format`.
pub fn write(out: &mut dyn Write, features: &FeatureVector, format: Format) -> std::io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &Value::Object(features_json(features)))?;
            writeln!(out)
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(features.entries.iter().map(|(n, _)| n.as_str()))?;
            w.write_record(features.entries.iter().map(|(_, v)| csv_value(*v)))?;
            w.flush()
        }
    }
}
