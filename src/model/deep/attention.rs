//! The deep network's attention map over the patch: the class activation map (CAM, Zhou et al.
//! 2016) of the heads' log-odds, which for this network is exactly Grad-CAM (Selvaraju et al.
//! 2017) up to a positive factor.
//!
//! **Why CAM is Grad-CAM here.** Every head is two FC layers with no activation between them
//! (scripts/make_reference_bundle.py), after global average pooling of the last feature maps
//! `A_k(y, x)` (k = 1..1024 channels, a 5 × 5 grid for a 160-pixel patch). So endpoint `e`'s
//! logits are affine in the pooled features `p_k = (1/Z) Σ_yx A_k(y, x)` (Z = 25):
//! `logit_c = Σ_k W_ck p_k + b_c` with `W = fc2.weight · fc1.weight` (the network's output
//! `cam_weights`). Take the log-odds `d = logit_1 − logit_0` and `u_k = W_1k − W_0k`. Then
//!
//! ```text
//! CAM(y, x)     = Σ_k u_k A_k(y, x)                       (its mean over the grid is d − const)
//! ∂d/∂A_k(y, x) = u_k / Z                                  (the same at every position)
//! Grad-CAM      = ReLU(Σ_k α_k A_k),  α_k = (1/Z) Σ_yx ∂d/∂A_k(y, x) = u_k / Z
//!               = ReLU(CAM) / Z
//! ```
//!
//! so the map computed here, from the network's outputs without back-propagation, is Grad-CAM
//! times Z before its ReLU. The key image shows one map for the ten endpoints: the mean of their
//! log-odds CAMs, which (CAM being linear in `u`) is the CAM, and so the Grad-CAM, of the mean
//! log-odds. [`AttentionMap::values`] holds it on the feature grid, signed;
//! [`AttentionMap::upsampled`] scales it from its minimum to its maximum and resamples it to the
//! patch for display.

use super::{DeepError, DeepOutputs, PATCH_SIDE};
use crate::model::bundle::Endpoint;

/// ONNX output holding the last feature maps, `[1, channels, side, side]`.
pub const FEATURE_MAPS_OUTPUT: &str = "feature_maps";
/// ONNX output holding each head's weights on the pooled features, `[2 · endpoints, channels]`:
/// row `2e + c` is class `c` of endpoint `e`.
pub const CAM_WEIGHTS_OUTPUT: &str = "cam_weights";
/// The outputs an attention map needs, asked of a network when it has them.
pub const ATTENTION_OUTPUTS: [&str; 2] = [FEATURE_MAPS_OUTPUT, CAM_WEIGHTS_OUTPUT];
/// Channels of the last feature maps: DenseNet121's final dense block ends with 1024.
pub const FEATURE_CHANNELS: usize = 1024;
/// Side of the last feature maps for a 160-pixel patch: DenseNet121 halves it five times.
pub const FEATURE_GRID_SIDE: usize = PATCH_SIDE / 32;

/// The mean log-odds CAM of all heads on the network's last feature grid.
#[derive(Debug, Clone, PartialEq)]
pub struct AttentionMap {
    side: usize,
    values: Vec<f32>,
}

impl AttentionMap {
    /// The map from a run's `feature_maps` and `cam_weights` outputs; `None` unless the run has
    /// both, an error when their sizes are not those of 1024 square maps and of two rows of 1024
    /// weights per endpoint, or a value is not finite.
    pub fn from_outputs(outputs: &DeepOutputs) -> Result<Option<AttentionMap>, DeepError> {
        let (Some(maps), Some(weights)) = (outputs.get(FEATURE_MAPS_OUTPUT), outputs.get(CAM_WEIGHTS_OUTPUT))
        else {
            return Ok(None);
        };
        let bad_size = |output: &str, expected: usize, got: usize| DeepError::OutputSize {
            output: output.to_string(),
            expected,
            got,
        };
        let channels = FEATURE_CHANNELS;
        let cells = maps.len() / channels;
        let side = (cells as f64).sqrt().round() as usize;
        if maps.len() % channels != 0 || side * side != cells || side == 0 {
            return Err(bad_size(FEATURE_MAPS_OUTPUT, channels * FEATURE_GRID_SIDE.pow(2), maps.len()));
        }
        if weights.is_empty() || weights.len() % (2 * channels) != 0 {
            return Err(bad_size(CAM_WEIGHTS_OUTPUT, 2 * channels * Endpoint::ALL.len(), weights.len()));
        }
        let endpoints = weights.len() / (2 * channels);
        if let Some((output, &value)) = [(FEATURE_MAPS_OUTPUT, maps), (CAM_WEIGHTS_OUTPUT, weights)]
            .iter()
            .find_map(|(name, values)| values.iter().find(|v| !v.is_finite()).map(|v| (*name, v)))
        {
            return Err(DeepError::OutputValue { output: output.to_string(), value });
        }
        // u_k: the mean over endpoints of (class 1 − class 0), accumulated in f64.
        let mut u = vec![0.0f64; channels];
        for endpoint in weights.chunks_exact(2 * channels) {
            let (class0, class1) = endpoint.split_at(channels);
            for (u, (&w0, &w1)) in u.iter_mut().zip(class0.iter().zip(class1)) {
                *u += (f64::from(w1) - f64::from(w0)) / endpoints as f64;
            }
        }
        let mut values = vec![0.0f64; cells];
        for (map, &u) in maps.chunks_exact(cells).zip(&u) {
            for (v, &a) in values.iter_mut().zip(map) {
                *v += u * f64::from(a);
            }
        }
        Ok(Some(AttentionMap { side, values: values.into_iter().map(|v| v as f32).collect() }))
    }

