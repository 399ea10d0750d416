//! Lower-case hexadecimal text of bytes and of their sha256: the one spelling of digests, keys and
//! random names everywhere (bundle pins, settings hashes, study keys, spool file names).

use sha2::{Digest, Sha256};

/// `bytes` as lower-case hex, two digits per byte.
pub fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    lower_hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    /// sha256("abc") from FIPS 180-2, appendix B.1.
    #[test]
    fn sha256_of_abc_matches_the_fips_example() {
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(super::lower_hex(&[0, 0xab, 0x0f]), "00ab0f");
    }
}
