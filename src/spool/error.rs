//! [`SpoolError`]: everything that can go wrong in the durable store. Messages name the failed
//! action, never a file path (instance files are named at random, but the spool folder is the
//! operator's and logs travel).

use crate::error_code::ErrorCode;
use crate::spool::journal::StudyId;

/// Why a spool operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpoolError {
    /// Storing the instance would leave less free space than the configured watermark;
    /// nothing was written.
    #[error(
        "the spool disk is full: {available_bytes} bytes free, {needed_bytes} needed (the instance plus the free-space watermark)"
    )]
    OutOfSpace {
        /// Bytes free for this user on the spool's file system.
        available_bytes: u64,
        /// Bytes the instance would take plus the watermark.
        needed_bytes: u64,
    },
    /// A file operation in the spool folder failed.
    #[error("could not {action} in the spool folder")]
    Io {
        /// What was being done ("write an instance", "fsync the instance folder", ...).
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The journal database failed.
    #[error("the spool journal failed")]
    Database(#[from] rusqlite::Error),
    /// The journal was written by a newer radscored.
    #[error("the spool journal has schema version {found}; this radscored reads up to {supported}")]
    NewerSchema {
        /// `PRAGMA user_version` found in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// Another process has this spool open for writing.
    #[error("the spool is in use by another radscored process")]
    Locked,
    /// A study row id that is not in the journal.
    #[error("study {0} is not in the spool")]
    UnknownStudy(StudyId),
    /// A value in the journal that this build cannot read (an unknown state name, say).
    #[error("the spool journal holds an unreadable value: {0}")]
    Corrupt(String),
    /// Instance metadata with an empty identifier.
    #[error("instance metadata has an empty {0}")]
    EmptyField(&'static str),
    /// An outbox payload over the limit every broker path accepts.
    #[error("outbox payload of {bytes} bytes is over the {limit}-byte limit")]
    PayloadTooLarge {
        /// The payload's size.
        bytes: usize,
        /// [`crate::spool::outbox::MAX_PAYLOAD_BYTES`].
        limit: usize,
    },
    /// A quarantine without its code and reason.
    #[error("a study is quarantined only with a code and a reason")]
    QuarantineWithoutNote,
}

impl SpoolError {
    /// Wraps an I/O error with the action that failed; a full disk becomes [`SpoolError::OutOfSpace`]
    /// with the sizes unknown (0).
    pub(crate) fn io(action: &'static str) -> impl FnOnce(std::io::Error) -> SpoolError {
        move |source| {
            if source.kind() == std::io::ErrorKind::StorageFull {
                SpoolError::OutOfSpace { available_bytes: 0, needed_bytes: 0 }
            } else {
                SpoolError::Io { action, source }
            }
        }
    }
}

impl ErrorCode for SpoolError {
    fn code(&self) -> &'static str {
        match self {
            SpoolError::OutOfSpace { .. } => "spool_out_of_space",
            SpoolError::Io { .. } => "spool_io",
            SpoolError::Database(_) => "spool_database",
            SpoolError::NewerSchema { .. } => "spool_schema_too_new",
            SpoolError::Locked => "spool_locked",
            SpoolError::UnknownStudy(_) => "spool_unknown_study",
            SpoolError::Corrupt(_) => "spool_corrupt",
            SpoolError::EmptyField(_) => "spool_empty_field",
            SpoolError::PayloadTooLarge { .. } => "outbox_payload_too_large",
            SpoolError::QuarantineWithoutNote => "quarantine_without_note",
        }
    }
}
