"""An RTSTRUCT with several contours on one slice, made with pydicom, and its mask rasterised
independently of radscored (numpy, even-odd rule, voxel centres).

Usage: rtstruct_holes.py CT_DIR SOURCE_RTSTRUCT OUT_RTSTRUCT  ->  JSON on stdout:
  size        [nx, ny, nz] of the CT grid, slices sorted by position along the slice normal
              (cross product of the ImageOrientationPatient vectors), ascending
  origin      ImagePositionPatient of slice k = 0
  inside      flat indices (i + nx*(j + ny*k)) of the voxels whose centre is inside
  counts      voxels of the outer contour alone, of the hole and of the island (all > 0)

The source RTSTRUCT (the fixture's) keeps its references, UIDs and ROI; its contours are replaced
by four CLOSED_PLANAR polygons in patient coordinates on two slices of the tumor:
  slice a: an irregular outer polygon, a hole inside it and a separate island
  slice a+1: one polygon.
Vertices sit at fractional pixel positions, so no voxel centre lies on an edge and the rule for
centres on edges plays no part.
"""

import json
import os
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence


def ct_slices(ct_dir):
    slices = []
    for name in sorted(os.listdir(ct_dir)):
        ds = pydicom.dcmread(os.path.join(ct_dir, name), stop_before_pixels=True)
        slices.append(ds)
    iop = np.array([float(v) for v in slices[0].ImageOrientationPatient])
    normal = np.cross(iop[:3], iop[3:])
    slices.sort(key=lambda s: float(np.dot(normal, [float(v) for v in s.ImagePositionPatient])))
    return slices, iop


def even_odd(polygons, nx, ny):
    """Voxel centres (i, j) inside an odd number of the polygons (given in pixel coordinates)."""
    ii, jj = np.meshgrid(np.arange(nx, dtype=float), np.arange(ny, dtype=float), indexing="ij")
    parity = np.zeros((nx, ny), dtype=bool)
    for poly in polygons:
        a = np.asarray(poly, dtype=float)
        b = np.roll(a, -1, axis=0)
        for (ai, aj), (bi, bj) in zip(a, b):
            spans = (aj > jj) != (bj > jj)
            with np.errstate(divide="ignore", invalid="ignore"):
                cross_i = ai + (jj - aj) * (bi - ai) / (bj - aj)
            parity ^= spans & (cross_i > ii)
    return parity


def main():
    ct_dir, source, out = sys.argv[1], sys.argv[2], sys.argv[3]
    slices, iop = ct_slices(ct_dir)
    rows, cols = int(slices[0].Rows), int(slices[0].Columns)
    nx, ny, nz = cols, rows, len(slices)
    row_spacing, col_spacing = (float(v) for v in slices[0].PixelSpacing)
    x_dir, y_dir = iop[:3], iop[3:]

    rt = pydicom.dcmread(source)
    roi = rt.ROIContourSequence[0]
    # The tumor's middle slice, found from the fixture's own contours.
    normal = np.cross(x_dir, y_dir)
    positions = [float(np.dot(normal, [float(v) for v in s.ImagePositionPatient])) for s in slices]
    levels = sorted({float(np.dot(normal, [float(v) for v in c.ContourData[:3]])) for c in roi.ContourSequence})
    middle = levels[len(levels) // 2]
    a = int(np.argmin([abs(p - middle) for p in positions]))
    centre = (nx / 2.0, ny / 2.0)

    def ring(cx, cy, radii, phase):
        n = len(radii)
        return [
            (cx + r * np.cos(2 * np.pi * t / n + phase), cy + r * np.sin(2 * np.pi * t / n + phase))
            for t, r in enumerate(radii)
        ]

    outer = ring(centre[0] - 4.13, centre[1] + 1.27, [14.3, 17.1, 12.6, 15.9, 18.4, 13.2, 16.7, 14.9], 0.11)
    hole = ring(centre[0] - 3.71, centre[1] + 0.83, [5.3, 6.9, 4.7, 6.1, 5.6], 0.37)
    island = ring(centre[0] + 17.37, centre[1] - 9.21, [4.2, 5.9, 3.8, 5.1, 4.6, 3.3], 0.23)
    single = ring(centre[0] - 2.19, centre[1] + 0.61, [11.3, 9.8, 12.7, 10.4, 13.1, 9.2, 11.9], 0.07)
    contours = [(a, outer), (a, hole), (a, island), (a + 1, single)]

    items = []
    for number, (k, poly) in enumerate(contours, start=1):
        origin = np.array([float(v) for v in slices[k].ImagePositionPatient])
        points = [origin + i * col_spacing * x_dir + j * row_spacing * y_dir for i, j in poly]
        item = Dataset()
        image = Dataset()
        image.ReferencedSOPClassUID = slices[k].SOPClassUID
        image.ReferencedSOPInstanceUID = slices[k].SOPInstanceUID
        item.ContourImageSequence = Sequence([image])
        item.ContourGeometricType = "CLOSED_PLANAR"
        item.NumberOfContourPoints = len(points)
        item.ContourNumber = number
        item.ContourData = [f"{v:.6f}" for p in points for v in p]
        items.append(item)
    roi.ContourSequence = Sequence(items)
    rt.save_as(out)

    # Rasterise from the written file's coordinates, mapped back to pixel coordinates.
    written = pydicom.dcmread(out)
    by_slice = {}
    for c in written.ROIContourSequence[0].ContourSequence:
        pts = np.array([float(v) for v in c.ContourData]).reshape(-1, 3)
        k = int(np.argmin([abs(float(np.dot(normal, pts[0])) - p) for p in positions]))
        origin = np.array([float(v) for v in slices[k].ImagePositionPatient])
        rel = pts - origin
        pix = np.stack([rel @ x_dir / col_spacing, rel @ y_dir / row_spacing], axis=1)
        by_slice.setdefault(k, []).append(pix)
    mask = np.zeros((nx, ny, nz), dtype=bool)
    for k, polys in by_slice.items():
        mask[:, :, k] = even_odd(polys, nx, ny)

    counts = {
        "outer": int(even_odd([by_slice[a][0]], nx, ny).sum()),
        "hole": int(even_odd([by_slice[a][1]], nx, ny).sum()),
        "island": int(even_odd([by_slice[a][2]], nx, ny).sum()),
    }
    assert counts["outer"] - counts["hole"] + counts["island"] == int(mask[:, :, a].sum())
    json.dump(
        {
            "size": [nx, ny, nz],
            "origin": [float(v) for v in slices[0].ImagePositionPatient],
            "inside": np.flatnonzero(mask.ravel(order="F")).tolist(),
            "counts": counts,
            "slices": [a, a + 1],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
