"""Variants of a study as real sites send them, written with pydicom from a fixture study.

Usage: series_variants.py FIXTURE_DIR OUT_DIR [NAME...]  ->  JSON on stdout (the expectations below)

FIXTURE_DIR holds ct/, seg/seg.dcm and rtstruct/rtstruct.dcm (../shared/fixtures/dicom/lung2-crop).
Each variant (all, or the NAMEs given) is a study folder OUT_DIR/<name>/:

  reexport-seg        the CT re-exported with new SOP Instance UIDs (same series UID and frame of
                      reference) and the original SEG, whose frame references now point nowhere
  reexport-rtstruct   the same with the original RTSTRUCT
  duplicate           the CT, the SEG, and a byte-identical copy of one CT file in copy/
  conflict            the CT, the SEG, and in copy/ a file with one CT slice's SOP Instance UID
                      but other pixels
  derived             the CT with ImageType DERIVED\\SECONDARY\\AXIAL on every image, the SEG
                      and the RTSTRUCT
  not-axial           the CT with a coronal ImageOrientationPatient on every image, the SEG
  localizer-in-series the CT plus, in the same series, a coronal localizer image, the SEG
  localizer-series    the CT, the SEG, and a separate series of one localizer image (scout/)
  truncated-pixels    the CT with its middle file cut in its pixel data, the SEG
  truncated-header    the CT with its middle file cut inside its header (after the DICM magic)
  seg-on-mr           the CT, an MR series made from it (other series, MR Image Storage), and the
                      SEG rewritten to refer to the MR series and its images
  contour-outside     the CT and the RTSTRUCT with its first contour moved 500 mm up in z
  frame-outside       the CT and the SEG with its first frame's plane position moved 500 mm up
  two-segs            the CT, the SEG, and a second SEG (new SOP Instance and series UIDs,
                      SeriesDescription 'Second SEG') in seg2/

Expectations printed (computed here from the DICOM attributes, not by radscored):
  scan_z_range        [lowest, highest] ImagePositionPatient z of the CT slices, mm
  moved_contour_z     z of the moved contour, mm
  moved_frame_z       z of the moved frame, mm
  truncated_file      file name of the truncated CT file
  conflict_files      the two files that share a SOP Instance UID, inside the study folder
"""

import json
import os
import shutil
import sys

import pydicom
from pydicom.uid import generate_uid

MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"


def ct_files(fixture):
    folder = os.path.join(fixture, "ct")
    return [os.path.join(folder, f) for f in sorted(os.listdir(folder))]


def new_instance_uid(ds):
    uid = generate_uid()
    ds.SOPInstanceUID = uid
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    return uid


def write_ct(fixture, dst, change, folder="ct"):
    """Writes the CT files into dst/folder after change(ds); returns their old -> new SOP
    Instance UIDs."""
    mapping = {}
    for path in ct_files(fixture):
        ds = pydicom.dcmread(path)
        old = ds.SOPInstanceUID
        change(ds)
        mapping[old] = ds.SOPInstanceUID
        save(ds, dst, folder, os.path.basename(path))
    return mapping


def save(ds, dst, folder, name):
    """Writes ds as dst/folder/name (a Part-10 file), making the folder when needed."""
    os.makedirs(os.path.join(dst, folder), exist_ok=True)
    ds.save_as(os.path.join(dst, folder, name), enforce_file_format=True)


def with_part(fixture, dst, part):
    """Copies the fixture's folder `part` (ct, seg, rtstruct) unchanged into dst/part."""
    shutil.copytree(os.path.join(fixture, part), os.path.join(dst, part))


def with_seg(fixture, dst):
    with_part(fixture, dst, "seg")


def with_rtstruct(fixture, dst):
    with_part(fixture, dst, "rtstruct")


def variant(name):
    """Registers the function that writes the variant `name` into its folder."""

    def register(write):
        VARIANTS[name] = write
        return write

    return register


VARIANTS = {}


@variant("reexport-seg")
def reexport_seg(fixture, dst):
    write_ct(fixture, dst, new_instance_uid)
    with_seg(fixture, dst)


@variant("reexport-rtstruct")
def reexport_rtstruct(fixture, dst):
    write_ct(fixture, dst, new_instance_uid)
    with_rtstruct(fixture, dst)


@variant("duplicate")
def duplicate(fixture, dst):
    files = ct_files(fixture)
    with_part(fixture, dst, "ct")
    with_seg(fixture, dst)
    os.makedirs(os.path.join(dst, "copy"))
    shutil.copyfile(files[10], os.path.join(dst, "copy", os.path.basename(files[10])))


@variant("conflict")
def conflict(fixture, dst):
    files = ct_files(fixture)
    with_part(fixture, dst, "ct")
    with_seg(fixture, dst)
    ds = pydicom.dcmread(files[10])
    pixels = bytearray(ds.PixelData)
    pixels[0:8] = bytes((b + 1) % 256 for b in pixels[0:8])
    ds.PixelData = bytes(pixels)
    save(ds, dst, "copy", "other.dcm")


@variant("derived")
def derived(fixture, dst):
    def derive(ds):
        ds.ImageType = ["DERIVED", "SECONDARY", "AXIAL"]

    write_ct(fixture, dst, derive)
    with_seg(fixture, dst)
    with_rtstruct(fixture, dst)


@variant("not-axial")
def not_axial(fixture, dst):
    def coronal(ds):
        ds.ImageOrientationPatient = [1, 0, 0, 0, 0, -1]

    write_ct(fixture, dst, coronal)
    with_seg(fixture, dst)


