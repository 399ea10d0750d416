//! The series tracker: decides, for each study in the spool, when it is complete
//! ([`super::completeness`]), hands complete studies to the workers through a bounded queue, parks
//! the ones whose segmentation (or CT) never came with a warning alert, resumes after a crash
//! (studies found `analysing` with no worker on them run again), and applies the retention.
//! Every spool call runs on a blocking thread; the loop itself only waits.
//!
//! Arrivals do not wake it: an instance only ever pushes its study's decisions a quiet period
//! (a quarter of it, to analyse ahead) into the future, and the tracker never sleeps longer than
//! [`MAX_SLEEP`] (no longer than a quiet period) nor, analysing ahead, that quarter, so the pass
//! after the arrival comes in time. (A pass per arrival cost about 4 ms of CPU per 63-instance
//! study, taken from the analysis on a one-core box.) A worker that finished wakes it, to hand
//! out the next study.
//!
//! When no worker is busy, a study that holds its CT and segmentation and has been quiet for part
//! of the quiet period is handed out to be analysed *ahead* ([`super::completeness::ahead_in`]),
//! once per last instance: on one core, a burst of studies otherwise waits out its quiet periods
//! with the worker idle, then queues.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use dicom_dictionary_std::uids;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::completeness::{ahead_in, readiness, Arrivals, Readiness, Waits};
use super::worker::{parked_messages, Job, RecordError};
use crate::publish::Topics;
use crate::spool::{InstanceFile, Spool, StateNote, StudyId, StudyState, StudySummary};

/// Longest the tracker sleeps when nothing is due: its bound on reacting to a clock change.
const MAX_SLEEP: Duration = Duration::from_secs(1);
/// How often acknowledged studies past their retention are removed.
const RETENTION_EVERY: Duration = Duration::from_secs(600);

/// The tracker's state.
pub struct Tracker {
    /// The durable store.
    pub spool: Arc<Spool>,
    /// MQTT topics of this box.
    pub topics: Topics,
    /// Quiet period and segmentation wait.
    pub waits: Waits,
    /// Acknowledged studies are removed this long after.
    pub retention: Duration,
    /// The workers' queue.
    pub jobs: SyncSender<Job>,
    /// Studies handed to a worker and not finished.
    pub in_flight: Arc<Mutex<HashSet<StudyId>>>,
    /// Whether quiet studies are analysed ahead (`[analysis] start_during_quiet_period`).
    pub analyse_ahead: bool,
    /// Studies handed out to be analysed ahead, with the time of the last instance they had then.
    pub handed_ahead: Mutex<HashMap<StudyId, SystemTime>>,
}

impl Tracker {
    /// Runs until `stop`: looks at the spool when a wait ends or a worker `finished` a study.
    pub async fn run(self, finished: Arc<Notify>, stop: CancellationToken) {
        let tracker = Arc::new(self);
        let mut last_purge: Option<Instant> = None;
        loop {
            let purge = last_purge.is_none_or(|t| t.elapsed() >= RETENTION_EVERY);
            if purge {
                last_purge = Some(Instant::now());
            }
            let t = Arc::clone(&tracker);
            let next = match tokio::task::spawn_blocking(move || t.tick(purge)).await {
                Ok(Ok(next)) => next,
                Ok(Err(error)) => {
                    tracing::error!(%error, "The series tracker could not read or update the spool.");
                    MAX_SLEEP
                }
                Err(error) => {
                    tracing::error!(%error, "The series tracker's step failed.");
                    MAX_SLEEP
                }
            };
            tokio::select! {
                () = stop.cancelled() => return,
                () = finished.notified() => {}
                () = tokio::time::sleep(next.min(tracker.longest_sleep())) => {}
            }
        }
    }

    /// The longest the tracker may sleep without missing a decision an arrival brought:
    /// [`MAX_SLEEP`], which is no longer than a quiet period (at least 1 s), or, analysing ahead,
    /// the part of the quiet period after which a study may be analysed ahead.
    fn longest_sleep(&self) -> Duration {
        if self.analyse_ahead {
            MAX_SLEEP.min(self.waits.ahead())
        } else {
            MAX_SLEEP
        }
    }

