//! When a study is ready for analysis.
//!
//! A series has no "last instance" marker in DICOM: a study is taken as complete once no instance
//! of it has arrived for the quiet period (sliding: each arrival restarts it). Its segmentation
//! (SEG or RTSTRUCT) may come before or after the CT slices: once quiet, a study holding both is
//! ready; one that lacks either waits up to the segmentation wait more, then is parked with an
//! alert and stays in the spool (a late instance re-opens it). A study holding only SOP classes on
//! the store-but-ignore list has nothing to analyse.
//!
//! A study holding both may also be analysed *ahead*, once quiet for [`AHEAD_SHARE`] of the
//! quiet period: the outcome is kept aside and recorded only when the study is complete, and only
//! if its instances are still exactly those that were analysed (else it is analysed again). The
//! quiet period itself, and what it decides, do not change; the wait is put to use.

use std::time::{Duration, SystemTime};

/// What has arrived of one study.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrivals {
    /// When its last instance was stored.
    pub last_instance: SystemTime,
    /// CT Image Storage instances.
    pub ct_images: usize,
    /// Segmentations (SEG, label-map SEG, RTSTRUCT).
    pub segmentations: usize,
}

/// The waits of the series tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waits {
    /// Quiet time after the last instance before a study counts as complete.
    pub quiet: Duration,
    /// How much longer a quiet study without its CT or its segmentation waits for it.
    pub segmentation: Duration,
}

impl Waits {
    /// Quiet time after which a study may be analysed ahead: [`AHEAD_SHARE`] of the quiet period.
    pub fn ahead(&self) -> Duration {
        self.quiet / AHEAD_SHARE
    }
}

/// The quiet period is divided by this to give the quiet time after which a study may be
/// analysed ahead: a scanner or PACS sends a series back to back, so a quarter of the quiet period
/// without an instance rarely ends in a late one (which only costs the work done ahead).
pub const AHEAD_SHARE: u32 = 4;

/// When a study whose last instance came at `last_instance` may be analysed ahead, seen at `now`:
/// `Some(ZERO)` now, `Some(wait)` after `wait`, `None` once the quiet period is over (it is then
/// analysed as a complete study). A clock that stepped back counts as no time elapsed.
pub fn ahead_in(last_instance: SystemTime, now: SystemTime, waits: &Waits) -> Option<Duration> {
    let elapsed = now.duration_since(last_instance).unwrap_or(Duration::ZERO);
    if elapsed >= waits.quiet {
        return None;
    }
    Some(waits.ahead().saturating_sub(elapsed))
}

/// What to do with a study now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// Instances may still come: look again after `remaining`.
    Arriving {
        /// Time left until the next decision.
        remaining: Duration,
    },
    /// CT and segmentation are there and the study is quiet: analyse it.
    Ready,
    /// Quiet, but the CT or the segmentation is missing: wait `remaining` more for it.
    AwaitingPart {
        /// Time left of the segmentation wait.
        remaining: Duration,
    },
    /// The wait is over and the segmentation never came: alert and park.
    NoSegmentation,
    /// The wait is over and the CT series never came (a segmentation alone): alert and park.
    NoCtSeries,
    /// Nothing the study path analyses arrived (store-but-ignore classes only).
    NothingToAnalyse,
}

/// The decision for `arrivals` at `now`. A clock that stepped back counts as no time elapsed.
pub fn readiness(arrivals: &Arrivals, now: SystemTime, waits: &Waits) -> Readiness {
    let elapsed = now.duration_since(arrivals.last_instance).unwrap_or(Duration::ZERO);
    if elapsed < waits.quiet {
        return Readiness::Arriving { remaining: waits.quiet - elapsed };
    }
    match (arrivals.ct_images > 0, arrivals.segmentations > 0) {
        (true, true) => Readiness::Ready,
        (false, false) => Readiness::NothingToAnalyse,
        (has_ct, _) => {
            let deadline = waits.quiet + waits.segmentation;
            if elapsed < deadline {
                Readiness::AwaitingPart { remaining: deadline - elapsed }
            } else if has_ct {
                Readiness::NoSegmentation
            } else {
                Readiness::NoCtSeries
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAITS: Waits = Waits { quiet: Duration::from_secs(2), segmentation: Duration::from_secs(60) };

    fn at(last: u64, ct: usize, seg: usize, now: u64) -> Readiness {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let arrivals =
            Arrivals { last_instance: t0 + Duration::from_secs(last), ct_images: ct, segmentations: seg };
        readiness(&arrivals, t0 + Duration::from_secs(now), &WAITS)
    }

    #[test]
    fn a_study_is_ready_once_quiet_with_ct_and_segmentation() {
        assert_eq!(at(10, 61, 1, 11), Readiness::Arriving { remaining: Duration::from_secs(1) });
        assert_eq!(at(10, 61, 1, 12), Readiness::Ready);
        // A clock that stepped back: the quiet period starts over, nothing is analysed early.
        assert_eq!(at(10, 61, 1, 5), Readiness::Arriving { remaining: Duration::from_secs(2) });
    }

    #[test]
    fn a_study_may_be_analysed_ahead_after_a_quarter_of_the_quiet_period() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // WAITS.quiet is 2 s: ahead from 0.5 s of quiet until the quiet period ends.
        assert_eq!(ahead_in(t0, at(100), &WAITS), Some(Duration::from_millis(400)));
        assert_eq!(ahead_in(t0, at(500), &WAITS), Some(Duration::ZERO));
        assert_eq!(ahead_in(t0, at(1999), &WAITS), Some(Duration::ZERO));
        assert_eq!(ahead_in(t0, at(2000), &WAITS), None);
        assert_eq!(ahead_in(at(3000), at(1000), &WAITS), Some(Duration::from_millis(500)));
    }

    #[test]
    fn a_missing_part_is_awaited_then_named() {
        assert_eq!(at(10, 61, 0, 12), Readiness::AwaitingPart { remaining: Duration::from_secs(60) });
        assert_eq!(at(10, 61, 0, 71), Readiness::AwaitingPart { remaining: Duration::from_secs(1) });
        assert_eq!(at(10, 61, 0, 72), Readiness::NoSegmentation);
        assert_eq!(at(10, 0, 1, 72), Readiness::NoCtSeries);
        assert_eq!(at(10, 0, 0, 12), Readiness::NothingToAnalyse);
    }
}
