//! The structured report: a Comprehensive 3D SR (PS3.3 A.35.13) holding a TID 1500 Measurement
//! Report (PS3.16), in the analysed study, in a new series described "AI result".
//!
//! ```text
//! CONTAINER Imaging Measurement Report (TID 1500)
//!  ├ HAS CONCEPT MOD  Language = English (United States)
//!  ├ HAS OBS CONTEXT  Observer Type = Device; Device Observer UID, Name, Manufacturer, Model
//!  ├ HAS CONCEPT MOD  Procedure reported = CT of chest
//!  ├ CONTAINS Image Library → Image Library Group → IMAGE: the CT slice of the deep patch
//!  └ CONTAINS Imaging Measurements
//!     ├ Measurement Group (TID 1411), one per region: tumor, peritumoral ring
//!     │   Tracking Identifier, Tracking UID, Finding, the segmentation (Referenced Segment of
//!     │   the SEG, or Region In Space: the RTSTRUCT, its ROI number in the Tracking
//!     │   Identifier), Source series for segmentation (the CT),
//!     │   Algorithm Name / Version / Parameters (TID 4019), Volume (mm3),
//!     │   per endpoint a RadScore (NUM, no units) modified by its Deep-RadScore endpoint
//!     └ Measurement Group (TID 1501), one per endpoint: Tracking Identifier and UID, Finding =
//!         the endpoint, TID 4019, Predicted probability (NUM, no units), the endpoint (CODE) =
//!         Positive / Negative
//! ```
//!
//! Codes: `super::codes`. NUM values are DS strings of at most 16 characters (the most
//! significant digits that fit) with the exact f64 beside them in FloatingPointValue.

use dicom_core::VR;
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileDicomObject, InMemDicomObject};

use super::codes::{self, Code};
use super::dicom::{self, code_item, put_seq, put_str, Common, Object};
use super::{Algorithm, ExportError};
use crate::model::bundle::Endpoint;
use crate::roi::MaskSource;
use crate::study::Analysis;

/// Comprehensive 3D SR Storage.
const COMPREHENSIVE_3D_SR: &str = uids::COMPREHENSIVE3_DSR_STORAGE;
/// Series number of the structured report (the key image is the next).
pub const SR_SERIES_NUMBER: u32 = 9901;
/// Its series description.
pub const SR_SERIES_DESCRIPTION: &str = "AI result";

