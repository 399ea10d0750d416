//! From an image and a label mask to the region features are computed on, as PyRadiomics'
//! `featureextractor.execute` prepares it: geometry check, whole-image normalisation
//! (`normalizeImage`), mask checks (`checkMask`), intensity resegmentation (`resegmentMask`) and
//! cropping to the region's bounding box (`cropToTumorMask`).
//!
//! ```text
//! normalised(x) = clamp((x − μ)·(1/σ), ±removeOutliers) · normalizeScale
//!     μ, σ: mean and sample standard deviation (n − 1) of the whole image (SimpleITK Normalize)
//! resegment thresholds: absolute t | relative t·max(X) | sigma mean(X) + t·std(X)   (X: region)
//! ```

use super::numpy;
use super::settings::{ResegmentMode, Settings};
use super::Roi;
use crate::error_code::ErrorCode;
use crate::image::{BoundingBox, Image, ImageError};

/// Why the region cannot be analysed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegionError {
    /// Image and mask are not on the same grid.
    #[error(transparent)]
    Geometry(#[from] ImageError),
    /// The mask has no non-zero voxel at all.
    #[error("the mask is empty (no voxel has a non-zero label)")]
    EmptyMask,
    /// The requested label does not occur in the mask.
    #[error("label {label} is not present in the mask (labels present: {present})")]
    LabelNotPresent {
        /// The requested label.
        label: f64,
        /// The labels that do occur.
        present: String,
    },
    /// The region is a single voxel.
    #[error("the region of label {label} is a single voxel; features need at least two")]
    SingleVoxel {
        /// The label.
        label: f64,
    },
    /// The region spans too few axes (PyRadiomics `minimumROIDimensions`).
    #[error(
        "the region spans {found} dimension(s), at least {required} are required (minimumROIDimensions)"
    )]
    TooFewDimensions {
        /// Axes along which the region is more than one voxel wide.
        found: usize,
        /// The setting.
        required: usize,
    },
    /// The region has too few voxels (PyRadiomics `minimumROISize`).
    #[error("the region has {voxels} voxels, more than {minimum} are required (minimumROISize)")]
    TooSmall {
        /// Voxels in the region.
        voxels: usize,
        /// The setting.
        minimum: usize,
    },
    /// Resegmentation left one voxel or none.
    #[error("resegmentation left {voxels} voxel(s) of label {label}; features need at least two")]
    ResegmentedAway {
        /// The label.
        label: f64,
        /// Voxels left.
        voxels: usize,
    },
    /// Normalisation is impossible because the image has a single value (or a non-finite one).
    #[error("cannot normalise an image whose voxels all have the same value")]
    FlatImage,
    /// Voxels inside the region are NaN or infinite. PyRadiomics would give some features as NaN
    /// and the rest wrong; no feature of such a region means anything.
    #[error("{count} voxel(s) inside the region are not finite numbers (NaN or infinite)")]
    NonFiniteIntensity {
        /// How many.
        count: usize,
    },
}

impl ErrorCode for RegionError {
    fn code(&self) -> &'static str {
        match self {
            RegionError::Geometry(e) => e.code(),
            RegionError::EmptyMask => "empty_mask",
            RegionError::LabelNotPresent { .. } => "label_not_present",
            RegionError::SingleVoxel { .. } => "single_voxel_region",
            RegionError::TooFewDimensions { .. } => "too_few_dimensions",
            RegionError::TooSmall { .. } => "region_too_small",
            RegionError::ResegmentedAway { .. } => "resegmented_away",
            RegionError::FlatImage => "flat_image",
            RegionError::NonFiniteIntensity { .. } => "non_finite_intensity",
        }
    }
}

/// Refuses a region holding a NaN or infinite value (`values`: the image inside `region.bbox`).
pub fn check_finite(region: &Region, values: &[f64]) -> Result<(), RegionError> {
    let count = values.iter().zip(&region.mask).filter(|&(v, &m)| m && !v.is_finite()).count();
    if count == 0 {
        Ok(())
    } else {
        Err(RegionError::NonFiniteIntensity { count })
    }
}

