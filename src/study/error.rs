//! Why a study could not be analysed, with the stable code the daemon's alerts and quarantine
//! records carry ([`ErrorCode`]).

use crate::error_code::ErrorCode;
use crate::model::predict::PredictError;
use crate::radiomics::ExtractError;
use crate::roi::{RoiError, StudyError};

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
    /// The ring radius does not fit the CT grid.
    #[error("a {radius_mm} mm ring is {reason}; choose another --ring-mm")]
    RingRadius {
        /// The radius asked for, millimetres.
        radius_mm: f64,
        /// Why it does not fit (names the spacing or extent).
        reason: String,
    },
    /// Extraction settings other than the ones the model bundle was fitted on were asked for.
    #[error(
        "model bundle '{bundle}' was fitted with other {setting}: asked for {requested}, the bundle \
         requires {required}; leave the option out (the bundle's settings apply) or use --no-predict"
    )]
    SettingsDiffer {
        /// The bundle's name.
        bundle: String,
        /// Which setting differs (`ring radius`, `PyRadiomics parameters`).
        setting: &'static str,
        /// The value asked for.
        requested: String,
        /// The value the bundle pins.
        required: String,
    },
}

impl ErrorCode for AnalyzeError {
    fn code(&self) -> &'static str {
        match self {
            AnalyzeError::Study(e) => e.code(),
            AnalyzeError::Roi(e) => e.code(),
            AnalyzeError::Predict(e) => e.code(),
            AnalyzeError::Features { source, .. } => source.code(),
            AnalyzeError::SettingsDiffer { .. } => "settings_differ_from_bundle",
            AnalyzeError::RingRadius { .. } => "ring_radius_unusable",
        }
    }
}
