//! What the structured report and the key image share: new UIDs, the patient and study
//! attributes copied from a CT instance of the analysed series (PS3.3 C.7.1.1 Patient, C.7.2.1
//! General Study), the SOP Common and equipment attributes, and the file meta group.
//!
//! **UIDs** are `2.25.<decimal>` (PS3.5 B.2): a 128-bit UUID written as one decimal integer;
//! version 4 (random, from the operating system's generator) for new instances and series,
//! version 8 with the first 16 bytes of a SHA-256 for identities that must be stable (the device
//! observer UID of one model bundle).

use std::path::Path;

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileDicomObject, FileMetaTableBuilder, InMemDicomObject, OpenFileOptions};
use sha2::{Digest, Sha256};

use super::codes::Code;
use super::ExportError;

/// A DICOM data set being written.
pub(crate) type Object = InMemDicomObject;

/// Patient and study attributes copied from the CT (Type 2 ones written empty when absent).
const COPIED: [(Tag, VR); 12] = [
    (tags::PATIENT_NAME, VR::PN),
    (tags::PATIENT_ID, VR::LO),
    (tags::ISSUER_OF_PATIENT_ID, VR::LO),
    (tags::PATIENT_BIRTH_DATE, VR::DA),
    (tags::PATIENT_SEX, VR::CS),
    (tags::STUDY_INSTANCE_UID, VR::UI),
    (tags::STUDY_DATE, VR::DA),
    (tags::STUDY_TIME, VR::TM),
    (tags::REFERRING_PHYSICIAN_NAME, VR::PN),
    (tags::STUDY_ID, VR::SH),
    (tags::ACCESSION_NUMBER, VR::SH),
    (tags::STUDY_DESCRIPTION, VR::LO),
];
/// Of those, the Type 2 attributes (present, possibly empty).
const TYPE_2: [Tag; 9] = [
    tags::PATIENT_NAME,
    tags::PATIENT_ID,
    tags::PATIENT_BIRTH_DATE,
    tags::PATIENT_SEX,
    tags::STUDY_DATE,
    tags::STUDY_TIME,
    tags::REFERRING_PHYSICIAN_NAME,
    tags::STUDY_ID,
    tags::ACCESSION_NUMBER,
];

/// A new random UID (UUID version 4 under 2.25).
pub(crate) fn new_uid() -> Result<String, ExportError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ExportError::Random(e.to_string()))?;
    Ok(uuid_uid(bytes, 0x40))
}

/// A stable UID for `name` (UUID version 8 from its SHA-256, under 2.25).
pub(crate) fn stable_uid(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid_uid(bytes, 0x80)
}

fn uuid_uid(mut bytes: [u8; 16], version: u8) -> String {
    bytes[6] = (bytes[6] & 0x0f) | version;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    format!("2.25.{}", u128::from_be_bytes(bytes))
}

/// Reads the header (up to PixelData) of a source instance; `what` names it in errors (the
/// reader's own message would name the file, whose path may name the patient).
pub(crate) fn read_header(path: &Path, what: &'static str) -> Result<Object, ExportError> {
    OpenFileOptions::new()
        .read_until(tags::PIXEL_DATA)
        .open_file(path)
        .map(FileDicomObject::into_inner)
        .map_err(|_| ExportError::SourceHeader(what))
}

/// A string attribute of a header, trimmed (`None` when absent or empty).
pub(crate) fn text(header: &Object, tag: Tag) -> Option<String> {
    let value = header.get(tag)?.to_str().ok()?;
    let value = value.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!value.is_empty()).then(|| value.to_string())
}

/// Copies the patient and study attributes of `ct` into `obj`.
pub(crate) fn copy_patient_and_study(obj: &mut Object, ct: &Object) {
    for (tag, vr) in COPIED {
        match ct.get(tag) {
            Some(element) if element.vr() != VR::SQ => {
                obj.put(DataElement::new(tag, element.vr(), element.value().clone()));
            }
            _ if TYPE_2.contains(&tag) => put_str(obj, tag, vr, ""),
            _ => {}
        }
    }
}

/// Puts a string attribute.
pub(crate) fn put_str(obj: &mut Object, tag: Tag, vr: VR, value: &str) {
    obj.put(DataElement::new(tag, vr, PrimitiveValue::from(value)));
}

/// Puts a sequence attribute.
pub(crate) fn put_seq(obj: &mut Object, tag: Tag, items: Vec<Object>) {
    obj.put(DataElement::new(tag, VR::SQ, DataSetSequence::from(items)));
}

/// A code sequence item (PS3.3 Table 8.8-1, Code Sequence Macro).
pub(crate) fn code_item(code: &Code) -> Object {
    let mut item = Object::new_empty();
    put_str(&mut item, tags::CODE_VALUE, VR::SH, code.value);
    put_str(&mut item, tags::CODING_SCHEME_DESIGNATOR, VR::SH, code.scheme);
    put_str(&mut item, tags::CODE_MEANING, VR::LO, code.meaning);
    item
}

