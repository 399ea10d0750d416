//! One received DICOM instance and the sink that makes it durable: the contract between the two
//! intake paths ([`crate::ingest::scp`], the C-STORE SCP, and [`crate::ingest::watch`], the drop
//! folder) and whatever stores instances (the daemon's spool).
//!
//! An instance reaches the sink only after its data set has been parsed in full by dicom-object
//! and carries the identifying attributes the pipeline groups by (SOP class and instance, study,
//! series): garbage is answered `0xC000` by the SCP, or moved aside by the folder intake, without
//! bothering the sink. The sink answers [`Stored`] only once the instance is durable; its
//! [`Refusal`] maps to the DIMSE status the SCP sends back (PS3.4 §B.2.3).

use std::io::Write;

use dicom_dictionary_std::{tags, uids};
use dicom_encoding::TransferSyntaxIndex;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use super::{
    dimse::{trim_uid, Status},
    guard::{self, DicomFileError},
};

/// Length of the Part-10 file preamble (PS3.10 §7.1), written as zeros.
const PREAMBLE_LEN: usize = 128;
/// The Part-10 prefix after the preamble.
const DICM_MAGIC: &[u8; 4] = b"DICM";

/// The storage SOP classes the study path analyses (PS3.4 Annex B.5): CT slices, the tumor
/// segmentation as DICOM SEG (binary, fractional or label map) or as RT Structure Set.
pub const ANALYSED_SOP_CLASSES: [&str; 4] = [
    uids::CT_IMAGE_STORAGE,
    uids::SEGMENTATION_STORAGE,
    uids::LABEL_MAP_SEGMENTATION_STORAGE,
    uids::RT_STRUCTURE_SET_STORAGE,
];

/// Where an instance came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Received by C-STORE from this calling AE title.
    Network {
        /// The peer's (calling) AE title, without padding.
        calling_ae: String,
    },
    /// Dropped into the watched folder.
    Folder,
}

/// What the pipeline does with an instance once it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// One of [`ANALYSED_SOP_CLASSES`]: grouped into series and analysed.
    Analyse,
    /// A SOP class on the configured store-but-ignore list: kept, never analysed.
    StoreOnly,
}

/// A complete, parsed instance on its way to the sink.
#[derive(Debug, Clone)]
pub struct ReceivedInstance {
    /// Who sent it.
    pub source: Source,
    /// What the pipeline does with it.
    pub handling: Handling,
    /// SOPClassUID (0008,0016), without padding.
    pub sop_class_uid: String,
    /// SOPInstanceUID (0008,0018), without padding.
    pub sop_instance_uid: String,
    /// The transfer syntax of the data set (the presentation context's, or the file's).
    pub transfer_syntax_uid: String,
    /// StudyInstanceUID (0020,000D).
    pub study_instance_uid: String,
    /// SeriesInstanceUID (0020,000E).
    pub series_instance_uid: String,
    /// Modality (0008,0060), when present.
    pub modality: Option<String>,
    /// The whole instance as a DICOM Part-10 file: preamble, `DICM`, file meta group, and the
    /// data set exactly as received.
    pub part10: Vec<u8>,
}

/// The sink's receipt: the instance is durable (written, fsynced, in place).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A new instance.
    New,
    /// An instance with this SOP Instance UID was already stored; it has been replaced or kept
    /// (the sink's choice), and the sender may consider it stored.
    Duplicate,
}

/// Why the sink did not store an instance, and the DIMSE status the sender gets for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No room: the spool is below its free-disk watermark (`0xA700`). Nothing half-written
    /// may remain.
    #[error("out of resources")]
    OutOfResources,
    /// The instance cannot be understood (`0xC000`).
    #[error("cannot understand the instance")]
    CannotUnderstand,
    /// The SOP class is not one the sink stores (`0x0122`).
    #[error("SOP class not supported")]
    SopClassNotSupported,
    /// Anything else that failed while storing (`0x0110`).
    #[error("processing failure")]
    ProcessingFailure,
}

impl Refusal {
    /// The DIMSE status sent back for this refusal.
    pub fn status(&self) -> Status {
        match self {
            Refusal::OutOfResources => Status::OUT_OF_RESOURCES,
            Refusal::CannotUnderstand => Status::CANNOT_UNDERSTAND,
            Refusal::SopClassNotSupported => Status::SOP_CLASS_NOT_SUPPORTED,
            Refusal::ProcessingFailure => Status::PROCESSING_FAILURE,
        }
    }

