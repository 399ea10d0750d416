//! The study stage: one function from a study to a typed [`Report`], used alike by `analyze`,
//! `bench-model` and the daemon.
//!
//! ingest (series → HU volume) → roi (tumor mask, peritumoral ring, deep patch) → radiomics (the
//! features of tumor and ring) → model (the ten endpoints, when a predictor is given).
//!
//! - [`load`]: a study's instances (a folder, or instances already parsed) to CT volume + mask;
//! - [`options`]: how to analyse: the mask selector and the extraction settings, pinned by the
//!   model bundle when there is one;
//! - [`report`]: the report types, their JSON form and the terminal summary;
//! - [`provenance`]: what the DICOM results need beside the report (UIDs, the patch view),
//!   returned by [`Analyzer::analyze_for_export`] and never part of the report;
//! - [`AnalyzeError`] (`error.rs`): why a study could not be analysed, with a stable code.
//!
//! An [`Analyzer`] is built once per process (settings, site key, predictor, thread pool) and
//! used for every study, from any thread.
//!
//! The report names the study and its series only by keyed hashes ([`crate::pseudonym`]); it
//! carries no patient name or ID, no DICOM UID and no file path (folder names at a site often
//! contain patient names).

mod error;
pub mod load;
pub mod options;
pub mod provenance;
pub mod report;

use std::time::{Duration, Instant};

use crate::gpu::Backend;
use crate::image::Image;
use crate::model::deep::HuPatch;
use crate::model::predict::{PredictError, Predictor};
use crate::pseudonym::SiteKey;
use crate::radiomics::{self, FeatureVector};
use crate::roi::{self, Patch};

pub use error::AnalyzeError;
pub use load::{load, load_within, LoadTimings, Study, StudyInput};
pub use options::{AnalyzeOptions, Extraction, PAPER_PARAMS};
pub use provenance::{Analysis, PatchView, Provenance};
pub use report::{features_json, Report, Timings};

/// A study's regions and their features: everything the model stage needs.
#[derive(Debug)]
pub struct StudyFeatures {
    /// The CT volume, tumor mask and where they came from.
    pub study: Study,
    /// The peritumoral ring mask.
    pub ring: Image,
    /// The deep patch.
    pub patch: Patch,
    /// Features of the tumor.
    pub tumor_features: FeatureVector,
    /// Features of the ring.
    pub ring_features: FeatureVector,
    /// Time per stage so far (model and total left at 0).
    pub timings: Timings,
}

/// Everything a process needs to analyse studies, loaded once: the options, the site key, the
/// model stage (optional) and the thread pool of the radiomics. Shared between threads.
#[derive(Debug)]
pub struct Analyzer {
    options: AnalyzeOptions,
    key: SiteKey,
    predictor: Option<Predictor>,
    pool: Option<rayon::ThreadPool>,
    backend: Backend,
    /// sha256 of the canonical settings, computed once: every report carries it.
    settings_sha256: String,
}

impl Analyzer {
    /// An analyzer with `options`; with a `predictor`, its bundle's extraction settings must be
    /// the options' (see [`AnalyzeOptions::for_bundle`]). `pool` computes a region's image types
    /// in parallel (none: on the calling thread).
    pub fn new(
        options: AnalyzeOptions,
        key: SiteKey,
        predictor: Option<Predictor>,
        pool: Option<rayon::ThreadPool>,
    ) -> Result<Analyzer, AnalyzeError> {
        if let Some(predictor) = &predictor {
            options.check_bundle(predictor.bundle())?;
        }
        let settings_sha256 = options.extraction.settings_sha256();
        Ok(Analyzer { options, key, predictor, pool, backend: Backend::Cpu, settings_sha256 })
    }

    /// The same analyzer computing the ring and the texture matrices on `backend` (every
    /// formula is shared, so the numbers are the CPU's; see [`crate::gpu`]).
    pub fn with_backend(self, backend: Backend) -> Analyzer {
        Analyzer { backend, ..self }
    }

