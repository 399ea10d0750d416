//! The appliance's configuration file (`firmware-config/appliance.toml` documents every key):
//! TOML, every key but a few defaulted, unknown keys and bad values refused at start with the
//! key named.
//!
//! Sections: `[site]` (topic segments, site key), `[dicom]` (the C-STORE SCP: listen address plus
//! [`ScpConfig`]'s keys), `[watch]` (optional drop folder, [`WatchConfig`]), `[spool]`, `[series]`
//! (quiet period, segmentation wait, derived series), `[analysis]` (workers, threads), `[mqtt]` (absent: the
//! embedded broker on loopback, `[embedded_broker]`), `[model]` (bundle, deep network).

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::ingest::scp::ScpConfig;
use crate::ingest::watch::WatchConfig;
use crate::ingest::SeriesPolicy;
use crate::model::deep::{Accelerator, DeepConfig};
use crate::publish::MqttConfig;

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML of this schema; the message names the key and line.
    #[error("configuration {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A value breaks a rule serde cannot express.
    #[error("configuration {path}: {key}: {problem}")]
    Value {
        /// The file.
        path: PathBuf,
        /// Dotted key.
        key: &'static str,
        /// What is wrong.
        problem: String,
    },
}

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplianceConfig {
    /// Who this box is.
    pub site: SiteConfig,
    /// DICOM intake by C-STORE.
    pub dicom: DicomConfig,
    /// Folder intake; absent: none.
    #[serde(default)]
    pub watch: Option<WatchConfig>,
    /// The durable store.
    pub spool: SpoolConfig,
    /// When a study is complete.
    #[serde(default)]
    pub series: SeriesConfig,
    /// The analysis workers.
    #[serde(default)]
    pub analysis: AnalysisConfig,
    /// The MQTT broker; absent: the embedded broker.
    #[serde(default)]
    pub mqtt: Option<MqttConfig>,
    /// The embedded broker, used when `[mqtt]` is absent.
    #[serde(default)]
    pub embedded_broker: EmbeddedBrokerConfig,
    /// The model bundle and the deep network.
    #[serde(default)]
    pub model: ModelConfig,
    /// Results back to PACS.
    #[serde(default)]
    pub export: super::export::ExportConfig,
}

/// `[site]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Site segment of the MQTT topics.
    pub id: String,
    /// Device segment of the MQTT topics.
    pub device: String,
    /// HMAC key of the study keys; created 0600 if absent.
    #[serde(default = "default_key_file")]
    pub key_file: PathBuf,
}

fn default_key_file() -> PathBuf {
    PathBuf::from("/var/lib/radscored/site.key")
}

/// `[dicom]`: the listen address and the SCP's settings.
#[derive(Debug, Clone)]
pub struct DicomConfig {
    /// Address and port of the C-STORE/C-ECHO SCP (a socket passed by systemd takes its place).
    pub listen: SocketAddr,
    /// AE title, allow-list, transfer syntaxes, limits and timers.
    pub scp: ScpConfig,
}

impl<'de> Deserialize<'de> for DicomConfig {
    /// `listen`, then every other key as [`ScpConfig`]'s, unknown ones refused (serde's
    /// `flatten` would let them through).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut table = toml::Table::deserialize(deserializer)?;
        let listen = match table.remove("listen") {
            Some(value) => value.try_into().map_err(|e| D::Error::custom(format!("listen: {e}")))?,
            None => default_listen(),
        };
        let scp = toml::Value::Table(table).try_into().map_err(D::Error::custom)?;
        Ok(DicomConfig { listen, scp })
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 11112))
}

/// `[spool]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoolConfig {
    /// Everything durable lives here; created if absent.
    pub dir: PathBuf,
    /// Free space kept on the spool's disk; C-STORE answers "out of resources" below it, MiB.
    #[serde(default = "default_min_free_mib")]
    pub min_free_mib: u64,
    /// Acknowledged studies are removed this long after their acknowledgement, hours.
    #[serde(default = "default_retention_h")]
    pub retention_h: u64,
}

fn default_min_free_mib() -> u64 {
    1024
}
fn default_retention_h() -> u64 {
    72
}

