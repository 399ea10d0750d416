//! Patch preprocessing: the bundle's recipe that turns a 160×160 patch of HU values into the
//! network's NCHW float32 input.
//!
//! The recipe is part of the model: a network trained on lung-windowed, ImageNet-normalised
//! patches needs exactly that input. Per pixel `h` (HU) and channel `c`:
//!
//! ```text
//! u   = (clamp(h, lo, hi) − lo) / (hi − lo)       lo, hi: the HU window; u ∈ [0, 1]
//! v_c = (u − mean_c) / std_c                      when `normalise` is given, else v_c = u
//! input[0, c, y, x] = v_c(patch[y][x])            c < channels (1, or 3 replicated grey)
//! ```
//!
//! `mean` and `std` have one value per channel, or one value for all (torchvision's
//! `Normalize` with ImageNet statistics is `mean = [0.485, 0.456, 0.406]`,
//! `std = [0.229, 0.224, 0.225]`).

use serde::Deserialize;

use super::{HuPatch, PATCH_PIXELS};

/// Why a preprocessing recipe is not usable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PreprocessingError {
    /// The window is empty, reversed or not finite.
    #[error("window_hu must have finite min < max, got min {min} max {max}")]
    Window {
        /// Lower bound found, HU.
        min: f32,
        /// Upper bound found, HU.
        max: f32,
    },
    /// The channel count is neither 1 nor 3.
    #[error("channels must be 1 or 3, got {channels}")]
    Channels {
        /// The count found.
        channels: u32,
    },
    /// `normalise.mean` or `normalise.std` has the wrong number of values.
    #[error("normalise.{field} must have 1 or {channels} values, got {len}")]
    NormaliseLength {
        /// `mean` or `std`.
        field: &'static str,
        /// The model's channel count.
        channels: usize,
        /// How many values were given.
        len: usize,
    },
    /// A `normalise` value is not finite, or a std is not positive.
    #[error("normalise.{field} value {value} is not usable (std must be positive, all finite)")]
    NormaliseValue {
        /// `mean` or `std`.
        field: &'static str,
        /// The value found.
        value: f32,
    },
}

/// A window of HU values.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuWindow {
    /// Lower bound, HU; lower values are clipped to it.
    pub min: f32,
    /// Upper bound, HU; higher values are clipped to it.
    pub max: f32,
}

/// Per-channel standardisation after the window maps HU to [0, 1].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normalise {
    /// Subtracted from the [0, 1] value: one per channel, or one for all.
    pub mean: Vec<f32>,
    /// Divides the result: one per channel, or one for all; positive.
    pub std: Vec<f32>,
}

/// As written in a bundle manifest; checked into a [`PatchPreprocessing`] while it is read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreprocessingSpec {
    /// HU window mapped to [0, 1].
    window_hu: HuWindow,
    /// Input channels of the network: 1, or 3 (the grey patch replicated).
    channels: u32,
    /// Optional standardisation; absent means the network takes [0, 1] values.
    #[serde(default)]
    normalise: Option<Normalise>,
}

/// A checked recipe from HU patch to network input.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "PreprocessingSpec")]
pub struct PatchPreprocessing {
    window: HuWindow,
    /// Per channel `(mean, std)`; `(0, 1)` without standardisation.
    channels: Vec<(f32, f32)>,
}

impl TryFrom<PreprocessingSpec> for PatchPreprocessing {
    type Error = PreprocessingError;

    fn try_from(spec: PreprocessingSpec) -> Result<Self, Self::Error> {
        PatchPreprocessing::new(spec.window_hu, spec.channels, spec.normalise)
    }
}

