#!/usr/bin/env python3
"""Builds radscored's demonstration model bundle, engines/reference/, byte for byte the same on
every machine.

What it writes (paths relative to the bundle folder):
  densenet121.onnx        DenseNet121 in torchvision's layout (growth rate 32, blocks 6/12/24/16,
                          bottleneck 4 x growth, 64 initial features), input 1x3x160x160, with one
                          shared backbone and ten small heads, one per endpoint. Each head is the
                          paper's two FC layers (1024 -> 10 -> 2, Xavier-uniform weights, zero
                          bias); the graph outputs `features_<EP>` (the 10 penultimate features
                          x1..x10) and `logits_<EP>` for every endpoint, and for the attention
                          map `feature_maps` (the last feature maps, 1024 x 5 x 5) and
                          `cam_weights` (each head's fc2 . fc1, 2 x 1024 per endpoint).
                          Generated, not committed.
  classifiers/<EP>.json   the paper's combined classifier of each endpoint, copied unchanged from
                          ../shared/refdata/deepradscore/models/<EP>/deep_3D_peritumoral.json
  radiomics-params.yaml   the PyRadiomics parameter file the RadScores are defined on, a copy of
                          firmware-config/radiomics-paper.yaml (the paper's setting)
  manifest.toml           names, label, sha256 of every file, the extraction settings (parameter
                          file, 3 mm ring, 160-pixel patch), patch preprocessing, and per
                          endpoint the two RadScores (tumor, ring) and the deep head's output

The weights are seeded, not trained (ImageNet weights cannot be fetched here): convolutions
Kaiming-normal (fan in, gain sqrt 2) as torchvision initialises DenseNet, batch norms with small
seeded statistics around the identity (so that the test exercises them), FC layers Xavier-uniform
as in the paper. The RadScores use real PyRadiomics feature names (the 851 of the paper's
settings: shape on the original image, the 93 other features on the original image and the eight
wavelet sub-bands); their z-score means and standard deviations are the spread of the same
feature over the PyRadiomics baseline cases (../shared/refdata/pyradiomics/baseline/, original
image; wavelet features borrow their original counterpart's), their coefficients are seeded.
Everything is labelled "demonstration weights, not for clinical use".

The graph is written with onnx.helper and numpy only (no torch). ONNX is a protobuf: the same
nodes, attributes and tensors in the same order serialise to the same bytes, so with the pinned
packages of scripts/setup.sh the file's sha256 is fixed; it is pinned in the committed
manifest.toml.

Usage:
  make_reference_bundle.py --check    write the bundle; fail if any file differs from the hashes
                                      pinned in the committed manifest (what setup.sh runs)
  make_reference_bundle.py --update   write the bundle and rewrite manifest.toml (after a
                                      deliberate change to this script)
"""

import argparse
import csv
import hashlib
import shutil
import sys
import tomllib
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parent.parent
BUNDLE = REPO / "engines" / "reference"
SHARED = REPO.parent / "shared" / "refdata"

LABEL = "demonstration weights, not for clinical use"
ENDPOINTS = ["LVI", "PI", "T4", "ALK", "EGFR", "KRAS", "PIK3CA", "ROS1", "TP53", "PD1_L1"]
MODEL_FILE = "densenet121.onnx"
PARAMS_FILE = "radiomics-params.yaml"
MODEL_NAME = "densenet121"
INPUT_NAME = "patch"
PATCH_SIDE = 160
CHANNELS = 3
# Lung window, then torchvision's ImageNet normalisation of the three replicated channels.
WINDOW_HU = (-1000.0, 400.0)
NORMALISE_MEAN = [0.485, 0.456, 0.406]
NORMALISE_STD = [0.229, 0.224, 0.225]

# torchvision densenet121: DenseNet(32, (6, 12, 24, 16), 64), bn_size 4, BN eps 1e-5.
GROWTH = 32
BLOCKS = (6, 12, 24, 16)
INIT_FEATURES = 64
BN_SIZE = 4
BN_EPS = 1e-5
DEEP_FEATURES = 10  # x1..x10: the penultimate FC layer of the paper
CLASSES = 2
FEATURE_MAPS = "feature_maps"  # 1x1024x5x5: the ReLU after norm5, what the global pool averages
CAM_WEIGHTS = "cam_weights"  # 20x1024: fc2.weight @ fc1.weight of each head, endpoint by endpoint
FEATURE_MAP_SIDE = PATCH_SIDE // 32  # four stride-2 steps and three transitions halve 160 five times