/// The TID 1500 structured report of `analysis`, as a Part 10 file.
pub fn structured_report(
    analysis: &Analysis,
    algorithm: &Algorithm,
) -> Result<FileDicomObject<InMemDicomObject>, ExportError> {
    let report = &analysis.report;
    let provenance = &analysis.provenance;
    let predictions = report.predictions.as_ref().ok_or(ExportError::NoPredictions)?;
    let segmentation = Segmentation::of(&provenance.mask)?;
    let patch_slice = provenance
        .ct_slices
        .get(analysis.patch.slice)
        .ok_or(ExportError::SourceHeader("the patch slice (not in the series)"))?;
    let ct = dicom::read_header(&patch_slice.path, "the CT slice of the patch")?;
    let seg_header = dicom::read_header(segmentation.path, "the segmentation")?;
    let seg_series = dicom::text(&seg_header, tags::SERIES_INSTANCE_UID)
        .ok_or(ExportError::SourceHeader("the segmentation (no SeriesInstanceUID)"))?;

    let (date, time) = dicom::now();
    let sop_instance_uid = dicom::new_uid()?;
    let series_uid = dicom::new_uid()?;
    let mut obj = Object::new_empty();
    Common {
        sop_class_uid: COMPREHENSIVE_3D_SR,
        sop_instance_uid: &sop_instance_uid,
        series_uid: &series_uid,
        series_number: SR_SERIES_NUMBER,
        series_description: SR_SERIES_DESCRIPTION,
        modality: "SR",
        now: (&date, &time),
    }
    .put(&mut obj, algorithm);
    dicom::copy_patient_and_study(&mut obj, &ct);
    put_seq(&mut obj, tags::REFERENCED_PERFORMED_PROCEDURE_STEP_SEQUENCE, vec![]);
    put_str(&mut obj, tags::COMPLETION_FLAG, VR::CS, "COMPLETE");
    put_str(&mut obj, tags::VERIFICATION_FLAG, VR::CS, "UNVERIFIED");
    put_str(&mut obj, tags::CONTENT_DATE, VR::DA, &date);
    put_str(&mut obj, tags::CONTENT_TIME, VR::TM, &time);
    put_seq(&mut obj, tags::PERFORMED_PROCEDURE_CODE_SEQUENCE, vec![]);
    put_seq(
        &mut obj,
        tags::CURRENT_REQUESTED_PROCEDURE_EVIDENCE_SEQUENCE,
        vec![evidence(
            &provenance.study_uid,
            &[
                (&provenance.ct_series_uid, uids::CT_IMAGE_STORAGE, &patch_slice.sop_instance_uid),
                (&seg_series, segmentation.sop_class_uid, segmentation.sop_instance_uid),
            ],
        )],
    );
    let (scheme, name, organisation) = codes::PRIVATE_SCHEME;
    let mut scheme_item = Object::new_empty();
    put_str(&mut scheme_item, tags::CODING_SCHEME_DESIGNATOR, VR::SH, scheme);
    put_str(&mut scheme_item, tags::CODING_SCHEME_NAME, VR::ST, name);
    put_str(&mut scheme_item, tags::CODING_SCHEME_RESPONSIBLE_ORGANIZATION, VR::ST, organisation);
    put_seq(&mut obj, tags::CODING_SCHEME_IDENTIFICATION_SEQUENCE, vec![scheme_item]);

    // Document content: the root container.
    put_str(&mut obj, tags::VALUE_TYPE, VR::CS, "CONTAINER");
    put_seq(&mut obj, tags::CONCEPT_NAME_CODE_SEQUENCE, vec![code_item(&codes::IMAGING_MEASUREMENT_REPORT)]);
    put_str(&mut obj, tags::CONTINUITY_OF_CONTENT, VR::CS, "SEPARATE");
    put_template(&mut obj, "1500");

    let mut regions = Vec::new();
    for (region, finding, tracking) in [
        (&report.tumor, codes::NEOPLASM, "tumor".to_string()),
        (&report.ring, codes::PERITUMORAL_RING, format!("peritumoral ring {} mm", provenance.ring_radius_mm)),
    ] {
        let is_tumor = finding == codes::NEOPLASM;
        let mut items = vec![
            text("CONTAINS", &codes::TRACKING_IDENTIFIER, &segmentation.tracking(&tracking)),
            uidref("CONTAINS", &codes::TRACKING_UID, &dicom::new_uid()?),
            code("CONTAINS", &codes::FINDING, &finding),
            segmentation.content_item(),
            uidref("CONTAINS", &codes::SOURCE_SERIES_FOR_SEGMENTATION, &provenance.ct_series_uid),
        ];
        items.extend(algorithm_identification(algorithm));
        items.push(num("CONTAINS", &codes::VOLUME, region.volume_mm3, &codes::CUBIC_MILLIMETER));
        for endpoint in Endpoint::ALL {
            if let Some(p) = predictions.endpoints.get(endpoint.as_str()) {
                let score = if is_tumor { p.radscore_tumor } else { p.radscore_ring };
                let mut item = num("CONTAINS", &codes::RADSCORE, score, &codes::NO_UNITS);
                children(
                    &mut item,
                    vec![code("HAS CONCEPT MOD", &codes::ENDPOINT, &codes::endpoint(endpoint))],
                );
                items.push(item);
            }
        }
        regions.push(container("CONTAINS", &codes::MEASUREMENT_GROUP, Some("1411"), items));
    }
    for endpoint in Endpoint::ALL {
        let Some(p) = predictions.endpoints.get(endpoint.as_str()) else { continue };
        let concept = codes::endpoint(endpoint);
        let mut items = vec![
            text("CONTAINS", &codes::TRACKING_IDENTIFIER, &format!("{} prediction", endpoint.as_str())),
            uidref("CONTAINS", &codes::TRACKING_UID, &dicom::new_uid()?),
            code("CONTAINS", &codes::FINDING, &concept),
        ];
        items.extend(algorithm_identification(algorithm));
        items.push(num("CONTAINS", &codes::PROBABILITY, p.probability, &codes::NO_UNITS));
        items.push(code(
            "CONTAINS",
            &concept,
            if p.label == 1 { &codes::POSITIVE } else { &codes::NEGATIVE },
        ));
        regions.push(container("CONTAINS", &codes::MEASUREMENT_GROUP, Some("1501"), items));
    }

    // TID 1601 Image Library Entry: an IMAGE item without a concept name.
    let library_image = image("CONTAINS", None, uids::CT_IMAGE_STORAGE, &patch_slice.sop_instance_uid, None);
    let content = vec![
        code("HAS CONCEPT MOD", &codes::LANGUAGE, &codes::ENGLISH_US),
        code("HAS OBS CONTEXT", &codes::OBSERVER_TYPE, &codes::DEVICE),
        uidref("HAS OBS CONTEXT", &codes::DEVICE_OBSERVER_UID, &algorithm.device_uid()),
        text("HAS OBS CONTEXT", &codes::DEVICE_OBSERVER_NAME, &algorithm.name),
        text("HAS OBS CONTEXT", &codes::DEVICE_OBSERVER_MANUFACTURER, super::MANUFACTURER),
        text("HAS OBS CONTEXT", &codes::DEVICE_OBSERVER_MODEL_NAME, &algorithm.name),
        code("HAS CONCEPT MOD", &codes::PROCEDURE_REPORTED, &codes::CT_OF_CHEST),
        container(
            "CONTAINS",
            &codes::IMAGE_LIBRARY,
            None,
            vec![container("CONTAINS", &codes::IMAGE_LIBRARY_GROUP, None, vec![library_image])],
        ),
        container("CONTAINS", &codes::IMAGING_MEASUREMENTS, None, regions),
    ];
    put_seq(&mut obj, tags::CONTENT_SEQUENCE, content);
    dicom::into_file(obj)
}

