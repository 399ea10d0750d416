//! MQTT publishing: the topics and payloads of the console/fleet contract, the publisher task
//! that drains the spool's outbox to the broker, and the embedded broker used when no broker is
//! configured. Rules from MQTT 3.1.1 (OASIS, 2014): QoS 1 delivery and PUBACK (§4.3.2),
//! retained messages (§3.3.1.3), the last will (§3.1.2.5), topic syntax (§4.7).
//!
//! - [`config`] — `[mqtt]` ([`MqttConfig`]);
//! - [`topics`] — `radscore/v1/{site}/{device}/…` ([`Topics`]);
//! - [`message`] — payload types and outbox message builders;
//! - [`schemas`] — the JSON Schema of each payload, shipped in the binary;
//! - [`publisher`] — the task ([`Publisher`]);
//! - [`tls`] — rustls client configuration from PEM files;
//! - [`broker`] — the embedded broker ([`start_embedded_broker`]);
//! - [`error`] — [`PublishError`].

pub mod broker;
pub mod config;
pub mod error;
pub mod message;
pub mod publisher;
pub mod schemas;
pub mod tls;
pub mod topics;

pub use broker::{start_embedded_broker, EmbeddedBroker};
pub use config::{MqttConfig, TlsConfig};
pub use error::PublishError;
pub use message::{alert_message, result_message, Identity, Severity, StudyRef};
pub use publisher::Publisher;
pub use topics::Topics;
