"""Independent class activation map of a bundle's network for tests/export.rs.

Usage: attention_reference.py BUNDLE_DIR MODEL_KEY PATCH_F32LE

Reads the patch (160x160 little-endian float32 HU values, row-major), applies the bundle's
preprocessing as the manifest states it, runs the ONNX file with onnxruntime-python for its
`feature_maps` output (A, 1024 x 5 x 5) and the endpoints' logits, reads every head's FC weights
from the file's initialisers with the onnx package, and computes with numpy (float64)

    u   = mean over endpoints e of (fc2_e[1] - fc2_e[0]) @ fc1_e      (1024)
    CAM = sum_k u_k A_k                                               (5 x 5)

Prints one JSON object: {"cam": [25 values, row-major], "mean_log_odds": m, "bias_log_odds": b},
where m is the mean over endpoints of logit_1 - logit_0 from onnxruntime and b the same for the
heads' biases alone (m - b equals the CAM's mean over the grid when the heads are linear).
"""

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
from onnx import numpy_helper

import deep_input

ENDPOINTS = ["LVI", "PI", "T4", "ALK", "EGFR", "KRAS", "PIK3CA", "ROS1", "TP53", "PD1_L1"]


def main():
    bundle, key, patch_path = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    model, x = deep_input.load(bundle, key, patch_path)

    path = str(bundle / model["file"]["path"])
    weights = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in onnx.load(path).graph.initializer}
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    names = ["feature_maps"] + [f"logits_{ep}" for ep in ENDPOINTS]
    outputs = session.run(names, {model["input"]: x})
    maps = outputs[0][0].astype(np.float64)
    u = np.zeros(maps.shape[0])
    bias = 0.0
    for ep in ENDPOINTS:
        fc1, fc2 = weights[f"heads.{ep}.fc1.weight"], weights[f"heads.{ep}.fc2.weight"]
        b1, b2 = weights[f"heads.{ep}.fc1.bias"], weights[f"heads.{ep}.fc2.bias"]
        u += (fc2[1] - fc2[0]) @ fc1 / len(ENDPOINTS)
        bias += ((fc2[1] - fc2[0]) @ b1 + b2[1] - b2[0]) / len(ENDPOINTS)
    cam = np.einsum("k,kyx->yx", u, maps)
    log_odds = np.mean([float(o[0][1] - o[0][0]) for o in outputs[1:]])
    print(json.dumps({"cam": cam.ravel().tolist(), "mean_log_odds": log_odds, "bias_log_odds": bias}))


if __name__ == "__main__":
    main()
