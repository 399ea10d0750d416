//! The C-STORE SCU: sends DICOM Part-10 files to a peer (a PACS, or radscored's own SCP) over
//! one association, and reports, file by file, the status the peer answered.
//!
//! Sources: PS3.4 Annex B (Storage Service Class), PS3.7 §9.1.1 (C-STORE), PS3.8 §7.1
//! (A-ASSOCIATE: presentation context negotiation, rejection reasons).
//!
//! Presentation contexts are proposed from the files themselves: one per (SOP class, transfer
//! syntax) pair, offering the file's transfer syntax first and, for an uncompressed little
//! endian file, the other little endian syntax as a fallback (explicit ↔ implicit VR; the data
//! set is then re-encoded by dicom-object). A file is counted as stored only when the peer
//! answered success or a warning (PS3.4 §B.2.3: a warning status means the instance was stored);
//! a rejected association, a refused presentation context or a failure status is never "sent".
//! Data sets go out byte for byte as they are in the file when the file's transfer syntax was
//! accepted.

use std::{
    io::{Cursor, Write},
    path::{Path, PathBuf},
    time::Duration,
};

use dicom_dictionary_std::uids;
use dicom_encoding::TransferSyntaxIndex;
use dicom_object::{FileMetaTable, InMemDicomObject};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use dicom_ul::{
    association::{client::ClientAssociation, Error as UlError},
    pdu::{AssociationRJ, PDataValue, PDataValueType, PresentationContextNegotiated},
    ClientAssociationOptions, Pdu,
};
use serde::Deserialize;
use tracing::{debug, warn};

use crate::{
    error_code::ErrorCode,
    ingest::{
        dimse::{self, trim_uid, Status},
        guard::{self, DicomFileError},
    },
};

/// Length of the Part-10 preamble (PS3.10 §7.1).
const PREAMBLE_LEN: usize = 128;
/// Largest number of presentation contexts in one association (odd IDs 1..=255, PS3.8 §9.3.2.2).
pub const MAX_PRESENTATION_CONTEXTS: usize = 128;
/// Largest PDU we receive (responses are small; this is dcmtk's default).
const MAX_PDU_BYTES: u32 = 16_384;

/// A storage SCP to send to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The peer's AE title (called AE).
    #[serde(default = "default_called_ae")]
    pub called_ae: String,
    /// Our AE title (calling AE).
    #[serde(default = "default_calling_ae")]
    pub calling_ae: String,
    /// Limit for connecting and for each network read or write, in seconds.
    #[serde(default = "default_timeout_s")]
    pub timeout_s: u64,
}

impl Peer {
    /// A peer with the default AE titles (`RADSCORED` calling `ANY-SCP`) and timeout.
    pub fn new(host: impl Into<String>, port: u16) -> Peer {
        Peer {
            host: host.into(),
            port,
            called_ae: default_called_ae(),
            calling_ae: default_calling_ae(),
            timeout_s: default_timeout_s(),
        }
    }
}

fn default_called_ae() -> String {
    "ANY-SCP".to_owned()
}
fn default_calling_ae() -> String {
    "RADSCORED".to_owned()
}
fn default_timeout_s() -> u64 {
    60
}

/// Why nothing could be sent: the association never came to be.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No file to send.
    #[error("no DICOM file to send")]
    NoFiles,
    /// More distinct (SOP class, transfer syntax) pairs than one association can carry.
    #[error("the files need {0} presentation contexts; one association carries at most {MAX_PRESENTATION_CONTEXTS}")]
    TooManyPresentationContexts(usize),
    /// The TCP connection failed.
    #[error("could not connect to {address}")]
    Connect {
        /// host:port.
        address: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The peer answered A-ASSOCIATE-RJ.
    #[error("association rejected by {called_ae} at {address}: {reason}")]
    Rejected {
        /// The called AE title.
        called_ae: String,
        /// host:port.
        address: String,
        /// Result, source and reason of the rejection, in the standard's words.
        reason: String,
    },
    /// The peer accepted none of the proposed presentation contexts.
    #[error("{called_ae} at {address} accepted none of the proposed SOP classes and transfer syntaxes")]
    NothingAccepted {
        /// The called AE title.
        called_ae: String,
        /// host:port.
        address: String,
    },
    /// Any other failure of the association set-up (protocol error, timeout).
    #[error("association with {called_ae} at {address} failed: {reason}")]
    Association {
        /// The called AE title.
        called_ae: String,
        /// host:port.
        address: String,
        /// What failed, as a code ([`dimse::ul_error_code`]): dicom-ul's own message may carry
        /// the contents of a PDU.
        reason: &'static str,
    },
}

