//! Reads a PyRadiomics parameter file (YAML or JSON; sections `setting`, `imageType`,
//! `featureClass`) into [`Settings`]. Unknown sections, keys, image types and classes are errors
//! that name the key, so a typo never silently falls back to a default.
//!
//! Keys that only matter for resampling (`interpolator`, `resampledPixelSpacing: null`) or for
//! PyRadiomics' own bookkeeping (`additionalInfo`, `preCrop`, `enableCExtensions`) are accepted and
//! have no effect on the numbers; resampling itself is not supported and is refused.

use std::path::Path;

use serde_yaml_ng::Value;

use super::settings::{FeatureClass, Resegment, ResegmentMode, Settings};
use super::{Binning, WeightingNorm};

/// Why a parameter file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// The file could not be read.
    #[error("could not read the parameter file")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid YAML.
    #[error("parameter file is not valid YAML: {0}")]
    Yaml(String),
    /// A key is not a PyRadiomics setting this tool knows.
    #[error("unknown key '{key}' in section '{section}'")]
    UnknownKey {
        /// Section holding the key.
        section: String,
        /// The key.
        key: String,
    },
    /// A value has the wrong type or is out of range.
    #[error("bad value for '{key}': {reason}")]
    BadValue {
        /// The key.
        key: String,
        /// What is expected.
        reason: String,
    },
    /// A valid PyRadiomics setting this tool does not implement.
    #[error("'{key}' is not supported: {reason}")]
    Unsupported {
        /// The key.
        key: String,
        /// Why, and what to do instead.
        reason: String,
    },
}

impl ParamsError {
    /// The parameter file, when it could not be read, for the command line to show.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ParamsError::Io { path, .. } => Some(path),
            _ => None,
        }
    }
}

impl crate::error_code::ErrorCode for ParamsError {
    fn code(&self) -> &'static str {
        match self {
            ParamsError::Io { .. } => "params_unreadable",
            ParamsError::Yaml(_) => "params_not_yaml",
            ParamsError::UnknownKey { .. } => "unknown_params_key",
            ParamsError::BadValue { .. } => "bad_params_value",
            ParamsError::Unsupported { .. } => "unsupported_params_setting",
        }
    }
}

/// The settings of the parameter file at `path`, or PyRadiomics' defaults without one (what a
/// subcommand's missing `--params` means).
pub fn read_or_defaults(path: Option<&Path>) -> Result<Settings, ParamsError> {
    path.map_or_else(|| Ok(Settings::default()), read)
}

/// Reads a parameter file.
pub fn read(path: &Path) -> Result<Settings, ParamsError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ParamsError::Io { path: path.into(), source })?;
    parse(&text)
}

/// Parses parameter-file text (YAML; JSON is YAML too).
pub fn parse(text: &str) -> Result<Settings, ParamsError> {
    let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| ParamsError::Yaml(e.to_string()))?;
    let mut settings = Settings::default();
    let Some(top) = doc.as_mapping() else {
        if doc.is_null() {
            return Ok(settings);
        }
        return Err(bad("(top level)", "expected a mapping of sections"));
    };
    for (key, value) in top {
        match key_str(key, "(top level)")? {
            "setting" => apply_settings(&mut settings, value)?,
            "imageType" => apply_image_types(&mut settings, value)?,
            "featureClass" => apply_classes(&mut settings, value)?,
            "voxelSetting" => {
                return Err(ParamsError::Unsupported {
                    key: "voxelSetting".into(),
                    reason: "voxel-based extraction is not implemented".into(),
                })
            }
            other => return Err(unknown("(top level)", other)),
        }
    }
    Ok(settings)
}

