//! Every coded concept the DICOM results use, in one table, with its coding scheme:
//!
//! - `DCM`: DICOM's own codes (PS3.16 Annex D);
//! - `SCT`: SNOMED CT, as PS3.16 uses it;
//! - `UCUM`: units of measure (PS3.16 CID 7181 and the UCUM specification);
//! - `RFC5646`: language tags (PS3.16 CID 5000);
//! - `99RADSCORED`: radscored's private scheme (the `99` prefix marks a private coding scheme
//!   designator, PS3.3 C.12.1.1.2 / PS3.16 Section 8) for the ten Deep-RadScore endpoints, the
//!   RadScore and the predicted probability, which no standard code covers. It is described in
//!   each SR's Coding Scheme Identification Sequence ([`PRIVATE_SCHEME`]).

use crate::model::bundle::Endpoint;

/// A coded concept: (CodeValue, CodingSchemeDesignator, CodeMeaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Code {
    /// CodeValue.
    pub(crate) value: &'static str,
    /// CodingSchemeDesignator.
    pub(crate) scheme: &'static str,
    /// CodeMeaning.
    pub(crate) meaning: &'static str,
}

const fn code(value: &'static str, scheme: &'static str, meaning: &'static str) -> Code {
    Code { value, scheme, meaning }
}

/// The private coding scheme: designator, name, responsible organisation.
pub(crate) const PRIVATE_SCHEME: (&str, &str, &str) =
    ("99RADSCORED", "radscored Deep-RadScore endpoints and scores", "radscored project");

// TID 1500 Measurement Report and its document-level items.
pub(crate) const IMAGING_MEASUREMENT_REPORT: Code = code("126000", "DCM", "Imaging Measurement Report");
pub(crate) const LANGUAGE: Code = code("121049", "DCM", "Language of Content Item and Descendants");
pub(crate) const ENGLISH_US: Code = code("en-US", "RFC5646", "English (United States)");
pub(crate) const PROCEDURE_REPORTED: Code = code("121058", "DCM", "Procedure reported");
pub(crate) const CT_OF_CHEST: Code = code("169069000", "SCT", "CT of chest");
pub(crate) const IMAGE_LIBRARY: Code = code("111028", "DCM", "Image Library");
pub(crate) const IMAGE_LIBRARY_GROUP: Code = code("126200", "DCM", "Image Library Group");
pub(crate) const IMAGING_MEASUREMENTS: Code = code("126010", "DCM", "Imaging Measurements");
pub(crate) const MEASUREMENT_GROUP: Code = code("125007", "DCM", "Measurement Group");
// TID 1001 / 1004 observation context: the device that made the observations.
pub(crate) const OBSERVER_TYPE: Code = code("121005", "DCM", "Observer Type");
pub(crate) const DEVICE: Code = code("121007", "DCM", "Device");
pub(crate) const DEVICE_OBSERVER_UID: Code = code("121012", "DCM", "Device Observer UID");
pub(crate) const DEVICE_OBSERVER_NAME: Code = code("121013", "DCM", "Device Observer Name");
pub(crate) const DEVICE_OBSERVER_MANUFACTURER: Code = code("121014", "DCM", "Device Observer Manufacturer");
pub(crate) const DEVICE_OBSERVER_MODEL_NAME: Code = code("121015", "DCM", "Device Observer Model Name");
// TID 1411 Volumetric ROI Measurements.
pub(crate) const TRACKING_IDENTIFIER: Code = code("112039", "DCM", "Tracking Identifier");
pub(crate) const TRACKING_UID: Code = code("112040", "DCM", "Tracking Unique Identifier");
pub(crate) const FINDING: Code = code("121071", "DCM", "Finding");
pub(crate) const REFERENCED_SEGMENT: Code = code("121191", "DCM", "Referenced Segment");
pub(crate) const REGION_IN_SPACE: Code = code("130488", "DCM", "Region In Space");
pub(crate) const SOURCE_SERIES_FOR_SEGMENTATION: Code =
    code("121232", "DCM", "Source series for segmentation");
pub(crate) const NEOPLASM: Code = code("108369006", "SCT", "Neoplasm");
pub(crate) const VOLUME: Code = code("118565006", "SCT", "Volume");
// TID 4019 Algorithm Identification.
pub(crate) const ALGORITHM_NAME: Code = code("111001", "DCM", "Algorithm Name");
pub(crate) const ALGORITHM_VERSION: Code = code("111003", "DCM", "Algorithm Version");
pub(crate) const ALGORITHM_PARAMETERS: Code = code("111002", "DCM", "Algorithm Parameters");
// Qualitative results and units.
pub(crate) const POSITIVE: Code = code("10828004", "SCT", "Positive");
pub(crate) const NEGATIVE: Code = code("260385009", "SCT", "Negative");
pub(crate) const CUBIC_MILLIMETER: Code = code("mm3", "UCUM", "cubic millimeter");
pub(crate) const NO_UNITS: Code = code("1", "UCUM", "no units");
// Contributing Equipment (PS3.16 CID 7005) and the key image's purpose (CID 7010).
pub(crate) const PROCESSING_EQUIPMENT: Code = code("109102", "DCM", "Processing Equipment");
// Private: the region radscored derives, its scores, and the endpoints.
pub(crate) const PERITUMORAL_RING: Code = code("RING", "99RADSCORED", "Peritumoral ring");
pub(crate) const RADSCORE: Code = code("RADSCORE", "99RADSCORED", "RadScore");
pub(crate) const ENDPOINT: Code = code("ENDPOINT", "99RADSCORED", "Deep-RadScore endpoint");
pub(crate) const PROBABILITY: Code = code("PROBABILITY", "99RADSCORED", "Predicted probability");

/// An endpoint's concept (private scheme; the paper's ten endpoints).
pub(crate) fn endpoint(endpoint: Endpoint) -> Code {
    match endpoint {
        Endpoint::LVI => code("LVI", "99RADSCORED", "Lymphovascular invasion"),
        Endpoint::PI => code("PI", "99RADSCORED", "Visceral pleural invasion"),
        Endpoint::T4 => code("T4", "99RADSCORED", "T4 stage"),
        Endpoint::ALK => code("ALK", "99RADSCORED", "ALK rearrangement"),
        Endpoint::EGFR => code("EGFR", "99RADSCORED", "EGFR mutation"),
        Endpoint::KRAS => code("KRAS", "99RADSCORED", "KRAS mutation"),
        Endpoint::PIK3CA => code("PIK3CA", "99RADSCORED", "PIK3CA mutation"),
        Endpoint::ROS1 => code("ROS1", "99RADSCORED", "ROS1 rearrangement"),
        Endpoint::TP53 => code("TP53", "99RADSCORED", "TP53 mutation"),
        Endpoint::Pd1L1 => code("PD1_L1", "99RADSCORED", "PD-1/PD-L1 expression"),
    }
}
