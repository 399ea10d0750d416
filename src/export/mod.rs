//! Results back to PACS (IHE AI Results): the DICOM objects radscored writes into the analysed
//! study, each in a new series of its own, with the patient and study attributes of the CT:
//!
//! - [`sr`]: a Comprehensive 3D SR, TID 1500 Measurement Report (PS3.16), with the regions'
//!   volumes and RadScores (TID 1411) and the ten endpoints' probabilities and labels;
//! - [`key_image`]: a Secondary Capture (RGB, PS3.3 A.8.1) of the deep patch with the tumor
//!   contour, the ring, the network's attention map and a burned-in table of the endpoints,
//!   also as PNG;
//! - `codes`: every coded concept used, in one table; `dicom`: UIDs and the attributes both
//!   objects share; `font`: the bitmap font of the burned-in text.
//!
//! - [`scu`]: the C-STORE SCU that sends Part-10 files to a PACS (used by `radscored send`, the
//!   demo and the daemon's export jobs).
//!
//! Both results are written with dicom-object (explicit VR little endian). The model bundle is named as
//! the algorithm ([`Algorithm`]: TID 4019 and the Contributing Equipment Sequence).

mod codes;
mod dicom;
mod font;
pub mod key_image;
pub mod scu;
pub mod sr;

use std::path::{Path, PathBuf};

use crate::error_code::ErrorCode;
use crate::model::bundle::Bundle;
use crate::study::Analysis;

pub use key_image::{key_image, render_key_image, RgbImage};
pub use sr::structured_report;

/// Manufacturer of the results.
const MANUFACTURER: &str = "radscored";

/// Why a DICOM result could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The study was analysed without a model bundle: there are no endpoints to report.
    #[error("the study was analysed without a model bundle; DICOM results need the predictions")]
    NoPredictions,
    /// The study's tumor came from a label map file, which has no DICOM identity to reference.
    #[error("the tumor mask is a label map, not a DICOM SEG or RTSTRUCT; DICOM results reference their segmentation")]
    NoDicomSegmentation,
    /// The header of the CT slice or of the segmentation could not be read again, or lacks what
    /// the results copy (the message names the instance by its role, never by its path).
    #[error("cannot use the header of {0}")]
    SourceHeader(&'static str),
    /// The operating system's random generator failed (new UIDs).
    #[error("no random numbers for new UIDs: {0}")]
    Random(String),
    /// dicom-object could not build or encode the object.
    #[error("cannot encode the DICOM object: {0}")]
    Encode(String),
    /// The PNG encoder failed.
    #[error("cannot encode the key image as PNG: {0}")]
    Png(String),
    /// A file could not be written.
    #[error("cannot write {name}: {source}")]
    Write {
        /// The file's name (not its folder).
        name: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl ErrorCode for ExportError {
    fn code(&self) -> &'static str {
        match self {
            ExportError::NoPredictions => "export_no_predictions",
            ExportError::NoDicomSegmentation => "export_no_dicom_segmentation",
            ExportError::SourceHeader(_) => "export_source_unreadable",
            ExportError::Random(_) => "export_no_random",
            ExportError::Encode(_) | ExportError::Png(_) => "export_encode_failed",
            ExportError::Write { .. } => "export_write_failed",
        }
    }
}

/// The algorithm that made the results: the model bundle, as TID 4019 Algorithm Identification
/// and Contributing Equipment name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Algorithm {
    /// Algorithm Name: `radscored <bundle name>`.
    pub name: String,
    /// Algorithm Version: radscored's version and the sha256 (first 16 hex digits) of each of
    /// the bundle's networks, which pin its weights (bundles carry no version number).
    pub version: String,
    /// The bundle's label ("demonstration weights, not for clinical use"), as Algorithm
    /// Parameters and Contribution Description.
    pub label: String,
}

impl Algorithm {
    /// The algorithm of a loaded bundle.
    pub fn of(bundle: &Bundle) -> Algorithm {
        let networks: Vec<String> = bundle
            .networks()
            .map(|(key, spec)| format!("{key} {}", &spec.sha256[..16.min(spec.sha256.len())]))
            .collect();
        Algorithm {
            name: format!("radscored {}", bundle.name()),
            version: format!("{}; {}", env!("CARGO_PKG_VERSION"), networks.join(", ")),
            label: bundle.label().to_string(),
        }
    }

    /// A stable identity of this algorithm as a device (Device Observer UID).
    fn device_uid(&self) -> String {
        dicom::stable_uid(&format!("radscored device\n{}\n{}", self.name, self.version))
    }

    /// DeviceSerialNumber: the last 16 digits of the device UID.
    fn device_serial(&self) -> String {
        let uid = self.device_uid();
        uid[uid.len().saturating_sub(16)..].to_string()
    }
}

/// Writes the structured report and the key image of `analysis` into `dir` as
/// `radscored-sr.dcm` and `radscored-key-image.dcm`; returns their paths.
pub fn write_dicom_dir(
    analysis: &Analysis,
    algorithm: &Algorithm,
    dir: &Path,
) -> Result<Vec<PathBuf>, ExportError> {
    let write = |name: &str, obj: dicom_object::FileDicomObject<dicom_object::InMemDicomObject>| {
        let mut bytes = Vec::new();
        obj.write_all(&mut bytes).map_err(|e| ExportError::Encode(e.to_string()))?;
        let path = dir.join(name);
        std::fs::write(&path, bytes)
            .map_err(|source| ExportError::Write { name: name.to_string(), source })?;
        Ok::<_, ExportError>(path)
    };
    Ok(vec![
        write("radscored-sr.dcm", structured_report(analysis, algorithm)?)?,
        write("radscored-key-image.dcm", key_image(analysis, algorithm)?)?,
    ])
}
