//! TLS to the broker: a rustls client configuration built from the `[mqtt.tls]` PEM files, with
//! the *ring* crypto provider named explicitly (so no process-wide default provider is needed).
//! Read at start: a bad file is a start-up error.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use crate::publish::config::TlsConfig;
use crate::publish::error::PublishError;

/// The rustls client configuration of `tls`.
pub fn client_config(tls: &TlsConfig) -> Result<Arc<ClientConfig>, PublishError> {
    let mut roots = RootCertStore::empty();
    for cert in read_certs("mqtt.tls.ca_file", &tls.ca_file)? {
        roots.add(cert).map_err(|e| PublishError::Tls { what: "mqtt.tls.ca_file", reason: e.to_string() })?;
    }
    // rustls 0.23.48 deprecates *ring* because it lacks post-quantum key exchange; classical
    // ECDHE to the site's broker is accepted here to keep aws-lc (a large C build) out of the
    // tree. Switching is one line: rumqttc's `use-rustls` feature and `aws_lc_rs::default_provider`.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PublishError::Tls { what: "mqtt.tls", reason: e.to_string() })?
        .with_root_certificates(roots);
    let config = match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => {
            let chain = read_certs("mqtt.tls.cert_file", cert)?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| PublishError::Tls {
                what: "mqtt.tls.key_file",
                reason: format!("no PEM private key in {}: {e}", key.display()),
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| PublishError::Tls { what: "mqtt.tls.cert_file", reason: e.to_string() })?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

fn read_certs(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, PublishError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| PublishError::Tls {
            what,
            reason: format!("cannot read PEM certificates from {}: {e}", path.display()),
        })?;
    if certs.is_empty() {
        return Err(PublishError::Tls { what, reason: format!("no certificate in {}", path.display()) });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_files_are_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = TlsConfig { ca_file: dir.path().join("absent.pem"), cert_file: None, key_file: None };
        let err = client_config(&missing).expect_err("missing file").to_string();
        assert!(err.contains("mqtt.tls.ca_file") && err.contains("absent.pem"), "{err}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").expect("write");
        let err = client_config(&TlsConfig { ca_file: empty, cert_file: None, key_file: None })
            .expect_err("no certificate")
            .to_string();
        assert!(err.contains("no certificate"), "{err}");
    }
}
