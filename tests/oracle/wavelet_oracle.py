"""Test oracle: PyRadiomics' own wavelet filter on the whole volume, cropped to boxes.

Usage: wavelet_oracle.py JOBS.json

JOBS.json is a list of jobs {"image": path, "out": dir, "wavelet": name, "start_level": int,
"level": int, "boxes": [[i0, j0, k0, i1, j1, k1], ...]} (inclusive voxel boxes, i = x fastest).
For each job this runs radiomics.imageoperations.getWaveletImage on the whole image as PyRadiomics'
extractor does, writes the yielded image-type names in order to OUT/names.txt, and the values of
each band inside box n to OUT/b{n}_{name}.f64 (raw little-endian float64, i fastest).
"""

import json
import os
import sys

import numpy as np
import SimpleITK as sitk
from radiomics import imageoperations


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    for job in jobs:
        image = sitk.ReadImage(job["image"])
        names = []
        settings = {"wavelet": job["wavelet"], "start_level": job["start_level"], "level": job["level"]}
        # The mask argument is not used by getWaveletImage; the image stands in for it.
        for filtered, name, _ in imageoperations.getWaveletImage(image, image, **settings):
            names.append(name)
            array = sitk.GetArrayFromImage(filtered)  # [k][j][i]
            for n, (i0, j0, k0, i1, j1, k1) in enumerate(job["boxes"]):
                crop = np.ascontiguousarray(array[k0 : k1 + 1, j0 : j1 + 1, i0 : i1 + 1], dtype="<f8")
                crop.tofile(os.path.join(job["out"], f"b{n}_{name}.f64"))
        with open(os.path.join(job["out"], "names.txt"), "w") as f:
            f.write("\n".join(names) + "\n")


if __name__ == "__main__":
    main()
