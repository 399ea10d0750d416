//! Every limit radscored puts on its input, in one place, each with its reason.
//!
//! A box beside the scanner reads whatever the network sends it. Each reader checks the sizes a
//! file declares against these limits *before* it allocates or reads anything of that size, so a
//! lying header costs a few bytes of reading, never gigabytes of memory or a stack overflow.
//! The limits sit far above any real CT study (a 512×512 slice, a few hundred to a few thousand
//! slices, tens of contour points per millimetre of tumour), so that no genuine input meets them.
//! Exceeding one is [`LimitExceeded`], whose message names the limit and both numbers; its code is
//! `limit_exceeded` in every error type that carries it.

/// Largest Rows or Columns of a CT slice or SEG frame. CT matrices are 512 (some 768 or 1024);
/// 4096 leaves room for any scanner and bounds one slice at 16 M pixels (32 MB as 16-bit).
pub const MAX_ROWS_COLUMNS: u32 = 4096;

/// Largest number of slices of a CT series. A whole-body scan at 0.5 mm is about 4,000 slices.
pub const MAX_SLICES: usize = 8192;

/// Largest NumberOfFrames of a SEG: one frame per slice and segment, so a 600-slice CT segmented
/// into 200 structures fits.
pub const MAX_FRAMES: u64 = 1 << 17;

/// Largest size of one axis of an NRRD or NIfTI image, in voxels.
pub const MAX_AXIS_VOXELS: usize = 1 << 16;

/// Largest number of voxels of any volume, image or mask: 512×512×2048. At 8 bytes a voxel (the
/// widest sample type) that is 4 GiB, the most one volume may cost.
pub const MAX_VOXELS: usize = 1 << 29;

/// Largest NRRD header, bytes. Headers are a few hundred bytes; a long comment or key/value field
/// is valid and read correctly up to this size.
pub const MAX_HEADER_BYTES: usize = 1 << 20;

/// Deepest nesting of DICOM sequences. The deepest standard paths (SEG functional groups, RTSTRUCT
/// references) nest about six levels; the DICOM parser recurses per level, so a file nesting
/// thousands of levels would overflow the stack. Checked by a pre-scan before parsing.
pub const MAX_SEQUENCE_DEPTH: usize = 32;

/// Largest number of points of one RTSTRUCT contour. A 10 cm contour drawn at 0.01 mm is 31,400
/// points; rasterising costs rows × points per slice.
pub const MAX_CONTOUR_POINTS: usize = 1 << 18;

/// Largest number of points of all contours of one RTSTRUCT ROI together.
pub const MAX_ROI_CONTOUR_POINTS: usize = 1 << 22;

/// Largest number of grey levels (bins) after discretisation. A 12-bit CT at bin width 1 has
/// 4,096; texture matrices are levels × levels per direction, so 4,096 levels already cost
/// 64 MiB per GLCM direction. A huge RescaleSlope or an extreme float image would otherwise ask
/// for billions of bins.
pub const MAX_GREY_LEVELS: usize = 4096;

/// Bytes a deflate stream can at most inflate to per compressed byte (deflate's limit is 1032:1).
/// A gzip file that claims more voxels than this allows is refused before the buffer is made.
pub const MAX_INFLATE_RATIO: usize = 1032;

/// Largest size of a deflated DICOM data set once inflated, bytes (Deflated Explicit VR Little
/// Endian). The largest real objects (a 512×512×2048 CT volume as one 16-bit multi-frame object)
/// are about 1 GiB; a deflate bomb is cut off here, before it costs more memory.
pub const MAX_INFLATED_BYTES: u64 = 1 << 30;

/// Largest and smallest Hounsfield value a CT voxel may take after rescaling. CT scanners store
/// −1024…3071 (12 bit), extended scales reach about ±32,768; a value beyond ±65,536 HU means a
/// wrong RescaleSlope or RescaleIntercept, not tissue.
pub const MAX_ABS_HU: f64 = 65536.0;

/// A declared size beyond its limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {found} exceeds the limit of {limit}")]
pub struct LimitExceeded {
    /// What was measured (`rows`, `slices`, `sequence depth`, `grey levels`, ...).
    pub what: &'static str,
    /// The size found or declared.
    pub found: u64,
    /// The limit.
    pub limit: u64,
}

/// `Ok(found)` when `found ≤ limit`, else [`LimitExceeded`] naming `what`.
pub fn check(what: &'static str, found: u64, limit: u64) -> Result<u64, LimitExceeded> {
    if found <= limit {
        Ok(found)
    } else {
        Err(LimitExceeded { what, found, limit })
    }
}

/// The number of voxels of a grid of `size`, when each axis is within [`MAX_AXIS_VOXELS`] and
/// the product within [`MAX_VOXELS`].
pub fn voxels(size: [usize; 3]) -> Result<usize, LimitExceeded> {
    for n in size {
        check("axis size", n as u64, MAX_AXIS_VOXELS as u64)?;
    }
    let total = size.iter().map(|&n| n as u64).product::<u64>();
    check("voxel count", total, MAX_VOXELS as u64).map(|n| n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_refuse_only_beyond() {
        assert_eq!(voxels([512, 512, 2048]), Ok(MAX_VOXELS));
        let err = voxels([512, 512, 2049]).unwrap_err();
        assert_eq!((err.what, err.limit), ("voxel count", MAX_VOXELS as u64));
        assert_eq!(voxels([1 << 17, 1, 1]).unwrap_err().what, "axis size");
        // The product of three maximal axes does not overflow.
        assert!(voxels([MAX_AXIS_VOXELS; 3]).is_err());
        assert_eq!(err.to_string(), "voxel count 537133056 exceeds the limit of 536870912");
    }
}