/// Applies one `setting` section (also used for the settings row of PyRadiomics' baselines).
pub fn apply_settings(settings: &mut Settings, section: &Value) -> Result<(), ParamsError> {
    if section.is_null() {
        return Ok(());
    }
    let map = section.as_mapping().ok_or_else(|| bad("setting", "expected a mapping"))?;
    let mut bin_count = None;
    let mut bin_width = None;
    let mut reseg_range = None;
    let mut reseg_mode = ResegmentMode::Absolute;
    let mut force_2d = false;
    let mut force_2d_dimension = 0usize;
    for (key, value) in map {
        let key = key_str(key, "setting")?;
        match key {
            "label" => settings.label = number(key, value)?,
            "binWidth" => bin_width = optional(value, |v| positive(key, v))?,
            "binCount" => bin_count = optional(value, |v| whole(key, v))?,
            "voxelArrayShift" => settings.voxel_array_shift = number(key, value)?,
            "distances" => {
                let list = value.as_sequence().ok_or_else(|| bad(key, "expected a list of whole numbers"))?;
                settings.texture.distances =
                    list.iter().map(|v| whole(key, v).map(|d| d as usize)).collect::<Result<_, _>>()?;
                if settings.texture.distances.is_empty() || settings.texture.distances.contains(&0) {
                    return Err(bad(key, "needs at least one distance, each at least 1"));
                }
            }
            "symmetricalGLCM" => settings.texture.symmetrical_glcm = boolean(key, value)?,
            "weightingNorm" => {
                settings.texture.weighting_norm = match value.as_str() {
                    None if value.is_null() => None,
                    Some("infinity") => Some(WeightingNorm::Infinity),
                    Some("manhattan") => Some(WeightingNorm::Manhattan),
                    Some("euclidean") => Some(WeightingNorm::Euclidean),
                    Some("no_weighting") => Some(WeightingNorm::NoWeighting),
                    _ => return Err(bad(key, "expected infinity, manhattan, euclidean or no_weighting")),
                }
            }
            "force2D" => force_2d = boolean(key, value)?,
            "force2Ddimension" => {
                force_2d_dimension = whole(key, value)? as usize;
                if force_2d_dimension > 2 {
                    return Err(bad(key, "expected 0, 1 or 2"));
                }
            }
            "gldm_a" => settings.texture.gldm_alpha = number(key, value)?,
            "normalize" => settings.normalize = boolean(key, value)?,
            "normalizeScale" => settings.normalize_scale = number(key, value)?,
            "removeOutliers" => settings.remove_outliers = optional(value, |v| positive(key, v))?,
            "resegmentRange" => {
                reseg_range = optional(value, |v| {
                    let list =
                        v.as_sequence().ok_or_else(|| bad(key, "expected a list of 1 or 2 numbers"))?;
                    let mut range: Vec<f64> =
                        list.iter().map(|x| number(key, x)).collect::<Result<_, _>>()?;
                    if range.is_empty() || range.len() > 2 {
                        return Err(bad(key, "expected a list of 1 or 2 numbers"));
                    }
                    range.sort_by(f64::total_cmp);
                    Ok(range)
                })?
            }
            "resegmentMode" => {
                reseg_mode = match value.as_str() {
                    Some("absolute") => ResegmentMode::Absolute,
                    Some("relative") => ResegmentMode::Relative,
                    Some("sigma") => ResegmentMode::Sigma,
                    _ => return Err(bad(key, "expected absolute, relative or sigma")),
                }
            }
            "resegmentShape" => settings.resegment_shape = boolean(key, value)?,
            "minimumROIDimensions" => {
                settings.minimum_roi_dimensions = whole(key, value)? as usize;
                if !(1..=3).contains(&settings.minimum_roi_dimensions) {
                    return Err(bad(key, "expected 1, 2 or 3"));
                }
            }
            "minimumROISize" => {
                settings.minimum_roi_size = optional(value, |v| whole(key, v).map(|n| n as usize))?
            }
            "padDistance" => settings.pad_distance = whole(key, value)? as usize,
            "geometryTolerance" => {
                if let Some(t) = optional(value, |v| positive(key, v))? {
                    settings.geometry_tolerance = t;
                }
            }
            "resampledPixelSpacing" => {
                if !value.is_null() {
                    return Err(ParamsError::Unsupported {
                        key: key.into(),
                        reason: "resampling is not implemented; resample the image beforehand".into(),
                    });
                }
            }
            "correctMask" => {
                if boolean(key, value)? {
                    return Err(ParamsError::Unsupported {
                        key: key.into(),
                        reason: "mask correction (resampling the mask) is not implemented".into(),
                    });
                }
            }
            "wavelet" | "start_level" | "level" => apply_wavelet_key(settings, key, value)?,
            "interpolator" | "additionalInfo" | "preCrop" | "enableCExtensions" | "label_channel" => {}
            other => return Err(unknown("setting", other)),
        }
    }
    if let Some(count) = bin_count {
        settings.binning = Binning::Count(count as u32);
    } else if let Some(width) = bin_width {
        settings.binning = Binning::Width(width);
    }
    settings.texture.force_2d_axis = force_2d.then_some(2 - force_2d_dimension);
    settings.resegment = reseg_range.map(|range| Resegment { range, mode: reseg_mode });
    Ok(())
}