    /// Whether sending the same instance again later may succeed (the folder intake keeps such
    /// files in place and retries them).
    pub fn is_transient(&self) -> bool {
        matches!(self, Refusal::OutOfResources | Refusal::ProcessingFailure)
    }
}

/// Where received instances go. Implemented by the daemon's spool; [`InstanceSink::store`] may
/// block (it writes and fsyncs) and is always called from a blocking thread.
pub trait InstanceSink: Send + Sync + 'static {
    /// Makes the instance durable, or says why not. `Ok` means it survives a crash.
    fn store(&self, instance: ReceivedInstance) -> Result<Stored, Refusal>;
}

/// Why received bytes are not an instance the sink can be given.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not a DICOM Part-10 file (no preamble and `DICM`, or an unreadable file meta group).
    #[error("not a DICOM file")]
    NotDicom,
    /// The transfer syntax is not one radscored reads.
    #[error("transfer syntax is not supported")]
    TransferSyntax,
    /// The data set is hostile (pre-scan), does not parse in full in its transfer syntax, or
    /// made the parser panic.
    #[error("data set does not parse")]
    DataSet(#[source] DicomFileError),
    /// A required attribute is missing or empty.
    #[error("data set has no {0}")]
    MissingAttribute(&'static str),
    /// The data set's SOP Class UID is not the one announced (C-STORE command or file meta).
    #[error("SOP class of the data set differs from the announced one")]
    SopClassMismatch,
    /// The data set's SOP Instance UID is not the one announced.
    #[error("SOP instance of the data set differs from the announced one")]
    SopInstanceMismatch,
    /// The SOP class is neither analysed nor on the store-but-ignore list.
    #[error("SOP class is not accepted")]
    SopClassNotAccepted,
    /// The file meta group could not be built from the data set's UIDs.
    #[error("could not build the file meta group")]
    FileMeta,
}

impl crate::error_code::ErrorCode for ParseError {
    fn code(&self) -> &'static str {
        match self {
            ParseError::NotDicom => "not_dicom",
            ParseError::TransferSyntax => "transfer_syntax_not_supported",
            ParseError::DataSet(cause) => cause.code(),
            ParseError::MissingAttribute(_) => "missing_attribute",
            ParseError::SopClassMismatch => "sop_class_mismatch",
            ParseError::SopInstanceMismatch => "sop_instance_mismatch",
            ParseError::SopClassNotAccepted => "sop_class_not_accepted",
            ParseError::FileMeta => "file_meta_unbuildable",
        }
    }
}

impl ParseError {
    /// The DIMSE status a C-STORE SCP answers for this failure (PS3.4 §B.2.3).
    pub fn status(&self) -> Status {
        match self {
            ParseError::SopClassMismatch => Status::DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
            ParseError::SopClassNotAccepted => Status::SOP_CLASS_NOT_SUPPORTED,
            _ => Status::CANNOT_UNDERSTAND,
        }
    }
}

/// What decides [`Handling`]: the analysed SOP classes and the configured store-only list.
#[derive(Debug, Clone, Default)]
pub struct Acceptance {
    /// SOP Class UIDs accepted and stored but never analysed.
    pub store_only: Vec<String>,
}

impl Acceptance {
    /// How an instance of this SOP class is handled, or `None` when it is not accepted.
    pub fn handling(&self, sop_class_uid: &str) -> Option<Handling> {
        if ANALYSED_SOP_CLASSES.contains(&sop_class_uid) {
            Some(Handling::Analyse)
        } else if self.store_only.iter().any(|c| trim_uid(c) == sop_class_uid) {
            Some(Handling::StoreOnly)
        } else {
            None
        }
    }
}

/// The C-STORE request's view of an instance: what the command announced.
#[derive(Debug, Clone, Copy)]
pub struct Announced<'a> {
    /// Affected SOP Class UID of the command.
    pub sop_class_uid: &'a str,
    /// Affected SOP Instance UID of the command.
    pub sop_instance_uid: &'a str,
    /// The presentation context's transfer syntax.
    pub transfer_syntax_uid: &'a str,
}

