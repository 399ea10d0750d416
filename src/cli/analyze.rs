//! `radscored analyze`: a study folder (CT series + SEG/RTSTRUCT) in, a JSON report out.

use std::path::PathBuf;

use anyhow::Context;

use crate::analyze::{analyze, AnalyzeOptions};
use crate::model::deep::DeepConfig;
use crate::model::predict::Predictor;
use crate::pseudonym::{default_key_path, SiteKey};
use crate::radiomics::params;
use crate::roi::{MaskKind, RegionRef};

/// Arguments of `radscored analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Folder holding the CT series and its segmentation (searched recursively).
    pub study_dir: PathBuf,
    /// Write the report here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Use the DICOM SEG of the folder (default: SEG if present, else RTSTRUCT).
    #[arg(long, conflicts_with_all = ["rtstruct", "labelmap"])]
    pub seg: bool,
    /// Use the RT Structure Set of the folder.
    #[arg(long, conflicts_with = "labelmap")]
    pub rtstruct: bool,
    /// Use this NRRD/NIfTI label map on the CT grid instead of a DICOM segmentation.
    #[arg(long)]
    pub labelmap: Option<PathBuf>,
    /// Segment / ROI / label to use, by number or by name (default: the only one).
    #[arg(long)]
    pub region: Option<String>,
    /// Peritumoral ring thickness, millimetres.
    #[arg(long, default_value_t = crate::roi::DEFAULT_RING_RADIUS_MM)]
    pub ring_mm: f64,
    /// PyRadiomics parameter file (default: the paper's setting, embedded).
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Model bundle for the ten endpoints' predictions.
    #[arg(long, default_value = "engines/reference")]
    pub bundle: PathBuf,
    /// Skip the model stage (features, ring and patch only).
    #[arg(long)]
    pub no_predict: bool,
    /// Site key file for the pseudonymous study key (created on first use; default
    /// $RADSCORED_SITE_KEY, $STATE_DIRECTORY/site.key or ~/.local/state/radscored/site.key).
    #[arg(long)]
    pub site_key: Option<PathBuf>,
}

/// Runs `radscored analyze`.
pub fn run(args: AnalyzeArgs) -> anyhow::Result<()> {
    if !(args.ring_mm > 0.0 && args.ring_mm.is_finite()) {
        anyhow::bail!("--ring-mm must be a positive number of millimetres, not {}", args.ring_mm);
    }
    let mut options = AnalyzeOptions::paper();
    if let Some(path) = &args.params {
        options.settings = params::read(path)?;
    }
    options.ring_radius_mm = args.ring_mm;
    options.mask.kind = match (&args.labelmap, args.seg, args.rtstruct) {
        (Some(path), _, _) => MaskKind::LabelMap(path.clone()),
        (None, true, _) => MaskKind::Seg,
        (None, false, true) => MaskKind::Rtstruct,
        (None, false, false) => MaskKind::Any,
    };
    options.mask.region = args.region.map(|r| match r.parse::<u32>() {
        Ok(n) => RegionRef::Number(n),
        Err(_) => RegionRef::Name(r),
    });
    let key_path = args.site_key.unwrap_or_else(default_key_path);
    let key = SiteKey::load_or_create(&key_path)?;
    let mut predictor = if args.no_predict {
        None
    } else {
        let search_root = std::env::current_dir()?;
        Some(
            Predictor::load(&args.bundle, &DeepConfig::default(), &search_root)
                .with_context(|| format!("cannot load model bundle {}", args.bundle.display()))?,
        )
    };
    let report = analyze(&args.study_dir, &options, &key, predictor.as_mut())
        .with_context(|| format!("cannot analyze {}", args.study_dir.display()))?;
    let text = serde_json::to_string_pretty(&report)? + "\n";
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(())
}