fn apply_wavelet_key(settings: &mut Settings, key: &str, value: &Value) -> Result<(), ParamsError> {
    let wavelet = &mut settings.wavelet;
    match key {
        "wavelet" => {
            wavelet.wavelet = value.as_str().ok_or_else(|| bad(key, "expected a wavelet name"))?.to_string()
        }
        "start_level" => wavelet.start_level = whole(key, value)? as u32,
        _ => {
            wavelet.level = whole(key, value)? as u32;
            if wavelet.level == 0 {
                return Err(bad(key, "expected at least 1"));
            }
        }
    }
    Ok(())
}

fn apply_image_types(settings: &mut Settings, section: &Value) -> Result<(), ParamsError> {
    let map = section.as_mapping().ok_or_else(|| bad("imageType", "expected a mapping"))?;
    settings.original = false;
    for (key, value) in map {
        match key_str(key, "imageType")? {
            "Original" => settings.original = true,
            "Wavelet" => {
                settings.wavelet_enabled = true;
                if let Some(custom) = value.as_mapping() {
                    for (k, v) in custom {
                        let k = key_str(k, "imageType.Wavelet")?;
                        match k {
                            "wavelet" | "start_level" | "level" => apply_wavelet_key(settings, k, v)?,
                            "binWidth" | "binCount" => {
                                return Err(ParamsError::Unsupported {
                                    key: format!("imageType.Wavelet.{k}"),
                                    reason:
                                        "per-image-type binning is not implemented; set it under 'setting'"
                                            .into(),
                                })
                            }
                            other => return Err(unknown("imageType.Wavelet", other)),
                        }
                    }
                }
            }
            "LoG" | "Square" | "SquareRoot" | "Logarithm" | "Exponential" | "Gradient" | "LBP2D"
            | "LBP3D" => {
                return Err(ParamsError::Unsupported {
                    key: format!("imageType.{}", key_str(key, "imageType")?),
                    reason: "only Original and Wavelet are implemented".into(),
                })
            }
            other => return Err(unknown("imageType", other)),
        }
    }
    Ok(())
}

fn apply_classes(settings: &mut Settings, section: &Value) -> Result<(), ParamsError> {
    let map = section.as_mapping().ok_or_else(|| bad("featureClass", "expected a mapping"))?;
    settings.classes.clear();
    for (key, value) in map {
        let name = key_str(key, "featureClass")?;
        let class = match FeatureClass::from_name(name) {
            Some(c) => c,
            None if name == "shape2D" => {
                return Err(ParamsError::Unsupported {
                    key: "featureClass.shape2D".into(),
                    reason: "2-D shape features are not implemented".into(),
                })
            }
            None => return Err(unknown("featureClass", name)),
        };
        let features = match value {
            Value::Null => Vec::new(),
            Value::Sequence(list) => list
                .iter()
                .map(|f| f.as_str().map(str::to_string).ok_or_else(|| bad(name, "expected feature names")))
                .collect::<Result<_, _>>()?,
            _ => return Err(bad(name, "expected null or a list of feature names")),
        };
        settings.classes.push((class, features));
    }
    settings.classes.sort_by_key(|(c, _)| *c);
    Ok(())
}

