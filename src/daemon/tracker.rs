//! The series tracker: decides, for each study in the spool, when it is complete
//! ([`super::completeness`]), hands complete studies to the workers through a bounded queue, parks
//! the ones whose segmentation (or CT) never came with a warning alert, resumes after a crash
//! (studies found `analysing` with no worker on them run again), and applies the retention.
//! Every spool call runs on a blocking thread; the loop itself only waits.
//!
//! Arrivals do not wake it: an instance only ever pushes its study's decision a quiet period
//! into the future, and the tracker never sleeps longer than the quiet period, so the pass after
//! the arrival comes in time. (A pass per arrival cost about 4 ms of CPU per 63-instance study,
//! taken from the analysis on a one-core box.) A worker that finished wakes it, to hand out the
//! next study.

use std::collections::HashSet;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use dicom_dictionary_std::uids;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::completeness::{readiness, Arrivals, Readiness, Waits};
use super::worker::{parked_messages, RecordError};
use crate::publish::Topics;
use crate::spool::{Spool, StateNote, StudyId, StudyState, StudySummary};

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
    pub jobs: SyncSender<StudySummary>,
    /// Studies handed to a worker and not finished.
    pub in_flight: Arc<Mutex<HashSet<StudyId>>>,
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
                () = tokio::time::sleep(next.min(tracker.waits.quiet)) => {}
            }
        }
    }

    /// One pass over the spool; returns how long until the next decision is due.
    fn tick(&self, purge: bool) -> Result<Duration, RecordError> {
        let now = SystemTime::now();
        let mut next = MAX_SLEEP;
        for study in self.spool.studies_in(StudyState::Received)? {
            let quiet_left = self
                .waits
                .quiet
                .saturating_sub(now.duration_since(study.last_instance_at).unwrap_or_default());
            if !quiet_left.is_zero() {
                next = next.min(quiet_left);
                continue;
            }
            let arrivals = self.arrivals(&study)?;
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

    /// What has arrived of `study`, by SOP class.
    fn arrivals(&self, study: &StudySummary) -> Result<Arrivals, RecordError> {
        let files = self.spool.instance_files(study.id)?;
        let count = |classes: &[&str]| {
            files.iter().filter(|f| classes.contains(&f.meta.sop_class_uid.as_str())).count()
        };
        Ok(Arrivals {
            last_instance: study.last_instance_at,
            ct_images: count(&[uids::CT_IMAGE_STORAGE]),
            segmentations: count(&[
                uids::SEGMENTATION_STORAGE,
                uids::LABEL_MAP_SEGMENTATION_STORAGE,
                uids::RT_STRUCTURE_SET_STORAGE,
            ]),
        })
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
            match self.jobs.try_send(study) {
                Ok(()) => {
                    in_flight.insert(id);
                }
                Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => break,
            }
        }
        Ok(())
    }
}
