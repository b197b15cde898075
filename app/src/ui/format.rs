//! Formatting shared by server rendering and the browser. It must give identical text on both
//! sides or hydration breaks, so it depends on nothing locale- or clock-specific.

/// `2026-11-24 17:49 UTC` from milliseconds since the Unix epoch.
pub fn utc_minute(millis: i64) -> String {
    let seconds = millis.div_euclid(1_000);
    let (days, secs_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        secs_of_day / 3_600,
        secs_of_day % 3_600 / 60
    )
}

/// `2026-11-24T17:49:05Z` (ISO 8601, UTC, to the second) from milliseconds since the Unix epoch:
/// for files other programs read, such as the results export.
pub fn iso_utc(millis: i64) -> String {
    let seconds = millis.div_euclid(1_000);
    let (days, secs_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs_of_day / 3_600,
        secs_of_day % 3_600 / 60,
        secs_of_day % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
/// Hand-written because a date crate would add tens of kilobytes to the wasm for one function.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants_format_as_utc() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minute(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(utc_minute(1_795_542_540_000), "2026-11-24 17:49 UTC");
        assert_eq!(utc_minute(-1_000), "1969-12-31 23:59 UTC");
        assert_eq!(iso_utc(1_795_542_545_000), "2026-11-24T17:49:05Z");
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
    }
}