    /// One pass over the spool; returns how long until the next decision is due.
    fn tick(&self, purge: bool) -> Result<Duration, RecordError> {
        let now = SystemTime::now();
        let mut next = MAX_SLEEP;
        let received = self.spool.studies_in(StudyState::Received)?;
        let mut handed_ahead = self.handed_ahead.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        handed_ahead.retain(|id, _| received.iter().any(|study| study.id == *id));
        let mut ahead = Vec::new();
        for study in received {
            let quiet_left = self
                .waits
                .quiet
                .saturating_sub(now.duration_since(study.last_instance_at).unwrap_or_default());
            if !quiet_left.is_zero() {
                next = next.min(quiet_left);
                let handed = handed_ahead.get(&study.id) == Some(&study.last_instance_at);
                match ahead_in(study.last_instance_at, now, &self.waits) {
                    Some(wait) if self.analyse_ahead && !handed => {
                        if wait.is_zero() {
                            ahead.push(study);
                        } else {
                            next = next.min(wait);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            let arrivals = arrivals(&study, &self.spool.instance_files(study.id)?);
            match readiness(&arrivals, now, &self.waits) {
                Readiness::Arriving { remaining } | Readiness::AwaitingPart { remaining } => {
                    next = next.min(remaining);
                }
                Readiness::Ready => {
                    self.spool.set_state(study.id, study.generation, StudyState::Complete, None)?;
                }
                Readiness::NoSegmentation => self.park(
                    &study,
                    "no_tumor_segmentation",
                    "No tumor segmentation (SEG or RTSTRUCT) arrived for this CT series; send it to analyse the study.",
                )?,
                Readiness::NoCtSeries => self.park(
                    &study,
                    "no_ct_series",
                    "A tumor segmentation arrived without its CT series; send the CT series to analyse the study.",
                )?,
                Readiness::NothingToAnalyse => {
                    let note = StateNote {
                        code: "nothing_to_analyse".to_owned(),
                        reason: "only instances on the store-but-ignore list arrived".to_owned(),
                    };
                    self.spool.set_state(study.id, study.generation, StudyState::Acknowledged, Some(&note))?;
                }
            }
        }
        self.dispatch()?;
        self.hand_ahead(ahead, &mut handed_ahead)?;
        if purge {
            let purged = self.spool.purge_acknowledged(self.retention)?;
            if purged.studies > 0 {
                tracing::info!(
                    studies = purged.studies,
                    bytes = purged.bytes,
                    "Retention removed acknowledged studies."
                );
            }
        }
        Ok(next)
    }

    /// Parks a study with a warning alert; a late instance re-opens it.
    fn park(&self, study: &StudySummary, code: &str, text: &str) -> Result<(), RecordError> {
        tracing::warn!(study = %study.study_key, code, "Study parked.");
        let note = StateNote { code: code.to_owned(), reason: text.to_owned() };
        let messages = parked_messages(&self.topics, study, code, text)?;
        self.spool.finish_study(
            study.id,
            study.generation,
            StudyState::WaitingSegmentation,
            Some(&note),
            &messages,
        )?;
        Ok(())
    }

    /// Hands complete studies (and, after a crash, studies left `analysing` with no worker on
    /// them, first) to the workers while the queue has room, in the order their last instances
    /// arrived: the study that went quiet first is analysed first.
    fn dispatch(&self) -> Result<(), RecordError> {
        let mut waiting = self.spool.studies_in(StudyState::Analysing)?;
        let mut complete = self.spool.studies_in(StudyState::Complete)?;
        complete.sort_by_key(|study| (study.last_instance_at, study.id));
        waiting.extend(complete);
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for study in waiting {
            if in_flight.contains(&study.id) {
                continue;
            }
            let id = study.id;
            match self.jobs.try_send(Job::Analyse(study)) {
                Ok(()) => {
                    in_flight.insert(id);
                }
                Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => break,
            }
        }
        Ok(())
    }

    /// When no worker is busy, hands out the quiet study that went quiet first and holds its CT
    /// and segmentation, to be analysed ahead.
    fn hand_ahead(
        &self,
        mut quiet: Vec<StudySummary>,
        handed_ahead: &mut HashMap<StudyId, SystemTime>,
    ) -> Result<(), RecordError> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !in_flight.is_empty() {
            return Ok(());
        }
        quiet.sort_by_key(|study| (study.last_instance_at, study.id));
        for study in quiet {
            let files = self.spool.instance_files(study.id)?;
            let arrivals = arrivals(&study, &files);
            if arrivals.ct_images == 0 || arrivals.segmentations == 0 {
                continue;
            }
            let (id, last_instance_at) = (study.id, study.last_instance_at);
            if self.jobs.try_send(Job::Ahead(study, files)).is_ok() {
                in_flight.insert(id);
                handed_ahead.insert(id, last_instance_at);
            }
            break;
        }
        Ok(())
    }
}

/// What has arrived of `study`, by SOP class, from its instance `files`.
fn arrivals(study: &StudySummary, files: &[InstanceFile]) -> Arrivals {
    let count =
        |classes: &[&str]| files.iter().filter(|f| classes.contains(&f.meta.sop_class_uid.as_str())).count();
    Arrivals {
        last_instance: study.last_instance_at,
        ct_images: count(&[uids::CT_IMAGE_STORAGE]),
        segmentations: count(&[
            uids::SEGMENTATION_STORAGE,
            uids::LABEL_MAP_SEGMENTATION_STORAGE,
            uids::RT_STRUCTURE_SET_STORAGE,
        ]),
    }
}
