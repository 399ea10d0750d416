//! Command-line interface: argument parsing only; each subcommand hands ready values to the
//! library and prints what it returns.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::output::{self, Format};
use crate::radiomics::{self, params, Settings};
use crate::{batch, image};

/// Deep-RadScore biomarkers for non-small cell lung cancer, beside the CT scanner.
#[derive(Debug, Parser)]
#[command(name = "radscored", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute PyRadiomics-exact radiomic features of a region (or of a batch of cases).
    Features(FeaturesArgs),
    /// Time radscored against PyRadiomics on one case, side by side, and print the ratio.
    Bench(BenchArgs),
}

/// Arguments of `radscored bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Image file (NRRD or NIfTI).
    pub image: PathBuf,
    /// Label map.
    pub mask: PathBuf,
    /// PyRadiomics parameter file used by both tools.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Timed runs per tool (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Python with PyRadiomics installed.
    #[arg(long, default_value = ".venv-ref/bin/python")]
    pub python: PathBuf,
    /// Name printed in the result line.
    #[arg(long, default_value = "case")]
    pub name: String,
}

/// Arguments of `radscored features`.
#[derive(Debug, clap::Args)]
pub struct FeaturesArgs {
    /// Image file (NRRD or NIfTI).
    #[arg(required_unless_present = "batch")]
    pub image: Option<PathBuf>,
    /// Label map on the image's grid (NRRD or NIfTI).
    #[arg(required_unless_present = "batch")]
    pub mask: Option<PathBuf>,
    /// PyRadiomics parameter file (YAML/JSON); PyRadiomics defaults without it.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Label of the region in the mask (overrides the parameter file).
    #[arg(long)]
    pub label: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Batch mode: a CSV with columns Image,Mask[,Label] (paths relative to the CSV).
    #[arg(long, conflicts_with_all = ["image", "mask"], requires = "out")]
    pub batch: Option<PathBuf>,
    /// Batch results CSV.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Parses the command line and runs it.
pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Features(args) => features(args),
        Command::Bench(args) => bench(args),
    }
}

fn bench(args: BenchArgs) -> anyhow::Result<()> {
    let settings = match &args.params {
        Some(path) => params::read(path)?,
        None => Settings::default(),
    };
    let plan = crate::bench::BenchPlan {
        image: args.image,
        mask: args.mask,
        params: args.params,
        repeat: args.repeat,
        python: args.python,
    };
    let r = crate::bench::run(&plan, &settings)?;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    println!(
        "{}: {} features (PyRadiomics {}); radscored {:.2} ms in process, {:.2} ms whole process; \
         PyRadiomics {:.1} ms; ratio {:.1}x; reading the original file alone {:.2} ms",
        args.name,
        r.features,
        r.peer_features,
        ms(r.ours),
        ms(r.ours_process),
        ms(r.peer),
        r.ratio(),
        ms(r.read_original)
    );
    Ok(())
}

fn features(args: FeaturesArgs) -> anyhow::Result<()> {
    let mut settings = match &args.params {
        Some(path) => params::read(path)?,
        None => Settings::default(),
    };
    if let Some(label) = args.label {
        settings.label = label;
    }
    if let (Some(cases), Some(out)) = (&args.batch, &args.out) {
        let bar = std::io::stderr().is_terminal().then(|| indicatif::ProgressBar::new(0));
        let failed = batch::run(cases, out, &settings, |done, total| {
            if let Some(bar) = &bar {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
        })?;
        if let Some(bar) = bar {
            bar.finish();
        }
        if failed > 0 {
            eprintln!("{failed} case(s) failed; see the error column of {}", out.display());
        }
        return Ok(());
    }
    let (image_path, mask_path) =
        (args.image.expect("clap requires it"), args.mask.expect("clap requires it"));
    let image = image::read(&image_path)?;
    let mask = image::read(&mask_path)?;
    let features = radiomics::extract(&image, &mask, &settings)
        .with_context(|| format!("{} with {}", image_path.display(), mask_path.display()))?;
    let mut stdout = std::io::stdout().lock();
    output::write(&mut stdout, &features, args.format)?;
    stdout.flush()?;
    Ok(())
}
