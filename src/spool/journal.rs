//! The job journal: one row per study, its state, its generation and the time of every
//! transition.
//!
//! ```text
//! received → complete → analysing → analysed → published → acknowledged
//!                 ↘ waiting_segmentation (parked)      any → quarantined (code + reason)
//! ```
//! The daemon decides the transitions; the journal records them. Two rules live here because
//! they must be atomic with intake and acknowledgement: an instance that arrives after a study
//! left `received` puts it back to `received` with the generation increased (a late SEG re-opens
//! the study), and [`Spool::ack`](crate::spool::Spool::ack) moves a `published` study to
//! `acknowledged` when its last outbox message is acknowledged. Every change that a worker
//! makes names the generation it worked on; a change for an older generation is not applied
//! ([`Transition::Superseded`]), so a result computed before the late SEG arrived never
//! overwrites the re-opened study.

use std::fmt;
use std::time::{Duration, SystemTime};

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use rusqlite::{params, OptionalExtension, Row, Transaction};

use crate::spool::clock::{from_ms, now_ms};
use crate::spool::error::SpoolError;
use crate::spool::outbox::{insert_message, OutboxMessage};
use crate::spool::store::Spool;

/// Row id of a study in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StudyId(pub i64);

impl fmt::Display for StudyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a study is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StudyState {
    /// Instances are arriving; the quiet period has not passed.
    Received,
    /// The quiet period passed: ready for analysis.
    Complete,
    /// A worker is analysing it.
    Analysing,
    /// Analysed; its messages are being enqueued.
    Analysed,
    /// Its messages are in the outbox.
    Published,
    /// The broker acknowledged every message of the study.
    Acknowledged,
    /// Parked: no tumor segmentation yet.
    WaitingSegmentation,
    /// Failed with a code and reason; kept, never deleted.
    Quarantined,
}

impl StudyState {
    /// Every state, in life order.
    pub const ALL: [StudyState; 8] = [
        StudyState::Received,
        StudyState::Complete,
        StudyState::Analysing,
        StudyState::Analysed,
        StudyState::Published,
        StudyState::Acknowledged,
        StudyState::WaitingSegmentation,
        StudyState::Quarantined,
    ];

    /// The snake_case name stored in the journal and shown to the operator.
    pub fn as_str(self) -> &'static str {
        match self {
            StudyState::Received => "received",
            StudyState::Complete => "complete",
            StudyState::Analysing => "analysing",
            StudyState::Analysed => "analysed",
            StudyState::Published => "published",
            StudyState::Acknowledged => "acknowledged",
            StudyState::WaitingSegmentation => "waiting_segmentation",
            StudyState::Quarantined => "quarantined",
        }
    }

    /// Parses a journal name.
    pub fn parse(name: &str) -> Result<StudyState, SpoolError> {
        StudyState::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| SpoolError::Corrupt(format!("unknown study state {name:?}")))
    }
}

impl FromSql for StudyState {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<StudyState> {
        let name = value.as_str()?;
        StudyState::parse(name).map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

impl fmt::Display for StudyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a study is in its state: a stable snake_case code ([`crate::error_code::ErrorCode`]) and
/// one sentence for the operator. Must not hold patient data or file paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateNote {
    /// Stable snake_case code.
    pub code: String,
    /// The reason in words.
    pub reason: String,
}

/// Whether a state change was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Applied.
    Applied,
    /// Not applied: new instances arrived and the study has a newer generation than the one
    /// named (it is back in `received`; its analysis will run again).
    Superseded,
}

/// One study as the daemon and the operator see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudySummary {
    /// Its row.
    pub id: StudyId,
    /// Keyed hash of its StudyInstanceUID: the only name for logs and messages.
    pub study_key: String,
    /// Current state.
    pub state: StudyState,
    /// Increases each time new instances re-open the study after it left `received`.
    pub generation: u32,
    /// The code and reason recorded with the current state, if any.
    pub note: Option<StateNote>,
    /// Accepted instances.
    pub instances: u64,
    /// When the first instance was accepted.
    pub first_instance_at: SystemTime,
    /// When the latest new or replacing instance was accepted (the quiet period runs from here).
    pub last_instance_at: SystemTime,
    /// When the current state was entered.
    pub state_changed_at: SystemTime,
}

const SUMMARY_COLUMNS: &str = "s.id, s.study_key, s.state, s.generation, s.note_code, s.note_reason,
    (SELECT COUNT(*) FROM instance i WHERE i.study_id = s.id), s.first_instance_ms, s.last_instance_ms,
    s.state_changed_ms";

fn summary(row: &Row<'_>) -> rusqlite::Result<StudySummary> {
    let code: Option<String> = row.get(4)?;
    let reason: Option<String> = row.get(5)?;
    Ok(StudySummary {
        id: StudyId(row.get(0)?),
        study_key: row.get(1)?,
        state: row.get(2)?,
        generation: row.get(3)?,
        note: code.map(|code| StateNote { code, reason: reason.unwrap_or_default() }),
        instances: row.get::<_, i64>(6)?.max(0) as u64,
        first_instance_at: from_ms(row.get(7)?),
        last_instance_at: from_ms(row.get(8)?),
        state_changed_at: from_ms(row.get(9)?),
    })
}

