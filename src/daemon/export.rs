//! Export jobs: the structured report and the key image of each analysed study go to the
//! configured PACS destinations by C-STORE, retried with back-off across PACS outages and
//! restarts, and reported by an alert after the last attempt.
//!
//! A job is a folder `exports/<study key>-g<generation>/` in the spool holding the two DICOM
//! files and `job.json` (the destinations still to serve, the attempts made, when the next is
//! due), written under a temporary name, fsynced and renamed, so a crash leaves either the whole
//! job or none (a study whose job was not written is analysed again, and writes it then). A
//! destination leaves the job only when the PACS stored every file; a rejected association or a
//! non-success status counts as a failed attempt. A job that exhausted its attempts stays in the
//! spool (`failed: true`) with its files, never deleted.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::export::scu::{send_files, Peer};
use crate::export::{write_dicom_dir, Algorithm};
use crate::model::Bundle;
use crate::publish::{alert_message, Severity, StudyRef, Topics};
use crate::spool::{clock, Spool, StudyId};
use crate::study::Analysis;

/// Folder of the export jobs inside the spool.
const EXPORTS_DIR: &str = "exports";
/// A job's state file.
const JOB_FILE: &str = "job.json";
/// How often the exporter looks for due jobs.
const SCAN_EVERY: Duration = Duration::from_secs(1);

/// `[export]`: where results go and how hard to try.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    /// PACS destinations (host, port, called_ae, calling_ae, timeout_s); empty: no export.
    #[serde(default)]
    pub destinations: Vec<Peer>,
    /// Attempts per destination before the job is given up with an alert.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Wait after the first failure, seconds; doubled after each, up to `max_retry_s`.
    #[serde(default = "default_first_retry_s")]
    pub first_retry_s: u64,
    /// Longest wait between attempts, seconds.
    #[serde(default = "default_max_retry_s")]
    pub max_retry_s: u64,
}

fn default_attempts() -> u32 {
    20
}
fn default_first_retry_s() -> u64 {
    5
}
fn default_max_retry_s() -> u64 {
    600
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            destinations: Vec::new(),
            max_attempts: default_attempts(),
            first_retry_s: default_first_retry_s(),
            max_retry_s: default_max_retry_s(),
        }
    }
}

/// One job's state, as `job.json` holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Job {
    /// The study key (for alerts; no UID).
    study_key: String,
    /// The study's journal row and generation (the alert names them).
    study_id: i64,
    generation: u32,
    /// Indices into the configured destinations still to serve.
    pending: Vec<usize>,
    /// Failed attempts so far.
    attempts: u32,
    /// When the next attempt is due, milliseconds since the epoch.
    next_ms: u64,
    /// Given up after the last attempt.
    failed: bool,
}

/// Now, in milliseconds since the epoch, as the spool's journal counts them.
fn now_ms() -> u64 {
    u64::try_from(clock::now_ms()).unwrap_or(0)
}

/// Writes the export job of an analysed study (its SR and key image, naming `bundle` as the
/// algorithm) into the spool; nothing without destinations. Errors are the export's own (a study
/// without DICOM segmentation, say): the caller logs them; the analysis result stands.
pub fn write_job(
    spool: &Path,
    config: &ExportConfig,
    analysis: &Analysis,
    bundle: &Bundle,
    study: StudyId,
    generation: u32,
) -> Result<(), String> {
    if config.destinations.is_empty() {
        return Ok(());
    }
    let algorithm = Algorithm::of(bundle);
    let exports = spool.join(EXPORTS_DIR);
    let name = format!("{}-g{generation}", analysis.report.study_key);
    let tmp = exports.join(format!(".{name}.tmp"));
    let dest = exports.join(&name);
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).map_err(|e| format!("cannot create the export job: {e}"))?;
    let files = write_dicom_dir(analysis, &algorithm, &tmp).map_err(|e| e.to_string())?;
    let job = Job {
        study_key: analysis.report.study_key.clone(),
        study_id: study.0,
        generation,
        pending: (0..config.destinations.len()).collect(),
        attempts: 0,
        next_ms: now_ms(),
        failed: false,
    };
    for file in &files {
        sync(file)?;
    }
    save(&tmp, &job).map_err(|e| format!("cannot write the export job: {e}"))?;
    let _ = fs::remove_dir_all(&dest);
    fs::rename(&tmp, &dest).map_err(|e| format!("cannot place the export job: {e}"))?;
    sync(&exports)
}

