"""Reference ring and deep patch for the ROI tests, computed with numpy/scipy from NRRD files.

Usage: roi_reference.py IMAGE.nrrd LABEL.nrrd RADIUS_MM  ->  JSON on stdout:
  ring   flat indices (i fastest: i + nx*(j + ny*k)) of the voxels outside the label whose
         scipy.ndimage.distance_transform_edt(~mask, sampling=spacing) <= RADIUS_MM
  patch  slice, centre [i, j], centroid [i, j], values (160x160 HU, rows j, columns i fastest)
         following the rule of src/roi/patch.rs: largest tumor area, ties nearest the 3-D
         centroid's k then lowest k; centre = floor(in-slice centroid + 0.5); -1024 outside.

Independent of radscored: it reads the NRRDs with pynrrd and uses no radscored output.
"""

import json
import sys

import nrrd
import numpy as np
from scipy.ndimage import distance_transform_edt

PATCH = 160
FILL_HU = -1024.0


def main():
    image_path, label_path, radius = sys.argv[1], sys.argv[2], float(sys.argv[3])
    image, _ = nrrd.read(image_path)  # index order (i, j, k)
    label, header = nrrd.read(label_path)
    spacing = [float(np.linalg.norm(d)) for d in np.asarray(header["space directions"], dtype=float)]
    mask = label != 0

    distance = distance_transform_edt(~mask, sampling=spacing)
    ring = (distance <= radius) & ~mask
    ring_indices = np.flatnonzero(ring.ravel(order="F")).tolist()

    nx, ny, nz = mask.shape
    area = mask.sum(axis=(0, 1))
    ks = np.arange(nz)
    mean_k = float((ks * area).sum() / area.sum())
    largest = area.max()
    candidates = [k for k in range(nz) if area[k] == largest]
    slice_k = min(candidates, key=lambda k: (abs(k - mean_k), k))
    ii, jj = np.nonzero(mask[:, :, slice_k])
    centroid = [float(ii.mean()), float(jj.mean())]
    centre = [int(np.floor(c + 0.5)) for c in centroid]

    patch = np.full((PATCH, PATCH), FILL_HU, dtype=np.float32)  # [row j, column i]
    half = PATCH // 2
    for r in range(PATCH):
        j = centre[1] - half + r
        if not 0 <= j < ny:
            continue
        for c in range(PATCH):
            i = centre[0] - half + c
            if 0 <= i < nx:
                patch[r, c] = image[i, j, slice_k]

    json.dump(
        {
            "spacing": spacing,
            "ring": ring_indices,
            "patch": {
                "slice": int(slice_k),
                "centre": centre,
                "centroid": centroid,
                "values": patch.ravel().astype(float).tolist(),
            },
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
