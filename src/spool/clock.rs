//! Wall-clock times as the journal stores them: milliseconds since the Unix epoch (UTC).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Now, in journal milliseconds.
pub(crate) fn now_ms() -> i64 {
    to_ms(SystemTime::now())
}

/// A time in journal milliseconds (times before 1970 count as 0).
pub(crate) fn to_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Journal milliseconds back to a time.
pub(crate) fn from_ms(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// A duration in journal milliseconds.
pub(crate) fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