# Well within what ONNX Runtime 1.22 (scripts/setup.sh) reads; every operator used here is stable
# since opset 13, and pinning both keeps the bytes independent of the onnx package's defaults.
IR_VERSION = 8
OPSET = 17
SEED = 20240223  # the date of the paper repository's commit

WAVELET_BANDS = ["LLH", "LHL", "LHH", "HLL", "HLH", "HHL", "HHH", "LLL"]
NON_SHAPE_CLASSES = ["firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"]
BASELINE_CASES = ["brain1", "brain2", "breast1", "lung1", "lung2"]


class Graph:
    """Collects nodes and initialisers in creation order (the order fixes the bytes)."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.count = 0

    def name(self, stem):
        self.count += 1
        return f"{stem}_{self.count}"

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def node(self, op, inputs, stem, **attrs):
        out = self.name(stem)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(self, x, prefix, c_in, c_out, k, stride=1, pad=0):
        # Kaiming normal, fan in, gain sqrt(2): torchvision's DenseNet initialisation.
        std = np.sqrt(2.0 / (c_in * k * k))
        w = self.rng.standard_normal((c_out, c_in, k, k)) * std
        wn = self.init(f"{prefix}.weight", w)
        return self.node("Conv", [x, wn], "conv", kernel_shape=[k, k], strides=[stride, stride],
                         pads=[pad, pad, pad, pad])

    def bn(self, x, prefix, c):
        # Eval-mode batch norm; small seeded statistics around the identity.
        gamma = self.rng.uniform(0.9, 1.1, c)
        beta = self.rng.uniform(-0.05, 0.05, c)
        mean = self.rng.uniform(-0.05, 0.05, c)
        var = self.rng.uniform(0.9, 1.1, c)
        names = [self.init(f"{prefix}.{p}", a) for p, a in
                 (("weight", gamma), ("bias", beta), ("running_mean", mean), ("running_var", var))]
        return self.node("BatchNormalization", [x, *names], "bn", epsilon=BN_EPS)

    def relu(self, x):
        return self.node("Relu", [x], "relu")

    def linear(self, x, prefix, n_in, n_out, output_name=None):
        # Xavier uniform (Glorot): U(-a, a), a = sqrt(6 / (fan_in + fan_out)); zero bias.
        a = np.sqrt(6.0 / (n_in + n_out))
        w = self.init(f"{prefix}.weight", self.rng.uniform(-a, a, (n_out, n_in)))
        b = self.init(f"{prefix}.bias", np.zeros(n_out))
        if output_name is None:
            return self.node("Gemm", [x, w, b], "gemm", transB=1)
        self.nodes.append(helper.make_node("Gemm", [x, w, b], [output_name], name=output_name, transB=1))
        return output_name


def densenet121_with_heads():
    """The ONNX model: backbone `features.*` as torchvision names it, then one head per endpoint."""
    g = Graph(np.random.default_rng(SEED))
    x = g.conv(INPUT_NAME, "features.conv0", CHANNELS, INIT_FEATURES, 7, stride=2, pad=3)
    x = g.relu(g.bn(x, "features.norm0", INIT_FEATURES))
    x = g.node("MaxPool", [x], "pool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    channels = INIT_FEATURES
    for b, layers in enumerate(BLOCKS, start=1):
        for layer in range(1, layers + 1):
            p = f"features.denseblock{b}.denselayer{layer}"
            y = g.relu(g.bn(x, f"{p}.norm1", channels))
            y = g.conv(y, f"{p}.conv1", channels, BN_SIZE * GROWTH, 1)
            y = g.relu(g.bn(y, f"{p}.norm2", BN_SIZE * GROWTH))
            y = g.conv(y, f"{p}.conv2", BN_SIZE * GROWTH, GROWTH, 3, pad=1)
            x = g.node("Concat", [x, y], "concat", axis=1)
            channels += GROWTH
        if b < len(BLOCKS):
            p = f"features.transition{b}"
            y = g.relu(g.bn(x, f"{p}.norm", channels))
            y = g.conv(y, f"{p}.conv", channels, channels // 2, 1)
            x = g.node("AveragePool", [y], "avgpool", kernel_shape=[2, 2], strides=[2, 2])
            channels //= 2
    assert channels == 1024, channels
    x = g.relu(g.bn(x, "features.norm5", channels))
    g.nodes.append(helper.make_node("Identity", [x], [FEATURE_MAPS], name=FEATURE_MAPS))
    x = g.node("GlobalAveragePool", [x], "gap")
    pooled = g.node("Flatten", [x], "flatten", axis=1)

    outputs = []
    for ep in ENDPOINTS:
        feats = g.linear(pooled, f"heads.{ep}.fc1", channels, DEEP_FEATURES, f"features_{ep}")
        logits = g.linear(feats, f"heads.{ep}.fc2", DEEP_FEATURES, CLASSES, f"logits_{ep}")
        outputs.append(helper.make_tensor_value_info(feats, TensorProto.FLOAT, ["batch", DEEP_FEATURES]))
        outputs.append(helper.make_tensor_value_info(logits, TensorProto.FLOAT, ["batch", CLASSES]))
    # The attention map's inputs (src/model/deep/attention.rs): the last feature maps, which the
    # global average pool reduces, and each head's weights on the pooled features, fc2 · fc1
    # (the heads have no activation between their FC layers, so they are linear in the pooled
    # features), stacked per endpoint: cam_weights[2·e + c] is class c of ENDPOINTS[e].
    products = []
    for ep in ENDPOINTS:
        out = f"heads.{ep}.cam_weights"
        g.nodes.append(helper.make_node("MatMul", [f"heads.{ep}.fc2.weight", f"heads.{ep}.fc1.weight"], [out], name=out))
        products.append(out)
    g.nodes.append(helper.make_node("Concat", products, [CAM_WEIGHTS], name=CAM_WEIGHTS, axis=0))
    outputs.append(helper.make_tensor_value_info(FEATURE_MAPS, TensorProto.FLOAT, ["batch", channels, FEATURE_MAP_SIDE, FEATURE_MAP_SIDE]))
    outputs.append(helper.make_tensor_value_info(CAM_WEIGHTS, TensorProto.FLOAT, [len(ENDPOINTS) * CLASSES, channels]))

    inp = helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["batch", CHANNELS, PATCH_SIDE, PATCH_SIDE])
    graph = helper.make_graph(g.nodes, "densenet121_deepradscore_reference", [inp], outputs, g.inits)
    model = helper.make_model(graph, ir_version=IR_VERSION, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="radscored make_reference_bundle.py", producer_version="1",
                              doc_string=f"DenseNet121 (torchvision layout), seeded weights: {LABEL}")
    onnx.checker.check_model(model)
    return model.SerializeToString()


def feature_names():
    """The 851 PyRadiomics feature names of the paper's settings, with baseline statistics."""
    stats = {}
    base = SHARED / "pyradiomics" / "baseline"
    for cls in ["shape", *NON_SHAPE_CLASSES]:
        with open(base / f"baseline_{cls}.csv", newline="") as f:
            for row in csv.DictReader(f):
                name = row["featureName"]
                if name.startswith("original_"):
                    values = np.array([float(row[c]) for c in BASELINE_CASES])
                    stats[name] = values
    names = [n for n in stats if n.startswith("original_shape_")]
    originals = [n for n in stats if not n.startswith("original_shape_")]
    names += originals
    for band in WAVELET_BANDS:
        names += [n.replace("original_", f"wavelet-{band}_", 1) for n in originals]
    assert len(names) == 851, len(names)
    return names, stats