impl ErrorCode for SendError {
    fn code(&self) -> &'static str {
        match self {
            SendError::NoFiles => "no_files_to_send",
            SendError::TooManyPresentationContexts(_) => "too_many_presentation_contexts",
            SendError::Connect { .. } => "peer_unreachable",
            SendError::Rejected { .. } => "association_rejected",
            SendError::NothingAccepted { .. } => "no_presentation_context_accepted",
            SendError::Association { .. } => "association_failed",
        }
    }
}

/// Why one file was not stored.
#[derive(Debug, thiserror::Error)]
pub enum FileFailure {
    /// The file could not be read.
    #[error("could not read the file")]
    Read(#[source] std::io::Error),
    /// Not a DICOM Part-10 file (no preamble and `DICM`, or no file meta group).
    #[error("not a DICOM file")]
    NotDicom,
    /// A DICOM file the hostile-input guard refuses (lying lengths, deep nesting, deflated).
    #[error("malformed DICOM file")]
    Malformed(#[source] DicomFileError),
    /// The peer accepted no presentation context for this file's SOP class and transfer syntax.
    #[error("the peer accepted no presentation context for this SOP class and transfer syntax")]
    NotNegotiated,
    /// The data set could not be re-encoded into the accepted transfer syntax.
    #[error("could not re-encode the data set for the accepted transfer syntax")]
    Transcode,
    /// The peer answered a failure status.
    #[error("peer answered status {0}")]
    Status(Status),
    /// The association ended (abort, timeout, closed connection) before the peer answered.
    #[error("the association ended before the peer answered")]
    AssociationLost,
}

impl ErrorCode for FileFailure {
    fn code(&self) -> &'static str {
        match self {
            FileFailure::Read(_) => "file_unreadable",
            FileFailure::NotDicom => "not_dicom",
            FileFailure::Malformed(cause) => cause.code(),
            FileFailure::NotNegotiated => "presentation_context_not_accepted",
            FileFailure::Transcode => "transcode_failed",
            FileFailure::Status(_) => "store_failed_status",
            FileFailure::AssociationLost => "association_lost",
        }
    }
}

/// What happened to one file.
#[derive(Debug)]
pub struct FileOutcome {
    /// The file.
    pub path: PathBuf,
    /// The peer's success or warning status, or why the file was not stored.
    pub result: Result<Status, FileFailure>,
}

/// What happened to every file, in the order given.
#[derive(Debug, Default)]
pub struct SendReport {
    /// One outcome per file.
    pub outcomes: Vec<FileOutcome>,
}

impl SendReport {
    /// Files the peer stored (success or warning status).
    pub fn stored(&self) -> usize {
        self.outcomes.iter().filter(|o| o.result.is_ok()).count()
    }

    /// Files not stored.
    pub fn failed(&self) -> impl Iterator<Item = &FileOutcome> {
        self.outcomes.iter().filter(|o| o.result.is_err())
    }

