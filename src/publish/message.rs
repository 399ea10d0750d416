//! The payloads of the MQTT contract (JSON, UTF-8) and builders for the outbox messages.
//! Each payload has a JSON Schema in `schemas/` ([`crate::publish::schemas`]).
//!
//! No payload carries a patient name or ID, an accession number, a DICOM UID or a file path:
//! studies are named by their study key (keyed hash), and a result is copied from the report
//! field by field from an allow-list ([`RESULT_FIELDS`]), so a field added to the report later
//! does not leak by default. Free-text labels typed at the scanner (segment label, ROI name)
//! are left out for the same reason.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::publish::error::PublishError;
use crate::publish::topics::Topics;
use crate::spool::{OutboxMessage, Qos, StudyId};

/// What this daemon is, repeated in every status message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// radscored version.
    pub version: String,
    /// Compute backend in use (`cpu`, `cuda`, ...).
    pub backend: String,
    /// Model bundle name.
    pub bundle: String,
}

/// Presence in the retained `status` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Connected and working.
    Online,
    /// Stopped, or gone (the broker publishes this as the will).
    Offline,
}

/// `status`: retained, QoS 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusPayload<'a> {
    /// Online or offline.
    pub state: Presence,
    /// radscored version.
    pub version: &'a str,
    /// Compute backend.
    pub backend: &'a str,
    /// Model bundle.
    pub bundle: &'a str,
}

impl<'a> StatusPayload<'a> {
    /// The status of `identity`.
    pub fn new(state: Presence, identity: &'a Identity) -> StatusPayload<'a> {
        StatusPayload {
            state,
            version: &identity.version,
            backend: &identity.backend,
            bundle: &identity.bundle,
        }
    }

    /// As JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        to_bytes(self)
    }
}

/// `heartbeat`: QoS 0, periodic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeartbeatPayload<'a> {
    /// Seconds since the publisher started.
    pub uptime_s: u64,
    /// Studies received and not yet acknowledged, parked or quarantined.
    pub queue_depth: u64,
    /// Messages waiting for the broker.
    pub outbox_depth: u64,
    /// Compute backend.
    pub backend: &'a str,
}

impl HeartbeatPayload<'_> {
    /// As JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        to_bytes(self)
    }
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For information (a study was analysed).
    Info,
    /// Needs attention soon (a segmentation is missing).
    Warning,
    /// A study could not be analysed.
    Error,
}

/// `alerts`: QoS 1, not retained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertPayload {
    /// Stable across re-sends.
    pub message_id: String,
    /// Info, warning or error.
    pub severity: Severity,
    /// Stable snake_case code ([`crate::error_code::ErrorCode`]).
    pub code: String,
    /// The study, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub study_key: Option<String>,
    /// One sentence for the technologist at the console.
    pub text: String,
}

/// The study a message is about, as the journal names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StudyRef<'a> {
    /// Journal row.
    pub id: StudyId,
    /// Study key.
    pub key: &'a str,
    /// Journal generation the message reports on.
    pub generation: u32,
}

impl StudyRef<'_> {
    /// `{study_key}-g{generation}-{kind}`: the same for every re-send and for a re-run of the
    /// same generation after a crash, different after a late instance re-opened the study.
    pub fn message_id(&self, kind: &str) -> String {
        format!("{}-g{}-{kind}", self.key, self.generation)
    }
}

/// The report fields a result message carries (besides `message_id`), in order.
pub const RESULT_FIELDS: [&str; 12] = [
    "radscored_version",
    "study_key",
    "series_key",
    "settings",
    "mask",
    "warnings",
    "geometry",
    "tumor",
    "ring",
    "patch",
    "predictions",
    "timings",
];

/// Mask fields kept: the kind and the number, not the free-text label.
const MASK_FIELDS: [&str; 4] = ["kind", "segment_number", "roi_number", "label"];