@variant("localizer-in-series")
def localizer_in_series(fixture, dst):
    files = ct_files(fixture)
    with_part(fixture, dst, "ct")
    with_seg(fixture, dst)
    ds = pydicom.dcmread(files[0])
    new_instance_uid(ds)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 0, -1]
    save(ds, dst, "ct", "scout.dcm")


@variant("localizer-series")
def localizer_series(fixture, dst):
    files = ct_files(fixture)
    with_part(fixture, dst, "ct")
    with_seg(fixture, dst)
    ds = pydicom.dcmread(files[0])
    new_instance_uid(ds)
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 99
    ds.SeriesDescription = "Topogram"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 0, -1]
    save(ds, dst, "scout", "topogram.dcm")


def truncated(keep):
    def write(fixture, dst):
        files = ct_files(fixture)
        middle = files[len(files) // 2]
        with_part(fixture, dst, "ct")
        with_seg(fixture, dst)
        with open(middle, "rb") as f:
            data = f.read()
        with open(os.path.join(dst, "ct", os.path.basename(middle)), "wb") as f:
            f.write(data[: keep(len(data))])

    return write


variant("truncated-pixels")(truncated(lambda size: size - size // 4))
variant("truncated-header")(truncated(lambda size: 400))


@variant("seg-on-mr")
def seg_on_mr(fixture, dst):
    with_part(fixture, dst, "ct")
    mr_series = generate_uid()

    def to_mr(ds):
        new_instance_uid(ds)
        ds.SOPClassUID = MR_IMAGE_STORAGE
        ds.file_meta.MediaStorageSOPClassUID = MR_IMAGE_STORAGE
        ds.Modality = "MR"
        ds.SeriesInstanceUID = mr_series
        ds.SeriesNumber = 5
        ds.SeriesDescription = "T1 axial"

    mapping = write_ct(fixture, dst, to_mr, folder="mr")
    seg = pydicom.dcmread(os.path.join(fixture, "seg", "seg.dcm"))
    for series in seg.ReferencedSeriesSequence:
        series.SeriesInstanceUID = mr_series
        for item in series.ReferencedInstanceSequence:
            item.ReferencedSOPInstanceUID = mapping[item.ReferencedSOPInstanceUID]
            item.ReferencedSOPClassUID = MR_IMAGE_STORAGE
    for item in seg.get("SourceImageSequence", []):
        item.ReferencedSOPInstanceUID = mapping[item.ReferencedSOPInstanceUID]
    for frame in seg.PerFrameFunctionalGroupsSequence:
        for derivation in frame.get("DerivationImageSequence", []):
            for source in derivation.SourceImageSequence:
                source.ReferencedSOPInstanceUID = mapping[source.ReferencedSOPInstanceUID]
    save(seg, dst, "seg", "seg.dcm")


@variant("contour-outside")
def contour_outside(fixture, dst):
    with_part(fixture, dst, "ct")
    rt = pydicom.dcmread(os.path.join(fixture, "rtstruct", "rtstruct.dcm"))
    contour = rt.ROIContourSequence[0].ContourSequence[0]
    data = [float(v) for v in contour.ContourData]
    for i in range(2, len(data), 3):
        data[i] += 500.0
    contour.ContourData = data
    save(rt, dst, "rtstruct", "rtstruct.dcm")


@variant("frame-outside")
def frame_outside(fixture, dst):
    with_part(fixture, dst, "ct")
    seg = pydicom.dcmread(os.path.join(fixture, "seg", "seg.dcm"))
    plane = seg.PerFrameFunctionalGroupsSequence[0].PlanePositionSequence[0]
    position = [float(v) for v in plane.ImagePositionPatient]
    position[2] += 500.0
    plane.ImagePositionPatient = position
    save(seg, dst, "seg", "seg.dcm")


@variant("two-segs")
def two_segs(fixture, dst):
    with_part(fixture, dst, "ct")
    with_seg(fixture, dst)
    seg = pydicom.dcmread(os.path.join(fixture, "seg", "seg.dcm"))
    new_instance_uid(seg)
    seg.SeriesInstanceUID = generate_uid()
    seg.SeriesDescription = "Second SEG"
    save(seg, dst, "seg2", "seg.dcm")


def expectations(fixture):
    """What the variants should give, from the fixture's DICOM attributes."""
    files = ct_files(fixture)
    z = [float(pydicom.dcmread(f, stop_before_pixels=True).ImagePositionPatient[2]) for f in files]
    rt = pydicom.dcmread(os.path.join(fixture, "rtstruct", "rtstruct.dcm"))
    seg = pydicom.dcmread(os.path.join(fixture, "seg", "seg.dcm"), stop_before_pixels=True)
    frame = seg.PerFrameFunctionalGroupsSequence[0].PlanePositionSequence[0]
    return {
        "scan_z_range": [min(z), max(z)],
        "moved_contour_z": float(rt.ROIContourSequence[0].ContourSequence[0].ContourData[2]) + 500.0,
        "moved_frame_z": float(frame.ImagePositionPatient[2]) + 500.0,
        "truncated_file": os.path.basename(files[len(files) // 2]),
        "conflict_files": [f"ct/{os.path.basename(files[10])}", "copy/other.dcm"],
    }


def main():
    fixture, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    expect = expectations(fixture)
    for name in names or VARIANTS:
        VARIANTS[name](fixture, os.path.join(out, name))
    json.dump(expect, sys.stdout)


if __name__ == "__main__":
    main()
