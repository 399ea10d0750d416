//! How a study is analysed: which segmentation, which CT series qualify (derived images or not),
//! and the extraction settings (PyRadiomics
//! parameters and ring radius) that define the features.
//!
//! RadScore coefficients are meaningful only with the feature definitions they were fitted on, so
//! with a model bundle the settings are the bundle's ([`AnalyzeOptions::for_bundle`]), and a
//! request for other settings is refused ([`AnalyzeOptions::check_bundle`]) naming the setting
//! that differs and the value the bundle requires. Without a bundle they are free.

use crate::image::Geometry;
use crate::ingest::SeriesPolicy;
use crate::model::bundle::Bundle;
use crate::radiomics::{params, Settings};
use crate::roi::{self, MaskSelector};

use super::AnalyzeError;

/// The paper's PyRadiomics setting, embedded: Original + Wavelet, binWidth 25 (851 features).
pub const PAPER_PARAMS: &str = include_str!("../../firmware-config/radiomics-paper.yaml");

/// The definitions of the features: PyRadiomics settings and the ring's thickness.
#[derive(Debug, Clone, PartialEq)]
pub struct Extraction {
    /// PyRadiomics settings (the label is set per region).
    pub settings: Settings,
    /// Peritumoral ring thickness, millimetres.
    pub ring_radius_mm: f64,
}

impl Extraction {
    /// The paper's: its parameter file, a 3 mm ring.
    pub fn paper() -> Extraction {
        Extraction {
            settings: params::parse(PAPER_PARAMS).expect("the embedded parameter file is valid"),
            ring_radius_mm: roi::DEFAULT_RING_RADIUS_MM,
        }
    }

    /// sha256 of the canonical form of the PyRadiomics settings.
    pub fn settings_sha256(&self) -> String {
        self.settings.canonical_sha256()
    }

    /// Refuses a ring radius the CT grid cannot hold: thinner than the smallest voxel spacing (no
    /// voxel centre outside the tumor would be that close to it: the ring would be empty), or
    /// larger than the image's largest extent (every voxel of the image would be ring).
    pub fn check_ring(&self, ct: &Geometry) -> Result<(), AnalyzeError> {
        let radius_mm = self.ring_radius_mm;
        let smallest = ct.spacing_mm.iter().copied().fold(f64::INFINITY, f64::min);
        let extent = (0..3).map(|a| ct.size[a] as f64 * ct.spacing_mm[a]).fold(0.0, f64::max);
        let reason = if radius_mm < smallest {
            format!("thinner than the smallest voxel spacing, {smallest} mm: it would hold no voxel")
        } else if radius_mm > extent {
            format!("larger than the image, whose largest extent is {extent} mm")
        } else {
            return Ok(());
        };
        Err(AnalyzeError::RingRadius { radius_mm, reason })
    }
}

/// How to analyse a study.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Where the tumor mask comes from.
    pub mask: MaskSelector,
    /// Which CT series qualify: DERIVED images refused unless `accept_derived` (`analyze
    /// --accept-derived`, the daemon's `[series] accept_derived`).
    pub series: SeriesPolicy,
    /// The feature definitions.
    pub extraction: Extraction,
}

impl AnalyzeOptions {
    /// The paper's setting: any SEG/RTSTRUCT of the study, 3 mm ring, 851 features.
    pub fn paper() -> AnalyzeOptions {
        AnalyzeOptions {
            mask: MaskSelector::default(),
            series: SeriesPolicy::default(),
            extraction: Extraction::paper(),
        }
    }

    /// The settings the bundle's RadScores were fitted on, with `mask`.
    pub fn for_bundle(bundle: &Bundle, mask: MaskSelector) -> AnalyzeOptions {
        let pinned = bundle.extraction();
        AnalyzeOptions {
            mask,
            series: SeriesPolicy::default(),
            extraction: Extraction {
                settings: pinned.settings.clone(),
                ring_radius_mm: pinned.ring_radius_mm,
            },
        }
    }

    /// Refuses settings that differ from the ones `bundle` pins, naming the setting and the
    /// value the bundle requires.
    pub fn check_bundle(&self, bundle: &Bundle) -> Result<(), AnalyzeError> {
        let pinned = bundle.extraction();
        if self.extraction.ring_radius_mm != pinned.ring_radius_mm {
            return Err(AnalyzeError::SettingsDiffer {
                bundle: bundle.name().to_string(),
                setting: "ring radius",
                requested: format!("{} mm", self.extraction.ring_radius_mm),
                required: format!("{} mm", pinned.ring_radius_mm),
            });
        }
        let requested = self.extraction.settings_sha256();
        let required = pinned.settings.canonical_sha256();
        if requested != required {
            return Err(AnalyzeError::SettingsDiffer {
                bundle: bundle.name().to_string(),
                setting: "PyRadiomics parameters",
                requested: format!("settings sha256 {requested}"),
                required: format!("settings sha256 {required}, the bundle's own parameter file"),
            });
        }
        Ok(())
    }
}
