//! Ingest: from a folder of DICOM files to one CT volume in Hounsfield units.
//!
//! - [`series`]: scan a folder (or take instances already parsed), group instances by SeriesInstanceUID, classify them (CT image,
//!   SEG, RTSTRUCT, other) and choose the CT series (axial, ORIGINAL, not a localizer);
//! - [`volume`]: sort the slices along the slice normal, check the series (sizes, orientation,
//!   tilt, gaps, spacing), rescale to HU and keep the geometry exactly;
//! - [`guard`]: opening a DICOM file that may be hostile (structure pre-scan, panic boundary);
//! - [`IngestError`]: every reason a folder yields no volume, naming the series and the file.
//!
//! Pixel data is decoded by dicom-rs (`dicom-pixeldata`): explicit and implicit VR little endian,
//! RLE Lossless, JPEG Lossless (processes 14 and 14 SV1) and JPEG 2000 (the pure-Rust `openjp2`
//! port, so the build needs no C library).

pub(crate) mod attr;
mod error;
pub mod guard;
pub mod series;
pub mod volume;

pub use error::IngestError;
pub use guard::DicomFileError;
pub use series::{group, scan, select_ct, Instance, ObjectKind, Series};
pub use volume::{assemble, Slice, Volume};
