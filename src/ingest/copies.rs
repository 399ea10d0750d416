//! Copies of one instance in a study: two files with the same SOP Instance UID (PS3.3 C.12.1.1.1:
//! the UID identifies the instance) are one instance when their pixels are the same: a file sent
//! twice, the same file in two sub-folders, or one image in two encodings (a series sent once
//! uncompressed and once RLE by an archive that transcodes): the same PixelData bytes, or, in
//! other transfer syntaxes, the same decoded samples of every frame. The first by path is kept,
//! the other left out. Two files with one UID and different pixels contradict each other and
//! refuse the study ([`IngestError::ConflictingInstances`]): which one is right cannot be told
//! from the data.

use std::collections::HashMap;
use std::path::Path;

use dicom_dictionary_std::tags;

use dicom_object::DefaultDicomObject;

use super::pixels::{self, PixelFormat};
use super::{guard, series::name_in, IngestError, Series};

/// Leaves out of each series the files that copy an instance already in it; refuses the study
/// when two files share a SOP Instance UID but not their pixel data.
pub(crate) fn merge(dir: &Path, series: &mut [Series]) -> Result<(), IngestError> {
    for s in series.iter_mut() {
        let mut kept: Vec<super::Instance> = Vec::with_capacity(s.instances.len());
        // Where each SOP Instance UID kept so far is in `kept`: a look-up, not a scan, per file.
        let mut kept_at: HashMap<String, usize> = HashMap::with_capacity(s.instances.len());
        for instance in std::mem::take(&mut s.instances) {
            match kept_at.get(&instance.sop_instance_uid).map(|&at| &kept[at]) {
                None => {
                    kept_at.insert(instance.sop_instance_uid.clone(), kept.len());
                    kept.push(instance);
                }
                Some(first) if same_pixels(dir, &first.path, &instance.path)? => {
                    tracing::debug!("Leaving out a copy of an instance already in the study.");
                }
                Some(first) => {
                    return Err(IngestError::ConflictingInstances {
                        first_name: name_in(dir, &first.path),
                        other_name: name_in(dir, &instance.path),
                        path: first.path.clone(),
                        other: instance.path,
                    })
                }
            }
        }
        s.instances = kept;
    }
    Ok(())
}

/// Whether the two files hold the same pixels (equal PixelData elements, or in different transfer
/// syntaxes equal decoded samples; two objects without pixel data count as the same). Each file
/// is read once.
fn same_pixels(dir: &Path, a: &Path, b: &Path) -> Result<bool, IngestError> {
    let unreadable = |path: &Path, source| IngestError::UnreadableFile {
        name: name_in(dir, path),
        path: path.to_path_buf(),
        source,
    };
    let open = |path: &Path| guard::open(path, false).map_err(|source| unreadable(path, source));
    let (a, b) = (open(a)?, open(b)?);
    if a.get(tags::PIXEL_DATA).map(|e| e.value()) == b.get(tags::PIXEL_DATA).map(|e| e.value()) {
        return Ok(true);
    }
    if pixels::transfer_syntax(&a) == pixels::transfer_syntax(&b) {
        return Ok(false);
    }
    Ok(decoded(&a).is_some_and(|samples| decoded(&b) == Some(samples)))
}

/// Every frame's samples, `None` when they cannot be decoded (then the copies do not count as
/// the same, and the study is refused rather than a guess kept).
fn decoded(obj: &DefaultDicomObject) -> Option<(PixelFormat, Vec<i32>)> {
    let format = pixels::pixel_format(obj).ok()?;
    let mut all = Vec::new();
    let mut frame = Vec::new();
    for f in 0..format.frames {
        pixels::decode_frame(obj, &format, f, &mut frame).ok()?;
        all.extend_from_slice(&frame);
    }
    Some((format, all))
}
