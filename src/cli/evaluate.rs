//! `radscored evaluate`: scores a labelled test table and prints pure CSV on stdout
//! (`index,disease,proba`, probabilities at full precision); the summary (AUC with DeLong 95% CI,
//! accuracy, precision, recall, F1, n) goes to stderr as `# `-prefixed lines, so that stdout can be
//! piped into any CSV reader. `--roc` draws the ROC curve in the format its extension names
//! (`.png`); other extensions are refused before anything is computed.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Context;

use crate::evaluation::evaluate::{evaluate, Evaluation};
use crate::evaluation::roc_plot::{write_roc_png, RocLabels};
use crate::evaluation::table::LabelledTable;
use crate::model::classifier::DECISION_THRESHOLD;
use crate::model::{Classifier, ClassifierModel};

/// Arguments of `radscored evaluate`.
#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// Classifier model file (JSON schema of shared/refdata/deepradscore).
    #[arg(long, value_name = "MODEL.json")]
    pub classifier: PathBuf,
    /// Labelled test table: CSV with header index,disease,<the model's features in order>.
    #[arg(long, value_name = "TEST.csv")]
    pub table: PathBuf,
    /// Also draw the ROC curve into this file; its extension names the format (.png).
    #[arg(long, value_name = "roc.png")]
    pub roc: Option<PathBuf>,
}

/// `radscored evaluate`: writes the per-row probabilities to `out` and the summary to `summary`.
pub fn run_evaluate(
    args: &EvaluateArgs,
    out: &mut impl Write,
    summary: &mut impl Write,
) -> anyhow::Result<()> {
    if let Some(path) = &args.roc {
        let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        if extension.as_deref() != Some("png") {
            anyhow::bail!("--roc {}: the ROC curve is written as PNG; name the file *.png", path.display());
        }
    }
    let model = Classifier::from_json_file(&args.classifier)
        .with_context(|| format!("classifier {}", args.classifier.display()))?;
    let table = LabelledTable::read_csv(&args.table, model.features())
        .with_context(|| format!("table {}", args.table.display()))?;
    let evaluation = evaluate(&model, &table).with_context(|| {
        format!("could not evaluate {} on {}", args.classifier.display(), args.table.display())
    })?;
    writeln!(out, "index,disease,proba")?;
    for (row, p) in table.rows.iter().zip(&evaluation.probabilities) {
        writeln!(out, "{},{},{p}", row.index, u8::from(row.disease))?;
    }
    write_summary(summary, &model, &evaluation)?;
    if let Some(path) = &args.roc {
        write_roc_png(path, &evaluation.roc, &roc_labels(&model, &evaluation))?;
    }
    Ok(())
}

/// The operating point at the decision threshold: (false positive rate, true positive rate).
fn operating_point(e: &Evaluation) -> (f64, f64) {
    let c = &e.threshold.confusion;
    let rate = |hits: usize, total: usize| hits as f64 / total as f64;
    (
        rate(c.false_positives, c.false_positives + c.true_negatives),
        rate(c.true_positives, c.true_positives + c.false_negatives),
    )
}

/// The ROC figure's title: model (endpoint, feature set, classifier type), AUC with its interval,
/// n positive/negative and the operating point.
fn roc_labels(model: &ClassifierModel, e: &Evaluation) -> RocLabels {
    let (fpr, tpr) = operating_point(e);
    RocLabels {
        title: vec![
            format!("{} {} {}", model.endpoint(), model.feature_set(), model.classifier().type_name()),
            RocLabels::auc_line(&e.delong),
            format!(
                "N {} POS/{} NEG, P>{DECISION_THRESHOLD}: TPR {tpr:.3} FPR {fpr:.3}",
                e.positives, e.negatives
            ),
        ],
        operating_point: Some((fpr, tpr)),
    }
}

/// The summary block: `# key: value` lines.
fn write_summary(out: &mut impl Write, model: &ClassifierModel, e: &Evaluation) -> io::Result<()> {
    let t = &e.threshold;
    let c = &t.confusion;
    let (fpr, tpr) = operating_point(e);
    writeln!(
        out,
        "# model: {} {} ({})",
        model.endpoint(),
        model.feature_set(),
        model.classifier().type_name()
    )?;
    writeln!(out, "# n: {} ({} positive, {} negative)", e.positives + e.negatives, e.positives, e.negatives)?;
    writeln!(out, "# auc: {:.6} (DeLong 95% CI {:.6} to {:.6})", e.auc, e.delong.lower, e.delong.upper)?;
    writeln!(
        out,
        "# threshold: class 1 when proba > {DECISION_THRESHOLD} (tp {}, fp {}, tn {}, fn {}; tpr {tpr:.6}, fpr {fpr:.6})",
        c.true_positives, c.false_positives, c.true_negatives, c.false_negatives
    )?;
    writeln!(out, "# accuracy: {:.6}", t.accuracy)?;
    writeln!(out, "# precision: {:.6}", t.precision)?;
    writeln!(out, "# recall: {:.6}", t.recall)?;
    writeln!(out, "# f1: {:.6}", t.f1)?;
    Ok(())
}
