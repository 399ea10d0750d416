//! `radscored bench`: radscored and PyRadiomics side by side on one case.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use crate::pseudonym::SiteKey;
use crate::radiomics::params;
use crate::roi::MaskSelector;
use crate::study::{AnalyzeOptions, Analyzer};

/// Arguments of `radscored bench-model`.
#[derive(Debug, clap::Args)]
pub struct BenchModelArgs {
    /// Study folder (CT series + segmentation).
    pub study_dir: PathBuf,
    /// Model bundle (default: the installed reference bundle).
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Timed runs (the median is reported).
    #[arg(long, default_value_t = 20)]
    pub repeat: usize,
}

/// Runs `radscored bench-model`.
pub fn run_model(args: BenchModelArgs) -> anyhow::Result<()> {
    let predictor = super::analyze::load_predictor(args.bundle.as_deref())?;
    let providers = predictor.providers().join(", ");
    let options = AnalyzeOptions::for_bundle(predictor.bundle(), MaskSelector::default());
    let key = SiteKey::load_or_create(&super::environment::site_key_path())?;
    let analyzer = Analyzer::new(options, key, Some(predictor), None)?;
    let (median, endpoints) = super::benchmark::run_model(&args.study_dir, &analyzer, args.repeat)?;
    println!(
        "model stage: {endpoints} endpoints in {:.2} ms (median of {}; providers {providers})",
        median.as_secs_f64() * 1e3,
        args.repeat
    );
    Ok(())
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
    /// Python with PyRadiomics installed (default: $RADSCORED_PYTHON, else the install root's
    /// .venv-ref/bin/python).
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Name printed in the result line.
    #[arg(long, default_value = "case")]
    pub name: String,
    /// Threads radscored may use per extraction (PyRadiomics runs on one either way).
    #[arg(long, default_value = "1")]
    pub threads: NonZeroUsize,
}

/// Runs `radscored bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let settings = params::read_or_defaults(args.params.as_deref())?;
    let plan = super::benchmark::BenchPlan {
        image: args.image,
        mask: args.mask,
        params: args.params,
        repeat: args.repeat,
        python: args.python.unwrap_or_else(super::environment::peer_python),
        threads: args.threads,
    };
    let r = super::benchmark::run(&plan, &settings)?;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    println!(
        "{}: {} features (PyRadiomics {}); radscored ({} thread(s)) {:.2} ms in process, {:.2} ms \
         whole process (peak memory {:.1} MB); PyRadiomics {:.1} ms; ratio {:.1}x in process, {:.1}x \
         whole process; reading the original file alone {:.2} ms",
        args.name,
        r.features,
        r.peer_features,
        args.threads,
        ms(r.ours),
        ms(r.ours_process),
        r.ours_process_peak_kib as f64 * 1024.0 / 1e6,
        ms(r.peer),
        r.ratio(),
        r.process_ratio(),
        ms(r.read_original)
    );
    Ok(())
}
