#!/usr/bin/env bash
# Regenerates the compressed copies of four lung2-crop slices (k = 18..21, CT000019..CT000022.dcm)
# used by tests/ingest.rs to check the JPEG Lossless and JPEG 2000 decoders. Run from this folder.
# Needs dcmtk (Debian: apt-get install dcmtk; used 3.6.7-9~deb12u4) and a Python with
# pydicom 3.0.2, numpy and pylibjpeg-openjpeg (used 2.6.0) in $PY. Each output is decoded back
# by an independent decoder (dcmtk's dcmdjpeg, pylibjpeg-openjpeg) and compared with the source
# pixels; the script fails on any difference.
set -euo pipefail
SRC=../../../../shared/fixtures/dicom/lung2-crop/ct
PY=${PY:-python3}
rm -rf jpeg-lossless jpeg2000 && mkdir -p jpeg-lossless jpeg2000
for n in 19 20 21 22; do
  f=CT0000$n.dcm
  dcmcjpeg --encode-lossless-sv1 "$SRC/$f" "jpeg-lossless/$f"
done
"$PY" - "$SRC" <<'PYEOF'
import subprocess, sys, tempfile, os
import numpy as np, pydicom
from pydicom.uid import JPEG2000Lossless, JPEGLosslessSV1
src = sys.argv[1]
for n in (19, 20, 21, 22):
    name = f"CT0000{n}.dcm"
    original = pydicom.dcmread(os.path.join(src, name))
    ds = pydicom.dcmread(os.path.join(src, name))
    ds.compress(JPEG2000Lossless, generate_instance_uid=False)
    ds.save_as(os.path.join("jpeg2000", name), enforce_file_format=True)
    back = pydicom.dcmread(os.path.join("jpeg2000", name))
    assert back.file_meta.TransferSyntaxUID == JPEG2000Lossless
    assert back.SOPInstanceUID == original.SOPInstanceUID, name
    assert np.array_equal(back.pixel_array, original.pixel_array), name
    jl = pydicom.dcmread(os.path.join("jpeg-lossless", name))
    assert jl.file_meta.TransferSyntaxUID == JPEGLosslessSV1, jl.file_meta.TransferSyntaxUID
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "d.dcm")
        subprocess.run(["dcmdjpeg", os.path.join("jpeg-lossless", name), out], check=True)
        assert np.array_equal(pydicom.dcmread(out).pixel_array, original.pixel_array), name
print("ok: 4 JPEG Lossless SV1 and 4 JPEG 2000 lossless slices decode back to the source pixels")
PYEOF