/// `[series]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesConfig {
    /// A study is complete this long after its last instance, seconds.
    #[serde(default = "default_quiet_period_s")]
    pub quiet_period_s: u64,
    /// How much longer a quiet study waits for its segmentation (or its CT), seconds.
    #[serde(default = "default_segmentation_wait_s")]
    pub segmentation_wait_s: u64,
    /// Analyse CT series of DERIVED images (reformats, reconstructions); refused by default, with
    /// an alert naming this key. Localizer images are always left out.
    #[serde(default)]
    pub accept_derived: bool,
}

impl SeriesConfig {
    /// Which CT series the analyzer accepts.
    pub fn policy(&self) -> SeriesPolicy {
        SeriesPolicy { accept_derived: self.accept_derived }
    }
}

fn default_quiet_period_s() -> u64 {
    10
}
fn default_segmentation_wait_s() -> u64 {
    600
}

impl Default for SeriesConfig {
    fn default() -> Self {
        SeriesConfig {
            quiet_period_s: default_quiet_period_s(),
            segmentation_wait_s: default_segmentation_wait_s(),
            accept_derived: false,
        }
    }
}

/// `[analysis]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisConfig {
    /// Studies analysed at once (worker threads, never the async runtime's).
    #[serde(default = "one")]
    pub workers: NonZeroUsize,
    /// Threads of the process's radiomics pool (a region's image types in parallel).
    #[serde(default = "one")]
    pub threads: NonZeroUsize,
    /// Complete studies waiting for a worker; beyond it they wait in the spool.
    #[serde(default = "default_queue")]
    pub queue: NonZeroUsize,
    /// Analyse a study that holds its CT and segmentation when no worker is busy and it has been
    /// quiet for a quarter of the quiet period; its result is still recorded and published only
    /// once the whole quiet period has passed, and only if no instance came meanwhile (else it is
    /// analysed again). Costs CPU only when a study's instances resume after such a pause.
    #[serde(default = "yes")]
    pub start_during_quiet_period: bool,
}

fn yes() -> bool {
    true
}
fn one() -> NonZeroUsize {
    NonZeroUsize::MIN
}
fn default_queue() -> NonZeroUsize {
    NonZeroUsize::new(16).expect("16 is not zero")
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            workers: one(),
            threads: one(),
            queue: default_queue(),
            start_during_quiet_period: yes(),
        }
    }
}

/// `[embedded_broker]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddedBrokerConfig {
    /// Loopback port of the embedded broker.
    #[serde(default = "default_broker_port")]
    pub port: u16,
}

fn default_broker_port() -> u16 {
    1883
}

impl Default for EmbeddedBrokerConfig {
    fn default() -> Self {
        EmbeddedBrokerConfig { port: default_broker_port() }
    }
}

/// `[model]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// The model bundle folder; relative paths are taken from the install root.
    #[serde(default = "default_bundle")]
    pub bundle: PathBuf,
    /// ONNX Runtime library; absent: the one the install root provides.
    #[serde(default)]
    pub onnxruntime_library: Option<PathBuf>,
    /// Accelerators to try before the CPU (`tensorrt`, `cuda`).
    #[serde(default = "default_accelerators")]
    pub accelerators: Vec<Accelerator>,
    /// Threads of one inference on the CPU.
    #[serde(default = "one")]
    pub cpu_threads: NonZeroUsize,
    /// TensorRT engine and timing caches (systemd's CacheDirectory).
    #[serde(default = "default_cache_dir")]
    pub cache_dir: PathBuf,
}

fn default_bundle() -> PathBuf {
    PathBuf::from("engines/reference")
}
fn default_accelerators() -> Vec<Accelerator> {
    DeepConfig::default().accelerators
}
fn default_cache_dir() -> PathBuf {
    PathBuf::from("/var/cache/radscored")
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            bundle: default_bundle(),
            onnxruntime_library: None,
            accelerators: default_accelerators(),
            cpu_threads: one(),
            cache_dir: default_cache_dir(),
        }
    }
}

impl ModelConfig {
    /// The deep network's configuration.
    pub fn deep(&self) -> DeepConfig {
        DeepConfig {
            onnxruntime_library: self.onnxruntime_library.clone(),
            cpu_threads: self.cpu_threads,
            accelerators: self.accelerators.clone(),
            cache_dir: Some(self.cache_dir.clone()),
        }
    }
}

impl SeriesConfig {
    /// The tracker's waits.
    pub fn waits(&self) -> super::completeness::Waits {
        super::completeness::Waits {
            quiet: Duration::from_secs(self.quiet_period_s),
            segmentation: Duration::from_secs(self.segmentation_wait_s),
        }
    }
}

