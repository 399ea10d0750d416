//! `[mqtt]`: the broker the daemon publishes to. Without this section the daemon runs the
//! embedded broker on loopback ([`crate::publish::broker`]) and uses [`MqttConfig::loopback`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::publish::error::PublishError;

/// Default MQTT port (IANA "mqtt", 1883; 8883 is the usual TLS port).
pub const fn default_port() -> u16 {
    1883
}

/// Default keep-alive: the broker declares the daemon gone (and publishes its will) after 1.5×
/// this without a packet (MQTT 3.1.1 §3.1.2.10).
pub const fn default_keepalive() -> Duration {
    Duration::from_secs(30)
}

/// Default period of the heartbeat message.
pub const fn default_heartbeat_interval() -> Duration {
    Duration::from_secs(60)
}

/// Shortest keep-alive rumqttc accepts.
const MIN_KEEPALIVE: Duration = Duration::from_secs(5);

/// Connection to the MQTT broker.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// Broker host name or address.
    pub host: String,
    /// Broker TCP port (1883 plain, usually 8883 with TLS).
    #[serde(default = "default_port")]
    pub port: u16,
    /// MQTT client id; default `radscored-{site.id}-{site.device}`. Must be unique on the broker.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Keep-alive interval, seconds.
    #[serde(default = "default_keepalive", rename = "keepalive_s", deserialize_with = "seconds")]
    pub keepalive: Duration,
    /// Period of the `heartbeat` message, seconds.
    #[serde(
        default = "default_heartbeat_interval",
        rename = "heartbeat_interval_s",
        deserialize_with = "seconds"
    )]
    pub heartbeat_interval: Duration,
    /// TLS to the broker; plain TCP when absent.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// User name for the broker (MQTT 3.1.1 §3.1.3.4).
    #[serde(default)]
    pub username: Option<String>,
    /// Password for the broker; needs `username`. Prefer `password_file` on a shared box.
    #[serde(default)]
    pub password: Option<String>,
    /// File holding the password (its first line); needs `username`.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
}

/// `[mqtt.tls]`: TLS with the broker (rustls).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file of the certificate authorities that sign the broker's certificate.
    pub ca_file: PathBuf,
    /// PEM client certificate chain, for brokers that require client certificates.
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    /// PEM private key of `cert_file`.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
}

fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_secs)
}

/// The broker's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password (may be empty).
    pub password: String,
}

impl MqttConfig {
    /// The embedded broker on `127.0.0.1:port`, every other key at its default.
    pub fn loopback(port: u16) -> MqttConfig {
        MqttConfig {
            host: "127.0.0.1".to_owned(),
            port,
            client_id: None,
            keepalive: default_keepalive(),
            heartbeat_interval: default_heartbeat_interval(),
            tls: None,
            username: None,
            password: None,
            password_file: None,
        }
    }

    /// Checks the combinations serde cannot: a host, a keep-alive rumqttc accepts, a key with
    /// its certificate, a password with its user. Run at start.
    pub fn validate(&self) -> Result<(), PublishError> {
        let bad = |msg: &str| Err(PublishError::Config(msg.to_owned()));
        if self.host.trim().is_empty() {
            return bad("mqtt.host is empty");
        }
        if self.keepalive < MIN_KEEPALIVE {
            return bad("mqtt.keepalive_s must be at least 5");
        }
        if self.heartbeat_interval.is_zero() {
            return bad("mqtt.heartbeat_interval_s must be at least 1");
        }
        if self.client_id.as_ref().is_some_and(|id| id.is_empty()) {
            return bad("mqtt.client_id is empty");
        }
        if let Some(tls) = &self.tls {
            if tls.cert_file.is_some() != tls.key_file.is_some() {
                return bad("mqtt.tls.cert_file and mqtt.tls.key_file go together");
            }
        }
        if self.password.is_some() && self.password_file.is_some() {
            return bad("mqtt.password and mqtt.password_file exclude each other");
        }
        if self.username.is_none() && (self.password.is_some() || self.password_file.is_some()) {
            return bad("an mqtt password needs mqtt.username");
        }
        Ok(())
    }

    /// The client id: configured, or `radscored-{site}-{device}`.
    pub fn client_id_for(&self, site_id: &str, device: &str) -> String {
        self.client_id.clone().unwrap_or_else(|| format!("radscored-{site_id}-{device}"))
    }

    /// User name and password, reading `password_file` when set.
    pub fn credentials(&self) -> Result<Option<Credentials>, PublishError> {
        let Some(username) = &self.username else {
            return Ok(None);
        };
        let password = match (&self.password, &self.password_file) {
            (Some(p), _) => p.clone(),
            (None, Some(file)) => read_password(file)?,
            (None, None) => String::new(),
        };
        Ok(Some(Credentials { username: username.clone(), password }))
    }
}

fn read_password(file: &Path) -> Result<String, PublishError> {
    let text = std::fs::read_to_string(file).map_err(|source| PublishError::ReadFile {
        what: "mqtt.password_file",
        path: file.to_path_buf(),
        source,
    })?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_section_takes_defaults() {
        let c: MqttConfig = toml::from_str("host = \"127.0.0.1\"\nport = 1883\n").expect("valid");
        assert_eq!(c, MqttConfig::loopback(1883));
        assert_eq!(c.keepalive, Duration::from_secs(30));
        assert!(c.validate().is_ok());
        assert_eq!(c.client_id_for("bartest", "box1"), "radscored-bartest-box1");
    }

    #[test]
    fn unknown_keys_and_bad_combinations_are_errors() {
        let unknown = toml::from_str::<MqttConfig>("host = \"h\"\nqos = 2\n").expect_err("unknown key");
        assert!(unknown.to_string().contains("qos"), "{unknown}");
        let tls_unknown =
            toml::from_str::<MqttConfig>("host = \"h\"\n[tls]\nca_file = \"ca.pem\"\nverify = false\n");
        assert!(tls_unknown.is_err());
        for (toml, expected) in [
            ("host = \"\"", "host is empty"),
            ("host = \"h\"\nkeepalive_s = 1", "keepalive"),
            ("host = \"h\"\npassword = \"x\"", "needs mqtt.username"),
            ("host = \"h\"\n[tls]\nca_file = \"ca.pem\"\ncert_file = \"c.pem\"", "go together"),
        ] {
            let c: MqttConfig = toml::from_str(toml).expect("parses");
            let err = c.validate().expect_err(toml).to_string();
            assert!(err.contains(expected), "{toml}: {err}");
        }
    }

    #[test]
    fn password_file_gives_its_first_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\nignored\n").expect("write");
        let c = MqttConfig {
            username: Some("box".to_owned()),
            password_file: Some(file),
            ..MqttConfig::loopback(1883)
        };
        let creds = c.credentials().expect("readable").expect("has user");
        assert_eq!(creds, Credentials { username: "box".to_owned(), password: "s3cret".to_owned() });
    }
}
