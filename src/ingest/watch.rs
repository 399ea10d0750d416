//! The drop folder: DICOM Part-10 files copied or moved into a watched folder reach the same
//! [`InstanceSink`] as instances received by C-STORE.
//!
//! A file is taken when it is complete: when the writer closes it (inotify `IN_CLOSE_WRITE`) or
//! when it is renamed or moved into the folder (`IN_MOVED_TO`), in the folder or below it. The
//! whole folder is rescanned at start and whenever the event queue overflowed (the kernel's, or
//! our own bounded queue of [`EVENT_QUEUE`] events), so nothing dropped while radscored was down
//! or busy is missed. Files whose name starts with `.` are left alone: that is the temporary
//! name of writers that write and then rename (rsync, `cp` into a hidden name, our tests).
//!
//! Each file is read and parsed in full ([`received::from_part10`]) and given to the sink; it is
//! removed from the folder only after the sink returned `Ok` (the instance is durable). A file
//! that is not an acceptable DICOM instance is moved, never deleted, into the `rejected/`
//! subfolder. A refusal that may pass (out of resources, processing failure) leaves the file in
//! place; the folder is rescanned after `retry_s`. A file found by a rescan that was modified
//! less than `settle_s` ago may still be being written (a prefix of a data set can parse: a
//! slice cut before its pixel data): it is left alone until it is older, or until its writer
//! closes it. Subfolders are never removed (a writer may still be using them).
//!
//! Log lines carry a reason code and counters, never a file name (it may name the patient).

use std::{
    future::Future,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, SystemTime},
};

use notify::{
    event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode},
    Event, EventKind, RecursiveMode, Watcher,
};
use serde::Deserialize;
use tokio::{
    sync::{mpsc, Notify},
    time::Instant,
};
use tracing::{debug, info, warn};

use super::{
    received::{self, Acceptance, InstanceSink},
    scp::DECODABLE_TRANSFER_SYNTAXES,
};
use crate::error_code::ErrorCode;

/// Name of the subfolder that receives files that are not acceptable DICOM instances.
pub const REJECTED_DIR: &str = "rejected";
/// Capacity of the queue between the watcher thread and the intake task; when it is full, events
/// are dropped and the folder is rescanned instead.
pub const EVENT_QUEUE: usize = 1024;

/// Drop-folder settings. Every field except `dir` has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchConfig {
    /// The watched folder (created if absent); `rejected/` is created inside it.
    pub dir: PathBuf,
    /// SOP classes accepted and stored but never analysed (UIDs), on top of the analysed ones.
    #[serde(default)]
    pub store_only_sop_classes: Vec<String>,
    /// Transfer syntaxes accepted (UIDs); each must be one radscored decodes.
    #[serde(default = "default_transfer_syntaxes")]
    pub transfer_syntaxes: Vec<String>,
    /// A file found by a rescan that is younger than this (seconds) may still be being written,
    /// and is looked at again later.
    #[serde(default = "default_settle_s")]
    pub settle_s: u64,
    /// After a refusal that may pass, the folder is rescanned this many seconds later.
    #[serde(default = "default_retry_s")]
    pub retry_s: u64,
}

fn default_transfer_syntaxes() -> Vec<String> {
    DECODABLE_TRANSFER_SYNTAXES.iter().map(|s| s.to_string()).collect()
}
fn default_settle_s() -> u64 {
    5
}
fn default_retry_s() -> u64 {
    30
}

impl WatchConfig {
    /// A configuration with every default, for this folder.
    pub fn new(dir: impl Into<PathBuf>) -> WatchConfig {
        WatchConfig {
            dir: dir.into(),
            store_only_sop_classes: Vec::new(),
            transfer_syntaxes: default_transfer_syntaxes(),
            settle_s: default_settle_s(),
            retry_s: default_retry_s(),
        }
    }
}

/// Why the drop folder cannot be watched.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// A transfer syntax radscored does not decode.
    #[error("transfer syntax {0} is not one radscored decodes")]
    TransferSyntax(String),
    /// The folder or its `rejected/` subfolder could not be created.
    #[error("could not create the drop folder")]
    CreateDir(#[source] std::io::Error),
    /// The operating system's file watcher failed.
    #[error("could not watch the drop folder")]
    Watch(#[source] notify::Error),
}

impl crate::error_code::ErrorCode for WatchError {
    fn code(&self) -> &'static str {
        match self {
            WatchError::TransferSyntax(_) => "watch_config_invalid",
            WatchError::CreateDir(_) => "drop_folder_unavailable",
            WatchError::Watch(_) => "drop_folder_watch_failed",
        }
    }
}

/// What became of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Stored by the sink and removed from the folder.
    Stored,
    /// Moved to `rejected/`, for this reason code.
    Rejected(&'static str),
    /// Left in place after a refusal that may pass: looked at again after `retry_s`.
    Later,
    /// Found by a rescan and recently modified: looked at again after `settle_s`.
    Unsettled,
    /// Gone, hidden, or not a regular file: nothing to do.
    Skipped,
}