def radscore_terms(rng, names, stats):
    """A seeded RadScore: 4 to 8 distinct features with baseline-like z-score parameters."""
    usable = [n for n in names if np.std(stats["original_" + n.split("_", 1)[1]]) > 0]
    k = int(rng.integers(4, 9))
    picked = sorted(rng.choice(len(usable), size=k, replace=False).tolist())
    terms = []
    for i in picked:
        name = usable[i]
        values = stats["original_" + name.split("_", 1)[1]]
        terms.append((name, float(np.mean(values)), float(np.std(values)), round(float(rng.normal(0.0, 0.5)), 6)))
    return round(float(rng.normal(0.0, 0.2)), 6), terms


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def toml_floats(values):
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


def manifest_text(model_hash, params_hash, classifier_hashes):
    rng = np.random.default_rng(SEED + 1)
    names, stats = feature_names()
    lines = [
        "# radscored model bundle: demonstration weights, generated by scripts/make_reference_bundle.py",
        "# (do not edit by hand; rerun the script with --update). The DenseNet121 weights and the",
        "# RadScore coefficients are seeded, not trained; the classifiers are the paper's own.",
        "schema_version = 2",
        'name = "reference"',
        f'label = "{LABEL}"',
        "",
        "[extraction]",
        f'params = {{ path = "{PARAMS_FILE}", sha256 = "{params_hash}" }}',
        "ring_radius_mm = 3.0",
        "patch_side = 160",
        "",
        f"[deep_models.{MODEL_NAME}]",
        f'file = {{ path = "{MODEL_FILE}", sha256 = "{model_hash}" }}',
        f'input = "{INPUT_NAME}"',
        "",
        f"[deep_models.{MODEL_NAME}.preprocessing]",
        f"window_hu = {{ min = {WINDOW_HU[0]!r}, max = {WINDOW_HU[1]!r} }}",
        f"channels = {CHANNELS}",
        f"normalise = {{ mean = {toml_floats(NORMALISE_MEAN)}, std = {toml_floats(NORMALISE_STD)} }}",
    ]
    for ep in ENDPOINTS:
        lines += [
            "",
            f"[endpoints.{ep}]",
            f'classifier = {{ path = "classifiers/{ep}.json", sha256 = "{classifier_hashes[ep]}" }}',
            f'deep = {{ model = "{MODEL_NAME}", output = "features_{ep}" }}',
        ]
        for region in ("tumor", "ring"):
            intercept, terms = radscore_terms(rng, names, stats)
            lines += ["", f"[endpoints.{ep}.radscore.{region}]", f"intercept = {intercept!r}", "terms = ["]
            for name, mean, std, coef in terms:
                lines.append(f'  {{ feature = "{name}", mean = {mean!r}, std = {std!r}, coef = {coef!r} }},')
            lines.append("]")
    return "\n".join(lines) + "\n"


