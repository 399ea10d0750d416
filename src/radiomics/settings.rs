//! Extraction settings: PyRadiomics' `setting`, `imageType` and `featureClass` sections as typed
//! values, with PyRadiomics 3.x defaults. [`super::params`] reads them from a parameter file.

use super::{Binning, TextureSettings};

/// A feature class, in the order PyRadiomics writes them (shape first, then alphabetical).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum FeatureClass {
    /// 3-D shape of the mask.
    Shape,
    /// Intensity statistics.
    FirstOrder,
    /// Grey level co-occurrence matrix.
    Glcm,
    /// Grey level dependence matrix.
    Gldm,
    /// Grey level run length matrix.
    Glrlm,
    /// Grey level size zone matrix.
    Glszm,
    /// Neighbouring grey tone difference matrix.
    Ngtdm,
}

impl FeatureClass {
    /// Every class, in output order.
    pub const ALL: [FeatureClass; 7] = [
        FeatureClass::Shape,
        FeatureClass::FirstOrder,
        FeatureClass::Glcm,
        FeatureClass::Gldm,
        FeatureClass::Glrlm,
        FeatureClass::Glszm,
        FeatureClass::Ngtdm,
    ];

    /// The name PyRadiomics uses in parameter files and feature names.
    pub fn name(self) -> &'static str {
        match self {
            FeatureClass::Shape => "shape",
            FeatureClass::FirstOrder => "firstorder",
            FeatureClass::Glcm => "glcm",
            FeatureClass::Gldm => "gldm",
            FeatureClass::Glrlm => "glrlm",
            FeatureClass::Glszm => "glszm",
            FeatureClass::Ngtdm => "ngtdm",
        }
    }

    /// Parses a PyRadiomics class name.
    pub fn from_name(name: &str) -> Option<FeatureClass> {
        FeatureClass::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// How `resegmentRange` is interpreted (PyRadiomics `resegmentMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ResegmentMode {
    /// Thresholds in the image's unit.
    Absolute,
    /// Thresholds as fractions of the region's maximum.
    Relative,
    /// Thresholds as multiples of the region's standard deviation around its mean.
    Sigma,
}

/// Mask resegmentation: keep the region's voxels whose value lies in a range.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Resegment {
    /// Lower threshold, and optionally the upper one (sorted).
    pub range: Vec<f64>,
    /// How the thresholds are interpreted.
    pub mode: ResegmentMode,
}

/// The `Wavelet` image type's own settings (PyRadiomics `wavelet`, `start_level`, `level`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WaveletParams {
    /// Wavelet name as PyWavelets spells it (default `coif1`).
    pub wavelet: String,
    /// First decomposition level written out (default 0).
    pub start_level: u32,
    /// Number of levels (default 1).
    pub level: u32,
}

impl Default for WaveletParams {
    fn default() -> Self {
        WaveletParams { wavelet: "coif1".into(), start_level: 0, level: 1 }
    }
}

/// Everything that decides the numbers of one extraction.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Settings {
    /// Mask value of the region (PyRadiomics `label`, default 1).
    pub label: f64,
    /// Grey-level binning for texture and first-order histograms (default width 25).
    pub binning: Binning,
    /// Constant added before Energy, TotalEnergy and RootMeanSquared (default 0).
    pub voxel_array_shift: f64,
    /// Texture matrix settings.
    pub texture: TextureSettings,
    /// Normalise the whole image to zero mean and unit standard deviation first.
    pub normalize: bool,
    /// Factor applied after normalisation (default 1).
    pub normalize_scale: f64,
    /// Clamp normalised values to ± this many standard deviations.
    pub remove_outliers: Option<f64>,
    /// Resegment the mask by intensity.
    pub resegment: Option<Resegment>,
    /// Compute shape on the resegmented mask too (default false: on the original mask).
    pub resegment_shape: bool,
    /// Minimum number of axes along which the region spans more than one voxel (default 2).
    pub minimum_roi_dimensions: usize,
    /// The region must have more voxels than this.
    pub minimum_roi_size: Option<usize>,
    /// Margin in voxels kept around the region when cropping for filters (default 5).
    pub pad_distance: usize,
    /// Relative tolerance when comparing image and mask geometry (default 1e-6, SimpleITK's).
    pub geometry_tolerance: f64,
    /// Compute features on the original image.
    pub original: bool,
    /// Compute features on the wavelet sub-bands.
    pub wavelet_enabled: bool,
    /// Settings of the wavelet sub-bands (used when enabled).
    pub wavelet: WaveletParams,
    /// Enabled classes, each with its selected features (empty: all default-enabled ones).
    pub classes: Vec<(FeatureClass, Vec<String>)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            label: 1.0,
            binning: Binning::Width(25.0),
            voxel_array_shift: 0.0,
            texture: TextureSettings::default(),
            normalize: false,
            normalize_scale: 1.0,
            remove_outliers: None,
            resegment: None,
            resegment_shape: false,
            minimum_roi_dimensions: 2,
            minimum_roi_size: None,
            pad_distance: 5,
            geometry_tolerance: crate::image::GEOMETRY_TOLERANCE,
            original: true,
            wavelet_enabled: false,
            wavelet: WaveletParams::default(),
            classes: FeatureClass::ALL.into_iter().map(|c| (c, Vec::new())).collect(),
        }
    }
}

impl Settings {
    /// Lower-case hex sha256 of the settings' canonical form (their JSON serialisation, fields in
    /// declaration order, numbers in shortest round-trip form): two parameter files that give
    /// the same settings (comments, key order, defaults written out or not) have the same hash,
    /// so a result can be traced to the definitions that produced it.
    pub fn canonical_sha256(&self) -> String {
        let canonical =
            serde_json::to_vec(self).expect("settings serialise: plain numbers, strings and lists");
        crate::hex::sha256_hex(&canonical)
    }
}
