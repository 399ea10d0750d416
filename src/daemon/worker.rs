//! The analysis workers: plain threads (never the async runtime's), fed by a bounded queue of
//! complete studies. A worker reads the study's instances from the spool, analyses them with the
//! process's one [`Analyzer`], and records the outcome atomically with its messages: the result
//! and an `info` alert (state `published`), or the quarantine with its code and an `error` alert.
//! A panic inside the analysis is caught and quarantines the study; the worker goes on.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

use super::export::{write_job, ExportConfig};
use crate::error_code::ErrorCode;
use crate::export::Algorithm;
use crate::ingest::Instance;
use crate::publish::{alert_message, result_message, PublishError, Severity, StudyRef, Topics};
use crate::spool::{OutboxMessage, Spool, SpoolError, StateNote, StudyState, StudySummary, Transition};
use crate::study::{Analyzer, Report, StudyInput};

/// Why an outcome could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The spool failed.
    #[error(transparent)]
    Spool(#[from] SpoolError),
    /// A message could not be built (a payload or topic out of bounds).
    #[error("a message could not be built: {0}")]
    Message(#[from] PublishError),
}

/// What the workers share.
pub struct Workshop {
    /// The durable store.
    pub spool: Arc<Spool>,
    /// The analysis, loaded once.
    pub analyzer: Arc<Analyzer>,
    /// MQTT topics of this box.
    pub topics: Topics,
    /// Set on an orderly stop: no new study is started.
    pub stopping: AtomicBool,
    /// Where results go besides MQTT.
    pub export: ExportConfig,
}

/// Runs jobs from `queue` until it is closed (the sender dropped) or the workshop is stopping:
/// the job in progress is finished, the ones not started stay `complete` in the spool for the
/// next start.
pub fn run(workshop: &Workshop, queue: &Mutex<Receiver<StudySummary>>, done: &dyn Fn(&StudySummary)) {
    loop {
        if workshop.stopping.load(Ordering::SeqCst) {
            return;
        }
        let job = match queue.lock() {
            Ok(receiver) => receiver.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok(study) = job else { return };
        if workshop.stopping.load(Ordering::SeqCst) {
            done(&study);
            return;
        }
        if let Err(error) = analyse(workshop, &study) {
            tracing::error!(study = %study.study_key, %error, "Could not record an analysis in the spool.");
        }
        done(&study);
    }
}

/// How one analysis ended.
enum Outcome {
    Analysed(Box<Report>),
    Failed(StateNote),
}

/// Analyses one study and records the outcome with its messages in one transaction.
fn analyse(workshop: &Workshop, study: &StudySummary) -> Result<(), RecordError> {
    let spool = &workshop.spool;
    if spool.set_state(study.id, study.generation, StudyState::Analysing, None)? == Transition::Superseded {
        return Ok(());
    }
    tracing::info!(study = %study.study_key, generation = study.generation, "Analysis started.");
    let outcome = match catch_unwind(AssertUnwindSafe(|| run_analysis(workshop, study))) {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => return Err(error.into()),
        Err(_) => Outcome::Failed(StateNote {
            code: "internal_error".to_owned(),
            reason: "the analysis stopped on an internal error (see the log)".to_owned(),
        }),
    };
    let reference = StudyRef { id: study.id, key: &study.study_key, generation: study.generation };
    let (state, note, messages) = match outcome {
        Outcome::Analysed(report) => {
            let text = analysed_text(&report);
            let messages = vec![
                result_message(&workshop.topics, reference, &report)?,
                alert_message(&workshop.topics, Some(reference), Severity::Info, "analysed", &text)?,
            ];
            tracing::info!(study = %study.study_key, total_ms = report.timings.total_ms.round(), "Study analysed.");
            (StudyState::Published, None, messages)
        }
        Outcome::Failed(note) => {
            tracing::warn!(study = %study.study_key, code = %note.code, reason = %note.reason, "Study quarantined.");
            let text = format!("This study could not be analysed: {}.", note.reason.trim_end_matches('.'));
            let alert = alert_message(&workshop.topics, Some(reference), Severity::Error, &note.code, &text)?;
            (StudyState::Quarantined, Some(note), vec![alert])
        }
    };
    spool.finish_study(study.id, study.generation, state, note.as_ref(), &messages)?;
    Ok(())
}

/// Reads the study's instances and analyses them; an analysis failure is an outcome, a spool
/// failure an error.
fn run_analysis(workshop: &Workshop, study: &StudySummary) -> Result<Outcome, SpoolError> {
    let files = workshop.spool.instance_files(study.id)?;
    let mut instances = Vec::with_capacity(files.len());
    for file in files {
        match Instance::read(workshop.spool.dir(), file.path) {
            Ok(Some(instance)) => instances.push(instance),
            Ok(None) => {}
            Err(error) => return Ok(Outcome::Failed(note(&error))),
        }
    }
    let input = StudyInput::Instances { dir: workshop.spool.dir().to_path_buf(), instances };
    Ok(match workshop.analyzer.analyze_for_export(input) {
        Ok(analysis) => {
            if let Some(predictor) = workshop.analyzer.predictor() {
                let algorithm = Algorithm::of(predictor.bundle());
                let spool = workshop.spool.dir();
                if let Err(error) =
                    write_job(spool, &workshop.export, &analysis, &algorithm, study.id, study.generation)
                {
                    tracing::error!(study = %study.study_key, %error, "The PACS export job could not be written.");
                }
            }
            Outcome::Analysed(Box::new(analysis.report))
        }
        Err(error) => Outcome::Failed(note(&error)),
    })
}

fn note(error: &dyn ErrorCode) -> StateNote {
    StateNote { code: error.code().to_owned(), reason: error.to_string() }
}

/// The technologist's one sentence for an analysed study.
fn analysed_text(report: &Report) -> String {
    let volume_ml = report.tumor.volume_mm3 / 1000.0;
    match &report.predictions {
        Some(p) => {
            let positive: Vec<&str> =
                p.endpoints.iter().filter(|(_, e)| e.label == 1).map(|(name, _)| name.as_str()).collect();
            let count = positive.len();
            let names = if positive.is_empty() { "none".to_owned() } else { positive.join(", ") };
            format!(
                "Deep-RadScore analysis done: tumor {volume_ml:.1} ml, {count} of {} endpoints positive ({names}); {}.",
                p.endpoints.len(),
                p.label
            )
        }
        None => format!("Radiomics analysis done: tumor {volume_ml:.1} ml (no model bundle)."),
    }
}

/// Messages of a study that could not wait for its missing part, for the tracker.
pub fn parked_messages(
    topics: &Topics,
    study: &StudySummary,
    code: &str,
    text: &str,
) -> Result<Vec<OutboxMessage>, RecordError> {
    let reference = StudyRef { id: study.id, key: &study.study_key, generation: study.generation };
    Ok(vec![alert_message(topics, Some(reference), Severity::Warning, code, text)?])
}