fn key_str<'a>(key: &'a Value, section: &str) -> Result<&'a str, ParamsError> {
    key.as_str().ok_or_else(|| bad(section, "keys must be text"))
}

fn unknown(section: &str, key: &str) -> ParamsError {
    ParamsError::UnknownKey { section: section.into(), key: key.into() }
}

fn bad(key: &str, reason: &str) -> ParamsError {
    ParamsError::BadValue { key: key.into(), reason: reason.into() }
}

fn number(key: &str, v: &Value) -> Result<f64, ParamsError> {
    v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| bad(key, "expected a number"))
}

fn positive(key: &str, v: &Value) -> Result<f64, ParamsError> {
    number(key, v).and_then(|x| if x > 0.0 { Ok(x) } else { Err(bad(key, "expected a number above 0")) })
}

fn whole(key: &str, v: &Value) -> Result<u64, ParamsError> {
    v.as_u64().ok_or_else(|| bad(key, "expected a whole number"))
}

fn boolean(key: &str, v: &Value) -> Result<bool, ParamsError> {
    v.as_bool().ok_or_else(|| bad(key, "expected true or false"))
}

fn optional<T>(
    v: &Value,
    f: impl FnOnce(&Value) -> Result<T, ParamsError>,
) -> Result<Option<T>, ParamsError> {
    if v.is_null() {
        Ok(None)
    } else {
        f(v).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radiomics::settings::WaveletParams;

    #[test]
    fn defaults_without_sections() {
        assert_eq!(parse("").unwrap(), Settings::default());
    }

    #[test]
    fn wavelet_keys_before_or_after_the_image_types() {
        let after = parse("imageType:\n  Original: {}\nsetting:\n  wavelet: haar\n").unwrap();
        assert!(!after.wavelet_enabled);
        assert_eq!(after.wavelet.wavelet, "haar");
        let paper = read(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("firmware-config/radiomics-paper.yaml"),
        )
        .unwrap();
        assert!(paper.original && paper.wavelet_enabled);
        assert_eq!((paper.binning, paper.classes.len()), (Binning::Width(25.0), 7));
    }

    #[test]
    fn reads_the_usual_sections() {
        let s = parse(
            "imageType:\n  Original: {}\n  Wavelet: {}\nfeatureClass:\n  glcm: [Contrast]\n  shape:\n\
             setting:\n  binWidth: 10\n  force2D: true\n  resegmentRange: [3, -3]\n  resegmentMode: sigma\n",
        )
        .unwrap();
        assert_eq!(s.binning, Binning::Width(10.0));
        assert_eq!(s.texture.force_2d_axis, Some(2));
        assert_eq!(s.resegment, Some(Resegment { range: vec![-3.0, 3.0], mode: ResegmentMode::Sigma }));
        assert!(s.wavelet_enabled && s.original);
        assert_eq!(s.wavelet, WaveletParams::default());
        assert_eq!(
            s.classes,
            vec![(FeatureClass::Shape, vec![]), (FeatureClass::Glcm, vec!["Contrast".to_string()])]
        );
    }

    #[test]
    fn unknown_and_unsupported_keys_are_named() {
        let err = |t: &str| parse(t).unwrap_err().to_string();
        assert_eq!(err("setting:\n  binwidth: 5\n"), "unknown key 'binwidth' in section 'setting'");
        assert!(err("imageType:\n  LoG: {}\n").contains("imageType.LoG"));
        assert!(err("setting:\n  resampledPixelSpacing: [1, 1, 1]\n").contains("resampling"));
        assert!(err("featureClass:\n  glcmm:\n").contains("glcmm"));
        assert!(err("setting:\n  binWidth: -2\n").contains("binWidth"));
        assert!(err("setting: [").contains("YAML"));
    }
}
