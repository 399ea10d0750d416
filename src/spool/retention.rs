//! Retention: acknowledged studies are removed, files and rows, once they have been acknowledged
//! for the configured time. Nothing in any other state is ever removed, and neither is a study
//! that still has messages in the outbox.
//!
//! Rows go first, in one transaction, then the files; a crash in between leaves unreferenced
//! files, which the next [`Spool::open`] removes.

use std::time::{Duration, SystemTime};

use rusqlite::params;

use crate::spool::clock::{duration_ms, to_ms};
use crate::spool::error::SpoolError;
use crate::spool::files::{self, INSTANCES_DIR};
use crate::spool::journal::StudyState;
use crate::spool::store::Spool;

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Studies removed.
    pub studies: u64,
    /// Instance files removed.
    pub instances: u64,
    /// Their bytes.
    pub bytes: u64,
}

impl Spool {
    /// Removes the studies acknowledged at least `older_than` ago.
    pub fn purge_acknowledged(&self, older_than: Duration) -> Result<Purged, SpoolError> {
        self.purge_acknowledged_at(older_than, SystemTime::now())
    }

    /// [`Spool::purge_acknowledged`] as if the time were `now`.
    pub fn purge_acknowledged_at(&self, older_than: Duration, now: SystemTime) -> Result<Purged, SpoolError> {
        let cutoff = to_ms(now).saturating_sub(duration_ms(older_than));
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS purge (id INTEGER PRIMARY KEY); DELETE FROM temp.purge;",
        )?;
        tx.execute(
            "INSERT INTO temp.purge (id) SELECT s.id FROM study s
             WHERE s.state = ?1 AND s.state_changed_ms <= ?2
               AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.study_id = s.id)",
            params![StudyState::Acknowledged.as_str(), cutoff],
        )?;
        let files: Vec<(String, i64)> = {
            let mut stmt = tx.prepare(
                "SELECT file_name, size_bytes FROM instance WHERE study_id IN (SELECT id FROM temp.purge)",
            )?;
            let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        tx.execute("DELETE FROM instance WHERE study_id IN (SELECT id FROM temp.purge)", [])?;
        tx.execute("DELETE FROM transition WHERE study_id IN (SELECT id FROM temp.purge)", [])?;
        let studies = tx.execute("DELETE FROM study WHERE id IN (SELECT id FROM temp.purge)", [])?;
        tx.execute("DELETE FROM temp.purge", [])?;
        tx.commit()?;
        drop(conn);
        let mut purged = Purged { studies: studies as u64, ..Purged::default() };
        for (name, size) in &files {
            files::remove_instance(&self.dir, name)?;
            purged.instances += 1;
            purged.bytes += (*size).max(0) as u64;
        }
        if !files.is_empty() {
            files::sync_dir(&self.dir.join(INSTANCES_DIR))?;
        }
        Ok(purged)
    }
}