/// Whole-image normalisation, an affine map followed by an optional clamp.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalisation {
    shift: f64,
    scale: f64,
    clamp: Option<f64>,
    factor: f64,
}

impl Normalisation {
    /// Statistics of the whole image, as SimpleITK's `Normalize` (compensated sums, σ with n − 1).
    pub fn of(image: &Image, settings: &Settings) -> Result<Normalisation, RegionError> {
        let n = image.voxels.len();
        let (mut sum, mut sum_c, mut sq, mut sq_c) = (0.0, 0.0, 0.0, 0.0);
        for i in 0..n {
            let x = image.voxels.get(i);
            neumaier(&mut sum, &mut sum_c, x);
            neumaier(&mut sq, &mut sq_c, x * x);
        }
        let (sum, sq) = (sum + sum_c, sq + sq_c);
        let mean = sum / n as f64;
        let variance = (sq - sum * sum / n as f64) / (n as f64 - 1.0);
        let sigma = variance.sqrt();
        if sigma <= 0.0 || !sigma.is_finite() {
            return Err(RegionError::FlatImage);
        }
        Ok(Normalisation {
            shift: -mean,
            scale: 1.0 / sigma,
            clamp: settings.remove_outliers,
            factor: settings.normalize_scale,
        })
    }

    /// The normalised value of `x`.
    #[inline]
    pub fn apply(&self, x: f64) -> f64 {
        let mut v = (x + self.shift) * self.scale;
        if let Some(c) = self.clamp {
            v = v.clamp(-c, c);
        }
        v * self.factor
    }
}

fn neumaier(sum: &mut f64, compensation: &mut f64, x: f64) {
    let t = *sum + x;
    if sum.abs() >= x.abs() {
        *compensation += (*sum - t) + x;
    } else {
        *compensation += (x - t) + *sum;
    }
    *sum = t;
}

/// A checked region: its bounding box in the image and its mask inside that box.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Bounding box of the region's voxels.
    pub bbox: BoundingBox,
    /// Region membership inside `bbox`, `i` fastest.
    pub mask: Vec<bool>,
}

impl Region {
    /// Number of voxels in the region.
    pub fn voxel_count(&self) -> usize {
        self.mask.iter().filter(|&&m| m).count()
    }
}

/// Finds and checks the region of `settings.label` in `mask` (PyRadiomics `checkMask`).
pub fn find_region(image: &Image, mask: &Image, settings: &Settings) -> Result<Region, RegionError> {
    image.geometry.check_same_within(&mask.geometry, settings.geometry_tolerance)?;
    let Some((bbox, count)) = mask.label_extent(settings.label) else {
        let labels = mask.labels();
        if labels.is_empty() {
            return Err(RegionError::EmptyMask);
        }
        let present = labels.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ");
        return Err(RegionError::LabelNotPresent { label: settings.label, present });
    };
    let region = Region { bbox, mask: mask.crop_label(&bbox, settings.label) };
    check_extent(&region, count, settings)?;
    Ok(region)
}

fn check_extent(region: &Region, count: usize, settings: &Settings) -> Result<(), RegionError> {
    let dims = region.bbox.size().iter().filter(|&&s| s > 1).count();
    if dims == 0 {
        return Err(RegionError::SingleVoxel { label: settings.label });
    }
    if dims < settings.minimum_roi_dimensions {
        return Err(RegionError::TooFewDimensions { found: dims, required: settings.minimum_roi_dimensions });
    }
    if let Some(minimum) = settings.minimum_roi_size {
        if count <= minimum {
            return Err(RegionError::TooSmall { voxels: count, minimum });
        }
    }
    Ok(())
}

