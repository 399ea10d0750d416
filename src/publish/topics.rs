//! The topic tree of the MQTT contract: everything under `radscore/v1/{site_id}/{device}/`
//! (`status`, `results/{study_key}`, `alerts`, `heartbeat`). Segments are checked so that no
//! value can add a level or a wildcard (MQTT 3.1.1 §4.7: `/` separates levels, `+` and `#` are
//! wildcards).

use crate::publish::error::PublishError;

/// Root of every topic, with the contract's version.
pub const TOPIC_ROOT: &str = "radscore/v1";

/// The topics of one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    base: String,
}

/// Checks one topic segment: non-empty ASCII letters, digits, `-`, `_`, `.`.
pub fn check_segment(what: &'static str, value: &str) -> Result<(), PublishError> {
    let ok = !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(PublishError::TopicSegment { what, value: value.to_owned() })
    }
}

impl Topics {
    /// The topics of `device` at `site_id`.
    pub fn new(site_id: &str, device: &str) -> Result<Topics, PublishError> {
        check_segment("site id", site_id)?;
        check_segment("device", device)?;
        Ok(Topics { base: format!("{TOPIC_ROOT}/{site_id}/{device}") })
    }

    /// `…/status`: retained presence (online/offline).
    pub fn status(&self) -> String {
        format!("{}/status", self.base)
    }

    /// `…/results/{study_key}`: one study's result.
    pub fn result(&self, study_key: &str) -> Result<String, PublishError> {
        check_segment("study key", study_key)?;
        Ok(format!("{}/results/{study_key}", self.base))
    }

    /// `…/alerts`: technologist alerts.
    pub fn alerts(&self) -> String {
        format!("{}/alerts", self.base)
    }

    /// `…/heartbeat`: periodic liveness.
    pub fn heartbeat(&self) -> String {
        format!("{}/heartbeat", self.base)
    }

    /// `…/#`: every topic of this device, for subscribers.
    pub fn all(&self) -> String {
        format!("{}/#", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_follow_the_contract() {
        let t = Topics::new("bartest", "box1").expect("valid");
        assert_eq!(t.status(), "radscore/v1/bartest/box1/status");
        assert_eq!(t.alerts(), "radscore/v1/bartest/box1/alerts");
        assert_eq!(t.heartbeat(), "radscore/v1/bartest/box1/heartbeat");
        assert_eq!(t.result("0a1b").expect("hex key"), "radscore/v1/bartest/box1/results/0a1b");
    }

    #[test]
    fn segments_cannot_add_levels_or_wildcards() {
        for bad in ["", "a/b", "+", "#", "site id", "é"] {
            assert!(Topics::new(bad, "box1").is_err(), "{bad:?}");
            assert!(Topics::new("site", bad).is_err(), "{bad:?}");
        }
        let t = Topics::new("s", "d").expect("valid");
        assert!(t.result("a/#").is_err());
    }
}
