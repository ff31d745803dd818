//! UTC wall-clock stamps for reports, bundles and backups, without a date crate or `date(1)`:
//! the civil date of a Unix time (Howard Hinnant's days-from-civil inverse, proleptic Gregorian).

use std::time::{SystemTime, UNIX_EPOCH};

/// A moment in UTC, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub seconds_of_day: u64,
}

impl Utc {
    pub fn from_unix(secs: u64) -> Utc {
        let (days, seconds_of_day) = ((secs / 86_400) as i64, secs % 86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Utc { year: yoe + era * 400 + i64::from(month <= 2), month, day, seconds_of_day }
    }

    pub fn now() -> Utc {
        Utc::from_unix(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
    }

    /// RFC 3339: `2026-12-01T15:04:05Z`.
    pub fn rfc3339(self) -> String {
        let (h, m, s) = self.hms();
        format!("{:04}-{:02}-{:02}T{h:02}:{m:02}:{s:02}Z", self.year, self.month, self.day)
    }

    /// For folder names: `20261201T150405Z` (sorts by time).
    pub fn compact(self) -> String {
        let (h, m, s) = self.hms();
        format!("{:04}{:02}{:02}T{h:02}{m:02}{s:02}Z", self.year, self.month, self.day)
    }

    fn hms(self) -> (u64, u64, u64) {
        (self.seconds_of_day / 3600, self.seconds_of_day % 3600 / 60, self.seconds_of_day % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::Utc;

    #[test]
    fn known_instants_give_their_civil_dates() {
        assert_eq!(Utc::from_unix(0).rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(Utc::from_unix(951_782_400).rfc3339(), "2000-02-29T00:00:00Z");
        assert_eq!(Utc::from_unix(1_796_137_445).rfc3339(), "2026-12-01T15:04:05Z");
        assert_eq!(Utc::from_unix(1_796_083_200 + 3_723).compact(), "20261201T010203Z");
    }
}
