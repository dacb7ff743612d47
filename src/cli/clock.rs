//! The audit's time: the system clock, or `PULLPATH_NOW` (seconds since 1970) when set, which
//! makes reports and expiry checks repeatable in tests. pullpath's own variable, not the
//! reproducible-builds `SOURCE_DATE_EPOCH`: development shells export that one, and it would
//! keep expired suppressions alive.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;

/// Now, in seconds since 1970.
pub fn now_seconds() -> i64 {
    std::env::var("PULLPATH_NOW")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        })
}

/// Now, as RFC 3339 in UTC (`2026-11-30T23:05:59Z`).
pub fn now() -> String {
    // Whole seconds: a report's time needs no more.
    DateTime::from_secs(now_seconds())
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// The date part (`YYYY-MM-DD`) of an RFC 3339 time.
pub fn date_of(time: &str) -> &str {
    time.get(..10).unwrap_or(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_is_the_first_ten_characters() {
        assert_eq!(date_of("2026-11-30T23:05:59Z"), "2026-11-30");
        let now = now();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.ends_with('Z'), "{now}");
    }
}
