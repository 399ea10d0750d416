"""Independent evaluation of a bundle's network for tests/model_deep.rs.

Usage: model_deep_reference.py BUNDLE_DIR MODEL_KEY PATCH_F32LE

Reads the patch (160x160 little-endian float32 HU values, row-major), applies the bundle's
preprocessing as the manifest states it (numpy, float64, then float32), and evaluates the ONNX
file twice: with onnx's ReferenceEvaluator (pure numpy operator implementations, no ONNX Runtime
code) and with onnxruntime-python on the CPU. Prints one JSON object:
{"reference_evaluator": {output: [values]}, "onnxruntime": {output: [values]}}.
"""

import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime
from onnx.reference import ReferenceEvaluator

import deep_input


def main():
    bundle, key, patch_path = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    model, x = deep_input.load(bundle, key, patch_path)

    onnx_path = str(bundle / model["file"]["path"])
    ref = ReferenceEvaluator(onnx_path)
    names = ref.output_names
    ref_out = ref.run(None, {model["input"]: x})
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    ort_out = session.run(names, {model["input"]: x})
    print(json.dumps({
        "reference_evaluator": {n: np.asarray(v).ravel().tolist() for n, v in zip(names, ref_out)},
        "onnxruntime": {n: np.asarray(v).ravel().tolist() for n, v in zip(names, ort_out)},
    }))


if __name__ == "__main__":
    main()
