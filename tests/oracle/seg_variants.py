#!/usr/bin/env python3
"""Writes the lung2-crop tumor segmentation in every encoding and type, with third-party writers,
for tests/seg_encodings.rs (issue 10: "SEG in every standard encoding", label maps, plain data
sets).

    seg_variants.py OUT_DIR

The tumor mask is taken from the fixture's own SEG (../shared/fixtures/dicom/lung2-crop/seg,
decoded by pydicom) and laid on the CT slices by the SOP instances its frames reference; highdicom
then writes it again as BINARY, FRACTIONAL (probability and occupancy) and LABELMAP
segmentations in the encodings highdicom writes (explicit and implicit VR little endian, RLE,
JPEG 2000 lossless, JPEG-LS lossless), and pydicom rewrites some of them in the encodings
highdicom does not write: deflated data set, explicit VR big endian (16-bit samples byte-swapped,
as PS3.5 A.3 requires), deflated image frames (each frame packed and deflated here with zlib,
raw deflate, one fragment per frame), a BINARY SEG whose frames are not a whole number of bytes
(frames cropped to 190 x 189 pixels, away from the tumor), and plain data sets without preamble
and file meta group. The CT series is rewritten too (big endian, deflated, one slice plain, one
slice JPEG-LS lossless, which this build refuses).

OUT_DIR/manifest.json lists every file with what the reader must make of it: `mask` (the segment
to draw and the number of voxels numpy counts in the source mask) or `refused` (the stable code
and words its message must hold). Nothing here runs radscored.
"""

import io
import json
import sys
import zlib
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.encaps import encapsulate
from pydicom.sr.codedict import codes
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
)

SHARED = Path(__file__).resolve().parents[3] / "shared"
FX = SHARED / "fixtures" / "dicom" / "lung2-crop"
DEFLATED_IMAGE_FRAME_COMPRESSION = "1.2.840.10008.1.2.8.1"
BOX = (slice(5, 8), slice(10, 20), slice(10, 25))  # a second segment away from the tumor


def ct_slices():
    slices = [pydicom.dcmread(p) for p in sorted((FX / "ct").glob("*.dcm"))]
    return sorted(slices, key=lambda d: float(d.ImagePositionPatient[2]))


def tumor_mask(cts):
    seg = pydicom.dcmread(FX / "seg" / "seg.dcm")
    frames = seg.pixel_array
    index = {d.SOPInstanceUID: k for k, d in enumerate(cts)}
    mask = np.zeros((len(cts), cts[0].Rows, cts[0].Columns), dtype=np.uint8)
    for f, item in enumerate(seg.PerFrameFunctionalGroupsSequence):
        uid = item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        mask[index[uid]] |= frames[f].astype(np.uint8)
    return mask


def description(number, label):
    return hd.seg.SegmentDescription(
        segment_number=number,
        segment_label=label,
        segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
        segmented_property_type=codes.SCT.Neoplasm,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
    )


def write_seg(cts, pixels, seg_type, transfer_syntax, segments=1, **kwargs):
    seg = hd.seg.Segmentation(
        source_images=cts,
        pixel_array=pixels,
        segmentation_type=seg_type,
        segment_descriptions=[description(n, "Tumor" if n == 1 else "Box") for n in range(1, segments + 1)],
        series_instance_uid=hd.UID(),
        series_number=300,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="radscored tests",
        manufacturer_model_name="seg_variants.py",
        software_versions="1",
        device_serial_number="1",
        transfer_syntax_uid=transfer_syntax,
        **kwargs,
    )
    return seg


def part10(ds, **kwargs):
    buf = io.BytesIO()
    # A change of encoding (force_encoding) keeps the file meta group read with the data set.
    pydicom.dcmwrite(buf, ds, enforce_file_format="force_encoding" not in kwargs, **kwargs)
    return buf.getvalue()


def strip_file_meta(data):
    """The data set of a Part-10 file: preamble, DICM and the file meta group cut off."""
    assert data[128:132] == b"DICM" and data[132:134] == b"\x02\x00" and data[136:138] == b"UL"
    group_length = int.from_bytes(data[140:144], "little")
    return data[144 + group_length:]


