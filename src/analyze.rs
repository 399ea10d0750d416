//! `analyze`: one study folder in, one report out. The one-shot form of the pipeline: ingest
//! (series → HU volume), roi (tumor mask, 3 mm ring, deep patch), radiomics (851 features of
//! tumor and ring with the paper's setting), model (the ten endpoints, when a bundle is given).
//!
//! The report names the study only by its pseudonymous key ([`crate::pseudonym`]); it carries no
//! patient name or ID and no file paths (folder names at a site often contain them).

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::image::{Geometry, Image};
use crate::model::deep::HuPatch;
use crate::model::predict::{PredictError, Predictions, Predictor};
use crate::pseudonym::SiteKey;
use crate::radiomics::{self, ExtractError, FeatureVector, Settings};
use crate::roi::{self, MaskSelector, MaskSource, RoiError, StudyError};
use crate::roi::{Patch, Study};

/// The paper's PyRadiomics setting, embedded: Original + Wavelet, binWidth 25 (851 features).
pub const PAPER_PARAMS: &str = include_str!("../firmware-config/radiomics-paper.yaml");

/// Why a study could not be analysed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalyzeError {
    /// The CT series or the tumor mask could not be loaded.
    #[error(transparent)]
    Study(#[from] StudyError),
    /// The ring or the patch could not be made.
    #[error(transparent)]
    Roi(#[from] RoiError),
    /// The model stage failed.
    #[error(transparent)]
    Predict(#[from] PredictError),
    /// Features of a region could not be computed.
    #[error("{region}: {source}")]
    Features {
        /// `tumor` or `ring`.
        region: &'static str,
        /// The cause.
        #[source]
        source: ExtractError,
    },
}

/// How to analyse a study.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Where the tumor mask comes from.
    pub mask: MaskSelector,
    /// Ring thickness outside the tumor, millimetres.
    pub ring_radius_mm: f64,
    /// Radiomics settings (the paper's by default); the label is set per region.
    pub settings: Settings,
}

impl AnalyzeOptions {
    /// The paper's setting: any SEG/RTSTRUCT of the folder, 3 mm ring, 851 features.
    pub fn paper() -> AnalyzeOptions {
        AnalyzeOptions {
            mask: MaskSelector::default(),
            ring_radius_mm: roi::DEFAULT_RING_RADIUS_MM,
            settings: radiomics::params::parse(PAPER_PARAMS).expect("the embedded parameter file is valid"),
        }
    }
}

/// Geometry of the CT volume, LPS millimetres.
#[derive(Debug, Clone, Serialize)]
pub struct GeometryReport {
    /// Voxels along i, j, k.
    pub size: [usize; 3],
    /// Voxel spacing, mm.
    pub spacing_mm: [f64; 3],
    /// Centre of voxel (0, 0, 0), mm.
    pub origin_mm: [f64; 3],
    /// Direction cosines of the i, j, k axes.
    pub direction: [[f64; 3]; 3],
}

/// One region's size and features.
#[derive(Debug, Clone, Serialize)]
pub struct RegionReport {
    /// Voxels in the region.
    pub voxels: usize,
    /// Their volume, mm³.
    pub volume_mm3: f64,
    /// Features named as `radscored features` prints them (NaN as null).
    pub features: Value,
}

/// Where the deep patch was cut.
#[derive(Debug, Clone, Serialize)]
pub struct PatchReport {
    /// Axial slice index k with the largest tumor area.
    pub slice: usize,
    /// Patch centre `(i, j)` in that slice (the rounded in-slice centroid).
    pub centre: [usize; 2],
}

/// Which segmentation the tumor came from (no file path: paths may name the patient).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MaskReport {
    /// A DICOM SEG segment.
    Seg {
        /// SegmentNumber.
        segment_number: u32,
        /// SegmentLabel.
        segment_label: String,
    },
    /// An RTSTRUCT ROI.
    Rtstruct {
        /// ROINumber.
        roi_number: u32,
        /// ROIName.
        roi_name: String,
    },
    /// A label map.
    LabelMap {
        /// Label value.
        label: u32,
    },
}

impl From<&MaskSource> for MaskReport {
    fn from(source: &MaskSource) -> MaskReport {
        match source {
            MaskSource::Seg { segment_number, segment_label, .. } => {
                MaskReport::Seg { segment_number: *segment_number, segment_label: segment_label.clone() }
            }
            MaskSource::Rtstruct { roi_number, roi_name, .. } => {
                MaskReport::Rtstruct { roi_number: *roi_number, roi_name: roi_name.clone() }
            }
            MaskSource::LabelMap { label, .. } => MaskReport::LabelMap { label: *label },
        }
    }
}

