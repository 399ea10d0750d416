//! The analysis workers: plain threads (never the async runtime's), fed by a bounded queue of
//! complete studies. A worker reads the study's instances from the spool, analyses them with the
//! process's one [`Analyzer`], and records the outcome atomically with its messages: the result
//! and an `info` alert (state `published`), or the quarantine with its code and an `error` alert.
//! A panic inside the analysis is caught and quarantines the study; the worker goes on.
//!
//! A study may also be analysed *ahead*, during its quiet period ([`Job::Ahead`], see
//! [`super::completeness`]): nothing is recorded then; the outcome waits in
//! [`Workshop::ahead`] with the instance files it was computed from, and the study's analysis
//! proper takes it when the study is complete and its files are still exactly those, else it
//! analyses them anew.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

use super::export::{write_job, ExportConfig};
use crate::error_code::ErrorCode;
use crate::ingest::Instance;
use crate::publish::{alert_message, result_message, PublishError, Severity, StudyRef, Topics};
use crate::spool::{
    InstanceFile, OutboxMessage, Spool, SpoolError, StateNote, StudyId, StudyState, StudySummary, Transition,
};
use crate::study::{Analysis, Analyzer, Report, StudyInput};

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
    /// Outcomes of studies analysed ahead, until their analysis proper takes them.
    pub ahead: Mutex<HashMap<StudyId, Ahead>>,
}

/// What a worker is asked to do with a study.
#[derive(Debug)]
pub enum Job {
    /// The study is complete: analyse it (or take its outcome from ahead) and record it.
    Analyse(StudySummary),
    /// The study is quiet but not yet complete: analyse it from its instance files (as the
    /// tracker read them to judge it) and keep the outcome aside.
    Ahead(StudySummary, Vec<InstanceFile>),
}

impl Job {
    /// The study concerned.
    pub fn study(&self) -> &StudySummary {
        match self {
            Job::Analyse(study) | Job::Ahead(study, _) => study,
        }
    }
}

/// An outcome computed ahead, with what it was computed from.
pub struct Ahead {
    generation: u32,
    files: Vec<PathBuf>,
    outcome: Outcome,
}

