//! Export: DICOM objects leave the box. [`scu`]: the C-STORE SCU that sends Part-10 files to a
//! PACS (used by `radscored send`, the demo and the daemon's export jobs).

pub mod scu;
