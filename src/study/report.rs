//! The report of one analysed study: its types, their JSON form (serde, the same for `analyze
//! --format json`, the daemon's MQTT result and the tests) and the short terminal summary.
//!
//! Fields: `radscored_version`; `notice` (first, when the bundle is a demonstration one);
//! `study_key` and `series_key` (keyed hashes of the Study and Series
//! Instance UIDs, never the UIDs); `settings` (the sha256 of the canonical PyRadiomics settings
//! and the ring radius: the definitions the features follow); `mask` (which segment or ROI, by
//! number and label); `warnings` (how the study was read where the reader should know it: a
//! segmentation placed by plane position, localizer images left out; always present, empty
//! when none, no UID, name or path); `geometry` (size, spacing, origin, direction of the CT grid); `tumor` and
//! `ring` (voxels, volume in mm³, features by PyRadiomics name); `patch` (where the deep patch was
//! cut); `predictions` (with a model bundle: its name, manifest sha256, label and a legend of the
//! fields); `timings` (milliseconds per stage, to 0.1 ms: finer digits are run-to-run noise). No
//! patient name or ID, no DICOM UID, no file path.

use serde::Serialize;
use serde_json::{Map, Number, Value};

use super::{Analyzer, StudyFeatures};
use crate::image::{Geometry, Image};
use crate::model::predict::Predictions;
use crate::radiomics::FeatureVector;
use crate::roi::MaskSource;

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

/// The definitions the features follow.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsReport {
    /// sha256 of the canonical form of the PyRadiomics settings.
    pub params_sha256: String,
    /// Peritumoral ring thickness, mm.
    pub ring_radius_mm: f64,
}

/// The result of analysing one study.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The radscored version that wrote it.
    pub radscored_version: &'static str,
    /// Said first when the predictions come from a demonstration bundle (its label).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Pseudonymous study key (keyed hash of the StudyInstanceUID).
    pub study_key: String,
    /// Pseudonymous key of the CT series analysed (keyed hash of its SeriesInstanceUID).
    pub series_key: String,
    /// The feature definitions used.
    pub settings: SettingsReport,
    /// Where the ring and the texture matrices were computed (`cpu`, `cuda`).
    pub backend: &'static str,
    /// The tumor segmentation used.
    pub mask: MaskReport,
    /// What the reader should know about how the study was read (empty when nothing).
    pub warnings: Vec<String>,
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
}

/// Assembles the report of a study analysed by `analyzer`.
pub(super) fn build(
    analyzer: &Analyzer,
    features: StudyFeatures,
    predictions: Option<Predictions>,
    model_ms: f64,
    total_ms: f64,
) -> Report {
    let StudyFeatures { study, ring, patch, tumor_features, ring_features, mut timings } = features;
    timings.model_ms = model_ms;
    timings.total_ms = total_ms;
    let extraction = &analyzer.options().extraction;
    let g = study.ct.geometry;
    let notice = predictions
        .as_ref()
        .filter(|p| p.label.contains(DEMONSTRATION))
        .map(|p| format!("model bundle '{}': {}", p.bundle, p.label));
    Report {
        radscored_version: env!("CARGO_PKG_VERSION"),
        notice,
        study_key: analyzer.key().study_key(&study.study_uid),
        series_key: analyzer.key().series_key(&study.series_uid),
        backend: analyzer.backend().name(),
        settings: SettingsReport {
            params_sha256: analyzer.settings_sha256().to_owned(),
            ring_radius_mm: extraction.ring_radius_mm,
        },
        mask: MaskReport::from(&study.mask_source),
        warnings: study.warnings.clone(),
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
        timings: timings.rounded(),
    }
}

/// What a demonstration bundle's label says.
const DEMONSTRATION: &str = "not for clinical use";

impl Timings {
    /// Each time rounded to 0.1 ms.
    fn rounded(self) -> Timings {
        let r = |ms: f64| (ms * 10.0).round() / 10.0;
        Timings {
            scan_ms: r(self.scan_ms),
            volume_ms: r(self.volume_ms),
            mask_ms: r(self.mask_ms),
            ring_ms: r(self.ring_ms),
            patch_ms: r(self.patch_ms),
            tumor_features_ms: r(self.tumor_features_ms),
            ring_features_ms: r(self.ring_features_ms),
            model_ms: r(self.model_ms),
            total_ms: r(self.total_ms),
        }
    }
}

fn region_report(ct: &Geometry, mask: &Image, features: &FeatureVector) -> RegionReport {
    let voxels = mask.label_extent(1.0).map_or(0, |(_, n)| n);
    let voxel_mm3: f64 = ct.spacing_mm.iter().product();
    RegionReport {
        voxels,
        volume_mm3: voxels as f64 * voxel_mm3,
        features: Value::Object(features_json(features)),
    }
}

/// The features as a flat JSON object in extraction order; values PyRadiomics leaves undefined
/// (NaN) as `null`.
pub fn features_json(features: &FeatureVector) -> Map<String, Value> {
    features
        .entries
        .iter()
        .map(|(name, v)| (name.clone(), Number::from_f64(*v).map_or(Value::Null, Value::Number)))
        .collect()
}

impl Report {
    /// A few lines for a person at a terminal: the study key, the regions, and one line per
    /// endpoint with its probability, label and the largest contributions to its RadScores.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        if let Some(p) = &self.predictions {
            out += &format!("model bundle '{}' (sha256 {}): {}\n", p.bundle, &p.bundle_sha256[..16], p.label);
        }
        out += &format!("study {}  series {}\n", self.study_key, self.series_key);
        for warning in &self.warnings {
            out += &format!("warning: {warning}\n");
        }
        for (name, region) in [("tumor", &self.tumor), ("ring ", &self.ring)] {
            out += &format!(
                "{name}  {:>7} voxels  {:>10.1} mm³  {} features\n",
                region.voxels,
                region.volume_mm3,
                region.features.as_object().map_or(0, Map::len)
            );
        }
        match &self.predictions {
            None => out += "no model bundle: features only\n",
            Some(p) => {
                out += "endpoint  probability  label  top RadScore contributions (tumor | ring)\n";
                for (endpoint, e) in &p.endpoints {
                    let top = |c: &[crate::model::radscore::Contribution]| {
                        c.iter()
                            .max_by(|a, b| a.share.abs().total_cmp(&b.share.abs()))
                            .map_or_else(String::new, |c| format!("{} {:+.3}", c.feature, c.share))
                    };
                    out += &format!(
                        "{endpoint:<8}  {:>11.3}  {:>5}  {} | {}  ({})\n",
                        e.probability,
                        if e.label == 1 { "pos" } else { "neg" },
                        top(&e.contributions.radscore_tumor),
                        top(&e.contributions.radscore_ring),
                        e.name
                    );
                }
            }
        }
        out += &format!("analysed in {:.0} ms\n", self.timings.total_ms);
        out
    }
}