/// Appends a transition row.
pub(crate) fn record_transition(
    tx: &Transaction<'_>,
    study: StudyId,
    generation: u32,
    state: StudyState,
    at_ms: i64,
) -> Result<(), SpoolError> {
    tx.execute(
        "INSERT INTO transition (study_id, generation, state, at_ms) VALUES (?1, ?2, ?3, ?4)",
        params![study.0, generation, state.as_str(), at_ms],
    )?;
    Ok(())
}

/// Sets a study's state in `tx` if its generation is still `generation`.
fn change_state(
    tx: &Transaction<'_>,
    study: StudyId,
    generation: u32,
    state: StudyState,
    note: Option<&StateNote>,
) -> Result<Transition, SpoolError> {
    if state == StudyState::Quarantined && note.is_none() {
        return Err(SpoolError::QuarantineWithoutNote);
    }
    let current: Option<u32> =
        tx.query_row("SELECT generation FROM study WHERE id = ?1", [study.0], |row| row.get(0)).optional()?;
    match current {
        None => Err(SpoolError::UnknownStudy(study)),
        Some(current) if current != generation => Ok(Transition::Superseded),
        Some(_) => {
            let now = now_ms();
            tx.execute(
                "UPDATE study SET state = ?2, note_code = ?3, note_reason = ?4, state_changed_ms = ?5 WHERE id = ?1",
                params![study.0, state.as_str(), note.map(|n| &n.code), note.map(|n| &n.reason), now],
            )?;
            record_transition(tx, study, generation, state, now)?;
            Ok(Transition::Applied)
        }
    }
}

impl Spool {
    /// Studies in `state`, oldest state change first.
    pub fn studies_in(&self, state: StudyState) -> Result<Vec<StudySummary>, SpoolError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM study s WHERE s.state = ?1 ORDER BY s.state_changed_ms, s.id"
        ))?;
        let rows = stmt.query_map([state.as_str()], summary)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One study.
    pub fn study(&self, study: StudyId) -> Result<StudySummary, SpoolError> {
        let conn = self.lock();
        let row = conn
            .query_row(&format!("SELECT {SUMMARY_COLUMNS} FROM study s WHERE s.id = ?1"), [study.0], summary)
            .optional()?;
        row.ok_or(SpoolError::UnknownStudy(study))
    }

    /// Moves a study of generation `generation` to `state`, recording `note` (required for
    /// `quarantined`; cleared when `None`).
    pub fn set_state(
        &self,
        study: StudyId,
        generation: u32,
        state: StudyState,
        note: Option<&StateNote>,
    ) -> Result<Transition, SpoolError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let done = change_state(&tx, study, generation, state, note)?;
        tx.commit()?;
        Ok(done)
    }

    /// Quarantines a study with a stable code and a reason for the operator. Its files stay.
    pub fn quarantine(
        &self,
        study: StudyId,
        generation: u32,
        code: &str,
        reason: &str,
    ) -> Result<Transition, SpoolError> {
        let note = StateNote { code: code.to_owned(), reason: reason.to_owned() };
        self.set_state(study, generation, StudyState::Quarantined, Some(&note))
    }

    /// Sets the state and enqueues `messages` in one transaction: after a crash either both
    /// happened or neither did. Nothing is applied when the study has moved on to a newer
    /// generation. A message whose `message_id` is already in the outbox is not added twice.
    pub fn finish_study(
        &self,
        study: StudyId,
        generation: u32,
        state: StudyState,
        note: Option<&StateNote>,
        messages: &[OutboxMessage],
    ) -> Result<Transition, SpoolError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let done = change_state(&tx, study, generation, state, note)?;
        if done == Transition::Applied {
            let now = now_ms();
            for message in messages {
                insert_message(&tx, message, now)?;
            }
        }
        tx.commit()?;
        drop(conn);
        if done == Transition::Applied && !messages.is_empty() {
            self.outbox_signal().notify_one();
        }
        Ok(done)
    }

    /// Every transition of a study's current generation, in order.
    pub fn transitions(&self, study: StudyId) -> Result<Vec<(StudyState, SystemTime)>, SpoolError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT t.state, t.at_ms FROM transition t JOIN study s ON s.id = t.study_id
             WHERE t.study_id = ?1 AND t.generation = s.generation ORDER BY t.id",
        )?;
        let rows = stmt.query_map([study.0], |row| Ok((row.get(0)?, from_ms(row.get(1)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Time from a study's last instance to its acknowledgement, for the current generation,
    /// when it has been acknowledged.
    pub fn latency(&self, study: StudyId) -> Result<Option<Duration>, SpoolError> {
        let summary = self.study(study)?;
        let acked = self.transitions(study)?.into_iter().rev().find(|(s, _)| *s == StudyState::Acknowledged);
        Ok(acked.map(|(_, at)| at.duration_since(summary.last_instance_at).unwrap_or_default()))
    }
}
