#!/usr/bin/env python3
"""Generates the bad-input corpus of tests/hostile.rs from the shared fixtures (issue 11).

Each case is a file under tests/hostile/corpus/ and a line of corpus/cases.tsv:

    id  family  reader  file  expected  extra

`reader` says how tests/hostile.rs feeds the file to radscored; `expected` is the stable error
code the reader must return (alternatives separated by `|`), `ok`, `any` (a value or a typed
error, never a panic: random bytes may happen to parse), or `same_features` (a valid but unusual
file: the 851 features must equal those of the plain file named in `extra`). The expectations are
written here from the file format and the rule the case breaks, not by running radscored.

Run with the reference Python (pydicom): .venv-ref/bin/python tests/hostile/make_corpus.py
The output is deterministic (fixed seeds), so regenerating changes nothing unless this script does.
"""

import gzip
import io
import random
import struct
import zlib
from pathlib import Path

import pydicom
import pydicom.encaps

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared"
FX = SHARED / "fixtures" / "dicom" / "lung2-crop"
CT = FX / "ct"
OUT = HERE / "corpus"
CASES = []


def case(family, reader, name, data, expected, extra=""):
    path = OUT / family / name
    assert not path.exists(), f"two cases named {family}/{name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    CASES.append((f"{family}/{name}", family, reader, f"{family}/{name}", expected, extra))


def dicom_bytes(ds):
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def edited(path, edit):
    ds = pydicom.dcmread(path)
    edit(ds)
    return dicom_bytes(ds)


def meta_end(data):
    """Offset of the first data set element after the file meta group (explicit VR LE)."""
    pos = 132
    while data[pos : pos + 2] == b"\x02\x00":
        length = struct.unpack("<H", data[pos + 6 : pos + 8])[0]
        pos += 8 + length
    return pos


def data_set_start(data):
    """Offset of the data set: after the file meta group, whose length (0002,0000) says where it ends."""
    assert data[128:132] == b"DICM" and data[132:134] == b"\x02\x00" and data[136:138] == b"UL"
    return 144 + struct.unpack("<I", data[140:144])[0]


def element_offset(data, group, element):
    tag = struct.pack("<HH", group, element)
    return data.index(tag, meta_end(data))


SLICE = CT / "CT000030.dcm"
slice_bytes = SLICE.read_bytes()
pixel_at = element_offset(slice_bytes, 0x7FE0, 0x0010)

# Truncation at many offsets: the study path must refuse the slice (dicom-rs or the pre-scan).
offsets = [0, 1, 64, 128, 131, 132, 140, 180, 260, 400, 700, 1000, 1500, pixel_at - 3, pixel_at + 6,
           pixel_at + 12, pixel_at + 5000, len(slice_bytes) - 1]
for off in sorted(set(offsets)):
    case("truncation", "ct_slice", f"ct_at_{off}.dcm", slice_bytes[:off], "unreadable_dicom|malformed_dicom")