    /// Whether every file was stored.
    pub fn all_stored(&self) -> bool {
        !self.outcomes.is_empty() && self.outcomes.iter().all(|o| o.result.is_ok())
    }
}

/// The files below `paths`: files as given, folders searched recursively (in name order). Files
/// found in folders that are not DICOM Part-10 files (no `DICM` after the preamble: notes,
/// checksums, images) and DICOMDIR media directories are left out and counted in `skipped`.
#[derive(Debug, Default)]
pub struct Collected {
    /// Files to send.
    pub files: Vec<PathBuf>,
    /// Files found in folders and left out.
    pub skipped: usize,
}

/// Collects the files to send from files and folders (see [`Collected`]).
pub fn collect_files(paths: &[PathBuf]) -> std::io::Result<Collected> {
    let mut collected = Collected::default();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut collected)?;
        } else {
            collected.files.push(path.clone());
        }
    }
    Ok(collected)
}

fn walk(dir: &Path, collected: &mut Collected) -> std::io::Result<()> {
    let mut entries = std::fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(&path, collected)?;
        } else if read_header(&path).is_ok_and(|h| h.sop_class_uid != uids::MEDIA_STORAGE_DIRECTORY_STORAGE) {
            collected.files.push(path);
        } else {
            collected.skipped += 1;
        }
    }
    Ok(())
}

/// What the file meta group says about a file.
struct Header {
    sop_class_uid: String,
    sop_instance_uid: String,
    transfer_syntax_uid: String,
}

/// Reads the file meta group (and the data set up to the pixel data) through the hostile-input
/// guard: lying lengths and deep nesting are refused before dicom-rs allocates or recurses.
fn read_header(path: &Path) -> Result<Header, FileFailure> {
    let file = guard::open(path, true).map_err(|error| match error {
        DicomFileError::Io(error) => FileFailure::Read(error),
        DicomFileError::Parse(_) => FileFailure::NotDicom,
        other => FileFailure::Malformed(other),
    })?;
    let meta = file.meta();
    Ok(Header {
        sop_class_uid: trim_uid(meta.media_storage_sop_class_uid()).to_owned(),
        sop_instance_uid: trim_uid(meta.media_storage_sop_instance_uid()).to_owned(),
        transfer_syntax_uid: trim_uid(meta.transfer_syntax()).to_owned(),
    })
}

/// The data set of a Part-10 file, as the bytes in the file.
fn read_data_set(path: &Path) -> Result<Vec<u8>, FileFailure> {
    let bytes = std::fs::read(path).map_err(FileFailure::Read)?;
    let mut cursor = Cursor::new(bytes.get(PREAMBLE_LEN..).ok_or(FileFailure::NotDicom)?);
    FileMetaTable::from_reader(&mut cursor).map_err(|_| FileFailure::NotDicom)?;
    let start = PREAMBLE_LEN + cursor.position() as usize;
    let mut bytes = bytes;
    bytes.drain(..start);
    Ok(bytes)
}

/// The transfer syntaxes proposed for a file in `ts`: `ts` first, then the other uncompressed
/// little endian syntax when `ts` is one of them.
fn proposed_transfer_syntaxes(ts: &str) -> Vec<String> {
    match ts {
        uids::EXPLICIT_VR_LITTLE_ENDIAN => {
            vec![ts.to_owned(), uids::IMPLICIT_VR_LITTLE_ENDIAN.to_owned()]
        }
        uids::IMPLICIT_VR_LITTLE_ENDIAN => {
            vec![ts.to_owned(), uids::EXPLICIT_VR_LITTLE_ENDIAN.to_owned()]
        }
        _ => vec![ts.to_owned()],
    }
}

