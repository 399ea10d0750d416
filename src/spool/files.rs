//! Durable file writes in the spool folder and the sweep at open.
//!
//! A write follows the POSIX recipe for atomic replacement: create a new file under `tmp/`,
//! `write` + `fsync(2)` it, `rename(2)` it into `instances/`, then `fsync(2)` the `instances/`
//! folder so the new name itself is on disk. On any error the temporary (and, after a rename,
//! the final) file is removed: nothing half-written stays behind.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::spool::error::SpoolError;

/// Folder of instances being written.
pub const TMP_DIR: &str = "tmp";
/// Folder of accepted instances.
pub const INSTANCES_DIR: &str = "instances";
/// Extension of an accepted instance.
const INSTANCE_EXT: &str = "dcm";

/// A new random file name for an instance: 128 random bits in hex, nothing taken from the data.
pub fn new_instance_name() -> Result<String, SpoolError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| SpoolError::io("draw a random file name")(std::io::Error::other(e.to_string())))?;
    Ok(format!("{}.{INSTANCE_EXT}", crate::hex::lower_hex(&bytes)))
}

/// Writes `bytes` durably as `spool/instances/name`.
pub fn write_durably(spool: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, SpoolError> {
    let tmp = spool.join(TMP_DIR).join(name);
    let dest = spool.join(INSTANCES_DIR).join(name);
    let mut renamed = false;
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(SpoolError::io("create an instance file"))?;
        file.write_all(bytes).map_err(SpoolError::io("write an instance"))?;
        file.sync_all().map_err(SpoolError::io("fsync an instance"))?;
        drop(file);
        fs::rename(&tmp, &dest).map_err(SpoolError::io("rename an instance into place"))?;
        renamed = true;
        sync_dir(&spool.join(INSTANCES_DIR))
    })();
    if let Err(e) = result {
        // Best effort: the error being reported is the first one.
        let _ = fs::remove_file(if renamed { &dest } else { &tmp });
        return Err(e);
    }
    Ok(dest)
}

/// Removes an instance file (absent is fine: a purge may have been interrupted after it).
pub fn remove_instance(spool: &Path, name: &str) -> Result<(), SpoolError> {
    match fs::remove_file(spool.join(INSTANCES_DIR).join(name)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(SpoolError::io("remove an instance")(e)),
    }
}

/// `fsync(2)` on a folder, so that names created or removed in it are durable.
pub fn sync_dir(dir: &Path) -> Result<(), SpoolError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(SpoolError::io("fsync the instance folder"))
}

/// What the sweep at open removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Files left in `tmp/` by an interrupted write.
    pub temporary: usize,
    /// Files in `instances/` that no journal row names (a crash between rename and commit, or
    /// between a purge's commit and its file removals).
    pub unreferenced: usize,
}

/// Empties `tmp/` and removes every instance file not in `referenced`.
pub fn sweep(spool: &Path, referenced: &HashSet<String>) -> Result<Swept, SpoolError> {
    let mut swept = Swept::default();
    for entry in fs::read_dir(spool.join(TMP_DIR)).map_err(SpoolError::io("list the temporary folder"))? {
        let entry = entry.map_err(SpoolError::io("list the temporary folder"))?;
        fs::remove_file(entry.path()).map_err(SpoolError::io("remove a temporary file"))?;
        swept.temporary += 1;
    }
    let instances = spool.join(INSTANCES_DIR);
    for entry in fs::read_dir(&instances).map_err(SpoolError::io("list the instance folder"))? {
        let entry = entry.map_err(SpoolError::io("list the instance folder"))?;
        let known = entry.file_name().to_str().is_some_and(|name| referenced.contains(name));
        if !known {
            fs::remove_file(entry.path()).map_err(SpoolError::io("remove an unreferenced instance"))?;
            swept.unreferenced += 1;
        }
    }
    if swept.unreferenced > 0 {
        sync_dir(&instances)?;
    }
    Ok(swept)
}