def big_endian(ds):
    """`ds` rewritten as explicit VR big endian, 16-bit pixel samples byte-swapped."""
    ds = pydicom.dcmread(io.BytesIO(part10(ds)))
    if ds.BitsAllocated == 16:
        ds.PixelData = np.frombuffer(ds.PixelData, dtype="<u2").astype(">u2").tobytes()
        ds["PixelData"].VR = "OW"
    ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
    return part10(ds, implicit_vr=False, little_endian=False, force_encoding=True)


def deflated(ds):
    ds = pydicom.dcmread(io.BytesIO(part10(ds)))
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    return part10(ds)


def raw_deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def deflated_frames(ds, frames):
    """`ds` with its pixel data as Deflated Image Frame Compression: each frame's native bytes
    (bits packed from a byte boundary for BitsAllocated 1) raw-deflated into one fragment."""
    ds = pydicom.dcmread(io.BytesIO(part10(ds)))
    packed = []
    for frame in frames:
        flat = frame.reshape(-1)
        if ds.BitsAllocated == 1:
            packed.append(np.packbits(flat.astype(np.uint8), bitorder="little").tobytes())
        else:
            packed.append(flat.astype(f"<u{ds.BitsAllocated // 8}").tobytes())
    ds.PixelData = encapsulate([raw_deflate(p) for p in packed])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.file_meta.TransferSyntaxUID = DEFLATED_IMAGE_FRAME_COMPRESSION
    return part10(ds, implicit_vr=False, little_endian=True, force_encoding=True)


