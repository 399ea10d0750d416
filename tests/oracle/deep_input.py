"""The network input of a bundle's deep model, as its manifest states the preprocessing; shared
by the oracles attention_reference.py and model_deep_reference.py (numpy, not radscored).

The patch is 160x160 little-endian float32 HU values, row-major. Each channel c is

    unit = (clip(hu, min, max) - min) / (max - min)          window_hu of the manifest
    x_c  = (unit - mean_c) / std_c                            normalise (mean 0, std 1 when absent)

in float64 (mean and std as float32 values, as the manifest's numbers reach the network), then
float32, shaped (1, channels, 160, 160).
"""

import tomllib
from pathlib import Path

import numpy as np

SIDE = 160


def load(bundle: Path, key: str, patch_path: str):
    """The model's manifest entry and its network input for the patch file."""
    manifest = tomllib.loads((bundle / "manifest.toml").read_text())
    model = manifest["deep_models"][key]
    prep = model["preprocessing"]
    channels = prep["channels"]
    hu = np.fromfile(patch_path, dtype="<f4").astype(np.float64).reshape(SIDE, SIDE)
    lo, hi = prep["window_hu"]["min"], prep["window_hu"]["max"]
    unit = (np.clip(hu, lo, hi) - lo) / (hi - lo)
    norm = prep.get("normalise", {"mean": [0.0], "std": [1.0]})
    mean = np.broadcast_to(np.asarray(norm["mean"], dtype=np.float32).astype(np.float64), (channels,))
    std = np.broadcast_to(np.asarray(norm["std"], dtype=np.float32).astype(np.float64), (channels,))
    x = np.stack([(unit - mean[c]) / std[c] for c in range(channels)])[None].astype(np.float32)
    return model, x
