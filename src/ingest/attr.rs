//! Typed reads of DICOM attributes, shared by the CT, SEG and RTSTRUCT readers.
//!
//! Each helper answers `None` (or an empty slice) when the element is absent, empty or does not
//! parse, so that the caller can turn the absence into its own error naming the file and the
//! attribute. Strings are trimmed of the padding DICOM adds (trailing spaces and NULs); decimal
//! strings (DS) are parsed with Rust's correctly rounded `f64` parser, the same result Python's
//! `float()` gives.

use dicom_core::Tag;
use dicom_object::mem::InMemDicomObject;

/// A data set (or a sequence item) as dicom-object holds it in memory.
pub(crate) type Object = InMemDicomObject;

/// The value of `tag` as one trimmed string.
pub(crate) fn string(obj: &Object, tag: Tag) -> Option<String> {
    let value = obj.get(tag)?.to_str().ok()?;
    let value = value.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!value.is_empty()).then(|| value.to_owned())
}

/// The values of a multi-valued string attribute, each trimmed.
pub(crate) fn strings(obj: &Object, tag: Tag) -> Vec<String> {
    obj.get(tag)
        .and_then(|e| e.to_multi_str().ok())
        .map(|values| {
            values
                .iter()
                .map(|v| v.trim_matches(|c: char| c == '\0' || c.is_whitespace()).to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The numeric values of `tag` (DS, IS, FD, US, ...), as `f64`.
pub(crate) fn floats(obj: &Object, tag: Tag) -> Option<Vec<f64>> {
    let values = obj.get(tag)?.to_multi_float64().ok()?;
    (!values.is_empty() && values.iter().all(|v| v.is_finite())).then_some(values)
}

/// Exactly `N` numeric values of `tag`.
pub(crate) fn float_array<const N: usize>(obj: &Object, tag: Tag) -> Option<[f64; N]> {
    floats(obj, tag)?.try_into().ok()
}

/// A single numeric value of `tag`.
pub(crate) fn float(obj: &Object, tag: Tag) -> Option<f64> {
    float_array::<1>(obj, tag).map(|[v]| v)
}

/// A single non-negative integer value of `tag` (US, UL or IS).
pub(crate) fn uint(obj: &Object, tag: Tag) -> Option<u32> {
    obj.get(tag)?.to_int::<u32>().ok()
}

/// The items of sequence `tag`; empty when it is absent or not a sequence.
pub(crate) fn items(obj: &Object, tag: Tag) -> &[Object] {
    obj.get(tag).and_then(|e| e.items()).unwrap_or(&[])
}

/// The first item of sequence `tag`.
pub(crate) fn first_item(obj: &Object, tag: Tag) -> Option<&Object> {
    items(obj, tag).first()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;

    #[test]
    fn padded_strings_and_decimal_strings_parse() {
        let mut obj = Object::new_empty();
        obj.put(DataElement::new(tags::SERIES_INSTANCE_UID, VR::UI, PrimitiveValue::from("1.2.3\0")));
        obj.put(DataElement::new(
            tags::IMAGE_POSITION_PATIENT,
            VR::DS,
            PrimitiveValue::Strs(vec!["-146".to_owned(), "-325 ".to_owned(), "-777.5".to_owned()].into()),
        ));
        obj.put(DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(512u16)));
        assert_eq!(string(&obj, tags::SERIES_INSTANCE_UID).as_deref(), Some("1.2.3"));
        assert_eq!(float_array::<3>(&obj, tags::IMAGE_POSITION_PATIENT), Some([-146.0, -325.0, -777.5]));
        assert_eq!(float_array::<2>(&obj, tags::IMAGE_POSITION_PATIENT), None);
        assert_eq!(uint(&obj, tags::ROWS), Some(512));
        assert_eq!(string(&obj, tags::STUDY_INSTANCE_UID), None);
        assert!(items(&obj, tags::SEGMENT_SEQUENCE).is_empty());
    }
}
