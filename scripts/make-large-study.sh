#!/usr/bin/env bash
# A 512x512x600 CT study for the appliance's large-series benchmark (issue 12: "a 512x512x600
# series: <= 1.5 s with peak RSS <= 1 GiB"): lung1 (512x512x48, 5 mm slices) resampled along z by
# nearest neighbour to 600 slices of 0.4 mm over the same extent, tumor label likewise, turned into
# a DICOM CT series and SEG by ../shared/tools/make_dicom_fixture.py (highdicom, pydicom).
# Usage: scripts/make-large-study.sh OUT_DIR   then   scripts/bench-daemon.sh 3 1 OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: scripts/make-large-study.sh OUT_DIR}"
py=.venv-ref/bin/python
[[ -x $py ]] || { echo "make-large-study: run scripts/setup.sh first" >&2; exit 1; }
tool=../shared/tools/make_dicom_fixture.py
[[ -f $tool ]] || { echo "make-large-study: $tool is missing (../shared beside the repository)" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
$py - ../shared/refdata/pyradiomics "$work" <<'PY'
import pathlib, sys
import nrrd, numpy as np
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
slices = 600
for kind in ("image", "label"):
    data, header = nrrd.read(str(src / f"lung1_{kind}.nrrd"))
    n = data.shape[2]
    # Slice k of the new grid takes the old slice whose extent holds its centre.
    index = np.minimum((np.arange(slices) * n) // slices, n - 1)
    resampled = np.ascontiguousarray(data[:, :, index])
    directions = np.array(header["space directions"], dtype=float)
    directions[2] *= n / slices
    header["space directions"] = directions
    header["sizes"] = np.array(resampled.shape)
    # The origin is the centre of voxel 0: move it to the centre of the new first slice.
    origin = np.array(header["space origin"], dtype=float)
    header["space origin"] = origin - directions[2] * (slices / n - 1) / 2
    nrrd.write(str(dst / f"{kind}.nrrd"), resampled, header)
PY
$py "$tool" --image "$work/image.nrrd" --label "$work/label.nrrd" --out "$out" --seed lung1-600 --no-rtstruct
echo "make-large-study: $(ls "$out/ct" | wc -l) CT slices and a SEG in $out"
