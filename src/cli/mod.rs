//! Command-line interface: the argument grammar (clap) and one module per subcommand, which
//! hands ready values to the library and prints what it returns. No library module sees a flag.

mod analyze;
pub mod batch;
mod bench;
pub mod benchmark;
mod demo;
pub mod environment;
mod evaluate;
mod features;
mod gpu_check;
pub mod output;
mod prepare;
mod send;
mod serve;
mod status;

use clap::{Parser, Subcommand};

pub use analyze::AnalyzeArgs;
pub use bench::{BenchArgs, BenchModelArgs};
pub use evaluate::{run_evaluate, EvaluateArgs};
pub use features::FeaturesArgs;
pub use gpu_check::{GpuCheckArgs, NO_DEVICE_EXIT};
pub use send::SendArgs;

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
    /// Send DICOM files to a storage SCP (PACS) by C-STORE: `send HOST PORT FILE|DIR...`.
    Send(SendArgs),
    /// Run the appliance daemon: DICOM C-STORE and drop-folder intake, analysis, MQTT.
    Serve(serve::ServeArgs),
    /// Load the configured model as the daemon does, building the TensorRT engines it caches, and
    /// run every network once (`scripts/install.sh` runs it at install).
    Prepare(prepare::PrepareArgs),
    /// Show the appliance's queue, recent studies and quarantine from its spool.
    Status(status::StatusArgs),
    /// Start the daemon on embedded defaults, send it the bundled sample study and print the
    /// console's alert and result.
    Demo(demo::DemoArgs),
    /// Compare the CUDA backend with the CPU (masks, matrices, features) and time both; exits 3
    /// when there is no CUDA device.
    GpuCheck(GpuCheckArgs),
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
        Command::Send(args) => send::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Prepare(args) => prepare::run(args),
        Command::Status(args) => status::run(args),
        Command::Demo(args) => demo::run(args),
        Command::GpuCheck(args) => gpu_check::run(args),
    }
}
