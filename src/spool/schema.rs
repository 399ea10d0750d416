//! The journal's SQLite schema, versioned by `PRAGMA user_version` (SQLite "PRAGMA
//! user_version"): 0 is a new file, [`SCHEMA_VERSION`] is this build's, anything newer is refused
//! with [`SpoolError::NewerSchema`] rather than misread.
//!
//! Times are milliseconds since the Unix epoch (UTC); states are the snake_case names of
//! [`crate::spool::StudyState`].

use rusqlite::Connection;

use crate::spool::error::SpoolError;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

/// Version 1: studies, their instances, their state transitions, and the outbox.
const SCHEMA_V1: &str = "
CREATE TABLE study (
    id                INTEGER PRIMARY KEY,
    study_uid         TEXT NOT NULL UNIQUE,
    study_key         TEXT NOT NULL,
    state             TEXT NOT NULL,
    generation        INTEGER NOT NULL,
    note_code         TEXT,
    note_reason       TEXT,
    first_instance_ms INTEGER NOT NULL,
    last_instance_ms  INTEGER NOT NULL,
    state_changed_ms  INTEGER NOT NULL
);
CREATE INDEX study_by_state ON study (state, state_changed_ms);
CREATE TABLE instance (
    id               INTEGER PRIMARY KEY,
    study_id         INTEGER NOT NULL REFERENCES study (id),
    series_uid       TEXT NOT NULL,
    sop_instance_uid TEXT NOT NULL,
    sop_class_uid    TEXT NOT NULL,
    modality         TEXT,
    source           TEXT NOT NULL,
    file_name        TEXT NOT NULL UNIQUE,
    size_bytes       INTEGER NOT NULL,
    sha256           BLOB NOT NULL,
    received_ms      INTEGER NOT NULL,
    UNIQUE (study_id, sop_instance_uid)
);
CREATE TABLE transition (
    id         INTEGER PRIMARY KEY,
    study_id   INTEGER NOT NULL REFERENCES study (id),
    generation INTEGER NOT NULL,
    state      TEXT NOT NULL,
    at_ms      INTEGER NOT NULL
);
CREATE INDEX transition_by_study ON transition (study_id, generation, state);
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    topic      TEXT NOT NULL,
    payload    BLOB NOT NULL,
    qos        INTEGER NOT NULL,
    retain     INTEGER NOT NULL,
    study_id   INTEGER REFERENCES study (id),
    created_ms INTEGER NOT NULL
);
CREATE INDEX outbox_by_study ON outbox (study_id);
";

/// Sets the connection's pragmas and brings the schema to [`SCHEMA_VERSION`].
pub(crate) fn prepare(conn: &mut Connection) -> Result<(), SpoolError> {
    // WAL lets `radscored status` read while the daemon writes; synchronous=FULL makes every
    // commit durable when it returns (NORMAL may lose the last commits on power loss in WAL mode).
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    match found {
        0 => {
            let tx = conn.transaction()?;
            tx.execute_batch(SCHEMA_V1)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            tx.commit()?;
            Ok(())
        }
        SCHEMA_VERSION => Ok(()),
        found => Err(SpoolError::NewerSchema { found, supported: SCHEMA_VERSION }),
    }
}

/// Checks the version of a journal opened read-only (no schema is created).
pub(crate) fn check_version(conn: &Connection) -> Result<(), SpoolError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    match found {
        SCHEMA_VERSION => Ok(()),
        found if found > SCHEMA_VERSION => Err(SpoolError::NewerSchema { found, supported: SCHEMA_VERSION }),
        found => Err(SpoolError::Corrupt(format!(
            "schema version {found}: the spool was never opened by the daemon"
        ))),
    }
}
