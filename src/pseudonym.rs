//! Pseudonymous study keys: studies leave the box (reports, logs, MQTT) only under a keyed hash of
//! their StudyInstanceUID, never with a patient name or ID.
//!
//! ```text
//! study_key = hex(HMAC-SHA256(site_key, StudyInstanceUID))[..32]
//! ```
//! The site key is 32 random bytes kept in a file readable by the service alone (created with mode
//! 0600 on first use); a key file that group or others may read or write is refused, with the
//! `chmod` that fixes it. Without the key, the UID cannot be recovered or confirmed from the study
//! key; with it, the site can re-identify its own studies.

use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Length of the site key in bytes.
pub const SITE_KEY_BYTES: usize = 32;

/// Why the site key is unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PseudonymError {
    /// The key file could not be read or created.
    #[error("cannot read or create the site key {path}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The key file does not hold exactly [`SITE_KEY_BYTES`] bytes.
    #[error("site key {path} has {found} bytes, expected {SITE_KEY_BYTES}")]
    BadLength {
        /// The key file.
        path: PathBuf,
        /// Bytes found.
        found: usize,
    },
    /// The key file grants its group or others some access.
    #[error(
        "site key {path} is open to group or others (mode {mode:04o}); anyone who reads it can \
         re-identify studies: run `chmod 600 {path}`"
    )]
    TooOpen {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The system random source failed.
    #[error("no random source to create a site key: {0}")]
    Random(String),
}

impl crate::error_code::ErrorCode for PseudonymError {
    fn code(&self) -> &'static str {
        match self {
            PseudonymError::Io { .. } => "site_key_unreadable",
            PseudonymError::BadLength { .. } => "site_key_bad_length",
            PseudonymError::TooOpen { .. } => "site_key_too_open",
            PseudonymError::Random(_) => "no_random_source",
        }
    }
}

/// Permission bits of group and others, none of which a key file may have.
#[cfg(unix)]
const GROUP_OTHER_BITS: u32 = 0o077;

/// The secret that keys study pseudonyms on one box.
#[derive(Clone)]
pub struct SiteKey([u8; SITE_KEY_BYTES]);

impl std::fmt::Debug for SiteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SiteKey(..)")
    }
}

impl SiteKey {
    /// Wraps key bytes.
    pub fn from_bytes(bytes: [u8; SITE_KEY_BYTES]) -> SiteKey {
        SiteKey(bytes)
    }

    /// Reads the key file, creating it with fresh random bytes (mode 0600) when it does not exist.
    /// An existing file that group or others may access is refused ([`PseudonymError::TooOpen`]).
    pub fn load_or_create(path: &Path) -> Result<SiteKey, PseudonymError> {
        let io = |source| PseudonymError::Io { path: path.into(), source };
        match std::fs::read(path) {
            Ok(bytes) => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o7777;
                    if mode & GROUP_OTHER_BITS != 0 {
                        return Err(PseudonymError::TooOpen { path: path.into(), mode });
                    }
                }
                let found = bytes.len();
                let key: [u8; SITE_KEY_BYTES] =
                    bytes.try_into().map_err(|_| PseudonymError::BadLength { path: path.into(), found })?;
                Ok(SiteKey(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; SITE_KEY_BYTES];
                getrandom::fill(&mut key).map_err(|e| PseudonymError::Random(e.to_string()))?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(path).map_err(io)?;
                file.write_all(&key).and_then(|()| file.sync_all()).map_err(io)?;
                Ok(SiteKey(key))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// The pseudonymous key of a study.
    pub fn study_key(&self, study_instance_uid: &str) -> String {
        self.keyed(study_instance_uid)
    }

    /// The pseudonymous key of a series (the same keyed hash: DICOM UIDs are unique across kinds).
    pub fn series_key(&self, series_instance_uid: &str) -> String {
        self.keyed(series_instance_uid)
    }

    fn keyed(&self, uid: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(uid.as_bytes());
        let digest = mac.finalize().into_bytes();
        crate::hex::lower_hex(&digest[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_rfc4231_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"; the study key is
        // the first 16 bytes of the MAC. The site key type takes 32 bytes, so use the raw MAC.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex = crate::hex::lower_hex(&mac.finalize().into_bytes());
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn key_file_is_created_once_and_keys_differ_by_site() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/site.key");
        let a = SiteKey::load_or_create(&path).unwrap();
        let again = SiteKey::load_or_create(&path).unwrap();
        let uid = "2.25.214489990300862449713486689898810742832";
        assert_eq!(a.study_key(uid), again.study_key(uid));
        assert_eq!(a.study_key(uid).len(), 32);
        assert!(!a.study_key(uid).contains(uid));
        let other = SiteKey::from_bytes([7; SITE_KEY_BYTES]);
        assert_ne!(a.study_key(uid), other.study_key(uid));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, b"short").unwrap();
        assert!(SiteKey::load_or_create(&path).unwrap_err().to_string().contains("has 5 bytes"));
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_may_read_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.key");
        SiteKey::load_or_create(&path).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o620] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let err = SiteKey::load_or_create(&path).unwrap_err();
            assert!(matches!(err, PseudonymError::TooOpen { mode: m, .. } if m == mode), "{err}");
            let text = err.to_string();
            assert!(text.contains(&format!("(mode {mode:04o})")), "{text}");
            assert!(text.ends_with(&format!("run `chmod 600 {}`", path.display())), "{text}");
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        SiteKey::load_or_create(&path).unwrap();
    }
}