/// Keeps the region's voxels whose value (`values`, the image inside `region.bbox`) lies in the
/// resegmentation range, and shrinks the box to what is left (PyRadiomics `resegmentMask`
/// followed by a second `checkMask`).
pub fn resegment(region: &Region, values: &[f64], settings: &Settings) -> Result<Region, RegionError> {
    let Some(reseg) = &settings.resegment else {
        return Ok(region.clone());
    };
    let inside: Vec<f64> = values.iter().zip(&region.mask).filter_map(|(&v, &m)| m.then_some(v)).collect();
    let thresholds: Vec<f64> = match reseg.mode {
        ResegmentMode::Absolute => reseg.range.clone(),
        ResegmentMode::Relative => {
            let max = inside.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            reseg.range.iter().map(|t| max * t).collect()
        }
        ResegmentMode::Sigma => {
            let mean = numpy::mean(&inside);
            let sd = numpy::variance(&inside).sqrt();
            reseg.range.iter().map(|t| mean + sd * t).collect()
        }
    };
    let keep = |v: f64| v >= thresholds[0] && thresholds.get(1).is_none_or(|&hi| v <= hi);
    let [sx, sy, _] = region.bbox.size();
    let mut min = [usize::MAX; 3];
    let mut max = [0; 3];
    let mut count = 0;
    let mut kept = vec![false; region.mask.len()];
    for (idx, (&v, &m)) in values.iter().zip(&region.mask).enumerate() {
        if m && keep(v) {
            kept[idx] = true;
            count += 1;
            let ijk = [idx % sx, (idx / sx) % sy, idx / (sx * sy)];
            for a in 0..3 {
                min[a] = min[a].min(ijk[a]);
                max[a] = max[a].max(ijk[a]);
            }
        }
    }
    if count <= 1 {
        return Err(RegionError::ResegmentedAway { label: settings.label, voxels: count });
    }
    let sub = BoundingBox { min, max };
    let [tx, ty, _] = sub.size();
    let mut mask = Vec::with_capacity(count);
    for k in min[2]..=max[2] {
        for j in min[1]..=max[1] {
            let row = min[0] + sx * (j + sy * k);
            mask.extend_from_slice(&kept[row..row + tx]);
        }
    }
    debug_assert_eq!(mask.len(), tx * ty * sub.size()[2]);
    let bbox = BoundingBox {
        min: [0, 1, 2].map(|a| region.bbox.min[a] + min[a]),
        max: [0, 1, 2].map(|a| region.bbox.min[a] + max[a]),
    };
    let out = Region { bbox, mask };
    check_extent(&out, count, settings)?;
    Ok(out)
}

/// The image values inside `bbox`, normalised when the settings ask for it.
pub fn region_values(image: &Image, bbox: &BoundingBox, normalisation: Option<&Normalisation>) -> Vec<f64> {
    let mut values = image.crop_f64(bbox);
    if let Some(n) = normalisation {
        values.iter_mut().for_each(|v| *v = n.apply(*v));
    }
    values
}

/// Cuts the sub-box `inner` (absolute indices, inside `outer`) out of values laid out on `outer`.
pub fn sub_box(values: &[f64], outer: &BoundingBox, inner: &BoundingBox) -> Vec<f64> {
    let [ox, oy, _] = outer.size();
    let [ix, _, _] = inner.size();
    let mut out = Vec::new();
    for k in inner.min[2]..=inner.max[2] {
        for j in inner.min[1]..=inner.max[1] {
            let row = (inner.min[0] - outer.min[0]) + ox * ((j - outer.min[1]) + oy * (k - outer.min[2]));
            out.extend_from_slice(&values[row..row + ix]);
        }
    }
    out
}

/// The [`Roi`] of a checked region with its values.
pub fn roi(region: &Region, values: Vec<f64>, spacing_mm: [f64; 3]) -> Roi {
    Roi { size: region.bbox.size(), spacing_mm, values, mask: region.mask.clone() }
}