/// Sends `files` to `peer` over one association and reports what the peer answered for each.
/// Blocking: call it from a blocking thread in async code.
///
/// `Err` only when the association could not be set up (nothing was sent); per-file failures,
/// including an association lost half-way, are in the report.
pub fn send_files(peer: &Peer, files: &[PathBuf]) -> Result<SendReport, SendError> {
    if files.is_empty() {
        return Err(SendError::NoFiles);
    }
    let headers: Vec<Result<Header, FileFailure>> = files.iter().map(|f| read_header(f)).collect();
    let mut proposals: Vec<(String, String)> = Vec::new();
    for header in headers.iter().flatten() {
        let key = (header.sop_class_uid.clone(), header.transfer_syntax_uid.clone());
        if !proposals.contains(&key) {
            proposals.push(key);
        }
    }
    if proposals.is_empty() {
        let outcomes = files.iter().zip(headers).map(|(path, h)| FileOutcome {
            path: path.clone(),
            result: Err(h.err().unwrap_or(FileFailure::NotDicom)),
        });
        return Ok(SendReport { outcomes: outcomes.collect() });
    }
    if proposals.len() > MAX_PRESENTATION_CONTEXTS {
        return Err(SendError::TooManyPresentationContexts(proposals.len()));
    }

    let address = format!("{}:{}", peer.host, peer.port);
    let timeout = Duration::from_secs(peer.timeout_s.max(1));
    let mut options = ClientAssociationOptions::new()
        .calling_ae_title(peer.calling_ae.clone())
        .called_ae_title(peer.called_ae.clone())
        .max_pdu_length(MAX_PDU_BYTES)
        .connection_timeout(timeout)
        .read_timeout(timeout)
        .write_timeout(timeout);
    for (sop_class, ts) in &proposals {
        options = options.with_presentation_context(sop_class.clone(), proposed_transfer_syntaxes(ts));
    }
    let mut association =
        options.establish(address.as_str()).map_err(|error| association_error(error, peer, &address))?;
    // Each C-STORE ends with a short write followed by a wait for the response: without
    // TCP_NODELAY, Nagle's algorithm and the peer's delayed ACK add tens of milliseconds per file.
    if let Err(error) = association.inner_stream().set_nodelay(true) {
        debug!(error = %error, "TCP_NODELAY not set.");
    }
    let contexts = association.presentation_contexts().to_vec();

    let mut report = SendReport::default();
    let mut message_id: u16 = 0;
    let mut lost = false;
    for (path, header) in files.iter().zip(headers) {
        let result = match header {
            Err(failure) => Err(failure),
            Ok(_) if lost => Err(FileFailure::AssociationLost),
            Ok(header) => {
                message_id = message_id.wrapping_add(1).max(1);
                let result = store_one(&mut association, &contexts, path, &header, message_id);
                lost = matches!(result, Err(FileFailure::AssociationLost));
                result
            }
        };
        if let Err(failure) = &result {
            warn!(code = failure.code(), "A file was not stored.");
        }
        report.outcomes.push(FileOutcome { path: path.clone(), result });
    }
    if lost {
        let _ = association.abort();
    } else if let Err(error) = association.release() {
        debug!(reason = dimse::ul_error_code(&error), "Association release not confirmed.");
    }
    Ok(report)
}

fn association_error(error: UlError, peer: &Peer, address: &str) -> SendError {
    let called_ae = peer.called_ae.clone();
    let address = address.to_owned();
    match error {
        UlError::Connect { source, .. } => SendError::Connect { address, source },
        UlError::Rejected { association_rj, .. } => {
            SendError::Rejected { called_ae, address, reason: describe_rejection(&association_rj) }
        }
        UlError::NoAcceptedPresentationContexts { .. } => SendError::NothingAccepted { called_ae, address },
        other => SendError::Association { called_ae, address, reason: dimse::ul_error_code(&other) },
    }
}

/// "permanent, service user: calling AE title not recognized" and the like (PS3.8 Table 9-21).
fn describe_rejection(rj: &AssociationRJ) -> String {
    use dicom_ul::pdu::{AssociationRJResult, AssociationRJSource};
    let result = match rj.result {
        AssociationRJResult::Permanent => "permanent",
        AssociationRJResult::Transient => "transient",
    };
    let source = match &rj.source {
        AssociationRJSource::ServiceUser(reason) => format!("service user: {reason}"),
        AssociationRJSource::ServiceProviderASCE(reason) => format!("service provider (ACSE): {reason}"),
        AssociationRJSource::ServiceProviderPresentation(reason) => {
            format!("service provider (presentation): {reason}")
        }
    };
    format!("{result}, {source}")
}