    /// sha256 of the canonical form of the PyRadiomics settings studies are analysed with.
    pub fn settings_sha256(&self) -> &str {
        &self.settings_sha256
    }

    /// The compute backend of the ring and the texture matrices.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// The options every study is analysed with.
    pub fn options(&self) -> &AnalyzeOptions {
        &self.options
    }

    /// The model stage, if any.
    pub fn predictor(&self) -> Option<&Predictor> {
        self.predictor.as_ref()
    }

    /// The site key studies are named with.
    pub fn key(&self) -> &SiteKey {
        &self.key
    }

    /// Loads the study and computes its regions and their features.
    pub fn features(&self, input: StudyInput) -> Result<StudyFeatures, AnalyzeError> {
        let options = &self.options;
        let study = load_within(
            input,
            &options.mask,
            options.series,
            options.extraction.settings.geometry_tolerance,
        )?;
        options.extraction.check_ring(&study.ct.geometry)?;
        let mut timings = Timings {
            scan_ms: ms(study.timings.scan),
            volume_ms: ms(study.timings.volume),
            mask_ms: ms(study.timings.mask),
            ..Timings::default()
        };
        let t = Instant::now();
        let ring = roi::peritumoral_ring_on(&study.tumor, options.extraction.ring_radius_mm, &self.backend)?;
        timings.ring_ms = ms(t.elapsed());
        let t = Instant::now();
        let patch = roi::deep_patch(&study.ct, &study.tumor)?;
        timings.patch_ms = ms(t.elapsed());

        let mut settings = options.extraction.settings.clone();
        settings.label = 1.0;
        let features = |mask: &Image, region: &'static str| {
            radiomics::extract_on(&study.ct, mask, &settings, self.pool.as_ref(), &self.backend)
                .map_err(|source| AnalyzeError::Features { region, source })
        };
        let t = Instant::now();
        let tumor_features = features(&study.tumor, "tumor")?;
        timings.tumor_features_ms = ms(t.elapsed());
        let t = Instant::now();
        let ring_features = features(&ring, "ring")?;
        timings.ring_features_ms = ms(t.elapsed());
        Ok(StudyFeatures { study, ring, patch, tumor_features, ring_features, timings })
    }

    /// Analyses one study: its regions, their features and, with a predictor, the ten endpoints.
    pub fn analyze(&self, input: StudyInput) -> Result<Report, AnalyzeError> {
        self.analyze_for_export(input).map(|analysis| analysis.report)
    }

    /// As [`Analyzer::analyze`], with what the DICOM results need besides the report: the
    /// study's provenance (UIDs, kept out of the report) and the patch with its overlays.
    pub fn analyze_for_export(&self, input: StudyInput) -> Result<Analysis, AnalyzeError> {
        let started = Instant::now();
        let features = self.features(input)?;
        let t = Instant::now();
        let (predictions, attention) = match &self.predictor {
            Some(p) => {
                let patch_hu = HuPatch::new(features.patch.values_hu.clone()).map_err(PredictError::from)?;
                let (predictions, attention) =
                    p.predict_with_attention(&features.tumor_features, &features.ring_features, &patch_hu)?;
                (Some(predictions), attention)
            }
            None => (None, None),
        };
        let model_ms = ms(t.elapsed());
        let study = &features.study;
        let provenance = Provenance {
            study_uid: study.study_uid.clone(),
            ct_series_uid: study.series_uid.clone(),
            frame_of_reference_uid: study.frame_of_reference_uid.clone(),
            ct_slices: study.slices.clone(),
            mask: study.mask_source.clone(),
            ring_radius_mm: self.options.extraction.ring_radius_mm,
        };
        let patch = PatchView::new(&features.patch, &study.tumor, &features.ring, attention);
        let report = report::build(self, features, predictions, model_ms, ms(started.elapsed()));
        Ok(Analysis { report, provenance, patch })
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