/// The attributes every result carries: SOP Common (UTF-8), the new series, the General and
/// Enhanced General Equipment of radscored, and Contributing Equipment naming the model bundle.
pub(crate) struct Common<'a> {
    /// SOPClassUID.
    pub sop_class_uid: &'a str,
    /// SOPInstanceUID.
    pub sop_instance_uid: &'a str,
    /// SeriesInstanceUID.
    pub series_uid: &'a str,
    /// SeriesNumber.
    pub series_number: u32,
    /// SeriesDescription.
    pub series_description: &'a str,
    /// Modality.
    pub modality: &'a str,
    /// Date (YYYYMMDD) and time (HHMMSS) of creation.
    pub now: (&'a str, &'a str),
}

impl Common<'_> {
    /// Puts the attributes into `obj`, naming `algorithm` as contributing equipment.
    pub(crate) fn put(&self, obj: &mut Object, algorithm: &super::Algorithm) {
        put_str(obj, tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192");
        put_str(obj, tags::SOP_CLASS_UID, VR::UI, self.sop_class_uid);
        put_str(obj, tags::SOP_INSTANCE_UID, VR::UI, self.sop_instance_uid);
        put_str(obj, tags::INSTANCE_CREATION_DATE, VR::DA, self.now.0);
        put_str(obj, tags::INSTANCE_CREATION_TIME, VR::TM, self.now.1);
        put_str(obj, tags::MODALITY, VR::CS, self.modality);
        put_str(obj, tags::SERIES_INSTANCE_UID, VR::UI, self.series_uid);
        put_str(obj, tags::SERIES_NUMBER, VR::IS, &self.series_number.to_string());
        put_str(obj, tags::SERIES_DESCRIPTION, VR::LO, self.series_description);
        put_str(obj, tags::SERIES_DATE, VR::DA, self.now.0);
        put_str(obj, tags::SERIES_TIME, VR::TM, self.now.1);
        put_str(obj, tags::INSTANCE_NUMBER, VR::IS, "1");
        put_str(obj, tags::MANUFACTURER, VR::LO, super::MANUFACTURER);
        put_str(obj, tags::MANUFACTURER_MODEL_NAME, VR::LO, super::MANUFACTURER);
        put_str(obj, tags::DEVICE_SERIAL_NUMBER, VR::LO, &algorithm.device_serial());
        put_str(obj, tags::SOFTWARE_VERSIONS, VR::LO, env!("CARGO_PKG_VERSION"));
        let mut equipment = Object::new_empty();
        put_seq(
            &mut equipment,
            tags::PURPOSE_OF_REFERENCE_CODE_SEQUENCE,
            vec![code_item(&super::codes::PROCESSING_EQUIPMENT)],
        );
        put_str(&mut equipment, tags::MANUFACTURER, VR::LO, super::MANUFACTURER);
        put_str(&mut equipment, tags::MANUFACTURER_MODEL_NAME, VR::LO, &algorithm.name);
        put_str(&mut equipment, tags::SOFTWARE_VERSIONS, VR::LO, &algorithm.version);
        put_str(&mut equipment, tags::CONTRIBUTION_DESCRIPTION, VR::ST, &algorithm.label);
        put_str(
            &mut equipment,
            tags::CONTRIBUTION_DATE_TIME,
            VR::DT,
            &format!("{}{}", self.now.0, self.now.1),
        );
        put_seq(obj, tags::CONTRIBUTING_EQUIPMENT_SEQUENCE, vec![equipment]);
    }
}

/// The object as a Part 10 file (explicit VR little endian).
pub(crate) fn into_file(obj: Object) -> Result<FileDicomObject<Object>, ExportError> {
    obj.with_meta(
        FileMetaTableBuilder::new()
            .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
            .implementation_class_uid(stable_uid("radscored implementation class"))
            .implementation_version_name(concat!("RADSCORED_", env!("CARGO_PKG_VERSION"))),
    )
    .map_err(|e| ExportError::Encode(e.to_string()))
}

/// Today's date and time (UTC) as DICOM DA and TM.
pub(crate) fn now() -> (String, String) {
    date_time(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()))
}

/// DA and TM of `secs` seconds after 1970-01-01 00:00:00 UTC.
fn date_time(secs: u64) -> (String, String) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}{month:02}{day:02}"),
        format!("{:02}{:02}{:02}", rem / 3600, rem % 3600 / 60, rem % 60),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_proleptic_gregorian() {
        assert_eq!(date_time(0), ("19700101".into(), "000000".into()));
        assert_eq!(date_time(951_782_400 + 3_723), ("20000229".into(), "010203".into()));
        assert_eq!(date_time(1_798_761_599), ("20261231".into(), "235959".into()));
    }

    #[test]
    fn uids_are_2_25_uuids_of_at_most_64_characters() {
        let uid = new_uid().unwrap();
        assert!(uid.starts_with("2.25.") && uid.len() <= 64, "{uid}");
        assert_ne!(uid, new_uid().unwrap());
        assert_eq!(stable_uid("a"), stable_uid("a"));
        assert_ne!(stable_uid("a"), stable_uid("b"));
        let n: u128 = stable_uid("a")[5..].parse().unwrap();
        assert_eq!((n >> 76) & 0xf, 8, "version 8");
    }
}