/// Runs jobs from `queue` until it is closed (the sender dropped) or the workshop is stopping:
/// the job in progress is finished, the ones not started stay `complete` in the spool for the
/// next start.
pub fn run(workshop: &Workshop, queue: &Mutex<Receiver<Job>>, done: &dyn Fn(&StudySummary)) {
    loop {
        if workshop.stopping.load(Ordering::SeqCst) {
            return;
        }
        let job = match queue.lock() {
            Ok(receiver) => receiver.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok(job) = job else { return };
        if workshop.stopping.load(Ordering::SeqCst) {
            done(job.study());
            return;
        }
        match job {
            Job::Analyse(study) => {
                if let Err(error) = analyse(workshop, &study) {
                    tracing::error!(study = %study.study_key, %error, "Could not record an analysis in the spool.");
                }
                done(&study);
            }
            Job::Ahead(study, files) => {
                analyse_ahead(workshop, &study, files);
                done(&study);
            }
        }
    }
}

/// How one analysis ended.
enum Outcome {
    Analysed(Box<Analysis>),
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
        Outcome::Analysed(analysis) => {
            let report = &analysis.report;
            let text = analysed_text(report);
            let messages = vec![
                result_message(&workshop.topics, reference, report)?,
                alert_message(
                    &workshop.topics,
                    Some(reference),
                    analysed_severity(report),
                    "analysed",
                    &text,
                )?,
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

/// Takes the study's outcome from ahead when its instance files are still those it was computed
/// from, else reads the instances and analyses them; writes the PACS export job of an analysed
/// study. An analysis failure is an outcome, a spool failure an error.
fn run_analysis(workshop: &Workshop, study: &StudySummary) -> Result<Outcome, SpoolError> {
    let files = workshop.spool.instance_files(study.id)?;
    let paths: Vec<PathBuf> = files.iter().map(|file| file.path.clone()).collect();
    let outcome = match take_ahead(&workshop.ahead, study.id, study.generation, &paths) {
        Some(outcome) => {
            tracing::info!(study = %study.study_key, "Outcome analysed ahead taken: the instances did not change.");
            outcome
        }
        None => compute(workshop, files),
    };
    if let (Outcome::Analysed(analysis), Some(predictor)) = (&outcome, workshop.analyzer.predictor()) {
        let spool = workshop.spool.dir();
        if let Err(error) =
            write_job(spool, &workshop.export, analysis, predictor.bundle(), study.id, study.generation)
        {
            tracing::error!(study = %study.study_key, %error, "The PACS export job could not be written.");
        }
    }
    Ok(outcome)
}

/// Removes the outcome analysed ahead for `study` and returns it when it was computed from the
/// same generation and exactly `files`, in order (a late, a replaced or a removed instance changes
/// them).
fn take_ahead(
    ahead: &Mutex<HashMap<StudyId, Ahead>>,
    study: StudyId,
    generation: u32,
    files: &[PathBuf],
) -> Option<Outcome> {
    let ahead = lock(ahead).remove(&study)?;
    (ahead.generation == generation && ahead.files == files).then_some(ahead.outcome)
}

/// Analyses a study that is quiet but not yet complete from its instance `files` and keeps the
/// outcome aside; records nothing. A panic leaves nothing aside: the analysis proper runs again
/// and records it.
fn analyse_ahead(workshop: &Workshop, study: &StudySummary, files: Vec<InstanceFile>) {
    let paths: Vec<PathBuf> = files.iter().map(|file| file.path.clone()).collect();
    if let Ok(outcome) = catch_unwind(AssertUnwindSafe(|| compute(workshop, files))) {
        tracing::info!(study = %study.study_key, "Study analysed ahead, during its quiet period.");
        let ahead = Ahead { generation: study.generation, files: paths, outcome };
        lock(&workshop.ahead).insert(study.id, ahead);
    }
}

/// Reads the instances and analyses them.
fn compute(workshop: &Workshop, files: Vec<InstanceFile>) -> Outcome {
    let mut instances = Vec::with_capacity(files.len());
    for file in files {
        match Instance::read(workshop.spool.dir(), file.path) {
            Ok(Some(instance)) => instances.push(instance),
            Ok(None) => {}
            Err(error) => return Outcome::Failed(note(&error)),
        }
    }
    let input = StudyInput::Instances { dir: workshop.spool.dir().to_path_buf(), instances };
    match workshop.analyzer.analyze_for_export(input) {
        Ok(analysis) => Outcome::Analysed(Box::new(analysis)),
        Err(error) => Outcome::Failed(note(&error)),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn note(error: &dyn ErrorCode) -> StateNote {
    StateNote { code: error.code().to_owned(), reason: error.to_string() }
}

/// The technologist's one sentence for an analysed study.
fn analysed_text(report: &Report) -> String {
    let volume_ml = report.tumor.volume_mm3 / 1000.0;
    let mut text = match &report.predictions {
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
    };
    for warning in &report.warnings {
        text += &format!(" Note: {warning}.");
    }
    text
}

/// An analysed study's alert is a warning when the report carries warnings, else information.
fn analysed_severity(report: &Report) -> Severity {
    if report.warnings.is_empty() {
        Severity::Info
    } else {
        Severity::Warning
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

#[cfg(test)]
mod tests {
    use super::*;

    fn aside(files: &[&str]) -> Mutex<HashMap<StudyId, Ahead>> {
        let outcome =
            Outcome::Failed(StateNote { code: "missing_slices".to_owned(), reason: "a gap".to_owned() });
        let files = files.iter().map(PathBuf::from).collect();
        Mutex::new(HashMap::from([(StudyId(7), Ahead { generation: 1, files, outcome })]))
    }

    #[test]
    fn an_outcome_analysed_ahead_is_taken_only_for_the_same_files() {
        let same: Vec<PathBuf> = ["a", "b"].iter().map(PathBuf::from).collect();
        let late: Vec<PathBuf> = ["a", "b", "c"].iter().map(PathBuf::from).collect();
        let replaced: Vec<PathBuf> = ["a", "d"].iter().map(PathBuf::from).collect();
        assert!(matches!(take_ahead(&aside(&["a", "b"]), StudyId(7), 1, &same), Some(Outcome::Failed(_))));
        for (generation, files) in [(1, &late), (1, &replaced), (2, &same)] {
            let ahead = aside(&["a", "b"]);
            assert!(take_ahead(&ahead, StudyId(7), generation, files).is_none());
            assert!(lock(&ahead).is_empty(), "a stale outcome is dropped");
        }
        assert!(take_ahead(&aside(&["a", "b"]), StudyId(8), 1, &same).is_none());
    }
}
