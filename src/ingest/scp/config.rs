//! Settings of the C-STORE/C-ECHO SCP: who may associate, what is negotiated, how many
//! associations at once, and the timers of the upper layer (PS3.8 §9.1.4: ARTIM).

use std::time::Duration;

use dicom_dictionary_std::uids;
use serde::Deserialize;

use crate::ingest::received::Acceptance;

/// The transfer syntaxes the study path decodes, CT and segmentations alike (the one list of
/// `crate::ingest::pixels`), and so the ones the SCP accepts by default.
pub use crate::ingest::pixels::DECODABLE_TRANSFER_SYNTAXES;

/// Largest P-DATA PDU radscored asks peers to send, by default (dcmtk's default is 16 KiB;
/// larger PDUs mean fewer reads for CT slices).
const DEFAULT_MAX_PDU_BYTES: u32 = 65_536;
/// Smallest maximum PDU length the upper layer allows (PS3.8 §D.1: 4096 bytes is dcmtk's floor).
const MIN_MAX_PDU_BYTES: u32 = 4_096;

/// C-STORE SCP settings. Every field except `ae_title` has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScpConfig {
    /// Our (called) AE title; an association asking for another one is rejected with
    /// "called AE title not recognized".
    pub ae_title: String,
    /// Calling AE titles allowed to associate; empty = any. Others are rejected with
    /// "calling AE title not recognized".
    #[serde(default)]
    pub allowed_calling_aes: Vec<String>,
    /// SOP classes accepted and stored but never analysed (UIDs), on top of CT Image, SEG,
    /// Label Map SEG and RT Structure Set.
    #[serde(default)]
    pub store_only_sop_classes: Vec<String>,
    /// Transfer syntaxes accepted (UIDs); each must be one radscored decodes.
    #[serde(default = "default_transfer_syntaxes")]
    pub transfer_syntaxes: Vec<String>,
    /// Largest PDU we receive, in bytes.
    #[serde(default = "default_max_pdu_bytes")]
    pub max_pdu_bytes: u32,
    /// Associations served at once; one more is rejected as transient ("local limit exceeded").
    #[serde(default = "default_max_associations")]
    pub max_associations: usize,
    /// Largest data set accepted in one C-STORE, in bytes; a larger one is answered "out of
    /// resources" (it bounds the memory an association may take).
    #[serde(default = "default_max_instance_bytes")]
    pub max_instance_bytes: u64,
    /// ARTIM timer, in seconds: how long a new connection may take to send its
    /// A-ASSOCIATE-RQ.
    #[serde(default = "default_artim_s")]
    pub artim_timeout_s: u64,
    /// How long an association may stay silent between PDUs, in seconds, before it is aborted.
    #[serde(default = "default_idle_s")]
    pub idle_timeout_s: u64,
    /// On shutdown, how long associations in progress may take to finish, in seconds.
    #[serde(default = "default_shutdown_grace_s")]
    pub shutdown_grace_s: u64,
}

/// A setting the SCP cannot run with.
#[derive(Debug, thiserror::Error)]
pub enum ScpConfigError {
    /// The AE title is empty, longer than 16 characters, or has a backslash or control character
    /// (PS3.5 §6.2, AE).
    #[error("AE title {0:?} is not valid (1 to 16 characters, no backslash or control character)")]
    AeTitle(String),
    /// A transfer syntax radscored does not decode.
    #[error("transfer syntax {0} is not one radscored decodes")]
    TransferSyntax(String),
    /// No transfer syntax left.
    #[error("no transfer syntax configured")]
    NoTransferSyntax,
    /// Max PDU below the protocol's floor.
    #[error("max_pdu_bytes {0} is below {MIN_MAX_PDU_BYTES}")]
    MaxPdu(u32),
    /// Zero associations or a zero timer.
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
}

impl ScpConfig {
    /// A configuration with every default, for this called AE title.
    pub fn new(ae_title: impl Into<String>) -> ScpConfig {
        ScpConfig {
            ae_title: ae_title.into(),
            allowed_calling_aes: Vec::new(),
            store_only_sop_classes: Vec::new(),
            transfer_syntaxes: default_transfer_syntaxes(),
            max_pdu_bytes: default_max_pdu_bytes(),
            max_associations: default_max_associations(),
            max_instance_bytes: default_max_instance_bytes(),
            artim_timeout_s: default_artim_s(),
            idle_timeout_s: default_idle_s(),
            shutdown_grace_s: default_shutdown_grace_s(),
        }
    }

