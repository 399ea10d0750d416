"""Oracle for tests/radiomics_shape.rs: PyRadiomics' 3D shape features as JSON on stdout.

Usage:
  pyradiomics_shape.py file IMAGE MASK LABEL
      -> {"MeshVolume": ..., ...} for that label (feature names without "original_shape_").
  pyradiomics_shape.py random SEED COUNT
      -> [{"size": [nx, ny, nz], "spacing": [sx, sy, sz], "mask": [0/1, i fastest], "features": {...}}]
      for COUNT random masks, which between them hit every marching-cubes case.
Floats are written as strings in Python's shortest round-trip form (repr), because serde_json's
default float parser can be one unit in the last place off; NaN is written as null.
"""
import json
import math
import sys

import numpy
import SimpleITK as sitk
import radiomics
from radiomics import featureextractor


def shape_features(image, mask, label):
    extractor = featureextractor.RadiomicsFeatureExtractor(label=label)
    extractor.disableAllFeatures()
    extractor.enableFeatureClassByName("shape")
    result = extractor.execute(image, mask)
    prefix = "original_shape_"
    return {
        name[len(prefix):]: (None if math.isnan(float(value)) else repr(float(value)))
        for name, value in result.items()
        if name.startswith(prefix)
    }


def random_cases(seed, count):
    rng = numpy.random.default_rng(seed)
    spacings = [0.5, 0.664062, 0.7421875, 0.9765625, 1.0, 2.5, 3.0]
    cases = []
    while len(cases) < count:
        size_zyx = rng.integers(3, 9, size=3)
        mask = (rng.random(size_zyx) < rng.uniform(0.3, 0.8)).astype(numpy.uint8)
        occupied = [numpy.any(mask, axis=tuple(a for a in range(3) if a != d)) for d in range(3)]
        if sum(int(o.sum() > 1) for o in occupied) < 2:
            continue  # PyRadiomics needs a region at least 2D
        spacing_xyz = [float(rng.choice(spacings)) for _ in range(3)]
        image = sitk.GetImageFromArray(rng.integers(0, 100, size=size_zyx).astype(numpy.int16))
        label = sitk.GetImageFromArray(mask)
        for img in (image, label):
            img.SetSpacing(spacing_xyz)
        cases.append({
            "size": [int(s) for s in size_zyx[::-1]],
            "spacing": [repr(s) for s in spacing_xyz],
            "mask": mask.ravel().tolist(),
            "features": shape_features(image, label, 1),
        })
    return cases


def main():
    radiomics.setVerbosity(60)
    mode = sys.argv[1]
    if mode == "file":
        out = shape_features(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif mode == "random":
        out = random_cases(int(sys.argv[2]), int(sys.argv[3]))
    else:
        raise SystemExit("unknown mode " + mode)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