/// The segmentation the regions came from, as the SR references it.
struct Segmentation<'a> {
    path: &'a std::path::Path,
    sop_class_uid: &'static str,
    sop_instance_uid: &'a str,
    /// SegmentNumber (SEG) or ROINumber (RTSTRUCT).
    number: u32,
    is_seg: bool,
}

impl<'a> Segmentation<'a> {
    fn of(mask: &'a MaskSource) -> Result<Segmentation<'a>, ExportError> {
        match mask {
            MaskSource::Seg { path, sop_instance_uid, segment_number, .. } => Ok(Segmentation {
                path,
                sop_class_uid: uids::SEGMENTATION_STORAGE,
                sop_instance_uid,
                number: *segment_number,
                is_seg: true,
            }),
            MaskSource::Rtstruct { path, sop_instance_uid, roi_number, .. } => Ok(Segmentation {
                path,
                sop_class_uid: uids::RT_STRUCTURE_SET_STORAGE,
                sop_instance_uid,
                number: *roi_number,
                is_seg: false,
            }),
            MaskSource::LabelMap { .. } => Err(ExportError::NoDicomSegmentation),
        }
    }

    /// Referenced Segment (an IMAGE item with ReferencedSegmentNumber) for a SEG; Region In
    /// Space (a COMPOSITE item referencing the structure set) for an RTSTRUCT, whose ROI the
    /// group's Tracking Identifier names ([`Segmentation::tracking`]): a COMPOSITE item can
    /// carry no ROI number, nor children in a Comprehensive 3D SR.
    /// The region's Tracking Identifier: `what`, and for an RTSTRUCT the ROI number.
    fn tracking(&self, what: &str) -> String {
        if self.is_seg {
            what.to_string()
        } else {
            format!("{what} (RTSTRUCT ROI {})", self.number)
        }
    }

    fn content_item(&self) -> Object {
        if self.is_seg {
            image(
                "CONTAINS",
                Some(&codes::REFERENCED_SEGMENT),
                self.sop_class_uid,
                self.sop_instance_uid,
                Some(self.number),
            )
        } else {
            let mut item = item("CONTAINS", "COMPOSITE", &codes::REGION_IN_SPACE);
            put_seq(
                &mut item,
                tags::REFERENCED_SOP_SEQUENCE,
                vec![sop_reference(self.sop_class_uid, self.sop_instance_uid)],
            );
            item
        }
    }
}

/// TID 4019 Algorithm Identification, as concept modifiers of a measurement group.
fn algorithm_identification(algorithm: &Algorithm) -> Vec<Object> {
    vec![
        text("HAS CONCEPT MOD", &codes::ALGORITHM_NAME, &algorithm.name),
        text("HAS CONCEPT MOD", &codes::ALGORITHM_VERSION, &algorithm.version),
        text("HAS CONCEPT MOD", &codes::ALGORITHM_PARAMETERS, &algorithm.label),
    ]
}

/// A content item's common part: relationship, value type and concept name.
fn item(relationship: &str, value_type: &str, concept: &Code) -> Object {
    let mut obj = unnamed_item(relationship, value_type);
    put_seq(&mut obj, tags::CONCEPT_NAME_CODE_SEQUENCE, vec![code_item(concept)]);
    obj
}

/// A content item without a concept name.
fn unnamed_item(relationship: &str, value_type: &str) -> Object {
    let mut obj = Object::new_empty();
    put_str(&mut obj, tags::RELATIONSHIP_TYPE, VR::CS, relationship);
    put_str(&mut obj, tags::VALUE_TYPE, VR::CS, value_type);
    obj
}

fn children(obj: &mut Object, items: Vec<Object>) {
    put_seq(obj, tags::CONTENT_SEQUENCE, items);
}

fn put_template(obj: &mut Object, template: &str) {
    let mut t = Object::new_empty();
    put_str(&mut t, tags::MAPPING_RESOURCE, VR::CS, "DCMR");
    put_str(&mut t, tags::TEMPLATE_IDENTIFIER, VR::CS, template);
    put_seq(obj, tags::CONTENT_TEMPLATE_SEQUENCE, vec![t]);
}

fn container(relationship: &str, concept: &Code, template: Option<&str>, items: Vec<Object>) -> Object {
    let mut obj = item(relationship, "CONTAINER", concept);
    put_str(&mut obj, tags::CONTINUITY_OF_CONTENT, VR::CS, "SEPARATE");
    if let Some(template) = template {
        put_template(&mut obj, template);
    }
    children(&mut obj, items);
    obj
}

fn text(relationship: &str, concept: &Code, value: &str) -> Object {
    let mut obj = item(relationship, "TEXT", concept);
    put_str(&mut obj, tags::TEXT_VALUE, VR::UT, value);
    obj
}

fn uidref(relationship: &str, concept: &Code, uid: &str) -> Object {
    let mut obj = item(relationship, "UIDREF", concept);
    put_str(&mut obj, tags::UID, VR::UI, uid);
    obj
}

fn code(relationship: &str, concept: &Code, value: &Code) -> Object {
    let mut obj = item(relationship, "CODE", concept);
    put_seq(&mut obj, tags::CONCEPT_CODE_SEQUENCE, vec![code_item(value)]);
    obj
}

fn num(relationship: &str, concept: &Code, value: f64, units: &Code) -> Object {
    let mut obj = item(relationship, "NUM", concept);
    let mut measured = Object::new_empty();
    put_str(&mut measured, tags::NUMERIC_VALUE, VR::DS, &decimal_string(value));
    measured.put(dicom_core::DataElement::new(
        tags::FLOATING_POINT_VALUE,
        VR::FD,
        dicom_core::PrimitiveValue::from(value),
    ));
    put_seq(&mut measured, tags::MEASUREMENT_UNITS_CODE_SEQUENCE, vec![code_item(units)]);
    put_seq(&mut obj, tags::MEASURED_VALUE_SEQUENCE, vec![measured]);
    obj
}

fn sop_reference(class: &str, instance: &str) -> Object {
    let mut obj = Object::new_empty();
    put_str(&mut obj, tags::REFERENCED_SOP_CLASS_UID, VR::UI, class);
    put_str(&mut obj, tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, instance);
    obj
}

fn image(
    relationship: &str,
    concept: Option<&Code>,
    class: &str,
    instance: &str,
    segment: Option<u32>,
) -> Object {
    let mut obj = match concept {
        Some(concept) => item(relationship, "IMAGE", concept),
        None => unnamed_item(relationship, "IMAGE"),
    };
    let mut reference = sop_reference(class, instance);
    if let Some(segment) = segment {
        reference.put(dicom_core::DataElement::new(
            tags::REFERENCED_SEGMENT_NUMBER,
            VR::US,
            dicom_core::PrimitiveValue::from(segment.min(u32::from(u16::MAX)) as u16),
        ));
    }
    put_seq(&mut obj, tags::REFERENCED_SOP_SEQUENCE, vec![reference]);
    obj
}

/// A Hierarchical SOP Instance Reference (PS3.3 C.17.2.1) of one study.
fn evidence(study_uid: &str, instances: &[(&str, &str, &str)]) -> Object {
    let mut study = Object::new_empty();
    put_str(&mut study, tags::STUDY_INSTANCE_UID, VR::UI, study_uid);
    let mut series_items = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for &(series, _, _) in instances {
        if seen.contains(&series) {
            continue;
        }
        seen.push(series);
        let mut item = Object::new_empty();
        put_str(&mut item, tags::SERIES_INSTANCE_UID, VR::UI, series);
        let refs =
            instances.iter().filter(|(s, _, _)| *s == series).map(|(_, c, i)| sop_reference(c, i)).collect();
        put_seq(&mut item, tags::REFERENCED_SOP_SEQUENCE, refs);
        series_items.push(item);
    }
    put_seq(&mut study, tags::REFERENCED_SERIES_SEQUENCE, series_items);
    study
}

/// `value` as a DICOM DS (at most 16 characters): of the fixed and exponent forms that fit, the
/// one closest to `value`.
fn decimal_string(value: f64) -> String {
    let plain = format!("{value}");
    if plain.len() <= 16 {
        return plain;
    }
    (0..=15)
        .map(|digits| format!("{value:.digits$e}"))
        .chain((0..=15).map(|decimals| format!("{value:.decimals$}")))
        .filter(|s| s.len() <= 16)
        .min_by(|a, b| {
            let error = |s: &String| s.parse::<f64>().map_or(f64::INFINITY, |v| (v - value).abs());
            error(a).total_cmp(&error(b))
        })
        .unwrap_or_else(|| "0".to_string())
}

#[cfg(test)]
mod tests {
    use super::decimal_string;

    #[test]
    fn decimal_strings_fit_sixteen_characters() {
        assert_eq!(decimal_string(0.5), "0.5");
        let s = decimal_string(0.123_456_789_012_345_67);
        assert!(s.len() <= 16, "{s}");
        assert!((s.parse::<f64>().unwrap() - 0.123_456_789_012_345_67).abs() < 1e-12, "{s}");
        let s = decimal_string(-12_345.678_901_234_567);
        assert!(s.len() <= 16 && (s.parse::<f64>().unwrap() + 12_345.678_901_234_567).abs() < 1e-8, "{s}");
    }
}
