//! The operator's view of a spool, for `radscored status` and the heartbeat: the queue by
//! state, the latest studies with their latency (last instance → acknowledged), the quarantine
//! with codes and reasons, and the outbox depth. Studies appear only by study key.

use std::fmt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags};

use crate::spool::clock::{from_ms, now_ms, to_ms};
use crate::spool::error::SpoolError;
use crate::spool::journal::{StateNote, StudyState};
use crate::spool::schema;
use crate::spool::store::{Spool, DATABASE_FILE};

/// One study in the "recent" list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentStudy {
    /// Keyed hash of the StudyInstanceUID.
    pub study_key: String,
    /// Current state.
    pub state: StudyState,
    /// Current generation.
    pub generation: u32,
    /// Accepted instances.
    pub instances: u64,
    /// When its last instance was accepted.
    pub last_instance_at: SystemTime,
    /// Last instance → acknowledged, once acknowledged.
    pub latency: Option<Duration>,
}

/// One quarantined study.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedStudy {
    /// Keyed hash of the StudyInstanceUID.
    pub study_key: String,
    /// Code and reason.
    pub note: StateNote,
    /// When it was quarantined.
    pub since: SystemTime,
}

/// Work waiting, for the heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueDepth {
    /// Studies received but not yet acknowledged, parked or quarantined.
    pub studies_in_progress: u64,
    /// Messages in the outbox.
    pub outbox: u64,
}

/// A snapshot of the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    /// When it was taken.
    pub taken_at: SystemTime,
    /// Number of studies in every state, in life order (zeros included).
    pub counts: Vec<(StudyState, u64)>,
    /// The latest studies by state change, newest first.
    pub recent: Vec<RecentStudy>,
    /// Every quarantined study, newest first.
    pub quarantined: Vec<QuarantinedStudy>,
    /// Messages waiting in the outbox.
    pub outbox_depth: u64,
    /// When the oldest waiting message was enqueued.
    pub oldest_unsent_at: Option<SystemTime>,
}

impl Overview {
    /// Reads the spool in `dir` without taking its lock or changing anything (the daemon may be
    /// running). `recent` bounds the recent list.
    pub fn read(dir: &Path, recent: usize) -> Result<Overview, SpoolError> {
        let conn = Connection::open_with_flags(
            dir.join(DATABASE_FILE),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        schema::check_version(&conn)?;
        query(&conn, recent)
    }
}

impl Spool {
    /// The overview of this spool.
    pub fn overview(&self, recent: usize) -> Result<Overview, SpoolError> {
        query(&self.lock(), recent)
    }

