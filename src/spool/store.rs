//! [`Spool`]: opening the store (lock, schema, sweep) and taking in instances.
//!
//! One process writes a spool at a time (an exclusive `flock(2)` on `spool.lock`); readers such
//! as `radscored status` use [`crate::spool::Overview::read`], which takes no lock and changes
//! nothing. SQLite calls go through one connection behind a mutex: they are short, and the slow
//! part of an intake (writing and fsyncing the file) happens outside it.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::spool::clock::{from_ms, now_ms};
use crate::spool::disk::{available_bytes, check_room};
use crate::spool::error::SpoolError;
use crate::spool::files::{self, Swept, INSTANCES_DIR, TMP_DIR};
use crate::spool::journal::{record_transition, StudyId, StudyState};
use crate::spool::schema;

/// File name of the journal database inside the spool folder.
pub const DATABASE_FILE: &str = "spool.sqlite";
/// File name of the writer's lock inside the spool folder.
const LOCK_FILE: &str = "spool.lock";

/// Row id of an accepted instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceId(pub i64);

/// What the caller knows about an instance it hands to the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceMeta {
    /// StudyInstanceUID (0020,000D): groups instances into the study, the unit of analysis.
    pub study_uid: String,
    /// SeriesInstanceUID (0020,000E).
    pub series_uid: String,
    /// SOPInstanceUID (0008,0018): one row per study and SOP instance.
    pub sop_instance_uid: String,
    /// SOPClassUID (0008,0016).
    pub sop_class_uid: String,
    /// Modality (0008,0060), when present.
    pub modality: Option<String>,
    /// The keyed hash of the StudyInstanceUID ([`crate::pseudonym::SiteKey::study_key`]): the
    /// only name of the study that may appear in logs and messages.
    pub study_key: String,
    /// Where the instance came from (`dicom:CALLINGAE`, `folder`).
    pub source: String,
}

/// What [`Spool::store_instance`] did with an instance it accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    /// A new instance of the study.
    New,
    /// The study already had this SOP instance with the same bytes: nothing was written.
    Duplicate,
    /// The study already had this SOP instance with other bytes: the new bytes replaced them.
    Replaced,
}

/// An accepted instance: durable when this is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The instance's row.
    pub instance: InstanceId,
    /// Its study's row.
    pub study: StudyId,
    /// New, duplicate or replacement.
    pub outcome: StoreOutcome,
    /// The study had left `received` and went back to it with a new generation (a late
    /// segmentation re-opens an analysed study).
    pub reopened: bool,
}

/// An accepted instance as the analysis reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceFile {
    /// Its row.
    pub id: InstanceId,
    /// The Part 10 file in the spool.
    pub path: PathBuf,
    /// What the caller said about it.
    pub meta: InstanceMeta,
    /// Its size.
    pub size_bytes: u64,
    /// When it was accepted.
    pub received_at: SystemTime,
}

/// The durable store of one spool folder. `Send + Sync`: share it as `Arc<Spool>`. Every method
/// blocks on disk I/O; call it from `tokio::task::spawn_blocking` inside async code.
#[derive(Debug)]
pub struct Spool {
    pub(crate) dir: PathBuf,
    pub(crate) conn: Mutex<Connection>,
    watermark_bytes: u64,
    outbox_signal: Notify,
    /// Held for the spool's lifetime: the flock lasts as long as this descriptor.
    _lock: File,
}

