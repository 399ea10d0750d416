//! One extraction: an image and a mask in, PyRadiomics-named features out, following
//! `RadiomicsFeatureExtractor.execute`: shape on the (original) mask, then every enabled class on
//! every enabled image type (original, then the wavelet sub-bands), named
//! `<imageType>_<class>_<Feature>` (`original_glcm_Contrast`, `wavelet-LLH_firstorder_Mean`).
//! Wavelet sub-bands are computed only on the region's box plus the filter's support.

use super::discretise::discretise;
use super::firstorder::firstorder_features;
use super::preprocess::{self, Normalisation, RegionError};
use super::settings::{FeatureClass, Settings};
use super::wavelet::{self, WaveletError, WaveletSettings};
use super::{features, shape, GreyLevels, Roi};
use crate::image::Image;

/// Why features could not be extracted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The region is unusable (geometry, label, size).
    #[error(transparent)]
    Region(#[from] RegionError),
    /// The texture settings give no usable neighbour directions.
    #[error(transparent)]
    Angles(#[from] super::matrices::angles::AngleError),
    /// The wavelet settings are unusable.
    #[error(transparent)]
    Wavelet(#[from] WaveletError),
    /// A feature asked for by name does not exist in its class.
    #[error("unknown feature '{feature}' in class '{class}'")]
    UnknownFeature {
        /// The class.
        class: &'static str,
        /// The name asked for.
        feature: String,
    },
}

/// Feature values in PyRadiomics' output order, with their full names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeatureVector {
    /// `(name, value)` pairs, e.g. `("original_glcm_Contrast", 0.52)`.
    pub entries: Vec<(String, f64)>,
}

impl FeatureVector {
    /// Value of a feature by full name.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn push_class(
        &mut self,
        prefix: &str,
        class: FeatureClass,
        values: Vec<(&'static str, f64)>,
        wanted: &[String],
    ) -> Result<(), ExtractError> {
        for name in wanted {
            if !values.iter().any(|(n, _)| n == name) {
                return Err(ExtractError::UnknownFeature { class: class.name(), feature: name.clone() });
            }
        }
        for (name, value) in values {
            if wanted.is_empty() || wanted.iter().any(|w| w == name) {
                self.entries.push((format!("{prefix}_{}_{name}", class.name()), value));
            }
        }
        Ok(())
    }
}

/// Extracts every enabled feature of the region `settings.label` of `mask` in `image`.
pub fn extract(image: &Image, mask: &Image, settings: &Settings) -> Result<FeatureVector, ExtractError> {
    let spacing = image.geometry.spacing_mm;
    let normalisation = settings.normalize.then(|| Normalisation::of(image, settings)).transpose()?;
    let region = preprocess::find_region(image, mask, settings)?;
    let values = preprocess::region_values(image, &region.bbox, normalisation.as_ref());
    let resegmented = preprocess::resegment(&region, &values, settings)?;

    let mut out = FeatureVector::default();
    for (class, wanted) in &settings.classes {
        if *class == FeatureClass::Shape {
            let shape_region = if settings.resegment_shape { &resegmented } else { &region };
            let roi = Roi {
                size: shape_region.bbox.size(),
                spacing_mm: spacing,
                values: Vec::new(),
                mask: shape_region.mask.clone(),
            };
            out.push_class("original", *class, shape::shape_features(&roi), wanted)?;
        }
    }
    if settings.original {
        let roi_values = preprocess::sub_box(&values, &region.bbox, &resegmented.bbox);
        let roi = preprocess::roi(&resegmented, roi_values, spacing);
        add_image_type(&mut out, "original", &roi, settings)?;
    }
    if settings.wavelet_enabled {
        let wavelet_settings = WaveletSettings::from_params(&settings.wavelet)?;
        let value = |i: usize| {
            let x = image.voxels.get(i);
            normalisation.as_ref().map_or(x, |n| n.apply(x))
        };
        for band in wavelet::subbands(image.geometry.size, value, &resegmented.bbox, &wavelet_settings)? {
            let roi = preprocess::roi(&resegmented, band.values, spacing);
            add_image_type(&mut out, &band.name, &roi, settings)?;
        }
    }
    Ok(out)
}

/// Adds the non-shape classes computed on one (possibly filtered) image's region.
fn add_image_type(
    out: &mut FeatureVector,
    prefix: &str,
    roi: &Roi,
    settings: &Settings,
) -> Result<(), ExtractError> {
    let grey = discretise(roi, settings.binning);
    let mut texture = settings.texture.clone();
    texture.spacing_mm = roi.spacing_mm;
    for (class, wanted) in &settings.classes {
        let values = match class {
            FeatureClass::Shape => continue,
            FeatureClass::FirstOrder => firstorder(roi, &grey, settings),
            FeatureClass::Glcm => features::glcm::glcm_features(&grey, &texture)?,
            FeatureClass::Gldm => features::gldm::gldm_features(&grey, &texture)?,
            FeatureClass::Glrlm => features::glrlm::glrlm_features(&grey, &texture)?,
            FeatureClass::Glszm => features::glszm::glszm_features(&grey, &texture)?,
            FeatureClass::Ngtdm => features::ngtdm::ngtdm_features(&grey, &texture)?,
        };
        out.push_class(prefix, *class, values, wanted)?;
    }
    Ok(())
}

fn firstorder(roi: &Roi, grey: &GreyLevels, settings: &Settings) -> Vec<(&'static str, f64)> {
    let voxel_volume = roi.spacing_mm[2] * roi.spacing_mm[1] * roi.spacing_mm[0];
    firstorder_features(&roi.masked_values(), grey, settings.voxel_array_shift, voxel_volume)
}
