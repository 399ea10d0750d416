//! Deep features: a convolutional network (the paper's DenseNet121) run on the 160×160 axial
//! patch through the tumor centroid, giving each endpoint its ten penultimate-layer features
//! `x1..x10`.
//!
//! - [`DeepNet`]: the boundary trait, one patch in, the network's named outputs out;
//! - [`OrtRuntime`] / [`OrtNet`] (in `onnx`): its ONNX Runtime implementation, TensorRT or CUDA
//!   when the runtime has them, the CPU otherwise;
//! - [`tensorrt`]: the TensorRT version that keys the engine cache, and the build's progress;
//! - [`PatchPreprocessing`] (in `preprocess`): the bundle's recipe from HU to network input;
//! - [`AttentionMap`] (in `attention`): the heads' class activation map over the patch.
//!
//! A patch is row-major (`values[y · 160 + x]`), in HU, the slice as the roi stage cut it.

mod attention;
mod onnx;
mod preprocess;
pub mod tensorrt;

use std::path::PathBuf;

use crate::error_code::ErrorCode;

pub use attention::{
    AttentionMap, ATTENTION_OUTPUTS, CAM_WEIGHTS_OUTPUT, FEATURE_CHANNELS, FEATURE_MAPS_OUTPUT,
};
pub use onnx::{Accelerator, DeepConfig, NetworkSpec, OrtNet, OrtRuntime, ORT_DYLIB_ENV};
pub use preprocess::{HuWindow, Normalise, PatchPreprocessing, PreprocessingError};

pub use crate::roi::PATCH_SIDE;
/// Pixels in one patch.
pub const PATCH_PIXELS: usize = PATCH_SIDE * PATCH_SIDE;
/// Deep features per endpoint: the paper's penultimate FC layer, `x1..x10`.
pub const DEEP_FEATURES: usize = 10;

/// Why the deep network could not be loaded or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeepError {
    /// A patch has the wrong number of pixels.
    #[error("a patch must have {expected} pixels (160 x 160), got {got}")]
    PatchSize {
        /// 160 · 160.
        expected: usize,
        /// Pixels given.
        got: usize,
    },
    /// A patch pixel is NaN or infinite.
    #[error("patch pixel {index} is {value} HU, not a finite number")]
    PatchValue {
        /// Row-major pixel index.
        index: usize,
        /// The value found.
        value: f32,
    },
    /// No ONNX Runtime shared library was found.
    #[error(
        "onnx runtime library not found (looked at {searched}); set ORT_DYLIB_PATH or \
         deep.onnxruntime_library, or run scripts/setup.sh"
    )]
    LibraryNotFound {
        /// The places looked at, in order.
        searched: String,
    },
    /// The library could not be loaded, or is not ONNX Runtime.
    #[error("could not load onnx runtime from {path}: {reason}")]
    LibraryLoad {
        /// The library file.
        path: PathBuf,
        /// The loader's message.
        reason: String,
    },
    /// The library is older than the ONNX Runtime API this build uses.
    #[error("onnx runtime at {path} is version {version}; radscored needs 1.{required}.x or newer")]
    LibraryVersion {
        /// The library file.
        path: PathBuf,
        /// Its version string.
        version: String,
        /// The minor version of the ONNX Runtime API that `ort` was built for.
        required: u32,
    },
    /// ONNX Runtime is loaded once per process; a second, different library was asked for.
    #[error("onnx runtime is already loaded from {loaded} in this process; cannot switch to {requested}")]
    LibraryConflict {
        /// The library in use.
        loaded: PathBuf,
        /// The other library asked for.
        requested: PathBuf,
    },
    /// ONNX Runtime failed to set up (environment, session options).
    #[error("onnx runtime set-up failed")]
    Runtime(#[source] ort::Error),
    /// The network file could not be turned into a session.
    #[error("could not load network {path}")]
    Session {
        /// The ONNX file.
        path: PathBuf,
        /// ONNX Runtime's error.
        #[source]
        source: ort::Error,
    },
    /// The network's input is not the one the bundle describes.
    #[error("network {path}: {problem}")]
    Input {
        /// The ONNX file.
        path: PathBuf,
        /// What differs, with the values found.
        problem: String,
    },
    /// The bundle asks for an output the network does not have.
    #[error("network {path} has no output '{output}' (it has: {available})")]
    MissingOutput {
        /// The ONNX file.
        path: PathBuf,
        /// The name asked for.
        output: String,
        /// The outputs it has, comma separated.
        available: String,
    },
    /// Outputs of a run lack a name the caller asked for.
    #[error("the network produced no output '{output}'")]
    OutputAbsent {
        /// The name asked for.
        output: String,
    },
    /// Inference failed.
    #[error("inference failed")]
    Run(#[source] ort::Error),
    /// An output does not hold the expected number of values.
    #[error("output '{output}' has {got} values, {expected} expected")]
    OutputSize {
        /// The output's name.
        output: String,
        /// Values expected.
        expected: usize,
        /// Values found.
        got: usize,
    },
    /// An output is NaN or infinite.
    #[error("output '{output}' holds {value}, not a finite number")]
    OutputValue {
        /// The output's name.
        output: String,
        /// The value found.
        value: f32,
    },
}

impl ErrorCode for DeepError {
    fn code(&self) -> &'static str {
        match self {
            DeepError::PatchSize { .. } | DeepError::PatchValue { .. } => "deep_patch_invalid",
            DeepError::LibraryNotFound { .. } => "onnxruntime_not_found",
            DeepError::LibraryLoad { .. }
            | DeepError::LibraryVersion { .. }
            | DeepError::LibraryConflict { .. } => "onnxruntime_unusable",
            DeepError::Runtime(_) | DeepError::Session { .. } => "deep_network_load_failed",
            DeepError::Input { .. } | DeepError::MissingOutput { .. } => "deep_network_mismatch",
            DeepError::OutputAbsent { .. } | DeepError::OutputSize { .. } | DeepError::OutputValue { .. } => {
                "deep_network_output_invalid"
            }
            DeepError::Run(_) => "deep_inference_failed",
        }
    }
}