/// Builds the instance from a data set received by C-STORE: wraps it in a Part-10 file whose
/// meta group names the announced SOP class and instance and the calling AE as source
/// (PS3.10 §7.1), pre-scans that file for hostile structure ([`guard::prescan`]), parses the data
/// set in full in the presentation context's transfer syntax behind the parser's panic boundary,
/// and checks it against the command.
pub fn from_data_set(
    data_set: &[u8],
    announced: Announced<'_>,
    calling_ae: &str,
    acceptance: &Acceptance,
) -> Result<ReceivedInstance, ParseError> {
    let ts = TransferSyntaxRegistry
        .get(announced.transfer_syntax_uid)
        .filter(|ts| !ts.is_unsupported())
        .ok_or(ParseError::TransferSyntax)?;
    let part10 = part10_file(data_set, announced, Some(calling_ae))?;
    let prescanned = guard::prescan(&part10).map_err(ParseError::DataSet)?;
    let obj = prescanned.parse_data_set(&part10, ts).map_err(ParseError::DataSet)?;
    let ids = Identity::read(&obj)?;
    if ids.sop_class_uid != announced.sop_class_uid {
        return Err(ParseError::SopClassMismatch);
    }
    if ids.sop_instance_uid != announced.sop_instance_uid {
        return Err(ParseError::SopInstanceMismatch);
    }
    let handling = acceptance.handling(&ids.sop_class_uid).ok_or(ParseError::SopClassNotAccepted)?;
    Ok(ids.into_instance(
        Source::Network { calling_ae: calling_ae.to_owned() },
        handling,
        announced.transfer_syntax_uid.to_owned(),
        part10,
    ))
}

/// `data_set` after a preamble, `DICM` and a file meta group naming `announced` (and the calling
/// AE as source, for an instance received by C-STORE), PS3.10 §7.1.
fn part10_file(
    data_set: &[u8],
    announced: Announced<'_>,
    calling_ae: Option<&str>,
) -> Result<Vec<u8>, ParseError> {
    let mut meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(announced.sop_class_uid)
        .media_storage_sop_instance_uid(announced.sop_instance_uid)
        .transfer_syntax(announced.transfer_syntax_uid);
    if let Some(ae) = calling_ae {
        meta = meta.source_application_entity_title(ae);
    }
    let meta = meta.build().map_err(|_| ParseError::FileMeta)?;
    let mut part10 = Vec::with_capacity(PREAMBLE_LEN + 512 + data_set.len());
    part10.extend_from_slice(&[0; PREAMBLE_LEN]);
    part10.extend_from_slice(DICM_MAGIC);
    meta.write(&mut part10).map_err(|_| ParseError::FileMeta)?;
    // Vec's Write never fails.
    let _ = part10.write_all(data_set);
    Ok(part10)
}

/// Builds the instance from the bytes of a file in the drop folder: a Part-10 file is parsed in
/// whole, its file meta group and data set must agree, and its bytes are kept as they are; a plain
/// data set (no preamble, no file meta group, as some archives write them) is read in the transfer
/// syntax its first element shows ([`guard::plain_data_set_syntax`], as dcmtk and pydicom infer
/// it) and kept inside a Part-10 file whose meta group names what it holds, so that the spool
/// holds standard files only. `transfer_syntaxes` are the transfer syntaxes accepted.
pub fn from_part10(
    bytes: Vec<u8>,
    transfer_syntaxes: &[String],
    acceptance: &Acceptance,
) -> Result<ReceivedInstance, ParseError> {
    if bytes.len() < PREAMBLE_LEN + DICM_MAGIC.len()
        || &bytes[PREAMBLE_LEN..PREAMBLE_LEN + DICM_MAGIC.len()] != DICM_MAGIC
    {
        return from_plain_data_set(&bytes, transfer_syntaxes, acceptance);
    }
    let meta =
        dicom_object::FileMetaTable::from_reader(&bytes[PREAMBLE_LEN..]).map_err(|_| ParseError::NotDicom)?;
    let ts_uid = trim_uid(meta.transfer_syntax()).to_owned();
    if !transfer_syntaxes.iter().any(|t| trim_uid(t) == ts_uid) {
        return Err(ParseError::TransferSyntax);
    }
    let ts = TransferSyntaxRegistry.get(&ts_uid).ok_or(ParseError::TransferSyntax)?;
    let prescanned = guard::prescan(&bytes).map_err(ParseError::DataSet)?;
    let obj = prescanned.parse_data_set(&bytes, ts).map_err(ParseError::DataSet)?;
    let ids = Identity::read(&obj)?;
    if ids.sop_class_uid != trim_uid(meta.media_storage_sop_class_uid()) {
        return Err(ParseError::SopClassMismatch);
    }
    if ids.sop_instance_uid != trim_uid(meta.media_storage_sop_instance_uid()) {
        return Err(ParseError::SopInstanceMismatch);
    }
    let handling = acceptance.handling(&ids.sop_class_uid).ok_or(ParseError::SopClassNotAccepted)?;
    Ok(ids.into_instance(Source::Folder, handling, ts_uid, bytes))
}

