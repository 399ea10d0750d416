//! One extraction: an image and a mask in, PyRadiomics-named features out, following
//! `RadiomicsFeatureExtractor.execute`: shape on the (original) mask, then every enabled class on
//! every enabled image type (original, then the wavelet sub-bands), named
//! `<imageType>_<class>_<Feature>` (`original_glcm_Contrast`, `wavelet-LLH_firstorder_Mean`).
//! Wavelet sub-bands are computed only on the region's box plus the filter's support. The image
//! types are independent and may be computed on several threads ([`extract_parallel`]).

use std::num::NonZeroUsize;

use rayon::prelude::*;

use super::discretise::discretise_on;
use super::firstorder::firstorder_features;
use super::matrices::gldm::gldm_from;
use super::matrices::neighbourhood::neighbour_tally_on;
use super::matrices::ngtdm::ngtdm_from;
use super::matrices::{glcm::Glcm, glrlm::Glrlm, glszm::glszm_on};
use super::preprocess::{self, Normalisation, RegionError};
use super::settings::{FeatureClass, Settings};
use super::wavelet::{self, WaveletError, WaveletSettings};
use super::{features, shape, GreyLevels, Roi};
use crate::error_code::ErrorCode;
use crate::gpu::Backend;
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
    /// The region's values cannot be binned (too many grey levels, or bins without width).
    #[error(transparent)]
    Binning(#[from] super::discretise::BinningError),
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

/// Extracts every enabled feature of the region `settings.label` of `mask` in `image`, on the
/// calling thread.
pub fn extract(image: &Image, mask: &Image, settings: &Settings) -> Result<FeatureVector, ExtractError> {
    extract_parallel(image, mask, settings, None)
}

/// The process's pool for [`extract_parallel`], made once and sized by configuration: `None` for
/// one thread (nothing is spawned), or when the pool cannot start (logged; the work then runs on
/// the calling thread).
pub fn thread_pool(threads: NonZeroUsize) -> Option<rayon::ThreadPool> {
    if threads.get() == 1 {
        return None;
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.get())
        .thread_name(|i| format!("radiomics-{i}"))
        .build()
        .map_err(|error| tracing::warn!(%error, "Could not start the extraction threads; running on one."))
        .ok()
}

/// [`extract`] with the image types (the original image and each wavelet sub-band), which are
/// independent, computed on the threads of `pool` ([`thread_pool`]; `None`: on the calling
/// thread). The features, their values and their order do not depend on the pool.
pub fn extract_parallel(
    image: &Image,
    mask: &Image,
    settings: &Settings,
    pool: Option<&rayon::ThreadPool>,
) -> Result<FeatureVector, ExtractError> {
    extract_on(image, mask, settings, pool, &Backend::Cpu)
}

/// [`extract_parallel`] with the discretisation, the GLCM and GLRLM counts and the GLDM/NGTDM
/// neighbourhood tallies computed on `backend` (see [`crate::gpu`]); every formula is shared, so
/// the features are the same.
pub fn extract_on(
    image: &Image,
    mask: &Image,
    settings: &Settings,
    pool: Option<&rayon::ThreadPool>,
    backend: &Backend,
) -> Result<FeatureVector, ExtractError> {
    let spacing = image.geometry.spacing_mm;
    let normalisation = settings.normalize.then(|| Normalisation::of(image, settings)).transpose()?;
    let region = preprocess::find_region(image, mask, settings)?;
    let values = preprocess::region_values(image, &region.bbox, normalisation.as_ref());
    preprocess::check_finite(&region, &values)?;
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
    let mut image_types: Vec<(String, Roi)> = Vec::new();
    if settings.original {
        let roi_values = preprocess::sub_box(&values, &region.bbox, &resegmented.bbox);
        image_types.push(("original".into(), preprocess::roi(&resegmented, roi_values, spacing)));
    }
    if settings.wavelet_enabled {
        let wavelet_settings = WaveletSettings::from_params(&settings.wavelet)?;
        let value = |i: usize| {
            let x = image.voxels.get(i);
            normalisation.as_ref().map_or(x, |n| n.apply(x))
        };
        for band in wavelet::subbands(image.geometry.size, value, &resegmented.bbox, &wavelet_settings)? {
            image_types.push((band.name, preprocess::roi(&resegmented, band.values, spacing)));
        }
    }
    let compute = |(prefix, roi): &(String, Roi)| image_type_features(prefix, roi, settings, backend);
    // Collected in input order; the first failing image type (in that order) is reported.
    let per_type: Vec<Result<FeatureVector, ExtractError>> = match pool {
        Some(pool) => pool.install(|| image_types.par_iter().map(compute).collect()),
        None => image_types.iter().map(compute).collect(),
    };
    for features in per_type {
        out.entries.extend(features?.entries);
    }
    Ok(out)
}

/// The non-shape classes computed on one (possibly filtered) image's region, named with
/// `prefix`.
fn image_type_features(
    prefix: &str,
    roi: &Roi,
    settings: &Settings,
    backend: &Backend,
) -> Result<FeatureVector, ExtractError> {
    let grey = discretise_on(roi, settings.binning, backend)?;
    let mut texture = settings.texture.clone();
    texture.spacing_mm = roi.spacing_mm;
    // One GPU pass tallies the neighbourhoods of both the GLDM and the NGTDM.
    let neighbourhood =
        settings.classes.iter().any(|(class, _)| matches!(class, FeatureClass::Gldm | FeatureClass::Ngtdm));
    let tally = if neighbourhood { neighbour_tally_on(&grey, &texture, backend)? } else { None };
    let mut out = FeatureVector::default();
    for (class, wanted) in &settings.classes {
        let values = match class {
            FeatureClass::Shape => continue,
            FeatureClass::FirstOrder => firstorder(roi, &grey, settings),
            FeatureClass::Glcm => features::glcm::features(&Glcm::build_on(&grey, &texture, backend)?),
            FeatureClass::Gldm => features::gldm::from_matrix(&gldm_from(&grey, &texture, tally.as_ref())?),
            FeatureClass::Glrlm => features::glrlm::features(&Glrlm::build_on(&grey, &texture, backend)?),
            FeatureClass::Glszm => features::glszm::from_matrix(&glszm_on(&grey, &texture, backend)?),
            FeatureClass::Ngtdm => {
                features::ngtdm::from_matrix(&ngtdm_from(&grey, &texture, tally.as_ref())?)
            }
        };
        out.push_class(prefix, *class, values, wanted)?;
    }
    Ok(out)
}

fn firstorder(roi: &Roi, grey: &GreyLevels, settings: &Settings) -> Vec<(&'static str, f64)> {
    let voxel_volume = roi.spacing_mm[2] * roi.spacing_mm[1] * roi.spacing_mm[0];
    firstorder_features(&roi.masked_values(), grey, settings.voxel_array_shift, voxel_volume)
}

impl ErrorCode for ExtractError {
    fn code(&self) -> &'static str {
        match self {
            ExtractError::Region(e) => e.code(),
            ExtractError::Angles(e) => e.code(),
            ExtractError::Wavelet(e) => e.code(),
            ExtractError::Binning(e) => e.code(),
            ExtractError::UnknownFeature { .. } => "unknown_feature",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::radiomics::params;

    #[test]
    fn threads_change_neither_values_nor_order() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let data = root.join("../shared/refdata/pyradiomics");
        assert!(data.is_dir(), "shared reference data missing at {}", data.display());
        let image = crate::image::read(&data.join("breast1_image.nrrd")).unwrap();
        let mask = crate::image::read(&data.join("breast1_label.nrrd")).unwrap();
        let settings = params::read(&root.join("firmware-config/radiomics-paper.yaml")).unwrap();
        let one = extract(&image, &mask, &settings).unwrap();
        assert_eq!(one.len(), 851);
        for threads in [2, 3, 9] {
            let pool = thread_pool(NonZeroUsize::new(threads).unwrap());
            let many = extract_parallel(&image, &mask, &settings, pool.as_ref()).unwrap();
            // Bit for bit, NaN included.
            let bits = |f: &FeatureVector| {
                f.entries.iter().map(|(n, v)| (n.clone(), v.to_bits())).collect::<Vec<_>>()
            };
            assert_eq!(bits(&many), bits(&one), "{threads} threads");
        }
    }
}