def pinned_hashes(manifest_path):
    """Every `{ path, sha256 }` of the committed manifest."""
    doc = tomllib.loads(manifest_path.read_text())
    pins = {}

    def walk(node):
        if isinstance(node, dict):
            if set(node) == {"path", "sha256"}:
                pins[node["path"]] = node["sha256"]
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    return pins


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="fail unless the files match the committed manifest")
    mode.add_argument("--update", action="store_true", help="rewrite manifest.toml from the generated files")
    args = parser.parse_args()

    (BUNDLE / "classifiers").mkdir(parents=True, exist_ok=True)
    hashes = {}
    for ep in ENDPOINTS:
        src = SHARED / "deepradscore" / "models" / ep / "deep_3D_peritumoral.json"
        dst = BUNDLE / "classifiers" / f"{ep}.json"
        shutil.copyfile(src, dst)
        hashes[f"classifiers/{ep}.json"] = sha256(dst.read_bytes())
    shutil.copyfile(REPO / "firmware-config" / "radiomics-paper.yaml", BUNDLE / PARAMS_FILE)
    hashes[PARAMS_FILE] = sha256((BUNDLE / PARAMS_FILE).read_bytes())
    model = densenet121_with_heads()
    hashes[MODEL_FILE] = sha256(model)
    tmp = BUNDLE / (MODEL_FILE + ".tmp")
    tmp.write_bytes(model)
    tmp.replace(BUNDLE / MODEL_FILE)

    manifest = BUNDLE / "manifest.toml"
    text = manifest_text(
        hashes[MODEL_FILE], hashes[PARAMS_FILE], {ep: hashes[f"classifiers/{ep}.json"] for ep in ENDPOINTS}
    )
    if args.update:
        manifest.write_text(text)
        print(f"make_reference_bundle: wrote {BUNDLE} ({MODEL_FILE} sha256 {hashes[MODEL_FILE]})")
        return 0
    if not manifest.exists():
        sys.exit(f"make_reference_bundle: {manifest} is missing; run with --update to create it")
    pins = pinned_hashes(manifest)
    bad = [f"{path}: generated {h}, manifest pins {pins.get(path)}" for path, h in hashes.items() if pins.get(path) != h]
    if manifest.read_text() != text:
        bad.append("manifest.toml: differs from what this script generates")
    if bad:
        sys.exit("make_reference_bundle: not reproduced:\n  " + "\n  ".join(bad))
    print(f"make_reference_bundle: {BUNDLE} reproduced ({MODEL_FILE} sha256 {hashes[MODEL_FILE]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