/// [`from_part10`] for a file without preamble and file meta group.
fn from_plain_data_set(
    bytes: &[u8],
    transfer_syntaxes: &[String],
    acceptance: &Acceptance,
) -> Result<ReceivedInstance, ParseError> {
    let ts_uid = guard::plain_data_set_syntax(bytes).map_err(|_| ParseError::NotDicom)?;
    if !transfer_syntaxes.iter().any(|t| trim_uid(t) == ts_uid) {
        return Err(ParseError::TransferSyntax);
    }
    let ts = TransferSyntaxRegistry.get(ts_uid).ok_or(ParseError::TransferSyntax)?;
    let prescanned = guard::prescan(bytes).map_err(ParseError::DataSet)?;
    let obj = prescanned.parse_data_set(bytes, ts).map_err(ParseError::DataSet)?;
    let ids = Identity::read(&obj)?;
    let handling = acceptance.handling(&ids.sop_class_uid).ok_or(ParseError::SopClassNotAccepted)?;
    let announced = Announced {
        sop_class_uid: &ids.sop_class_uid,
        sop_instance_uid: &ids.sop_instance_uid,
        transfer_syntax_uid: ts_uid,
    };
    let part10 = part10_file(bytes, announced, None)?;
    Ok(ids.into_instance(Source::Folder, handling, ts_uid.to_owned(), part10))
}

/// The identifying attributes read from a data set.
struct Identity {
    sop_class_uid: String,
    sop_instance_uid: String,
    study_instance_uid: String,
    series_instance_uid: String,
    modality: Option<String>,
}

impl Identity {
    fn read(obj: &InMemDicomObject) -> Result<Identity, ParseError> {
        let text = |tag| {
            obj.element_opt(tag)
                .ok()
                .flatten()
                .and_then(|e| e.to_str().ok())
                .map(|s| trim_uid(s.trim()).to_owned())
                .filter(|s| !s.is_empty())
        };
        let required = |tag, name| text(tag).ok_or(ParseError::MissingAttribute(name));
        Ok(Identity {
            sop_class_uid: required(tags::SOP_CLASS_UID, "SOPClassUID")?,
            sop_instance_uid: required(tags::SOP_INSTANCE_UID, "SOPInstanceUID")?,
            study_instance_uid: required(tags::STUDY_INSTANCE_UID, "StudyInstanceUID")?,
            series_instance_uid: required(tags::SERIES_INSTANCE_UID, "SeriesInstanceUID")?,
            modality: text(tags::MODALITY),
        })
    }

    fn into_instance(
        self,
        source: Source,
        handling: Handling,
        transfer_syntax_uid: String,
        part10: Vec<u8>,
    ) -> ReceivedInstance {
        ReceivedInstance {
            source,
            handling,
            sop_class_uid: self.sop_class_uid,
            sop_instance_uid: self.sop_instance_uid,
            transfer_syntax_uid,
            study_instance_uid: self.study_instance_uid,
            series_instance_uid: self.series_instance_uid,
            modality: self.modality,
            part10,
        }
    }
}

/// A short name of a SOP class for log lines (never the UID itself).
pub fn sop_class_name(sop_class_uid: &str) -> &'static str {
    match sop_class_uid {
        uids::CT_IMAGE_STORAGE => "CT Image Storage",
        uids::SEGMENTATION_STORAGE => "Segmentation Storage",
        uids::LABEL_MAP_SEGMENTATION_STORAGE => "Label Map Segmentation Storage",
        uids::RT_STRUCTURE_SET_STORAGE => "RT Structure Set Storage",
        uids::VERIFICATION => "Verification",
        _ => "other SOP class",
    }
}
