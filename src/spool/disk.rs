//! The free-space watermark: an instance is refused when storing it would leave less than the
//! watermark free on the spool's file system, so the journal, the logs and the rest of the box
//! keep room to work. Free space is `f_bavail × f_frsize` of `statvfs(3)` (POSIX), the space
//! an unprivileged writer can use.

use std::path::Path;

use crate::spool::error::SpoolError;

/// Bytes an unprivileged process may still write on the file system holding `dir`.
pub fn available_bytes(dir: &Path) -> Result<u64, SpoolError> {
    let stat = rustix::fs::statvfs(dir).map_err(|e| SpoolError::io("read the free disk space")(e.into()))?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// Whether `size_bytes` more may be written when `available_bytes` are free and
/// `watermark_bytes` must stay free: `Err(OutOfSpace)` when not.
pub fn check_room(available_bytes: u64, size_bytes: u64, watermark_bytes: u64) -> Result<(), SpoolError> {
    let needed_bytes = size_bytes.saturating_add(watermark_bytes);
    if available_bytes < needed_bytes {
        Err(SpoolError::OutOfSpace { available_bytes, needed_bytes })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_size_counts_against_the_watermark() {
        assert!(check_room(1_000, 400, 600).is_ok());
        match check_room(1_000, 401, 600) {
            Err(SpoolError::OutOfSpace { available_bytes: 1_000, needed_bytes: 1_001 }) => {}
            other => panic!("expected out of space, got {other:?}"),
        }
        assert!(check_room(0, 0, 0).is_ok());
        assert!(check_room(10, u64::MAX, 1).is_err(), "no overflow on absurd sizes");
    }
}
