//! `radscored features`: one case to stdout, or a PyRadiomics-style batch to a CSV file.
//!
//! Options that would be ignored are refused rather than dropped: `--out` without `--batch`,
//! `--format json` with `--batch` (which writes CSV). Label 0 is the background and is refused as
//! PyRadiomics refuses it. The parameter file is read before the first case, and a batch with
//! failed cases ends with a non-zero exit naming how many failed.

use std::io::{IsTerminal, Write};
use std::num::NonZeroUsize;
use std::path::PathBuf;

use anyhow::Context;

use super::batch;
use super::output::{self, Format};
use crate::image;
use crate::radiomics::{self, params};

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
    /// Label of the region in the mask (overrides the parameter file; not 0, the background).
    #[arg(long, value_parser = parse_label)]
    pub label: Option<f64>,
    /// Output format of a single case (default json); a batch always writes CSV.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Batch mode: a CSV with columns Image,Mask[,Label] and any others, which pass through to
    /// the results (paths relative to the CSV).
    #[arg(long, conflicts_with_all = ["image", "mask"], requires = "out")]
    pub batch: Option<PathBuf>,
    /// Batch results CSV (only with --batch).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Threads per case: the original image and the wavelet sub-bands are computed in parallel.
    /// The features do not depend on it.
    #[arg(long, default_value = "1")]
    pub threads: NonZeroUsize,
}

/// A `--label` value: a finite number other than 0.
fn parse_label(text: &str) -> Result<f64, String> {
    let label: f64 = text.parse().map_err(|_| format!("'{text}' is not a number"))?;
    if label == 0.0 {
        return Err("0 is the background, not a region (PyRadiomics refuses it too)".into());
    }
    if !label.is_finite() {
        return Err(format!("'{text}' is not a finite number"));
    }
    Ok(label)
}

/// Runs `radscored features`.
pub fn run(args: FeaturesArgs) -> anyhow::Result<()> {
    if args.batch.is_none() && args.out.is_some() {
        anyhow::bail!("--out is the results file of --batch; a single case prints to stdout");
    }
    if args.batch.is_some() && args.format == Some(Format::Json) {
        anyhow::bail!("--batch writes CSV; --format json is not available with --batch");
    }
    let mut settings = params::read_or_defaults(args.params.as_deref())?;
    if let Some(label) = args.label {
        settings.label = label;
    }
    if let (Some(cases), Some(out)) = (&args.batch, &args.out) {
        let bar = std::io::stderr().is_terminal().then(|| indicatif::ProgressBar::new(0));
        let outcome = batch::run(cases, out, &settings, args.threads, |done, total| {
            if let Some(bar) = &bar {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
        })?;
        if let Some(bar) = bar {
            bar.finish();
        }
        if outcome.failed > 0 {
            anyhow::bail!(
                "{} of {} cases failed; see the error column of {}",
                outcome.failed,
                outcome.cases,
                out.display()
            );
        }
        return Ok(());
    }
    let (image_path, mask_path) =
        (args.image.expect("clap requires it"), args.mask.expect("clap requires it"));
    let image = image::read(&image_path)?;
    let mask = image::read(&mask_path)?;
    let pool = radiomics::thread_pool(args.threads);
    let features = radiomics::extract_parallel(&image, &mask, &settings, pool.as_ref())
        .with_context(|| format!("{} with {}", image_path.display(), mask_path.display()))?;
    let mut stdout = std::io::stdout().lock();
    output::write(&mut stdout, &features, args.format.unwrap_or(Format::Json))?;
    stdout.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    #[test]
    fn threads_default_to_one_and_zero_is_rejected() {
        let parse = |extra: &[&str]| {
            Cli::try_parse_from(["radscored", "features", "image.nrrd", "mask.nrrd"].iter().chain(extra))
        };
        let Command::Features(args) = parse(&[]).unwrap().command else { panic!("not features") };
        assert_eq!(args.threads.get(), 1);
        let Command::Features(args) = parse(&["--threads", "2"]).unwrap().command else {
            panic!("not features")
        };
        assert_eq!(args.threads.get(), 2);
        let error = parse(&["--threads", "0"]).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation);
        assert!(error.to_string().contains("'0'"), "{error}");
    }

    #[test]
    fn the_background_label_is_refused() {
        let parse = |args: &[&str]| Cli::try_parse_from(["radscored", "features"].iter().chain(args));
        let error = parse(&["i.nrrd", "m.nrrd", "--label", "0"]).unwrap_err();
        assert!(error.to_string().contains("0 is the background"), "{error}");
        let Command::Features(args) = parse(&["i.nrrd", "m.nrrd", "--label", "2"]).unwrap().command else {
            panic!("not features")
        };
        assert_eq!(args.label, Some(2.0));
    }
}