fn sync(path: &Path) -> Result<(), String> {
    fs::File::open(path).and_then(|f| f.sync_all()).map_err(|e| format!("cannot fsync the export job: {e}"))
}

/// Saves a job's state (temporary file, fsync, rename).
fn save(dir: &Path, job: &Job) -> Result<(), String> {
    let tmp = dir.join(format!("{JOB_FILE}.tmp"));
    fs::write(&tmp, serde_json::to_vec_pretty(job).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    sync(&tmp)?;
    fs::rename(&tmp, dir.join(JOB_FILE)).map_err(|e| e.to_string())?;
    sync(dir)
}

/// Sends due jobs until `stop`: each destination gets the job's DICOM files in one association.
pub async fn run(spool: Arc<Spool>, config: ExportConfig, topics: Topics, stop: CancellationToken) {
    if config.destinations.is_empty() {
        return;
    }
    let config = Arc::new(config);
    loop {
        let (spool, config, topics) = (Arc::clone(&spool), Arc::clone(&config), topics.clone());
        if let Ok(Err(error)) = tokio::task::spawn_blocking(move || pass(&spool, &config, &topics)).await {
            tracing::error!(%error, "Export pass failed.");
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(SCAN_EVERY) => {}
        }
    }
}

/// One pass over the due jobs.
fn pass(spool: &Spool, config: &ExportConfig, topics: &Topics) -> Result<(), String> {
    let exports = spool.dir().join(EXPORTS_DIR);
    let Ok(entries) = fs::read_dir(&exports) else { return Ok(()) };
    for entry in entries.flatten() {
        let dir = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') || !dir.is_dir() {
            continue;
        }
        let Ok(text) = fs::read(dir.join(JOB_FILE)) else { continue };
        let Ok(mut job) = serde_json::from_slice::<Job>(&text) else {
            tracing::error!("An export job's state is unreadable; it is left in the spool.");
            continue;
        };
        if job.failed || job.next_ms > now_ms() {
            continue;
        }
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .map_err(|e| e.to_string())?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "dcm"))
            .collect();
        files.sort();
        job.pending.retain(|&index| {
            let Some(peer) = config.destinations.get(index) else { return false };
            match send_files(peer, &files) {
                Ok(report) if report.all_stored() => {
                    tracing::info!(study = %job.study_key, pacs = %peer.called_ae, "Results stored in PACS.");
                    false
                }
                Ok(report) => {
                    tracing::warn!(study = %job.study_key, pacs = %peer.called_ae, stored = report.stored(), "PACS refused results.");
                    true
                }
                Err(error) => {
                    tracing::warn!(study = %job.study_key, pacs = %peer.called_ae, %error, "PACS export failed.");
                    true
                }
            }
        });
        if job.pending.is_empty() {
            fs::remove_dir_all(&dir).map_err(|e| e.to_string())?;
            sync(&exports)?;
            continue;
        }
        job.attempts += 1;
        if job.attempts >= config.max_attempts {
            job.failed = true;
            let text = format!(
                "The results of this study could not be stored in PACS after {} attempts; they stay on the box.",
                job.attempts
            );
            let study =
                StudyRef { id: StudyId(job.study_id), key: &job.study_key, generation: job.generation };
            let alert = alert_message(topics, Some(study), Severity::Error, "pacs_export_failed", &text)
                .map_err(|e| e.to_string())?;
            spool.enqueue(&alert).map_err(|e| e.to_string())?;
        } else {
            let wait_s =
                config.first_retry_s.saturating_mul(1 << (job.attempts - 1).min(20)).min(config.max_retry_s);
            job.next_ms = now_ms() + wait_s * 1000;
        }
        save(&dir, &job)?;
    }
    Ok(())
}
