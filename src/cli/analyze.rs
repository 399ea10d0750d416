//! `radscored analyze`: a study folder (CT series + SEG/RTSTRUCT) in, a report out: a short
//! summary for a person at a terminal, or the JSON report (`--format json`, `--out FILE`); with
//! a model bundle also the DICOM results (`--dicom-out DIR`: structured report and key image)
//! and the key image as PNG (`--png FILE`).
//!
//! With a model bundle the extraction settings are the bundle's; `--params` and `--ring-mm` are
//! accepted only when they equal them (they are free with `--no-predict`).

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::environment;
use crate::export::{self, Algorithm};
use crate::ingest::SeriesPolicy;
use crate::model::predict::Predictor;
use crate::pseudonym::SiteKey;
use crate::radiomics::{self, params};
use crate::roi::{MaskKind, MaskSelector, RegionRef};
use crate::study::{AnalyzeOptions, Analyzer, Extraction, StudyInput};

/// What `analyze` prints when it writes to the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// A few lines: regions, one line per endpoint.
    Summary,
    /// The whole report as JSON.
    Json,
}

/// Arguments of `radscored analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Folder holding the CT series and its segmentation (searched recursively).
    pub study_dir: PathBuf,
    /// Write the JSON report here instead of printing to stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// What to print on stdout (without --out).
    #[arg(long, value_enum, default_value = "summary")]
    pub format: ReportFormat,
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
    /// The SEG or RTSTRUCT file to use, by its path inside the study folder (default: the only
    /// one that qualifies).
    #[arg(long, conflicts_with = "labelmap")]
    pub segmentation: Option<PathBuf>,
    /// Analyse a CT series of DERIVED images (reformats, reconstructions), refused by default.
    #[arg(long)]
    pub accept_derived: bool,
    /// Peritumoral ring thickness, millimetres (default: the bundle's; 3 with --no-predict).
    #[arg(long)]
    pub ring_mm: Option<f64>,
    /// PyRadiomics parameter file (default: the bundle's; the paper's with --no-predict).
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Model bundle for the ten endpoints' predictions (default: the installed reference bundle).
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Skip the model stage (features, ring and patch only).
    #[arg(long)]
    pub no_predict: bool,
    /// Site key file for the pseudonymous study key (created on first use; default
    /// $RADSCORED_SITE_KEY, $STATE_DIRECTORY/site.key or ~/.local/state/radscored/site.key).
    #[arg(long)]
    pub site_key: Option<PathBuf>,
    /// Write the DICOM results (structured report and key image, `.dcm`) into this folder.
    #[arg(long, conflicts_with = "no_predict")]
    pub dicom_out: Option<PathBuf>,
    /// Write the key image as PNG to this file.
    #[arg(long, conflicts_with = "no_predict")]
    pub png: Option<PathBuf>,
    /// Threads a region's image types may use.
    #[arg(long, default_value = "1")]
    pub threads: NonZeroUsize,
}

/// Runs `radscored analyze`.
pub fn run(args: AnalyzeArgs) -> anyhow::Result<()> {
    let analyzer = analyzer(&args)?;
    let analysis = analyzer
        .analyze_for_export(StudyInput::Folder(args.study_dir.clone()))
        .with_context(|| format!("cannot analyze {}", args.study_dir.display()))?;
    if let Some(predictor) = analyzer.predictor() {
        let algorithm = Algorithm::of(predictor.bundle());
        if let Some(dir) = &args.dicom_out {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            export::write_dicom_dir(&analysis, &algorithm, dir)
                .with_context(|| format!("cannot write the DICOM results into {}", dir.display()))?;
        }
        if let Some(path) = &args.png {
            let png = export::render_key_image(&analysis, &algorithm)?.png()?;
            std::fs::write(path, png).with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    let report = analysis.report;
    let json = || serde_json::to_string_pretty(&report).map(|text| text + "\n");
    match (&args.out, args.format) {
        (Some(path), _) => {
            std::fs::write(path, json()?).with_context(|| format!("cannot write {}", path.display()))?
        }
        (None, ReportFormat::Json) => print!("{}", json()?),
        (None, ReportFormat::Summary) => print!("{}", report.summary()),
    }
    Ok(())
}

/// The analyzer `args` ask for: mask selector, extraction settings (the bundle's, or checked
/// against them), site key, predictor.
fn analyzer(args: &AnalyzeArgs) -> anyhow::Result<Analyzer> {
    let mask = MaskSelector {
        kind: match (&args.labelmap, args.seg, args.rtstruct) {
            (Some(path), _, _) => MaskKind::LabelMap(path.clone()),
            (None, true, _) => MaskKind::Seg,
            (None, false, true) => MaskKind::Rtstruct,
            (None, false, false) => MaskKind::Any,
        },
        region: args.region.as_ref().map(|r| match r.parse::<u32>() {
            Ok(n) => RegionRef::Number(n),
            Err(_) => RegionRef::Name(r.clone()),
        }),
        object: args.segmentation.clone(),
    };
    let series = SeriesPolicy { accept_derived: args.accept_derived };
    if let Some(ring_mm) = args.ring_mm {
        if !(ring_mm > 0.0 && ring_mm.is_finite()) {
            anyhow::bail!("--ring-mm must be a positive number of millimetres, not {ring_mm}");
        }
    }
    let key_path = args.site_key.clone().unwrap_or_else(environment::site_key_path);
    let key = SiteKey::load_or_create(&key_path)?;
    let pool = radiomics::thread_pool(args.threads);
    if args.no_predict {
        let mut extraction = Extraction::paper();
        if let Some(path) = &args.params {
            extraction.settings = params::read(path)?;
        }
        if let Some(ring_mm) = args.ring_mm {
            extraction.ring_radius_mm = ring_mm;
        }
        let analyzer = Analyzer::new(AnalyzeOptions { mask, series, extraction }, key, None, pool)?;
        return Ok(analyzer.with_backend(crate::gpu::detect().backend().clone()));
    }
    let predictor = load_predictor(args.bundle.as_deref())?;
    let mut options = AnalyzeOptions::for_bundle(predictor.bundle(), mask);
    options.series = series;
    if let Some(path) = &args.params {
        options.extraction.settings = params::read(path)?;
    }
    if let Some(ring_mm) = args.ring_mm {
        options.extraction.ring_radius_mm = ring_mm;
    }
    let analyzer = Analyzer::new(options, key, Some(predictor), pool)?;
    Ok(analyzer.with_backend(crate::gpu::detect().backend().clone()))
}

/// Loads the model bundle at `bundle` (default: the installed reference bundle).
pub fn load_predictor(bundle: Option<&Path>) -> anyhow::Result<Predictor> {
    let dir = bundle.map_or_else(environment::default_bundle, Path::to_path_buf);
    let predictor = Predictor::load(&dir, &environment::deep_config(), &environment::search_root())
        .with_context(|| format!("cannot load model bundle {}", dir.display()))?;
    if predictor.bundle().label().contains("not for clinical use") {
        eprintln!("note: model bundle '{}': {}", predictor.bundle().name(), predictor.bundle().label());
    }
    Ok(predictor)
}
