//! Scoring a labelled test table with one classifier and summarising the result with the paper's
//! statistics (AUC with DeLong 95% CI, accuracy, precision, recall, F1); the engine behind
//! `radscored evaluate`.

use super::metrics::{self, DelongAuc, MetricsError, RocPoint, ThresholdMetrics};
use super::table::LabelledTable;
use crate::model::classifier::{ClassifierError, ClassifierModel};

/// Why a table could not be evaluated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvaluateError {
    /// The classifier rejected a row (e.g. a NaN or infinite feature value).
    #[error("could not score table row {row} (index {index})")]
    Row {
        /// 1-based row number, not counting the header.
        row: usize,
        /// The row's `index` cell.
        index: String,
        /// The classifier's reason.
        #[source]
        source: ClassifierError,
    },
    /// A statistic is undefined for these labels (e.g. only one class present).
    #[error("could not compute the test statistics")]
    Metrics(#[from] MetricsError),
}

/// The probabilities and statistics of one classifier on one labelled table.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// P(class 1) for each table row, in row order.
    pub probabilities: Vec<f64>,
    /// Number of rows labelled 1.
    pub positives: usize,
    /// Number of rows labelled 0.
    pub negatives: usize,
    /// ROC AUC as sklearn's `roc_auc_score` computes it (trapezoidal rule).
    pub auc: f64,
    /// DeLong variance and 95% interval of the AUC.
    pub delong: DelongAuc,
    /// Accuracy, precision, recall, F1 at the 0.5 threshold.
    pub threshold: ThresholdMetrics,
    /// The ROC curve, for plotting.
    pub roc: Vec<RocPoint>,
}

/// Scores every row of `table` with `model` and computes the statistics. The table's columns must
/// already match the model's features ([`LabelledTable::read_csv`] checks the header).
pub fn evaluate(model: &ClassifierModel, table: &LabelledTable) -> Result<Evaluation, EvaluateError> {
    let probabilities = table
        .rows
        .iter()
        .enumerate()
        .map(|(k, row)| {
            model.predict_proba(&row.features).map_err(|source| EvaluateError::Row {
                row: k + 1,
                index: row.index.clone(),
                source,
            })
        })
        .collect::<Result<Vec<f64>, EvaluateError>>()?;
    let labels = table.labels();
    let positives = labels.iter().filter(|&&l| l).count();
    Ok(Evaluation {
        positives,
        negatives: labels.len() - positives,
        auc: metrics::roc_auc(&labels, &probabilities)?,
        delong: metrics::delong_auc(&labels, &probabilities)?,
        threshold: metrics::threshold_metrics(&labels, &probabilities)?,
        roc: metrics::roc_curve(&labels, &probabilities)?,
        probabilities,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::model::Classifier;

    fn temp_file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    /// p1 = sigmoid(2·a) over one feature `a`.
    fn model() -> ClassifierModel {
        let f = temp_file(
            r#"{"schema_version": 1, "endpoint": "T4", "feature_set": "demo", "features": ["a"],
                "classes": [0, 1], "classifier": {"type": "lda", "coef": [2.0], "intercept": 0.0}}"#,
        );
        Classifier::from_json_file(f.path()).unwrap()
    }

    fn table(csv: &str) -> LabelledTable {
        let f = temp_file(csv);
        LabelledTable::read_csv(f.path(), &["a".to_owned()]).unwrap()
    }

    #[test]
    fn scores_rows_in_order() {
        let e = evaluate(&model(), &table("index,disease,a\n0,0,-1\n1,1,0.5\n2,0,0\n3,1,2\n")).unwrap();
        assert_eq!(e.probabilities[2], 0.5);
        assert_eq!((e.positives, e.negatives, e.auc), (2, 2, 1.0));
        assert_eq!(e.threshold.accuracy, 1.0);
    }

    #[test]
    fn non_finite_feature_names_the_row() {
        let err = evaluate(&model(), &table("index,disease,a\n0,0,1\n17,1,nan\n")).unwrap_err();
        assert!(matches!(&err, EvaluateError::Row { row: 2, index, .. } if index == "17"));
        assert_eq!(err.to_string(), "could not score table row 2 (index 17)");
    }

    #[test]
    fn a_single_class_has_no_auc() {
        let err = evaluate(&model(), &table("index,disease,a\n0,1,1\n1,1,2\n")).unwrap_err();
        assert!(matches!(
            err,
            EvaluateError::Metrics(MetricsError::MissingClass { positives: 2, negatives: 0 })
        ));
    }
}