def cropped_binary(ds, rows, columns):
    """A native BINARY SEG with every frame cut to rows x columns (the top left part: plane
    positions stay valid), packed with frames running on across byte boundaries."""
    ds = pydicom.dcmread(io.BytesIO(part10(ds)))
    frames = ds.pixel_array.reshape(-1, ds.Rows, ds.Columns)[:, :rows, :columns]
    assert (rows * columns) % 8 != 0
    ds.Rows, ds.Columns = rows, columns
    ds.PixelData = np.packbits(frames.reshape(-1).astype(np.uint8), bitorder="little").tobytes()
    return ds, part10(ds)


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    cts = ct_slices()
    mask = tumor_mask(cts)
    tumor = int(mask.sum())
    labels = mask.copy()
    labels[BOX] = 2
    assert not (mask[BOX]).any()
    box = int((labels == 2).sum())
    manifest = []

    def keep(name, data, expect):
        (out / name).write_bytes(data)
        manifest.append({"file": name, **expect})

    def drawn(segment=1, voxels=tumor):
        return {"expect": "mask", "segment": segment, "voxels": voxels}

    def refused(code, *words):
        return {"expect": "refused", "code": code, "words": list(words)}

    binary = write_seg(cts, mask, "BINARY", ExplicitVRLittleEndian)
    keep("binary_explicit.dcm", part10(binary), drawn())
    keep("binary_implicit.dcm", part10(write_seg(cts, mask, "BINARY", ImplicitVRLittleEndian)), drawn())
    keep("binary_j2k.dcm", part10(write_seg(cts, mask, "BINARY", JPEG2000Lossless)), drawn())
    keep("binary_deflated.dcm", deflated(binary), drawn())
    keep("binary_big_endian.dcm", big_endian(binary), drawn())
    frames = binary.pixel_array.reshape(-1, binary.Rows, binary.Columns)
    keep("binary_deflated_frames.dcm", deflated_frames(binary, frames), drawn())
    odd, odd_bytes = cropped_binary(binary, 190, 189)
    keep("binary_odd_frames.dcm", odd_bytes, drawn())
    keep("binary_odd_frames_deflated.dcm", deflated_frames(odd, odd.pixel_array.reshape(-1, 190, 189)), drawn())
    keep("binary_plain_explicit.dcm", strip_file_meta(part10(binary)), drawn())
    implicit = pydicom.dcmread(io.BytesIO(part10(binary)))
    implicit.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    keep("binary_plain_implicit.dcm", strip_file_meta(part10(implicit, implicit_vr=True)), drawn())
    keep("binary_plain_big_endian.dcm", strip_file_meta(big_endian(binary)), refused("unreadable_dicom", "no DICOM file header", "re-send it as a DICOM file"))

    # FRACTIONAL: the tumor at 0.8, a rim of 0.45 around it (below the 0.5 threshold).
    near = np.zeros_like(mask, dtype=bool)
    for axis in (1, 2):
        near |= np.roll(mask, 2, axis=axis).astype(bool) | np.roll(mask, -2, axis=axis).astype(bool)
    fraction = np.where(mask == 1, 0.8, np.where(near, 0.45, 0.0)).astype(np.float32)
    for kind in ("PROBABILITY", "OCCUPANCY"):
        for ts, suffix in ((ExplicitVRLittleEndian, "explicit"), (RLELossless, "rle"), (JPEG2000Lossless, "j2k")):
            seg = write_seg(cts, fraction, "FRACTIONAL", ts, fractional_type=kind, max_fractional_value=255)
            keep(f"fractional_{kind.lower()}_{suffix}.dcm", part10(seg), drawn())
    fractional = write_seg(cts, fraction, "FRACTIONAL", ExplicitVRLittleEndian, max_fractional_value=255)
    keep("fractional_deflated_frames.dcm", deflated_frames(fractional, fractional.pixel_array.reshape(-1, 192, 192)), drawn())
    keep("fractional_big_endian.dcm", big_endian(fractional), drawn())
    jpegls = write_seg(cts, fraction, "FRACTIONAL", JPEGLSLossless, max_fractional_value=255)
    keep("fractional_jpegls.dcm", part10(jpegls), refused("unsupported_transfer_syntax", "JPEG-LS lossless (1.2.840.10008.1.2.4.80)", "re-send it uncompressed", "this build reads: "))

    # LABELMAP: segment 1 the tumor, segment 2 a box elsewhere; pixel values are segment numbers.
    for ts, suffix in ((ExplicitVRLittleEndian, "explicit"), (RLELossless, "rle"), (JPEG2000Lossless, "j2k")):
        seg = write_seg(cts, labels, "LABELMAP", ts, segments=2)
        keep(f"labelmap_{suffix}.dcm", part10(seg), drawn())
        keep(f"labelmap_{suffix}_box.dcm", part10(seg), drawn(2, box))
    palette = hd.PaletteColorLUTTransformation.from_colors(["black", "red", "blue"])
    coloured = write_seg(cts, labels, "LABELMAP", ExplicitVRLittleEndian, segments=2,
                         palette_color_lut_transformation=palette)
    assert coloured.PhotometricInterpretation == "PALETTE COLOR"
    keep("labelmap_palette.dcm", part10(coloured), drawn())
    keep("labelmap_palette_box.dcm", part10(coloured), drawn(2, box))
    labelmap = write_seg(cts, labels, "LABELMAP", ExplicitVRLittleEndian, segments=2)
    keep("labelmap_deflated.dcm", deflated(labelmap), drawn())
    sixteen = pydicom.dcmread(io.BytesIO(part10(labelmap)))
    values = sixteen.pixel_array.astype("<u2")
    sixteen.BitsAllocated, sixteen.BitsStored, sixteen.HighBit = 16, 16, 15
    sixteen.PixelData = values.tobytes()
    sixteen["PixelData"].VR = "OW"
    keep("labelmap16_explicit.dcm", part10(sixteen), drawn(2, box))
    keep("labelmap16_big_endian.dcm", big_endian(sixteen), drawn())
    keep("labelmap16_deflated_frames.dcm", deflated_frames(sixteen, values.reshape(-1, 192, 192)), drawn(2, box))

    # The CT series: big endian, deflated, one slice a plain data set.
    for name, rewrite in (("ct_big_endian", big_endian), ("ct_deflated", deflated)):
        (out / name).mkdir(exist_ok=True)
        for d in cts:
            (out / name / f"{d.InstanceNumber:04d}.dcm").write_bytes(rewrite(d))
    (out / "ct_plain").mkdir(exist_ok=True)
    for k, d in enumerate(cts):
        data = part10(d)
        (out / "ct_plain" / f"{k:04d}.dcm").write_bytes(strip_file_meta(data) if k in (0, 30) else data)

    (out / "ct_jpegls").mkdir(exist_ok=True)
    for k, d in enumerate(cts):
        if k == 30:
            d = pydicom.dcmread(io.BytesIO(part10(d)))
            d.compress(JPEGLSLossless)
        (out / "ct_jpegls" / f"{k:04d}.dcm").write_bytes(part10(d))

    box_ijk = {"i": [BOX[2].start, BOX[2].stop], "j": [BOX[1].start, BOX[1].stop], "k": [BOX[0].start, BOX[0].stop]}
    summary = {"tumor_voxels": tumor, "box_voxels": box, "box": box_ijk, "variants": manifest}
    (out / "manifest.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
