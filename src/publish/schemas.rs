//! The JSON Schemas (draft 2020-12) of the MQTT payloads, shipped inside the binary so that a
//! console integrator can print them (`radscored` prints them through the CLI) and tests check
//! real payloads against them.

/// One payload's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema {
    /// Payload name: `status`, `alert`, `heartbeat`, `result`.
    pub name: &'static str,
    /// The topic it is published on, below `radscore/v1/{site}/{device}/`.
    pub topic: &'static str,
    /// The schema text (JSON).
    pub text: &'static str,
}

/// Every payload schema.
pub const SCHEMAS: [Schema; 4] = [
    Schema { name: "status", topic: "status", text: include_str!("schemas/status.schema.json") },
    Schema { name: "result", topic: "results/{study_key}", text: include_str!("schemas/result.schema.json") },
    Schema { name: "alert", topic: "alerts", text: include_str!("schemas/alert.schema.json") },
    Schema { name: "heartbeat", topic: "heartbeat", text: include_str!("schemas/heartbeat.schema.json") },
];

/// The schema of payload `name`.
pub fn schema(name: &str) -> Option<&'static Schema> {
    SCHEMAS.iter().find(|s| s.name == name)
}