/// How a file came to our attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// A close-after-write or a move into place: the file is complete.
    Event,
    /// A rescan: the file may still be being written.
    Rescan,
}

/// The settings and the sink, shared with the blocking threads that process files.
struct Intake {
    dir: PathBuf,
    rejected: PathBuf,
    transfer_syntaxes: Vec<String>,
    acceptance: Acceptance,
    settle: Duration,
    retry: Duration,
    sink: Arc<dyn InstanceSink>,
}

impl Intake {
    /// When to look at the folder again after this outcome, if at all.
    fn recheck(&self, outcome: Outcome) -> Option<Duration> {
        match outcome {
            Outcome::Later => Some(self.retry),
            Outcome::Unsettled => Some(self.settle),
            Outcome::Stored | Outcome::Rejected(_) | Outcome::Skipped => None,
        }
    }
}

/// The earlier of two optional delays.
fn earliest(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Watches the drop folder until `shutdown` completes. Files are processed one at a time; the
/// file in progress at shutdown is finished first.
pub async fn watch(
    config: Arc<WatchConfig>,
    sink: Arc<dyn InstanceSink>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), WatchError> {
    if let Some(ts) =
        config.transfer_syntaxes.iter().find(|ts| !DECODABLE_TRANSFER_SYNTAXES.contains(&ts.as_str()))
    {
        return Err(WatchError::TransferSyntax(ts.clone()));
    }
    let rejected = config.dir.join(REJECTED_DIR);
    std::fs::create_dir_all(&rejected).map_err(WatchError::CreateDir)?;
    let intake = Arc::new(Intake {
        dir: config.dir.clone(),
        rejected,
        transfer_syntaxes: config.transfer_syntaxes.clone(),
        acceptance: Acceptance { store_only: config.store_only_sop_classes.clone() },
        settle: Duration::from_secs(config.settle_s.max(1)),
        retry: Duration::from_secs(config.retry_s.max(1)),
        sink,
    });

    let (events, mut queue) = mpsc::channel::<Event>(EVENT_QUEUE);
    let overflowed = Arc::new(AtomicBool::new(false));
    let wake = Arc::new(Notify::new());
    let mut watcher = {
        let (overflowed, wake) = (Arc::clone(&overflowed), Arc::clone(&wake));
        notify::recommended_watcher(move |event: notify::Result<Event>| {
            let delivered = match event {
                Ok(event) => events.try_send(event).is_ok(),
                Err(_) => false,
            };
            if !delivered {
                overflowed.store(true, Ordering::SeqCst);
                wake.notify_one();
            }
        })
        .map_err(WatchError::Watch)?
    };
    // Watch first, then rescan: a file closed in between is seen twice at worst, and the second
    // look finds it gone.
    watcher.watch(&config.dir, RecursiveMode::Recursive).map_err(WatchError::Watch)?;
    info!("Drop folder watched.");

    let mut stats = Stats::default();
    let mut recheck_at = rescan(&intake, &intake.dir, &mut stats).await.map(|d| Instant::now() + d);
    tokio::pin!(shutdown);
    loop {
        let recheck = tokio::select! {
            _ = &mut shutdown => break,
            event = queue.recv() => match event {
                Some(event) => handle_event(&intake, event, &mut stats).await,
                None => break,
            },
            _ = wake.notified() => {
                if overflowed.swap(false, Ordering::SeqCst) {
                    warn!("Drop folder events overflowed; rescanning.");
                    rescan(&intake, &intake.dir, &mut stats).await
                } else {
                    None
                }
            }
            _ = sleep_until(recheck_at) => {
                recheck_at = None;
                rescan(&intake, &intake.dir, &mut stats).await
            }
        };
        if let Some(delay) = recheck {
            let at = Instant::now() + delay;
            recheck_at = Some(recheck_at.map_or(at, |earlier| earlier.min(at)));
        }
    }
    drop(watcher);
    info!(stored = stats.stored, rejected = stats.rejected, "Drop folder no longer watched.");
    Ok(())
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Counters for log lines.
#[derive(Debug, Default)]
struct Stats {
    stored: u64,
    rejected: u64,
}

impl Stats {
    fn record(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Stored => {
                self.stored += 1;
                debug!(stored_total = self.stored, "Dropped file stored.");
            }
            Outcome::Rejected(reason) => {
                self.rejected += 1;
                warn!(reason, rejected_total = self.rejected, "Dropped file moved to rejected/.");
            }
            Outcome::Later | Outcome::Unsettled | Outcome::Skipped => {}
        }
    }
}

/// Acts on one watcher event; returns when to look at the folder again, if a file was left.
async fn handle_event(intake: &Arc<Intake>, event: Event, stats: &mut Stats) -> Option<Duration> {
    if event.need_rescan() {
        warn!("Drop folder events overflowed in the kernel; rescanning.");
        return rescan(intake, &intake.dir, stats).await;
    }
    let complete = matches!(
        event.kind,
        EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(ModifyKind::Name(RenameMode::To))
    );
    let new_folder = matches!(event.kind, EventKind::Create(CreateKind::Folder));
    if !complete && !new_folder {
        return None;
    }
    let mut recheck = None;
    for path in event.paths {
        if path.starts_with(&intake.rejected) {
            continue;
        }
        if path.is_dir() {
            // A folder created or moved in: files may have landed in it before its watch was set.
            recheck = earliest(recheck, rescan(intake, &path, stats).await);
        } else if complete {
            let outcome = process(intake, path, Trigger::Event).await;
            recheck = earliest(recheck, intake.recheck(outcome));
            stats.record(outcome);
        }
    }
    recheck
}

/// Processes every file below `root` (except `rejected/`), in name order; returns when to look
/// at the folder again, if a file was left.
async fn rescan(intake: &Arc<Intake>, root: &Path, stats: &mut Stats) -> Option<Duration> {
    let files = {
        let (root, rejected) = (root.to_owned(), intake.rejected.clone());
        tokio::task::spawn_blocking(move || list_files(&root, &rejected)).await.unwrap_or_default()
    };
    let mut recheck = None;
    for path in files {
        let outcome = process(intake, path, Trigger::Rescan).await;
        recheck = earliest(recheck, intake.recheck(outcome));
        stats.record(outcome);
    }
    recheck
}

fn list_files(root: &Path, rejected: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() && path != rejected => dirs.push(path),
                Ok(t) if t.is_file() => files.push(path),
                _ => {}
            }
        }
    }
    files.sort();
    files
}

