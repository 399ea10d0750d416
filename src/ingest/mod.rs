//! Ingest: from a folder of DICOM files to one CT volume in Hounsfield units.
//!
//! - [`series`]: scan a folder (or take instances already parsed), group instances by SeriesInstanceUID, classify them (CT image,
//!   SEG, RTSTRUCT, other) and choose the CT series (axial, ORIGINAL, localizers left out);
//! - `qualify.rs`: the [`SeriesPolicy`] (derived images) and why a series is refused ([`CtRejection`]);
//! - `copies.rs`: copies of one instance counted once, conflicting ones refused;
//! - [`volume`]: sort the slices along the slice normal, check the series (sizes, orientation,
//!   tilt, gaps, spacing), rescale to HU and keep the geometry exactly;
//! - [`guard`]: opening a DICOM file that may be hostile (structure pre-scan, panic boundary);
//! - [`IngestError`]: every reason a folder yields no volume, naming the series and the file;
//! - [`received`]: one instance received by the network or the drop folder, and the
//!   [`InstanceSink`] that makes it durable; [`scp`]: the C-STORE/C-ECHO SCP; [`watch`]: the
//!   drop folder; [`dimse`]: DIMSE command sets and statuses (shared with the export SCU).
//!
//! Pixel data of CT slices and segmentations alike is decoded by [`pixels`] (one list of
//! transfer syntaxes: native little and big endian, deflated, RLE Lossless, JPEG Lossless, JPEG
//! 2000 through dicom-rs' codecs, the pure-Rust `openjp2` port, so the build needs no C library).

pub(crate) mod attr;
pub(crate) mod copies;
pub mod dimse;
mod error;
pub mod guard;
pub mod pixels;
mod qualify;
pub mod received;
pub mod scp;
pub mod series;
pub mod volume;
pub mod watch;

pub use error::IngestError;
pub use guard::DicomFileError;
pub use qualify::{CtRejection, SeriesPolicy};
pub use received::{InstanceSink, ReceivedInstance, Refusal, Stored};
pub use series::{group, scan, scan_study, select_ct, Instance, ObjectKind, Series, UnreadableObject};
pub use volume::{assemble, Slice, Volume};