impl ApplianceConfig {
    /// Reads and checks the file at `path`.
    pub fn read(path: &Path) -> Result<ApplianceConfig, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.into(), source })?;
        ApplianceConfig::parse(&text, path)
    }

    /// Parses and checks `text` (read from `path`, which errors name).
    pub fn parse(text: &str, path: &Path) -> Result<ApplianceConfig, ConfigError> {
        let config: ApplianceConfig = toml::from_str(text)
            .map_err(|e| ConfigError::Parse { path: path.into(), message: e.to_string() })?;
        let value =
            |key: &'static str, problem: String| ConfigError::Value { path: path.into(), key, problem };
        config.dicom.scp.validate().map_err(|e| value("dicom", e.to_string()))?;
        if let Some(mqtt) = &config.mqtt {
            mqtt.validate().map_err(|e| value("mqtt", e.to_string()))?;
        }
        crate::publish::Topics::new(&config.site.id, &config.site.device)
            .map_err(|e| value("site", e.to_string()))?;
        if config.series.quiet_period_s == 0 {
            return Err(value("series.quiet_period_s", "must be at least 1 second".to_owned()));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys the acceptance test writes, and nothing else.
    const MINIMAL: &str = r#"
[site]
id = "bartest"
device = "box1"
key_file = "/var/lib/radscored/site.key"

[dicom]
listen = "127.0.0.1:11112"
ae_title = "RADSCORED"
allowed_calling_aes = ["BARSCU"]

[spool]
dir = "/var/lib/radscored/spool"

[series]
quiet_period_s = 2

[mqtt]
host = "127.0.0.1"
port = 1883

[model]
bundle = "engines/reference"
"#;

    fn parse(text: &str) -> Result<ApplianceConfig, ConfigError> {
        ApplianceConfig::parse(text, Path::new("appliance.toml"))
    }

    #[test]
    fn the_contract_keys_suffice_and_the_rest_is_defaulted() {
        let config = parse(MINIMAL).unwrap();
        assert_eq!(config.dicom.listen, "127.0.0.1:11112".parse().unwrap());
        assert_eq!(config.dicom.scp.allowed_calling_aes, ["BARSCU"]);
        assert_eq!(config.series.quiet_period_s, 2);
        assert_eq!(config.series.segmentation_wait_s, 600);
        assert_eq!(config.analysis.workers.get(), 1);
        assert_eq!(config.mqtt.unwrap().port, 1883);
        assert!(config.watch.is_none());
        assert_eq!(config.series.policy(), SeriesPolicy { accept_derived: false });
        let derived =
            parse(&MINIMAL.replace("quiet_period_s = 2", "quiet_period_s = 2\naccept_derived = true"));
        assert_eq!(derived.unwrap().series.policy(), SeriesPolicy { accept_derived: true });
    }

    #[test]
    fn the_shipped_files_parse() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("firmware-config");
        for file in ["appliance.toml", "sites/jetson-example.toml"] {
            ApplianceConfig::read(&root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        }
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let cases = [
            (MINIMAL.replace("quiet_period_s = 2", "quiet_period = 2"), "unknown field `quiet_period`"),
            (
                MINIMAL.replace("ae_title = \"RADSCORED\"", "ae_title = \"RADSCORED\"\nae_tilte = \"X\""),
                "unknown field `ae_tilte`",
            ),
            (
                MINIMAL.replace("quiet_period_s = 2", "quiet_period_s = 0"),
                "series.quiet_period_s: must be at least 1",
            ),
            (
                MINIMAL.replace("listen = \"127.0.0.1:11112\"", "listen = \"nowhere\""),
                "invalid socket address",
            ),
            (
                MINIMAL.replace("ae_title = \"RADSCORED\"", "ae_title = \"A VERY LONG AE TITLE\""),
                "dicom: AE title",
            ),
            (MINIMAL.replace("id = \"bartest\"", "id = \"bar/test\""), "site:"),
            (MINIMAL.replace("[site]", "[sight]"), "unknown field `sight`"),
            (
                MINIMAL.replace("quiet_period_s = 2", "quiet_period_s = 2\naccept_derived = \"yes\""),
                "accept_derived = \"yes\"\n   |                  ^^^^^\ninvalid type: string \"yes\", expected a boolean",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(&text).unwrap_err().to_string();
            assert!(err.contains(expected), "expected '{expected}' in: {err}");
        }
    }
}