/// Reads, parses and stores one file on a blocking thread.
async fn process(intake: &Arc<Intake>, path: PathBuf, trigger: Trigger) -> Outcome {
    let hidden = path.file_name().and_then(|n| n.to_str()).is_none_or(|n| n.starts_with('.'));
    if hidden {
        return Outcome::Skipped;
    }
    let intake = Arc::clone(intake);
    tokio::task::spawn_blocking(move || process_blocking(&intake, &path, trigger))
        .await
        .unwrap_or(Outcome::Later)
}

fn process_blocking(intake: &Intake, path: &Path, trigger: Trigger) -> Outcome {
    let Ok(metadata) = std::fs::symlink_metadata(path) else {
        return Outcome::Skipped;
    };
    if !metadata.is_file() {
        return Outcome::Skipped;
    }
    // A modification time in the future (clock skew) does not count as young: such a file would
    // otherwise wait for the clock.
    let young = metadata
        .modified()
        .is_ok_and(|m| SystemTime::now().duration_since(m).is_ok_and(|age| age < intake.settle));
    if trigger == Trigger::Rescan && young {
        return Outcome::Unsettled;
    }
    let Ok(bytes) = std::fs::read(path) else {
        return Outcome::Skipped;
    };
    let instance = match received::from_part10(bytes, &intake.transfer_syntaxes, &intake.acceptance) {
        Ok(instance) => instance,
        Err(error) => return reject(intake, path, error.code()),
    };
    match intake.sink.store(instance) {
        Ok(_) => match std::fs::remove_file(path) {
            Ok(()) => Outcome::Stored,
            Err(error) => {
                // Stored, but the file stays: the next rescan hands it to the sink again, which
                // treats it as a duplicate.
                warn!(error = %error, "Stored dropped file could not be removed.");
                Outcome::Stored
            }
        },
        Err(refusal) if refusal.is_transient() => {
            warn!(status = %refusal.status(), "Dropped file refused for now; will retry.");
            Outcome::Later
        }
        Err(refusal) => reject(intake, path, refusal_code(&refusal)),
    }
}

fn refusal_code(refusal: &received::Refusal) -> &'static str {
    match refusal {
        received::Refusal::CannotUnderstand => "sink_cannot_understand",
        received::Refusal::SopClassNotSupported => "sink_sop_class_not_supported",
        received::Refusal::OutOfResources => "sink_out_of_resources",
        received::Refusal::ProcessingFailure => "sink_processing_failure",
    }
}

/// Moves a file into `rejected/` under a name not taken yet (its own, or with `.1`, `.2`, ...).
fn reject(intake: &Intake, path: &Path, reason: &'static str) -> Outcome {
    let name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    let mut target = intake.rejected.join(&name);
    let mut n = 0u32;
    while target.exists() {
        n += 1;
        let mut numbered = name.clone();
        numbered.push(format!(".{n}"));
        target = intake.rejected.join(numbered);
    }
    match std::fs::rename(path, &target) {
        Ok(()) => Outcome::Rejected(reason),
        Err(error) => {
            warn!(error = %error, reason, "Dropped file could not be moved to rejected/.");
            Outcome::Later
        }
    }
}