    /// Cells per side of the feature grid (5 for a 160-pixel DenseNet121 patch).
    pub fn side(&self) -> usize {
        self.side
    }

    /// The signed map, row-major on the feature grid (`values[row · side + column]`).
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// The map scaled for display, from its minimum (0) to its maximum (1), bilinearly
    /// resampled to the patch (cell centres at `(cell + ½) · PATCH_SIDE / side`, edges clamped):
    /// row-major `PATCH_SIDE × PATCH_SIDE`. Min–max rather than Grad-CAM's ReLU: the heads of
    /// seeded weights often give a map negative everywhere (all log-odds against the positive
    /// class), which the ReLU would blank; the ordering of the cells, where the evidence for the
    /// positive class is strongest, is the same. All zeros for a constant map.
    pub fn upsampled(&self) -> Vec<f32> {
        let min = self.values.iter().copied().fold(f32::INFINITY, f32::min);
        let max = self.values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let scale = if max > min { 1.0 / (max - min) } else { 0.0 };
        let cell = |r: usize, c: usize| (self.values[r * self.side + c] - min) * scale;
        let step = PATCH_SIDE as f32 / self.side as f32;
        let coordinate = |p: usize| {
            let t = ((p as f32 + 0.5) / step - 0.5).clamp(0.0, (self.side - 1) as f32);
            let low = (t.floor() as usize).min(self.side - 1);
            let high = (low + 1).min(self.side - 1);
            (low, high, t - low as f32)
        };
        let mut out = Vec::with_capacity(PATCH_SIDE * PATCH_SIDE);
        for y in 0..PATCH_SIDE {
            let (r0, r1, fy) = coordinate(y);
            for x in 0..PATCH_SIDE {
                let (c0, c1, fx) = coordinate(x);
                let top = cell(r0, c0) * (1.0 - fx) + cell(r0, c1) * fx;
                let bottom = cell(r1, c0) * (1.0 - fx) + cell(r1, c1) * fx;
                out.push(top * (1.0 - fy) + bottom * fy);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two non-zero channels on a 2 × 2 grid, one endpoint: the map is Σ_k (w1_k − w0_k) A_k.
    #[test]
    fn cam_is_the_log_odds_weighted_sum_of_the_maps() {
        let mut maps = vec![0.0; FEATURE_CHANNELS * 4];
        maps[..8].copy_from_slice(&[1.0, 2.0, 3.0, 4.0, 10.0, 0.0, 0.0, -10.0]);
        let mut weights = vec![0.0; 2 * FEATURE_CHANNELS];
        // class 0 then class 1; u = (1.5 − 0.5, 0 − 1) = (1, −1)
        weights[..2].copy_from_slice(&[0.5, 1.0]);
        weights[FEATURE_CHANNELS..FEATURE_CHANNELS + 2].copy_from_slice(&[1.5, 0.0]);
        let outputs =
            DeepOutputs::new(vec![(FEATURE_MAPS_OUTPUT.into(), maps), (CAM_WEIGHTS_OUTPUT.into(), weights)]);
        let map = AttentionMap::from_outputs(&outputs).unwrap().unwrap();
        assert_eq!(map.side(), 2);
        assert_eq!(map.values(), &[-9.0, 2.0, 3.0, 14.0]);
        let up = map.upsampled();
        assert_eq!(up.len(), PATCH_SIDE * PATCH_SIDE);
        assert_eq!(up[0], 0.0);
        assert_eq!(up[PATCH_SIDE * PATCH_SIDE - 1], 1.0);
    }

    #[test]
    fn sizes_and_values_are_checked() {
        let run = |maps: Vec<f32>, weights: Vec<f32>| {
            let outputs = DeepOutputs::new(vec![
                (FEATURE_MAPS_OUTPUT.into(), maps),
                (CAM_WEIGHTS_OUTPUT.into(), weights),
            ]);
            AttentionMap::from_outputs(&outputs).unwrap_err().to_string()
        };
        let weights = vec![0.0; 2 * FEATURE_CHANNELS];
        assert_eq!(
            run(vec![0.0; FEATURE_CHANNELS * 3], weights.clone()),
            "output 'feature_maps' has 3072 values, 25600 expected"
        );
        assert_eq!(
            run(vec![0.0; FEATURE_CHANNELS], vec![0.0; 5]),
            "output 'cam_weights' has 5 values, 20480 expected"
        );
        let mut maps = vec![0.0; FEATURE_CHANNELS];
        maps[7] = f32::NAN;
        assert_eq!(run(maps, weights), "output 'feature_maps' holds NaN, not a finite number");
    }

    #[test]
    fn networks_without_the_outputs_have_no_map() {
        let outputs = DeepOutputs::new(vec![("features_LVI".into(), vec![0.0; 10])]);
        assert_eq!(AttentionMap::from_outputs(&outputs).unwrap(), None);
    }
}