/// One axial patch of CT values in HU, 160×160, row-major (`values[y · 160 + x]`).
#[derive(Debug, Clone, PartialEq)]
pub struct HuPatch {
    values_hu: Vec<f32>,
}

impl HuPatch {
    /// Checks the size (160 · 160) and that every value is finite.
    pub fn new(values_hu: Vec<f32>) -> Result<Self, DeepError> {
        if values_hu.len() != PATCH_PIXELS {
            return Err(DeepError::PatchSize { expected: PATCH_PIXELS, got: values_hu.len() });
        }
        if let Some((index, &value)) = values_hu.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(DeepError::PatchValue { index, value });
        }
        Ok(HuPatch { values_hu })
    }

    /// The pixels, HU, row-major.
    pub fn values_hu(&self) -> &[f32] {
        &self.values_hu
    }
}

/// A network's named outputs for one patch, each flattened (batch of one).
#[derive(Debug, Clone, PartialEq)]
pub struct DeepOutputs {
    outputs: Vec<(String, Vec<f32>)>,
}

impl DeepOutputs {
    /// Wraps `(name, values)` pairs.
    pub fn new(outputs: Vec<(String, Vec<f32>)>) -> Self {
        DeepOutputs { outputs }
    }

    /// The values of one output, if the network produced it.
    pub fn get(&self, name: &str) -> Option<&[f32]> {
        self.outputs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
    }

    /// Every output, in the order the network was asked for them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[f32])> {
        self.outputs.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// An endpoint's deep features `x1..x10` from the output that holds them, as the classifier
    /// takes them (f64).
    pub fn features(&self, output: &str) -> Result<[f64; DEEP_FEATURES], DeepError> {
        let values =
            self.get(output).ok_or_else(|| DeepError::OutputAbsent { output: output.to_string() })?;
        if values.len() != DEEP_FEATURES {
            return Err(DeepError::OutputSize {
                output: output.to_string(),
                expected: DEEP_FEATURES,
                got: values.len(),
            });
        }
        let mut out = [0.0; DEEP_FEATURES];
        for (o, &v) in out.iter_mut().zip(values) {
            if !v.is_finite() {
                return Err(DeepError::OutputValue { output: output.to_string(), value: v });
            }
            *o = f64::from(v);
        }
        Ok(out)
    }
}

/// A network that maps one CT patch to named outputs.
///
/// Contract: `run` applies the network's own preprocessing to the patch, performs one forward
/// pass, and returns the outputs chosen when the network was built, in that order. It holds no
/// state between calls besides the loaded network, so a failed call leaves it usable. Calls on
/// one value are sequential (`&mut self`); run several values for parallel inference.
pub trait DeepNet: Send {
    /// Runs one patch through the network.
    fn run(&mut self, patch: &HuPatch) -> Result<DeepOutputs, DeepError>;

    /// Where it runs, in priority order (e.g. `["TensorRT", "CUDA", "CPU"]`).
    fn providers(&self) -> &[&'static str];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_must_be_160_by_160() {
        let err = HuPatch::new(vec![0.0; 100]).unwrap_err();
        assert_eq!(err.to_string(), "a patch must have 25600 pixels (160 x 160), got 100");
    }

    #[test]
    fn patch_values_must_be_finite() {
        let mut values = vec![-50.0; PATCH_PIXELS];
        values[161] = f32::NAN;
        let err = HuPatch::new(values).unwrap_err();
        assert_eq!(err.to_string(), "patch pixel 161 is NaN HU, not a finite number");
    }

    #[test]
    fn features_take_ten_finite_values() {
        let ten: Vec<f32> = (1..=10).map(|i| i as f32 * 0.5).collect();
        let outputs = DeepOutputs::new(vec![
            ("features_LVI".into(), ten),
            ("logits_LVI".into(), vec![0.1, 0.2]),
            ("features_PI".into(), vec![f32::NAN; 10]),
        ]);
        assert_eq!(outputs.features("features_LVI").unwrap()[9], 5.0);
        let err = outputs.features("logits_LVI").unwrap_err();
        assert_eq!(err.to_string(), "output 'logits_LVI' has 2 values, 10 expected");
        let err = outputs.features("features_T4").unwrap_err();
        assert_eq!(err.to_string(), "the network produced no output 'features_T4'");
        let err = outputs.features("features_PI").unwrap_err();
        assert_eq!(err.to_string(), "output 'features_PI' holds NaN, not a finite number");
    }
}
