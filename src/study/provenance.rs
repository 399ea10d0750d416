//! What the DICOM results (structured report, key image; `crate::export`) need beside the
//! [`Report`]: where the analysis came from, by DICOM UID, and the deep patch as the network saw
//! it, with both regions and the attention map.
//!
//! These UIDs are patient-linked. They stay out of the report on purpose (it goes to consoles and
//! MQTT); they are only written into DICOM objects that go back into the same study at the PACS.

use super::Report;
use crate::image::Image;
use crate::ingest::Slice;
use crate::model::deep::AttentionMap;
use crate::roi::{MaskSource, Patch, PATCH_SIDE};

/// The DICOM identity of an analysed study: the CT series and the segmentation used.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// StudyInstanceUID.
    pub study_uid: String,
    /// SeriesInstanceUID of the CT series analysed.
    pub ct_series_uid: String,
    /// FrameOfReferenceUID of the CT series.
    pub frame_of_reference_uid: String,
    /// The CT slices in volume order (SOPInstanceUID and file): their headers give the patient
    /// and study attributes the results copy.
    pub ct_slices: Vec<Slice>,
    /// The segmentation the tumor came from (SEG segment, RTSTRUCT ROI or label map).
    pub mask: MaskSource,
    /// Peritumoral ring thickness, mm.
    pub ring_radius_mm: f64,
}

/// The deep patch with what the key image draws over it, all `PATCH_SIDE × PATCH_SIDE`,
/// row-major, oriented as the CT slice (rows along j, columns along i).
#[derive(Debug, Clone)]
pub struct PatchView {
    /// Axial slice index `k` the patch was cut from.
    pub slice: usize,
    /// HU (−1024 outside the image).
    pub hu: Vec<f32>,
    /// 1 inside the tumor.
    pub tumor: Vec<u8>,
    /// 1 inside the peritumoral ring.
    pub ring: Vec<u8>,
    /// The deep network's attention map (with a bundle whose network provides it).
    pub attention: Option<AttentionMap>,
}

impl PatchView {
    /// The view of `patch` with the masks sampled at its pixels (0 outside the image).
    pub(super) fn new(
        patch: &Patch,
        tumor: &Image,
        ring: &Image,
        attention: Option<AttentionMap>,
    ) -> PatchView {
        let [nx, ny, _] = tumor.geometry.size;
        let half = (PATCH_SIDE / 2) as i64;
        let sample = |mask: &Image| {
            let mut out = Vec::with_capacity(PATCH_SIDE * PATCH_SIDE);
            for r in 0..PATCH_SIDE as i64 {
                let j = patch.centre[1] as i64 - half + r;
                for c in 0..PATCH_SIDE as i64 {
                    let i = patch.centre[0] as i64 - half + c;
                    let inside = i >= 0 && j >= 0 && (i as usize) < nx && (j as usize) < ny;
                    out.push(u8::from(inside && mask.at(i as usize, j as usize, patch.slice) != 0.0));
                }
            }
            out
        };
        PatchView {
            slice: patch.slice,
            hu: patch.values_hu.clone(),
            tumor: sample(tumor),
            ring: sample(ring),
            attention,
        }
    }
}

/// A study analysed for the DICOM results: the report, its provenance and the patch view.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The report (no UIDs).
    pub report: Report,
    /// The study's DICOM identity.
    pub provenance: Provenance,
    /// The deep patch and its overlays.
    pub patch: PatchView,
}
