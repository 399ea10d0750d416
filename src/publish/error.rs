//! [`PublishError`]: configuration and start-up failures of the MQTT side. Connection losses
//! at run time are not errors of the publisher: it logs them and reconnects.

use std::path::PathBuf;

use crate::error_code::ErrorCode;
use crate::spool::SpoolError;

/// Why the MQTT side could not be set up or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// A bad `[mqtt]` value.
    #[error("invalid MQTT configuration: {0}")]
    Config(String),
    /// A topic segment (site id, device, study key) that MQTT topics cannot carry.
    #[error("{what} {value:?} cannot be an MQTT topic segment: use letters, digits, '-', '_' and '.'")]
    TopicSegment {
        /// Which value ("site id", "device", "study key").
        what: &'static str,
        /// The value.
        value: String,
    },
    /// A configured file (TLS, password) could not be read. The path is the operator's own
    /// configuration, never a patient file.
    #[error("could not read {what} {}", path.display())]
    ReadFile {
        /// Which setting.
        what: &'static str,
        /// The configured path.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A TLS file that does not hold what it should.
    #[error("{what}: {reason}")]
    Tls {
        /// Which setting.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A payload that is not the expected JSON shape.
    #[error("cannot build the {what} payload: {reason}")]
    Payload {
        /// Which message.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The embedded broker could not start.
    #[error("the embedded MQTT broker could not start on 127.0.0.1:{port}: {reason}")]
    Broker {
        /// The configured port.
        port: u16,
        /// Why.
        reason: String,
    },
    /// The spool failed under the publisher.
    #[error(transparent)]
    Spool(#[from] SpoolError),
}

impl ErrorCode for PublishError {
    fn code(&self) -> &'static str {
        match self {
            PublishError::Config(_) => "mqtt_config",
            PublishError::TopicSegment { .. } => "mqtt_topic_segment",
            PublishError::ReadFile { .. } => "mqtt_file_unreadable",
            PublishError::Tls { .. } => "mqtt_tls",
            PublishError::Payload { .. } => "mqtt_payload",
            PublishError::Broker { .. } => "mqtt_broker_start",
            PublishError::Spool(e) => e.code(),
        }
    }
}