/// The `results/{study_key}` message of a study's report (the `analyze` report), QoS 1.
pub fn result_message(
    topics: &Topics,
    study: StudyRef<'_>,
    report: &impl Serialize,
) -> Result<OutboxMessage, PublishError> {
    let bad = |reason: String| PublishError::Payload { what: "result", reason };
    let Value::Object(mut report) = serde_json::to_value(report).map_err(|e| bad(e.to_string()))? else {
        return Err(bad("the report is not a JSON object".to_owned()));
    };
    if report.get("study_key").and_then(Value::as_str) != Some(study.key) {
        return Err(bad("the report's study_key is not the study's".to_owned()));
    }
    let message_id = study.message_id("result");
    let mut payload = Map::new();
    payload.insert("message_id".to_owned(), Value::String(message_id.clone()));
    for field in RESULT_FIELDS {
        if let Some(value) = report.remove(field) {
            let value = if field == "mask" { keep_fields(value, &MASK_FIELDS) } else { value };
            payload.insert(field.to_owned(), value);
        }
    }
    Ok(OutboxMessage {
        message_id,
        topic: topics.result(study.key)?,
        payload: to_bytes(&payload),
        qos: Qos::AtLeastOnce,
        retain: false,
        study: Some(study.id),
    })
}

/// An `alerts` message, QoS 1. With a study its `message_id` is stable per study, generation
/// and code; without one it is random (the outbox keeps it across re-sends).
pub fn alert_message(
    topics: &Topics,
    study: Option<StudyRef<'_>>,
    severity: Severity,
    code: &str,
    text: &str,
) -> Result<OutboxMessage, PublishError> {
    let message_id = match study {
        Some(s) => s.message_id(&format!("alert-{code}")),
        None => format!("alert-{code}-{}", random_hex()?),
    };
    let payload = AlertPayload {
        message_id: message_id.clone(),
        severity,
        code: code.to_owned(),
        study_key: study.map(|s| s.key.to_owned()),
        text: text.to_owned(),
    };
    Ok(OutboxMessage {
        message_id,
        topic: topics.alerts(),
        payload: to_bytes(&payload),
        qos: Qos::AtLeastOnce,
        retain: false,
        study: study.map(|s| s.id),
    })
}

fn keep_fields(value: Value, keep: &[&str]) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(k, _)| keep.contains(&k.as_str())).collect())
        }
        other => other,
    }
}

fn random_hex() -> Result<String, PublishError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| PublishError::Payload { what: "alert", reason: format!("no random message id: {e}") })?;
    Ok(crate::hex::lower_hex(&bytes))
}

fn to_bytes(value: &impl Serialize) -> Vec<u8> {
    // Serialising these types (strings, numbers, maps with string keys) cannot fail.
    serde_json::to_vec(value).expect("payload types serialise to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_keeps_the_allow_list_only() {
        let topics = Topics::new("s", "d").expect("valid");
        let report = serde_json::json!({
            "study_key": "abc123",
            "series_uid": "1.2.3.4",
            "mask": {"kind": "seg", "segment_number": 1, "segment_label": "Doe tumor"},
            "tumor": {"voxels": 3},
            "ring": {"voxels": 4},
            "timings": {"total_ms": 1.0},
            "predictions": {"endpoints": {}},
        });
        let study = StudyRef { id: StudyId(7), key: "abc123", generation: 2 };
        let m = result_message(&topics, study, &report).expect("builds");
        assert_eq!(m.message_id, "abc123-g2-result");
        assert_eq!(m.topic, "radscore/v1/s/d/results/abc123");
        assert_eq!(m.study, Some(StudyId(7)));
        let text = String::from_utf8(m.payload).expect("utf-8");
        assert!(!text.contains("1.2.3.4") && !text.contains("Doe") && !text.contains("series_uid"), "{text}");
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["mask"], serde_json::json!({"kind": "seg", "segment_number": 1}));
        assert_eq!(v["message_id"], "abc123-g2-result");
    }

    #[test]
    fn result_of_another_study_is_refused() {
        let topics = Topics::new("s", "d").expect("valid");
        let study = StudyRef { id: StudyId(1), key: "abc", generation: 0 };
        assert!(result_message(&topics, study, &serde_json::json!({"study_key": "other"})).is_err());
        assert!(result_message(&topics, study, &serde_json::json!([1])).is_err());
    }
}
