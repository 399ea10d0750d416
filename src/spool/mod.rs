//! The daemon's durable store: every accepted DICOM instance, the job journal of each study and
//! the MQTT outbox, in one directory that survives `kill -9` and power loss.
//!
//! Layout of a spool directory (created if absent):
//! ```text
//! spool.sqlite (+ -wal, -shm)  the journal and the outbox (SQLite, WAL, synchronous=FULL)
//! spool.lock                   held (flock) by the one process that writes the spool
//! tmp/                         instances being written; emptied on every open
//! instances/<random>.dcm       accepted instances; names are random, never a UID or a patient name
//! ```
//!
//! An instance is durable before [`Spool::store_instance`] returns: written under `tmp/`, fsynced,
//! renamed into `instances/`, the folder fsynced, and only then its journal row committed (the
//! order POSIX `rename(2)` and `fsync(2)` need for a crash to leave either the old or the new
//! state). A crash between the rename and the commit leaves an unreferenced file, which the next
//! [`Spool::open`] removes together with `tmp/`.
//!
//! The unit of work is a study ([`StudyState`]): its CT series and its segmentation arrive as
//! separate series of one study. The outbox ([`OutboxMessage`]) holds MQTT messages until the
//! broker acknowledges them; [`Spool::finish_study`] records a study's result and enqueues its
//! messages in one transaction.
//!
//! - [`error`] — [`SpoolError`], the one error type of the store;
//! - [`schema`] — the SQLite schema and its version;
//! - [`disk`] — the free-space watermark (statvfs);
//! - [`files`] — durable file writes and the start-up sweep;
//! - [`store`] — [`Spool`] itself, opening and instance intake;
//! - [`journal`] — study states, transitions and generations;
//! - [`outbox`] — the MQTT outbox;
//! - [`retention`] — removal of acknowledged studies;
//! - [`overview`] — the operator's view for `radscored status`.

pub mod disk;
pub mod error;
pub mod files;
pub mod journal;
pub mod outbox;
pub mod overview;
pub mod retention;
pub mod schema;
pub mod store;

pub(crate) mod clock;

pub use error::SpoolError;
pub use journal::{StateNote, StudyId, StudyState, StudySummary, Transition};
pub use outbox::{Acked, OutboxId, OutboxMessage, OutboxRow, Qos};
pub use overview::{Overview, QuarantinedStudy, QueueDepth, RecentStudy};
pub use retention::Purged;
pub use store::{InstanceFile, InstanceId, InstanceMeta, Spool, StoreOutcome, Stored};