    /// Checks every setting; [`crate::ingest::scp::serve`] calls it before it accepts anything.
    pub fn validate(&self) -> Result<(), ScpConfigError> {
        for ae in std::iter::once(&self.ae_title).chain(&self.allowed_calling_aes) {
            let trimmed = ae.trim();
            if trimmed.is_empty()
                || trimmed.len() > 16
                || trimmed.chars().any(|c| c == '\\' || c.is_control())
            {
                return Err(ScpConfigError::AeTitle(ae.clone()));
            }
        }
        if self.transfer_syntaxes.is_empty() {
            return Err(ScpConfigError::NoTransferSyntax);
        }
        if let Some(ts) =
            self.transfer_syntaxes.iter().find(|ts| !DECODABLE_TRANSFER_SYNTAXES.contains(&ts.as_str()))
        {
            return Err(ScpConfigError::TransferSyntax(ts.clone()));
        }
        if self.max_pdu_bytes < MIN_MAX_PDU_BYTES {
            return Err(ScpConfigError::MaxPdu(self.max_pdu_bytes));
        }
        for (value, name) in [
            (self.max_associations as u64, "max_associations"),
            (self.max_instance_bytes, "max_instance_bytes"),
            (self.artim_timeout_s, "artim_timeout_s"),
            (self.idle_timeout_s, "idle_timeout_s"),
        ] {
            if value == 0 {
                return Err(ScpConfigError::Zero(name));
            }
        }
        Ok(())
    }

    /// The abstract syntaxes negotiated: Verification, the analysed storage classes and the
    /// store-only list.
    pub fn abstract_syntaxes(&self) -> Vec<String> {
        std::iter::once(uids::VERIFICATION)
            .chain(crate::ingest::received::ANALYSED_SOP_CLASSES)
            .map(str::to_owned)
            .chain(self.store_only_sop_classes.iter().cloned())
            .collect()
    }

    /// What decides whether a stored instance is analysed.
    pub fn acceptance(&self) -> Acceptance {
        Acceptance { store_only: self.store_only_sop_classes.clone() }
    }

    /// The ARTIM timer.
    pub fn artim_timeout(&self) -> Duration {
        Duration::from_secs(self.artim_timeout_s)
    }

    /// The idle timeout between PDUs.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_s)
    }

    /// The wait for associations in progress at shutdown.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_s)
    }
}

fn default_transfer_syntaxes() -> Vec<String> {
    DECODABLE_TRANSFER_SYNTAXES.iter().map(|s| s.to_string()).collect()
}
fn default_max_pdu_bytes() -> u32 {
    DEFAULT_MAX_PDU_BYTES
}
fn default_max_associations() -> usize {
    8
}
fn default_max_instance_bytes() -> u64 {
    1 << 30
}
fn default_artim_s() -> u64 {
    30
}
fn default_idle_s() -> u64 {
    120
}
fn default_shutdown_grace_s() -> u64 {
    10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_ae_title_is_required_and_unknown_keys_are_errors() {
        let config: ScpConfig = toml::from_str("ae_title = \"RADSCORED\"").expect("parses");
        config.validate().expect("defaults are valid");
        assert_eq!(config.transfer_syntaxes, DECODABLE_TRANSFER_SYNTAXES);
        assert!(toml::from_str::<ScpConfig>("ae_title = \"A\"\nport = 104").is_err());
    }

    #[test]
    fn undecodable_transfer_syntax_and_bad_ae_title_are_refused() {
        let mut config = ScpConfig::new("RADSCORED");
        config.transfer_syntaxes.push(uids::JPEGLS_LOSSLESS.to_owned());
        assert!(matches!(config.validate(), Err(ScpConfigError::TransferSyntax(_))));
        let config = ScpConfig::new("SEVENTEEN-LETTERS");
        assert!(matches!(config.validate(), Err(ScpConfigError::AeTitle(_))));
    }
}