/// Sends one file as a C-STORE-RQ and waits for its C-STORE-RSP.
fn store_one(
    association: &mut ClientAssociation<std::net::TcpStream>,
    contexts: &[PresentationContextNegotiated],
    path: &Path,
    header: &Header,
    message_id: u16,
) -> Result<Status, FileFailure> {
    let for_class = |ts: &str| {
        contexts.iter().find(|pc| {
            trim_uid(&pc.abstract_syntax) == header.sop_class_uid && trim_uid(&pc.transfer_syntax) == ts
        })
    };
    let (context, transcode) = match for_class(&header.transfer_syntax_uid) {
        Some(pc) => (pc, false),
        None => proposed_transfer_syntaxes(&header.transfer_syntax_uid)
            .iter()
            .skip(1)
            .find_map(|ts| for_class(ts))
            .map(|pc| (pc, true))
            .ok_or(FileFailure::NotNegotiated)?,
    };
    let mut data_set = read_data_set(path)?;
    if transcode {
        data_set = reencode(&data_set, &header.transfer_syntax_uid, trim_uid(&context.transfer_syntax))?;
    }
    let command = dimse::c_store_rq(message_id, &header.sop_class_uid, &header.sop_instance_uid);
    let sent = association
        .send(&Pdu::PData {
            data: vec![PDataValue {
                presentation_context_id: context.id,
                value_type: PDataValueType::Command,
                is_last: true,
                data: command,
            }],
        })
        .is_ok()
        && {
            let mut writer = association.send_pdata(context.id);
            writer.write_all(&data_set).is_ok() && writer.finish().is_ok()
        };
    if !sent {
        return Err(FileFailure::AssociationLost);
    }
    let response = receive_command(association)?;
    match (response.field, response.responded_to, response.status) {
        (dimse::C_STORE_RSP, Some(id), Some(status)) if id == message_id => {
            if status.is_success() || status.is_warning() {
                Ok(status)
            } else {
                Err(FileFailure::Status(status))
            }
        }
        _ => Err(FileFailure::AssociationLost),
    }
}

/// Reads command fragments until one command set is complete.
fn receive_command(
    association: &mut ClientAssociation<std::net::TcpStream>,
) -> Result<dimse::Command, FileFailure> {
    let mut bytes = Vec::new();
    loop {
        match association.receive() {
            Ok(Pdu::PData { data }) => {
                for value in data {
                    if value.value_type != PDataValueType::Command {
                        return Err(FileFailure::AssociationLost);
                    }
                    bytes.extend_from_slice(&value.data);
                    if value.is_last {
                        return dimse::decode(&bytes).map_err(|_| FileFailure::AssociationLost);
                    }
                }
            }
            _ => return Err(FileFailure::AssociationLost),
        }
    }
}

/// Re-encodes a data set between the two uncompressed little endian transfer syntaxes.
fn reencode(data_set: &[u8], from: &str, to: &str) -> Result<Vec<u8>, FileFailure> {
    let (Some(from), Some(to)) = (TransferSyntaxRegistry.get(from), TransferSyntaxRegistry.get(to)) else {
        return Err(FileFailure::Transcode);
    };
    let obj = guard::guarded(|| InMemDicomObject::read_dataset_with_ts(data_set, from))
        .map_err(|_| FileFailure::Transcode)?
        .map_err(|_| FileFailure::Transcode)?;
    let mut out = Vec::with_capacity(data_set.len());
    obj.write_dataset_with_ts(&mut out, to).map_err(|_| FileFailure::Transcode)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_endian_files_offer_the_other_little_endian_syntax() {
        assert_eq!(
            proposed_transfer_syntaxes(uids::EXPLICIT_VR_LITTLE_ENDIAN),
            [uids::EXPLICIT_VR_LITTLE_ENDIAN, uids::IMPLICIT_VR_LITTLE_ENDIAN]
        );
        assert_eq!(proposed_transfer_syntaxes(uids::RLE_LOSSLESS), [uids::RLE_LOSSLESS]);
    }
}
