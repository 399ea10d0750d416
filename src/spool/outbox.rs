//! The MQTT outbox: messages wait here, in the journal's database, until the broker has
//! acknowledged them (PUBACK for QoS 1, MQTT 3.1.1 §4.3.2). The outbox, not the MQTT client, is
//! the source of truth: a row is deleted only by [`Spool::ack`], so a crash or a broker outage
//! re-sends it, always under the same caller-chosen `message_id`.

use rusqlite::{params, OptionalExtension, Transaction};

use crate::spool::clock::{from_ms, now_ms};
use crate::spool::error::SpoolError;
use crate::spool::journal::{record_transition, StudyId, StudyState};
use crate::spool::store::Spool;

/// Largest payload the outbox takes (the publisher's and the embedded broker's packet limits
/// are set above it, so every row can be sent).
pub const MAX_PAYLOAD_BYTES: usize = 4 * 1024 * 1024;

/// Row id of an outbox message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutboxId(pub i64);

/// MQTT quality of service of a message (MQTT 3.1.1 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qos {
    /// QoS 0: sent once, no acknowledgement; the row goes when handed to the client.
    AtMostOnce,
    /// QoS 1: the row goes on the broker's PUBACK.
    AtLeastOnce,
}

impl Qos {
    fn level(self) -> u8 {
        match self {
            Qos::AtMostOnce => 0,
            Qos::AtLeastOnce => 1,
        }
    }

    fn from_level(level: u8) -> Result<Qos, SpoolError> {
        match level {
            0 => Ok(Qos::AtMostOnce),
            1 => Ok(Qos::AtLeastOnce),
            other => Err(SpoolError::Corrupt(format!("outbox QoS {other}"))),
        }
    }
}

/// A message to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Stable id chosen by the caller (also inside the payload); enqueueing an id already
    /// waiting is a no-op.
    pub message_id: String,
    /// Full MQTT topic.
    pub topic: String,
    /// Payload bytes (JSON for every message radscored sends).
    pub payload: Vec<u8>,
    /// Quality of service.
    pub qos: Qos,
    /// MQTT retain flag.
    pub retain: bool,
    /// The study this message reports on: its acknowledgement counts towards the study's.
    pub study: Option<StudyId>,
}

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Its row; pass to [`Spool::ack`].
    pub id: OutboxId,
    /// The message.
    pub message: OutboxMessage,
    /// When it was enqueued.
    pub created_at: std::time::SystemTime,
}

/// What [`Spool::ack`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acked {
    /// The row existed and was deleted (false: already acknowledged).
    pub deleted: bool,
    /// The study that became `acknowledged` with this message, if any.
    pub study_acknowledged: Option<StudyId>,
}

/// Inserts `message` in `tx` unless its `message_id` is already waiting.
pub(crate) fn insert_message(
    tx: &Transaction<'_>,
    message: &OutboxMessage,
    now: i64,
) -> Result<(), SpoolError> {
    if message.payload.len() > MAX_PAYLOAD_BYTES {
        return Err(SpoolError::PayloadTooLarge { bytes: message.payload.len(), limit: MAX_PAYLOAD_BYTES });
    }
    tx.execute(
        "INSERT INTO outbox (message_id, topic, payload, qos, retain, study_id, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (message_id) DO NOTHING",
        params![
            message.message_id,
            message.topic,
            message.payload,
            message.qos.level(),
            message.retain,
            message.study.map(|s| s.0),
            now
        ],
    )?;
    Ok(())
}

impl Spool {
    /// Adds a message to the outbox (a database write, never a network wait) and wakes the
    /// publisher.
    pub fn enqueue(&self, message: &OutboxMessage) -> Result<(), SpoolError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        insert_message(&tx, message, now_ms())?;
        tx.commit()?;
        drop(conn);
        self.outbox_signal().notify_one();
        Ok(())
    }

    /// The oldest message not yet acknowledged.
    pub fn next_unsent(&self) -> Result<Option<OutboxRow>, SpoolError> {
        let conn = self.lock();
        let row = conn
            .query_row(
                "SELECT id, message_id, topic, payload, qos, retain, study_id, created_ms
                 FROM outbox ORDER BY id LIMIT 1",
                [],
                |row| {
                    Ok((
                        OutboxId(row.get(0)?),
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Vec<u8>>(3)?,
                        row.get::<_, u8>(4)?,
                        row.get::<_, bool>(5)?,
                        row.get::<_, Option<i64>>(6)?,
                        row.get::<_, i64>(7)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(id, message_id, topic, payload, qos, retain, study, created)| {
            Ok(OutboxRow {
                id,
                message: OutboxMessage {
                    message_id,
                    topic,
                    payload,
                    qos: Qos::from_level(qos)?,
                    retain,
                    study: study.map(StudyId),
                },
                created_at: from_ms(created),
            })
        })
        .transpose()
    }

    /// Messages waiting in the outbox.
    pub fn outbox_depth(&self) -> Result<u64, SpoolError> {
        let conn = self.lock();
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM outbox", [], |row| row.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// The broker acknowledged a row: deletes it and, when it was the last message of a
    /// `published` study, moves that study to `acknowledged`, in one transaction.
    pub fn ack(&self, row: OutboxId) -> Result<Acked, SpoolError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let study: Option<Option<i64>> =
            tx.query_row("SELECT study_id FROM outbox WHERE id = ?1", [row.0], |r| r.get(0)).optional()?;
        let Some(study) = study else {
            return Ok(Acked { deleted: false, study_acknowledged: None });
        };
        tx.execute("DELETE FROM outbox WHERE id = ?1", [row.0])?;
        let mut study_acknowledged = None;
        if let Some(study) = study.map(StudyId) {
            let (state, generation, remaining): (StudyState, u32, i64) = tx.query_row(
                "SELECT state, generation, (SELECT COUNT(*) FROM outbox WHERE study_id = ?1) FROM study WHERE id = ?1",
                [study.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            if state == StudyState::Published && remaining == 0 {
                let now = now_ms();
                tx.execute(
                    "UPDATE study SET state = ?2, note_code = NULL, note_reason = NULL, state_changed_ms = ?3
                     WHERE id = ?1",
                    params![study.0, StudyState::Acknowledged.as_str(), now],
                )?;
                record_transition(&tx, study, generation, StudyState::Acknowledged, now)?;
                study_acknowledged = Some(study);
            }
        }
        tx.commit()?;
        Ok(Acked { deleted: true, study_acknowledged })
    }
}