impl PatchPreprocessing {
    /// Checks and builds a recipe.
    pub fn new(
        window: HuWindow,
        channels: u32,
        normalise: Option<Normalise>,
    ) -> Result<Self, PreprocessingError> {
        if !(window.min.is_finite() && window.max.is_finite() && window.min < window.max) {
            return Err(PreprocessingError::Window { min: window.min, max: window.max });
        }
        let count = match channels {
            1 | 3 => channels as usize,
            _ => return Err(PreprocessingError::Channels { channels }),
        };
        let (mean, std) = match normalise {
            Some(n) => (n.mean, n.std),
            None => (vec![0.0], vec![1.0]),
        };
        let per_channel = |field: &'static str, values: &[f32]| -> Result<Vec<f32>, PreprocessingError> {
            match values.len() {
                1 => Ok(vec![values[0]; count]),
                n if n == count => Ok(values.to_vec()),
                len => Err(PreprocessingError::NormaliseLength { field, channels: count, len }),
            }
        };
        let mean = per_channel("mean", &mean)?;
        let std = per_channel("std", &std)?;
        if let Some(&value) = mean.iter().find(|m| !m.is_finite()) {
            return Err(PreprocessingError::NormaliseValue { field: "mean", value });
        }
        if let Some(&value) = std.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(PreprocessingError::NormaliseValue { field: "std", value });
        }
        Ok(PatchPreprocessing { window, channels: mean.into_iter().zip(std).collect() })
    }

    /// The HU window.
    pub fn window(&self) -> HuWindow {
        self.window
    }

    /// Number of input channels, 1 or 3.
    pub fn channels(&self) -> usize {
        self.channels.len()
    }

    /// The network input for one patch: `[1, channels, 160, 160]` in NCHW order, flattened.
    pub fn input(&self, patch: &HuPatch) -> Vec<f32> {
        let HuWindow { min, max } = self.window;
        let (lo, hi) = (f64::from(min), f64::from(max));
        let unit: Vec<f64> =
            patch.values_hu().iter().map(|&h| (f64::from(h).clamp(lo, hi) - lo) / (hi - lo)).collect();
        let mut out = Vec::with_capacity(self.channels.len() * PATCH_PIXELS);
        for &(mean, std) in &self.channels {
            let (mean, std) = (f64::from(mean), f64::from(std));
            out.extend(unit.iter().map(|u| ((u - mean) / std) as f32));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::deep::PATCH_SIDE;

    fn patch_with(first: &[f32]) -> HuPatch {
        let mut values = vec![0.0; PATCH_PIXELS];
        values[..first.len()].copy_from_slice(first);
        HuPatch::new(values).unwrap()
    }

    /// Window [−1000, 400] HU (span 1400): −1200 → 0, −1000 → 0, −300 → 0.5, 400 → 1, 900 → 1.
    #[test]
    fn window_maps_hu_to_unit_interval() {
        let recipe = PatchPreprocessing::new(HuWindow { min: -1000.0, max: 400.0 }, 1, None).unwrap();
        let input = recipe.input(&patch_with(&[-1200.0, -1000.0, -300.0, 400.0, 900.0]));
        assert_eq!(input.len(), PATCH_PIXELS);
        assert_eq!(&input[..5], &[0.0, 0.0, 0.5, 1.0, 1.0]);
    }

    /// Three channels, ImageNet statistics: u = 0.5 gives (0.5 − 0.485)/0.229 = 0.0655022 in
    /// channel 0, (0.5 − 0.456)/0.224 = 0.1964286 in 1, (0.5 − 0.406)/0.225 = 0.4177778 in 2,
    /// each channel a full 160×160 plane (NCHW).
    #[test]
    fn normalise_per_channel_in_nchw_order() {
        let recipe = PatchPreprocessing::new(
            HuWindow { min: -1000.0, max: 400.0 },
            3,
            Some(Normalise { mean: vec![0.485, 0.456, 0.406], std: vec![0.229, 0.224, 0.225] }),
        )
        .unwrap();
        let input = recipe.input(&patch_with(&[-300.0, 900.0, 0.0]));
        assert_eq!(input.len(), 3 * PATCH_SIDE * PATCH_SIDE);
        for (c, expected) in [0.0655022f32, 0.1964286, 0.4177778].into_iter().enumerate() {
            let got = input[c * PATCH_PIXELS];
            assert!((got - expected).abs() < 1e-6, "channel {c}: {got} vs {expected}");
        }
        // Pixel 1, 900 HU, is above the window: u = 1, channel 2 → (1 − 0.406)/0.225 = 2.64.
        assert!((input[2 * PATCH_PIXELS + 1] - 2.64).abs() < 1e-6);
        // Pixel 2, 0 HU: u = 1000/1400 = 0.7142857, channel 1 → (0.7142857 − 0.456)/0.224 = 1.1530612.
        assert!((input[PATCH_PIXELS + 2] - 1.1530612).abs() < 1e-6);
    }

    #[test]
    fn one_value_applies_to_every_channel() {
        let recipe = PatchPreprocessing::new(
            HuWindow { min: 0.0, max: 100.0 },
            3,
            Some(Normalise { mean: vec![0.5], std: vec![0.25] }),
        )
        .unwrap();
        let input = recipe.input(&patch_with(&[25.0]));
        for c in 0..3 {
            assert_eq!(input[c * PATCH_PIXELS], -1.0);
        }
    }

    #[test]
    fn bad_recipes_are_rejected() {
        let window = HuWindow { min: -1000.0, max: 400.0 };
        let err = PatchPreprocessing::new(HuWindow { min: 5.0, max: 5.0 }, 1, None).unwrap_err();
        assert_eq!(err.to_string(), "window_hu must have finite min < max, got min 5 max 5");
        let err = PatchPreprocessing::new(window, 2, None).unwrap_err();
        assert_eq!(err.to_string(), "channels must be 1 or 3, got 2");
        let two = Normalise { mean: vec![0.1, 0.2], std: vec![1.0] };
        let err = PatchPreprocessing::new(window, 3, Some(two)).unwrap_err();
        assert_eq!(err.to_string(), "normalise.mean must have 1 or 3 values, got 2");
        let zero = Normalise { mean: vec![0.1], std: vec![0.0] };
        let err = PatchPreprocessing::new(window, 3, Some(zero)).unwrap_err();
        assert!(matches!(err, PreprocessingError::NormaliseValue { field: "std", .. }), "{err}");
        let nan = Normalise { mean: vec![f32::NAN], std: vec![1.0] };
        let err = PatchPreprocessing::new(window, 1, Some(nan)).unwrap_err();
        assert!(matches!(err, PreprocessingError::NormaliseValue { field: "mean", .. }), "{err}");
    }
}
