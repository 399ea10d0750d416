//! What drawing a SEG and drawing an RTSTRUCT share: reading the file, and the checks made before
//! anything is drawn.
//!
//! ```text
//! the object's Frame of Reference  =  the CT series' FrameOfReferenceUID      (PS3.3 C.7.4.1)
//! the object references the CT series (SeriesInstanceUID) or one of its slices (SOPInstanceUID)
//! ```
//!
//! An object that names the CT series but references images the series does not hold (the series
//! was re-exported or re-sent with new SOP Instance UIDs) is placed by plane position: each frame
//! and contour must then lie on a slice plane of the series, within the readers' tolerances.
//!
//! A SEG names its Frame of Reference in FrameOfReferenceUID and the series in
//! ReferencedSeriesSequence (PS3.3 C.8.20); an RTSTRUCT names it per ROI in
//! ReferencedFrameOfReferenceUID and the series in RTReferencedSeriesSequence (C.8.8.5).

use std::{collections::HashMap, path::Path};

use dicom_object::DefaultDicomObject;

use super::{source::MaskHeader, RoiError};
use crate::ingest::{guard, Volume};

/// Reads the whole DICOM file at `path`, pixels included, through the [guard](guard::open).
pub(crate) fn open(path: &Path) -> Result<DefaultDicomObject, RoiError> {
    guard::open(path, false).map_err(|source| RoiError::Read { path: path.to_path_buf(), source })
}

/// Checks that the object at `path`, in Frame of Reference `frame_of_reference` and described by
/// `described`, lies in the frame of `volume` and references its series; returns the index `k`
/// of each CT slice by its SOPInstanceUID, and whether the object names the series itself (then
/// an image reference the series does not hold is placed by plane position).
pub(crate) fn check_references<'v>(
    path: &Path,
    frame_of_reference: &str,
    described: &MaskHeader,
    volume: &'v Volume,
) -> Result<(HashMap<&'v str, usize>, bool), RoiError> {
    if frame_of_reference != volume.frame_of_reference_uid {
        return Err(RoiError::OtherFrameOfReference {
            path: path.to_path_buf(),
            series: volume.series_name.clone(),
        });
    }
    let slice_of: HashMap<&str, usize> =
        volume.slices.iter().enumerate().map(|(k, s)| (s.sop_instance_uid.as_str(), k)).collect();
    if !described.references(&volume.series_uid, |uid| slice_of.contains_key(uid)) {
        return Err(RoiError::NotReferencingSeries {
            path: path.to_path_buf(),
            series: volume.series_name.clone(),
        });
    }
    let names_series = described.referenced_series.contains(&volume.series_uid);
    Ok((slice_of, names_series))
}