seg_bytes = (FX / "seg" / "seg.dcm").read_bytes()
for off in [300, 1200, 3000, len(seg_bytes) // 2, len(seg_bytes) - 7]:
    case("truncation", "seg", f"seg_at_{off}.dcm", seg_bytes[:off], "unreadable_dicom|malformed_dicom")
rt_bytes = (FX / "rtstruct" / "rtstruct.dcm").read_bytes()
for off in [500, 2500, len(rt_bytes) // 2, len(rt_bytes) - 3]:
    case("truncation", "rtstruct", f"rtstruct_at_{off}.dcm", rt_bytes[:off], "unreadable_dicom|malformed_dicom")

# Lying lengths: an element whose length runs past the end of the file.
for name, value in [("pixel_data_4g", 0xFFFFFFF0), ("pixel_data_plus_2", len(slice_bytes) - pixel_at - 12 + 2)]:
    data = bytearray(slice_bytes)
    data[pixel_at + 8 : pixel_at + 12] = struct.pack("<I", value)
    case("lying_length", "ct_slice", f"{name}.dcm", bytes(data), "malformed_dicom")
at = element_offset(slice_bytes, 0x0008, 0x0060)  # Modality, a short (2-byte length) element
data = bytearray(slice_bytes)
data[at + 6 : at + 8] = struct.pack("<H", 0xFFF0)
case("lying_length", "ct_slice", "modality_64k.dcm", bytes(data), "malformed_dicom")
seq_at = element_offset(seg_bytes, 0x5200, 0x9230)  # PerFrameFunctionalGroupsSequence
data = bytearray(seg_bytes)
data[seq_at + 8 : seq_at + 12] = struct.pack("<I", 0x7FFFFFF0)
case("lying_length", "seg", "per_frame_2g.dcm", bytes(data), "malformed_dicom")

# Random bytes in headers: anything but a panic.
rng = random.Random(11)
for n in range(16):
    data = bytearray(slice_bytes)
    for _ in range(rng.choice([1, 4, 16])):
        data[rng.randrange(132, pixel_at)] = rng.randrange(256)
    case("random_header", "ct_slice", f"ct_{n:02}.dcm", bytes(data), "any")
for n in range(8):
    data = bytearray(seg_bytes)
    for _ in range(rng.choice([1, 8])):
        data[rng.randrange(132, len(seg_bytes))] = rng.randrange(256)
    case("random_header", "seg", f"seg_{n:02}.dcm", bytes(data), "any")
    data = bytearray(rt_bytes)
    for _ in range(rng.choice([1, 8])):
        data[rng.randrange(132, len(rt_bytes))] = rng.randrange(256)
    case("random_header", "rtstruct", f"rtstruct_{n:02}.dcm", bytes(data), "any")


def nested(depth):
    """`depth` undefined-length sequences (a private tag) nested through undefined-length items."""
    opening = (struct.pack("<HH", 0x0009, 0x1010) + b"SQ\x00\x00" + b"\xff\xff\xff\xff"
               + struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF))
    closing = struct.pack("<HHI", 0xFFFE, 0xE00D, 0) + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    return opening * depth + closing * depth


def with_nesting(data, depth):
    # After the last element of group 0008 (tags ascend; group 0009 follows it).
    at = data.index(struct.pack("<HH", 0x0010, 0x0010), meta_end(data))
    return data[:at] + nested(depth) + data[at:]


# Deep nesting: the parser recurses per level; the pre-scan refuses more than 32 levels.
for depth, expected in [(5, "ok"), (32, "ok"), (33, "limit_exceeded"), (5000, "limit_exceeded")]:
    case("deep_nesting", "ct_slice", f"ct_depth_{depth}.dcm", with_nesting(slice_bytes, depth), expected)
case("deep_nesting", "seg", "seg_depth_3000.dcm", with_nesting(seg_bytes, 3000), "limit_exceeded")
case("deep_nesting", "rtstruct", "rtstruct_depth_3000.dcm", with_nesting(rt_bytes, 3000), "limit_exceeded")
case("deep_nesting", "cli_analyze", "cli_ct_depth_5000.dcm", with_nesting(slice_bytes, 5000), "limit_exceeded",
     "CT000030.dcm")

# Sizes beyond the limits, refused before any allocation.
def rows_columns(ds, n):
    ds.Rows = n
    ds.Columns = n


case("limits", "ct_slice", "ct_rows_65535.dcm", edited(SLICE, lambda ds: rows_columns(ds, 65535)), "limit_exceeded")
case("limits", "ct_series", "series_rows_65535.dcm", edited(SLICE, lambda ds: rows_columns(ds, 65535)), "limit_exceeded",
     "CT000030.dcm")
case("limits", "seg", "frames_200000.dcm",
     edited(FX / "seg" / "seg.dcm", lambda ds: setattr(ds, "NumberOfFrames", 200000)), "limit_exceeded")
case("limits", "seg", "seg_rows_65535.dcm", edited(FX / "seg" / "seg.dcm", lambda ds: rows_columns(ds, 65535)),
     "limit_exceeded")
case("limits", "ct_slice", "bits_allocated_32.dcm",
     edited(SLICE, lambda ds: setattr(ds, "BitsAllocated", 32)), "undecodable_pixel_data")

# Rescale: a zero slope (a constant image), a huge one (values far beyond any HU), a non-finite one.
for name, slope, expected in [("slope_0", "0", "implausible_rescale"), ("slope_1e6", "1000000", "implausible_rescale"),
                              ("slope_inf", "inf", "missing_attribute"), ("slope_nan", "nan", "missing_attribute")]:
    case("rescale", "ct_series", f"{name}.dcm", edited(SLICE, lambda ds, s=slope: setattr(ds, "RescaleSlope", s)),
         expected, "CT000030.dcm")
case("rescale", "cli_analyze", "cli_slope_1e6.dcm", edited(SLICE, lambda ds: setattr(ds, "RescaleSlope", "1000000")),
     "implausible_rescale", "CT000030.dcm")

# A slice whose Modality is not CT in the CT path.
case("modality", "ct_series", "modality_mr.dcm", edited(SLICE, lambda ds: setattr(ds, "Modality", "MR")),
     "no_ct_series", "CT000030.dcm")


# An RTSTRUCT contour that runs past the image edge is refused, not clipped.
def shift_contour(ds, dx):
    contour = ds.ROIContourSequence[0].ContourSequence[5]
    points = [float(v) for v in contour.ContourData]
    for p in range(0, len(points), 3):
        points[p] += dx
    contour.ContourData = [f"{v:.4f}" for v in points]


case("mask_beyond_image", "rtstruct", "contour_plus_100mm.dcm",
     edited(FX / "rtstruct" / "rtstruct.dcm", lambda ds: shift_contour(ds, 100.0)), "contour_beyond_image")
case("mask_beyond_image", "rtstruct", "contour_minus_100mm.dcm",
     edited(FX / "rtstruct" / "rtstruct.dcm", lambda ds: shift_contour(ds, -100.0)), "contour_beyond_image")

# NRRD: lung2-crop's image and label map cropped to the tumour's box and a margin (small files),
# written raw; then variations on the image.
def read_nrrd(path):
    data = path.read_bytes()
    end = data.index(b"\n\n") + 2
    fields = dict(l.split(b": ", 1) for l in data[:end].strip().split(b"\n")[1:] if b": " in l and not l.startswith(b"#"))
    body = data[end:]
    if fields[b"encoding"] == b"gzip":
        body = gzip.decompress(body)
    return fields, body


img_fields, img_body = read_nrrd(FX / "image.nrrd")
lab_fields, lab_body = read_nrrd(FX / "label.nrrd")
assert img_fields[b"type"] == b"int16" and lab_fields[b"sizes"] == img_fields[b"sizes"]
nx, ny, nz = (int(v) for v in img_fields[b"sizes"].split())
lab_type = lab_fields[b"type"]
lab_width = {b"uint8": 1, b"unsigned char": 1, b"uchar": 1, b"int16": 2, b"short": 2}[lab_type]
lab_values = [int.from_bytes(lab_body[i : i + lab_width], "little") for i in range(0, len(lab_body), lab_width)]
where = [(i % nx, (i // nx) % ny, i // (nx * ny)) for i, v in enumerate(lab_values) if v == 1]
lo = [max(0, min(p[a] for p in where) - 3) for a in range(3)]
hi = [min(n - 1, max(p[a] for p in where) + 3) for a, n in enumerate((nx, ny, nz))]
size = [hi[a] - lo[a] + 1 for a in range(3)]
spacing = [float(v.strip("()").split(",")[a]) for a, v in enumerate(img_fields[b"space directions"].decode().split())]
origin = [float(v) for v in img_fields[b"space origin"].decode().strip("()").split(",")]
crop_origin = [origin[a] + lo[a] * spacing[a] for a in range(3)]


def cropped(body, width):
    out = bytearray()
    for k in range(lo[2], hi[2] + 1):
        for j in range(lo[1], hi[1] + 1):
            row = (k * ny + j) * nx
            out += body[(row + lo[0]) * width : (row + hi[0] + 1) * width]
    return bytes(out)


def header_of(type_name, comment=b""):
    return (b"NRRD0004\n" + comment + b"type: " + type_name + b"\ndimension: 3\nspace: left-posterior-superior\n"
            + b"sizes: %d %d %d\n" % tuple(size)
            + b"space directions: (%r,0,0) (0,%r,0) (0,0,%r)\n" % tuple(spacing)
            + b"kinds: domain domain domain\nendian: little\nencoding: raw\n"
            + b"space origin: (%r,%r,%r)\n\n" % tuple(crop_origin))


raw_voxels = cropped(img_body, 2)
raw_header = header_of(b"int16")
(OUT / "label.nrrd").write_bytes(header_of(lab_type) + cropped(lab_body, lab_width))
long_header = header_of(b"int16", b"# " + b"x" * (100 * 1024) + b"\n")
case("nrrd", "features", "plain.nrrd", raw_header + raw_voxels, "ok")
case("nrrd", "features", "long_header_raw.nrrd", long_header + raw_voxels, "same_features", "nrrd/plain.nrrd")
case("nrrd", "features", "long_header_gzip.nrrd",
     long_header.replace(b"encoding: raw", b"encoding: gzip") + gzip.compress(raw_voxels, mtime=0),
     "same_features", "nrrd/plain.nrrd")
case("nrrd", "image", "header_2mib.nrrd", b"NRRD0004\n# " + b"y" * (2 << 20) + b"\n", "limit_exceeded")
case("nrrd", "image", "detached_dev_zero.nhdr",
     raw_header.replace(b"encoding: raw", b"encoding: raw\ndata file: /dev/zero"), "not_a_regular_file")
case("nrrd", "image", "detached_fifo.nhdr",
     raw_header.replace(b"encoding: raw", b"encoding: raw\ndata file: fifo.raw"), "not_a_regular_file",
     "fifo.raw")
sizes_line = b"sizes: %d %d %d" % tuple(size)
case("nrrd", "image", "sizes_huge.nrrd",
     raw_header.replace(sizes_line, b"sizes: 100000 100000 100000") + raw_voxels[:64], "limit_exceeded")
case("nrrd", "image", "gzip_bomb_claim.nrrd",
     raw_header.replace(sizes_line, b"sizes: 4096 4096 16").replace(b"encoding: raw", b"encoding: gzip")
     + gzip.compress(b"\0" * 100, mtime=0), "corrupt_voxel_data")
case("nrrd", "image", "truncated_raw.nrrd", raw_header + raw_voxels[: len(raw_voxels) // 2], "corrupt_voxel_data")
for n in range(6):
    data = bytearray(raw_header)
    for _ in range(3):
        data[rng.randrange(9, len(data) - 2)] = rng.randrange(32, 127)
    case("random_header", "image", f"nrrd_{n:02}.nrrd", bytes(data) + raw_voxels, "any")

# Non-finite and extreme intensities inside the mask (a float copy of the image).
count = len(raw_voxels) // 2
shorts = struct.unpack(f"<{count}h", raw_voxels)
label_crop = cropped(lab_body, lab_width)
inside = [i for i in range(count) if int.from_bytes(label_crop[i * lab_width : (i + 1) * lab_width], "little") == 1]
float_header = header_of(b"float")


def float_image(changes):
    values = [float(v) for v in shorts]
    for i, v in changes.items():
        values[i] = v
    return float_header + struct.pack(f"<{count}f", *values)


for name, value, expected in [("nan_in_mask", float("nan"), "non_finite_intensity"),
                              ("inf_in_mask", float("inf"), "non_finite_intensity"),
                              ("huge_in_mask", 1e30, "limit_exceeded")]:
    case("nrrd", "features", f"{name}.nrrd", float_image({inside[len(inside) // 2]: value}), expected)
case("nrrd", "features", "nan_outside_mask.nrrd", float_image({0: float("nan")}), "ok")

# NIfTI: the IBSI digital phantom's mask (plain), with a quaternion longer than 1, a sheared sform,
# huge sizes, a truncated file.
nii = bytearray(gzip.decompress((SHARED / "refdata" / "ibsi" / "digital_phantom" / "mask.nii.gz").read_bytes()))
case("nifti", "image", "plain.nii", bytes(nii), "ok")
# A gzip file smaller than its header once inflated (the phantom is 512 bytes inflated).
case("nifti", "image", "plain.nii.gz", (SHARED / "refdata" / "ibsi" / "digital_phantom" / "mask.nii.gz").read_bytes(), "ok")
bad = bytearray(nii)
bad[252:256] = struct.pack("<hh", 1, 0)  # qform_code 1, sform_code 0
bad[256:268] = struct.pack("<fff", 100.0, 100.0, 100.0)
case("nifti", "image", "quaternion_100.nii", bytes(bad), "invalid_orientation")
sheared = bytearray(nii)
sheared[252:256] = struct.pack("<hh", 0, 1)
sheared[280:328] = struct.pack("<12f", 1, 0.5, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0)
case("nifti", "image", "sform_sheared.nii", bytes(sheared), "invalid_orientation")
huge = bytearray(nii)
huge[40:56] = struct.pack("<8h", 3, 32767, 32767, 32767, 1, 1, 1, 1)
case("nifti", "image", "dims_32767.nii", bytes(huge), "limit_exceeded")
case("nifti", "image", "truncated.nii", bytes(nii[:400]), "corrupt_voxel_data")
case("nifti", "image", "header_only.nii", bytes(nii[:200]), "corrupt_voxel_data|image_unreadable")

# Parameter files.
paper = (HERE.parents[1] / "firmware-config" / "radiomics-paper.yaml").read_text()
case("params", "params", "not_yaml.yaml", b"setting: [unclosed\n", "params_not_yaml")
case("params", "params", "deep.yaml", b"[" * 100000 + b"]" * 100000, "params_not_yaml")
case("params", "params", "unknown_key.yaml", b"setting:\n  binWidht: 25\n", "unknown_params_key")
case("params", "params", "bin_width_negative.yaml", b"setting:\n  binWidth: -25\n", "bad_params_value")
case("params", "params", "paper.yaml", paper.encode(), "ok")

# Classifier JSON.
model = next((SHARED / "refdata" / "deepradscore" / "models").glob("*/3D_peritumoral.json")).read_bytes()
case("classifier", "classifier", "plain.json", model, "ok")
case("classifier", "classifier", "trailing_garbage.json", model + b"\n{\"extra\": 1}", "classifier_not_parsable")
case("classifier", "classifier", "trailing_nul.json", model + b"\0", "classifier_not_parsable")
case("classifier", "classifier", "deep.json", b"[" * 100000 + b"]" * 100000, "classifier_not_parsable")
case("classifier", "classifier", "truncated.json", model[: len(model) // 2], "classifier_not_parsable")

# Deflate (issue 10): the deflated data set and deflated image frames readers inflate untrusted
# streams. A stream cut short is malformed; a frame that inflates beyond its size (a bomb: 8 MiB
# of zeros for a 4608-byte frame) is refused before it is inflated further.
deflated_slice = pydicom.dcmread(SLICE)
deflated_slice.file_meta.TransferSyntaxUID = pydicom.uid.DeflatedExplicitVRLittleEndian
deflated_bytes = dicom_bytes(deflated_slice)
deflated_start = data_set_start(deflated_bytes)
case("deflate", "ct_slice", "ct_deflated.dcm", deflated_bytes, "ok")
case("deflate", "ct_slice", "ct_deflated_cut.dcm", deflated_bytes[: deflated_start + (len(deflated_bytes) - deflated_start) // 2],
     "malformed_dicom|unreadable_dicom")
case("deflate", "ct_slice", "ct_deflated_garbage.dcm", deflated_bytes[:deflated_start] + bytes(range(256)) * 8,
     "malformed_dicom|unreadable_dicom")

# Plain data sets (no preamble, DICM or file meta group; issue 10) are inferred and pre-scanned too.
case("deflate", "ct_slice", "ct_plain.dcm", slice_bytes[data_set_start(slice_bytes):], "ok")
case("deflate", "ct_slice", "ct_plain_depth_5000.dcm", with_nesting(slice_bytes, 5000)[data_set_start(slice_bytes):],
     "limit_exceeded")


def frame_bomb(ds):
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = bomb.compress(bytes(8 << 20)) + bomb.flush()
    ds.PixelData = pydicom.encaps.encapsulate([stream] * int(ds.NumberOfFrames))
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.8.1"


bomb_ds = pydicom.dcmread(FX / "seg" / "seg.dcm")
frame_bomb(bomb_ds)
bomb_bytes = io.BytesIO()
pydicom.dcmwrite(bomb_bytes, bomb_ds, implicit_vr=False, little_endian=True, force_encoding=True)
case("deflate", "seg", "seg_frame_bomb.dcm", bomb_bytes.getvalue(), "undecodable_pixel_data")

# The binary on a few cases: exit 2, one line, no panic message.
case("nrrd", "cli_features", "nan_in_mask_cli.nrrd", float_image({inside[0]: float("nan")}), "non_finite_intensity")
case("nrrd", "cli_features", "detached_dev_zero_cli.nhdr",
     raw_header.replace(b"encoding: raw", b"encoding: raw\ndata file: /dev/zero"), "not_a_regular_file")

with open(OUT / "cases.tsv", "w") as f:
    f.write("# id\tfamily\treader\tfile\texpected\textra (generated by make_corpus.py)\n")
    for row in CASES:
        f.write("\t".join(row) + "\n")
print(f"{len(CASES)} cases in {OUT}")