/// Milliseconds spent per stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Finding the series and objects in the folder.
    pub scan_ms: f64,
    /// Decoding and assembling the CT volume.
    pub volume_ms: f64,
    /// Building the tumor mask.
    pub mask_ms: f64,
    /// The peritumoral ring.
    pub ring_ms: f64,
    /// The deep patch.
    pub patch_ms: f64,
    /// Tumor features.
    pub tumor_features_ms: f64,
    /// Ring features.
    pub ring_features_ms: f64,
    /// Deep network, RadScores and classifiers (0 without a model bundle).
    pub model_ms: f64,
    /// Everything.
    pub total_ms: f64,
}

/// The result of `analyze`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Pseudonymous study key (keyed hash of the StudyInstanceUID).
    pub study_key: String,
    /// SeriesInstanceUID of the CT series analysed.
    pub series_uid: String,
    /// The tumor segmentation used.
    pub mask: MaskReport,
    /// CT geometry.
    pub geometry: GeometryReport,
    /// The tumor.
    pub tumor: RegionReport,
    /// The peritumoral ring.
    pub ring: RegionReport,
    /// The deep patch.
    pub patch: PatchReport,
    /// The ten endpoints (absent when analysed without a model bundle).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predictions: Option<Predictions>,
    /// Time per stage.
    pub timings: Timings,
    /// Ring thickness used, mm.
    pub ring_radius_mm: f64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

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

/// Loads the study in `dir` and computes its regions and their features.
pub fn study_features(dir: &Path, options: &AnalyzeOptions) -> Result<StudyFeatures, AnalyzeError> {
    let study = roi::load_study(dir, &options.mask)?;
    let mut timings = Timings {
        scan_ms: ms(study.timings.scan),
        volume_ms: ms(study.timings.volume),
        mask_ms: ms(study.timings.mask),
        ..Timings::default()
    };
    let t = Instant::now();
    let ring = roi::peritumoral_ring(&study.tumor, options.ring_radius_mm)?;
    timings.ring_ms = ms(t.elapsed());
    let t = Instant::now();
    let patch = roi::deep_patch(&study.ct, &study.tumor)?;
    timings.patch_ms = ms(t.elapsed());

    let mut settings = options.settings.clone();
    settings.label = 1.0;
    let features = |mask: &Image, region: &'static str| {
        radiomics::extract(&study.ct, mask, &settings)
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

/// Analyses the study in `dir`; with a `predictor`, also predicts the ten endpoints.
pub fn analyze(
    dir: &Path,
    options: &AnalyzeOptions,
    key: &SiteKey,
    predictor: Option<&mut Predictor>,
) -> Result<Report, AnalyzeError> {
    let started = Instant::now();
    let StudyFeatures { study, ring, patch, tumor_features, ring_features, mut timings } =
        study_features(dir, options)?;
    let t = Instant::now();
    let predictions = match predictor {
        Some(p) => {
            let patch_hu = HuPatch::new(patch.values_hu.clone()).map_err(PredictError::from)?;
            Some(p.predict(&tumor_features, &ring_features, &patch_hu)?)
        }
        None => None,
    };
    timings.model_ms = ms(t.elapsed());
    timings.total_ms = ms(started.elapsed());

    let g = study.ct.geometry;
    Ok(Report {
        study_key: key.study_key(&study.study_uid),
        series_uid: study.series_uid.clone(),
        mask: MaskReport::from(&study.mask_source),
        geometry: GeometryReport {
            size: g.size,
            spacing_mm: g.spacing_mm,
            origin_mm: g.origin_mm,
            direction: g.direction,
        },
        tumor: region_report(&g, &study.tumor, &tumor_features),
        ring: region_report(&g, &ring, &ring_features),
        patch: PatchReport { slice: patch.slice, centre: patch.centre },
        predictions,
        timings,
        ring_radius_mm: options.ring_radius_mm,
    })
}

fn region_report(ct: &Geometry, mask: &Image, features: &FeatureVector) -> RegionReport {
    let voxels = mask.label_extent(1.0).map_or(0, |(_, n)| n);
    let voxel_mm3: f64 = ct.spacing_mm.iter().product();
    let features = Value::Object(crate::output::to_json(features));
    RegionReport { voxels, volume_mm3: voxels as f64 * voxel_mm3, features }
}
