//! Command-line interface: the argument grammar (clap) and one module per subcommand, which
//! hands ready values to the library and prints what it returns. No library module sees a flag.

mod analyze;
pub mod batch;
mod bench;
pub mod benchmark;
pub mod environment;
mod evaluate;
mod features;
pub mod output;

use clap::{Parser, Subcommand};

pub use analyze::AnalyzeArgs;
pub use bench::{BenchArgs, BenchModelArgs};
pub use evaluate::{run_evaluate, EvaluateArgs};
pub use features::FeaturesArgs;

/// Deep-RadScore biomarkers for non-small cell lung cancer, beside the CT scanner.
#[derive(Debug, Parser)]
#[command(name = "radscored", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse a study folder: CT series → tumor mask, 3 mm ring, deep patch → 851 features of
    /// tumor and ring, as a JSON report.
    Analyze(AnalyzeArgs),
    /// Compute PyRadiomics-exact radiomic features of a region (or of a batch of cases).
    Features(FeaturesArgs),
    /// Score a labelled test table with one classifier and report AUC (DeLong 95% CI), accuracy,
    /// precision, recall and F1.
    Evaluate(EvaluateArgs),
    /// Time radscored against PyRadiomics on one case, side by side, and print the ratio.
    Bench(BenchArgs),
    /// Time the model stage (deep network, RadScores, ten classifiers) for one study.
    BenchModel(BenchModelArgs),
}

/// Parses the process arguments and runs the chosen subcommand.
pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Features(args) => features::run(args),
        Command::Evaluate(args) => {
            run_evaluate(&args, &mut std::io::stdout().lock(), &mut std::io::stderr().lock())
        }
        Command::Bench(args) => bench::run(args),
        Command::BenchModel(args) => bench::run_model(args),
    }
}