    /// Work waiting, for the heartbeat.
    pub fn queue_depth(&self) -> Result<QueueDepth, SpoolError> {
        let conn = self.lock();
        let (studies, outbox): (i64, i64) = conn.query_row(
            "SELECT (SELECT COUNT(*) FROM study WHERE state NOT IN (?1, ?2, ?3)), (SELECT COUNT(*) FROM outbox)",
            [
                StudyState::Acknowledged.as_str(),
                StudyState::WaitingSegmentation.as_str(),
                StudyState::Quarantined.as_str(),
            ],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok(QueueDepth { studies_in_progress: studies.max(0) as u64, outbox: outbox.max(0) as u64 })
    }
}

fn query(conn: &Connection, recent: usize) -> Result<Overview, SpoolError> {
    let taken_at = from_ms(now_ms());
    let mut counts: Vec<(StudyState, u64)> = StudyState::ALL.iter().map(|s| (*s, 0)).collect();
    {
        let mut stmt = conn.prepare("SELECT state, COUNT(*) FROM study GROUP BY state")?;
        let rows = stmt.query_map([], |row| Ok((row.get::<_, StudyState>(0)?, row.get::<_, i64>(1)?)))?;
        for row in rows {
            let (state, n) = row?;
            if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
                slot.1 = n.max(0) as u64;
            }
        }
    }
    let recent = {
        let mut stmt = conn.prepare(
            "SELECT s.study_key, s.state, s.generation, (SELECT COUNT(*) FROM instance i WHERE i.study_id = s.id),
                    s.last_instance_ms,
                    (SELECT MAX(t.at_ms) FROM transition t
                     WHERE t.study_id = s.id AND t.generation = s.generation AND t.state = ?1)
             FROM study s ORDER BY s.state_changed_ms DESC, s.id DESC LIMIT ?2",
        )?;
        let limit = i64::try_from(recent).unwrap_or(i64::MAX);
        let rows = stmt.query_map(rusqlite::params![StudyState::Acknowledged.as_str(), limit], |row| {
            let last: i64 = row.get(4)?;
            let acked: Option<i64> = row.get(5)?;
            Ok(RecentStudy {
                study_key: row.get(0)?,
                state: row.get(1)?,
                generation: row.get(2)?,
                instances: row.get::<_, i64>(3)?.max(0) as u64,
                last_instance_at: from_ms(last),
                latency: acked.map(|a| Duration::from_millis((a - last).max(0) as u64)),
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let quarantined = {
        let mut stmt = conn.prepare(
            "SELECT study_key, note_code, note_reason, state_changed_ms FROM study WHERE state = ?1
             ORDER BY state_changed_ms DESC, id DESC",
        )?;
        let rows = stmt.query_map([StudyState::Quarantined.as_str()], |row| {
            Ok(QuarantinedStudy {
                study_key: row.get(0)?,
                note: StateNote {
                    code: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    reason: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
                },
                since: from_ms(row.get(3)?),
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let (depth, oldest): (i64, Option<i64>) =
        conn.query_row("SELECT COUNT(*), MIN(created_ms) FROM outbox", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    Ok(Overview {
        taken_at,
        counts,
        recent,
        quarantined,
        outbox_depth: depth.max(0) as u64,
        oldest_unsent_at: oldest.map(from_ms),
    })
}

/// "4.2 s", "3 min", "2.0 h": a duration as an operator reads it.
struct Human(Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.as_secs_f64();
        if s < 120.0 {
            write!(f, "{s:.1} s")
        } else if s < 2.0 * 3600.0 {
            write!(f, "{:.0} min", s / 60.0)
        } else if s < 2.0 * 86400.0 {
            write!(f, "{:.1} h", s / 3600.0)
        } else {
            write!(f, "{:.1} d", s / 86400.0)
        }
    }
}

impl Overview {
    fn age(&self, at: SystemTime) -> Human {
        Human(Duration::from_millis((to_ms(self.taken_at) - to_ms(at)).max(0) as u64))
    }
}

impl fmt::Display for Overview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: u64 = self.counts.iter().map(|(_, n)| n).sum();
        writeln!(f, "Studies: {total}")?;
        for (state, n) in &self.counts {
            writeln!(f, "  {:<22}{n:>6}", state.as_str())?;
        }
        match self.oldest_unsent_at {
            Some(oldest) => writeln!(
                f,
                "Outbox: {} messages waiting, oldest {} old",
                self.outbox_depth,
                self.age(oldest)
            )?,
            None => writeln!(f, "Outbox: empty")?,
        }
        writeln!(f)?;
        if self.recent.is_empty() {
            writeln!(f, "Recent studies: none")?;
        } else {
            writeln!(f, "Recent studies (latest change first):")?;
            writeln!(
                f,
                "  {:<34}{:<22}{:>4}{:>11}  {:<16}LATENCY",
                "STUDY KEY", "STATE", "GEN", "INSTANCES", "LAST INSTANCE"
            )?;
            for s in &self.recent {
                let latency =
                    s.latency.map_or_else(|| "-".to_owned(), |l| format!("{:.2} s", l.as_secs_f64()));
                writeln!(
                    f,
                    "  {:<34}{:<22}{:>4}{:>11}  {:<16}{latency}",
                    s.study_key,
                    s.state.as_str(),
                    s.generation,
                    s.instances,
                    format!("{} ago", self.age(s.last_instance_at)),
                )?;
            }
        }
        writeln!(f)?;
        if self.quarantined.is_empty() {
            write!(f, "Quarantine: empty")?;
        } else {
            writeln!(f, "Quarantine ({}):", self.quarantined.len())?;
            for (i, q) in self.quarantined.iter().enumerate() {
                if i > 0 {
                    writeln!(f)?;
                }
                write!(
                    f,
                    "  {:<34}{:<32}{} ago: {}",
                    q.study_key,
                    q.note.code,
                    self.age(q.since),
                    q.note.reason
                )?;
            }
        }
        Ok(())
    }
}