impl Spool {
    /// Opens (creating if absent) the spool in `dir`, keeping at least `watermark_bytes` free
    /// on its disk. Takes the writer's lock, brings the schema up to date, empties `tmp/` and
    /// removes instance files no row names (both left by a crash).
    pub fn open(dir: &Path, watermark_bytes: u64) -> Result<Spool, SpoolError> {
        for sub in [TMP_DIR, INSTANCES_DIR] {
            fs::create_dir_all(dir.join(sub)).map_err(SpoolError::io("create the spool folders"))?;
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK_FILE))
            .map_err(SpoolError::io("open the spool lock"))?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive)
            .map_err(|_| SpoolError::Locked)?;
        let mut conn = Connection::open(dir.join(DATABASE_FILE))?;
        schema::prepare(&mut conn)?;
        let spool = Spool {
            dir: dir.to_path_buf(),
            conn: Mutex::new(conn),
            watermark_bytes,
            outbox_signal: Notify::new(),
            _lock: lock,
        };
        let swept = spool.sweep()?;
        if swept != Swept::default() {
            tracing::info!(
                temporary = swept.temporary,
                unreferenced = swept.unreferenced,
                "Removed files left by an interrupted run."
            );
        }
        Ok(spool)
    }

    /// The spool folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Notified after every [`Spool::enqueue`] and [`Spool::finish_study`] that added a message:
    /// the publisher waits on it instead of polling.
    pub fn outbox_signal(&self) -> &Notify {
        &self.outbox_signal
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held left no transaction open (rusqlite rolls back on drop),
        // so the connection is still usable.
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn sweep(&self) -> Result<Swept, SpoolError> {
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT file_name FROM instance")?;
        let referenced =
            stmt.query_map([], |row| row.get::<_, String>(0))?.collect::<Result<HashSet<_>, _>>()?;
        files::sweep(&self.dir, &referenced)
    }

    /// Stores one DICOM Part 10 file durably and records it in its study's journal; returns
    /// only once both are on disk. Refuses with [`SpoolError::OutOfSpace`] (nothing written)
    /// when the instance would leave less than the watermark free.
    pub fn store_instance(&self, part10: &[u8], meta: &InstanceMeta) -> Result<Stored, SpoolError> {
        for (field, value) in [
            ("study_uid", &meta.study_uid),
            ("series_uid", &meta.series_uid),
            ("sop_instance_uid", &meta.sop_instance_uid),
            ("sop_class_uid", &meta.sop_class_uid),
            ("study_key", &meta.study_key),
        ] {
            if value.is_empty() {
                return Err(SpoolError::EmptyField(field));
            }
        }
        let sha256: [u8; 32] = Sha256::digest(part10).into();
        if let Some(stored) = self.identical(meta, &sha256)? {
            return Ok(stored);
        }
        check_room(available_bytes(&self.dir)?, part10.len() as u64, self.watermark_bytes)?;
        let name = files::new_instance_name()?;
        files::write_durably(&self.dir, &name, part10)?;
        match self.record_instance(meta, &name, part10.len() as u64, &sha256) {
            Ok((stored, replaced_file)) => {
                let unused =
                    if stored.outcome == StoreOutcome::Duplicate { Some(name) } else { replaced_file };
                if let Some(old) = unused {
                    // An unremoved file is unreferenced and goes at the next open.
                    if let Err(error) = files::remove_instance(&self.dir, &old) {
                        tracing::warn!(%error, "Could not remove a superseded instance file.");
                    }
                }
                Ok(stored)
            }
            Err(e) => {
                let _ = files::remove_instance(&self.dir, &name);
                Err(e)
            }
        }
    }

    /// The stored instance when this study already has these exact bytes for this SOP instance.
    fn identical(&self, meta: &InstanceMeta, sha256: &[u8; 32]) -> Result<Option<Stored>, SpoolError> {
        let conn = self.lock();
        let found = conn
            .query_row(
                "SELECT i.id, s.id FROM instance i JOIN study s ON s.id = i.study_id
                 WHERE s.study_uid = ?1 AND i.sop_instance_uid = ?2 AND i.sha256 = ?3",
                params![meta.study_uid, meta.sop_instance_uid, &sha256[..]],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(found.map(|(instance, study)| Stored {
            instance: InstanceId(instance),
            study: StudyId(study),
            outcome: StoreOutcome::Duplicate,
            reopened: false,
        }))
    }

    /// Commits the journal rows of a file already in place. Returns the outcome and, for a
    /// replacement, the file name that is no longer referenced.
    fn record_instance(
        &self,
        meta: &InstanceMeta,
        file_name: &str,
        size_bytes: u64,
        sha256: &[u8; 32],
    ) -> Result<(Stored, Option<String>), SpoolError> {
        let now = now_ms();
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO study (study_uid, study_key, state, generation, first_instance_ms, last_instance_ms,
                                state_changed_ms)
             VALUES (?1, ?2, ?3, 0, ?4, ?4, ?4) ON CONFLICT (study_uid) DO NOTHING",
            params![meta.study_uid, meta.study_key, StudyState::Received.as_str(), now],
        )?;
        let created = tx.changes() == 1;
        let (study, state, generation): (i64, StudyState, u32) = tx.query_row(
            "SELECT id, state, generation FROM study WHERE study_uid = ?1",
            [&meta.study_uid],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        let study = StudyId(study);
        if created {
            record_transition(&tx, study, 0, StudyState::Received, now)?;
        }
        let existing: Option<(i64, String, Vec<u8>)> = tx
            .query_row(
                "SELECT id, file_name, sha256 FROM instance WHERE study_id = ?1 AND sop_instance_uid = ?2",
                params![study.0, meta.sop_instance_uid],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let (instance, outcome, replaced_file) = match existing {
            // A twin of this call committed the same bytes first.
            Some((id, _, old_sha)) if old_sha == sha256 => (id, StoreOutcome::Duplicate, None),
            Some((id, old_file, _)) => {
                tx.execute(
                    "UPDATE instance SET series_uid = ?2, sop_class_uid = ?3, modality = ?4, source = ?5,
                            file_name = ?6, size_bytes = ?7, sha256 = ?8, received_ms = ?9 WHERE id = ?1",
                    params![
                        id,
                        meta.series_uid,
                        meta.sop_class_uid,
                        meta.modality,
                        meta.source,
                        file_name,
                        size_bytes as i64,
                        &sha256[..],
                        now
                    ],
                )?;
                (id, StoreOutcome::Replaced, Some(old_file))
            }
            None => {
                tx.execute(
                    "INSERT INTO instance (study_id, series_uid, sop_instance_uid, sop_class_uid, modality, source,
                                           file_name, size_bytes, sha256, received_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![
                        study.0,
                        meta.series_uid,
                        meta.sop_instance_uid,
                        meta.sop_class_uid,
                        meta.modality,
                        meta.source,
                        file_name,
                        size_bytes as i64,
                        &sha256[..],
                        now
                    ],
                )?;
                (tx.last_insert_rowid(), StoreOutcome::New, None)
            }
        };
        let mut reopened = false;
        if outcome != StoreOutcome::Duplicate {
            if state == StudyState::Received {
                tx.execute("UPDATE study SET last_instance_ms = ?2 WHERE id = ?1", params![study.0, now])?;
            } else {
                let generation = generation + 1;
                tx.execute(
                    "UPDATE study SET last_instance_ms = ?2, state = ?3, generation = ?4, note_code = NULL,
                            note_reason = NULL, state_changed_ms = ?2 WHERE id = ?1",
                    params![study.0, now, StudyState::Received.as_str(), generation],
                )?;
                record_transition(&tx, study, generation, StudyState::Received, now)?;
                reopened = true;
            }
        }
        tx.commit()?;
        Ok((Stored { instance: InstanceId(instance), study, outcome, reopened }, replaced_file))
    }

    /// The instances of a study, in the order they were accepted.
    pub fn instance_files(&self, study: StudyId) -> Result<Vec<InstanceFile>, SpoolError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT i.id, i.file_name, s.study_uid, i.series_uid, i.sop_instance_uid, i.sop_class_uid,
                    i.modality, s.study_key, i.source, i.size_bytes, i.received_ms
             FROM instance i JOIN study s ON s.id = i.study_id WHERE i.study_id = ?1 ORDER BY i.id",
        )?;
        let rows = stmt.query_map([study.0], |row| {
            Ok(InstanceFile {
                id: InstanceId(row.get(0)?),
                path: self.dir.join(INSTANCES_DIR).join(row.get::<_, String>(1)?),
                meta: InstanceMeta {
                    study_uid: row.get(2)?,
                    series_uid: row.get(3)?,
                    sop_instance_uid: row.get(4)?,
                    sop_class_uid: row.get(5)?,
                    modality: row.get(6)?,
                    study_key: row.get(7)?,
                    source: row.get(8)?,
                },
                size_bytes: row.get::<_, i64>(9)?.max(0) as u64,
                received_at: from_ms(row.get(10)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
