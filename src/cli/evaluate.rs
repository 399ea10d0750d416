//! `radscored evaluate`: scores a labelled test table, prints `index,disease,proba` CSV rows on
//! stdout, then a summary block of `# `-prefixed lines (AUC with DeLong 95% CI, accuracy,
//! precision, recall, F1, n), which CSV readers that skip comment lines ignore.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Context;

use crate::evaluation::evaluate::{evaluate, Evaluation};
use crate::evaluation::roc_plot::write_roc_png;
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
    /// Also draw the ROC curve into this PNG file.
    #[arg(long, value_name = "roc.png")]
    pub roc: Option<PathBuf>,
}

/// `radscored evaluate`: writes the per-row probabilities and the summary to `out`.
pub fn run_evaluate(args: &EvaluateArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let model = Classifier::from_json_file(&args.classifier)?;
    let table = LabelledTable::read_csv(&args.table, model.features())?;
    let evaluation = evaluate(&model, &table).with_context(|| {
        format!("could not evaluate {} on {}", args.classifier.display(), args.table.display())
    })?;
    writeln!(out, "index,disease,proba")?;
    for (row, p) in table.rows.iter().zip(&evaluation.probabilities) {
        writeln!(out, "{},{},{p}", row.index, u8::from(row.disease))?;
    }
    write_summary(out, &model, &evaluation)?;
    if let Some(path) = &args.roc {
        write_roc_png(path, &evaluation.roc, Some(&evaluation.delong))?;
    }
    Ok(())
}

/// The summary block: a blank line, then `# key: value` lines.
fn write_summary(out: &mut impl Write, model: &ClassifierModel, e: &Evaluation) -> io::Result<()> {
    let t = &e.threshold;
    let c = &t.confusion;
    writeln!(out)?;
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
        "# threshold: class 1 when proba > {DECISION_THRESHOLD} (tp {}, fp {}, tn {}, fn {})",
        c.true_positives, c.false_positives, c.true_negatives, c.false_negatives
    )?;
    writeln!(out, "# accuracy: {:.6}", t.accuracy)?;
    writeln!(out, "# precision: {:.6}", t.precision)?;
    writeln!(out, "# recall: {:.6}", t.recall)?;
    writeln!(out, "# f1: {:.6}", t.f1)?;
    Ok(())
}
