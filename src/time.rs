//! Instants on the command line and in listings: dates without a calendar
//! crate (the local zone comes from the C library, which reads `TZ` and
//! `/etc/localtime`), and the `--since`/`--until` forms the docker CLI takes.

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day counted from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Unix seconds as `2024-01-02 03:04:05` (UTC).
fn utc_date_time(seconds: i64, between: char) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(86400));
    let rest = seconds.rem_euclid(86400);
    format!(
        "{year:04}-{month:02}-{day:02}{between}{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The local zone at Unix second `seconds`: its offset from UTC in seconds
/// and its abbreviation (`CET`); UTC when the C library cannot tell.
fn local_zone(seconds: i64) -> (i64, String) {
    let time: libc::time_t = seconds;
    // SAFETY: localtime_r (which reads `TZ` once) writes into the `tm` it is
    // given, which outlives the call; tm_zone points into the C library's
    // static zone names.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&time, &mut tm).is_null() {
            return (0, "UTC".into());
        }
        let zone = if tm.tm_zone.is_null() {
            String::new()
        } else {
            std::ffi::CStr::from_ptr(tm.tm_zone)
                .to_string_lossy()
                .into_owned()
        };
        (tm.tm_gmtoff, zone)
    }
}

/// `+0100` from an offset in seconds.
fn offset_text(offset: i64) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let minutes = offset.abs() / 60;
    format!("{sign}{:02}{:02}", minutes / 60, minutes % 60)
}

/// Unix seconds as `2024-01-02 03:04:05 +0100 CET` in the local zone, the
/// docker CLI's form.
pub fn local_datetime(seconds: i64) -> String {
    let (offset, zone) = local_zone(seconds);
    zoned_datetime(seconds, offset, &zone)
}

fn zoned_datetime(seconds: i64, offset: i64, zone: &str) -> String {
    format!(
        "{} {} {zone}",
        utc_date_time(seconds + offset, ' '),
        offset_text(offset)
    )
}

/// Unix nanoseconds as `2024-01-02 03:04:05.123456` in the local zone, as
/// `events` prints them.
pub fn local_micros(nanos: i64) -> String {
    let (offset, _) = local_zone(nanos.div_euclid(1_000_000_000));
    zoned_micros(nanos, offset)
}

fn zoned_micros(nanos: i64, offset: i64) -> String {
    let micros = nanos.rem_euclid(1_000_000_000) / 1000;
    let seconds = nanos.div_euclid(1_000_000_000) + offset;
    format!("{}.{micros:06}", utc_date_time(seconds, ' '))
}

/// Unix nanoseconds in RFC 3339: `2024-01-02T03:04:05.123456789Z`.
pub fn rfc3339_nanos(nanos: i64) -> String {
    let fraction = nanos.rem_euclid(1_000_000_000);
    format!(
        "{}.{fraction:09}Z",
        utc_date_time(nanos.div_euclid(1_000_000_000), 'T')
    )
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Now, in Unix nanoseconds.
pub fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// An RFC 3339 time with its fraction of a second (the engine's
/// `FinishedAt`: `2024-01-02T03:04:05.123456789Z`) as Unix nanoseconds.
pub fn rfc3339_to_nanos(text: &str) -> Option<i128> {
    let seconds = parse_instant(text, 0).ok()?;
    let fraction: String = text
        .split_once('.')
        .map(|(_, rest)| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .take(9)
                .collect()
        })
        .unwrap_or_default();
    let nanos: i128 = format!("{fraction:0<9}").parse().ok()?;
    Some(i128::from(seconds) * 1_000_000_000 + nanos)
}

/// A `--since`/`--until` value that is no time berth reads (trimmed).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a time: use a Unix timestamp, a duration such as 10m or 1h30m, or a date such as 2024-01-02T03:04:05Z"
)]
pub struct InstantError(pub String);

/// A `--since`/`--until` value as Unix seconds: a Unix timestamp (`1700000000`,
/// `1700000000.5`), a duration back from `now` (`42s`, `10m`, `1h30m`), or an
/// RFC 3339 date and time (`2024-01-02T03:04:05Z`, with an offset or without,
/// which means UTC) or date (`2024-01-02`).
pub fn parse_instant(text: &str, now: i64) -> Result<i64, InstantError> {
    let text = text.trim();
    let bad = || InstantError(text.to_string());
    if let Ok(seconds) = text.parse::<f64>() {
        return Ok(seconds as i64);
    }
    if let Some(seconds) = parse_duration(text) {
        return Ok(now - seconds);
    }
    let (date, time) = text.split_once(['T', ' ']).unwrap_or((text, "00:00:00Z"));
    let mut parts = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (Some(Some(year)), Some(Some(month)), Some(Some(day))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    // The zone: `Z`, `+hh:mm`/`-hh:mm`, or none (UTC).
    let (clock, offset) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else if let Some(at) = time.rfind(['+', '-']) {
        let (clock, zone) = time.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (h, m) = zone[1..].split_once(':').unwrap_or((&zone[1..], "0"));
        let (Ok(h), Ok(m)) = (h.parse::<i64>(), m.parse::<i64>()) else {
            return Err(bad());
        };
        (clock, sign * (h * 3600 + m * 60))
    } else {
        // No zone: local time, as the docker CLI reads it.
        (time, i64::MIN)
    };
    let mut fields = clock.split(':');
    let mut field = || fields.next().map(|f| f.parse::<f64>().ok());
    let (Some(Some(h)), Some(Some(m))) = (field(), field()) else {
        return Err(bad());
    };
    let s = field().flatten().unwrap_or(0.0);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    let days = days_from_civil(year, month, day);
    let wall = days * 86400 + h as i64 * 3600 + m as i64 * 60 + s as i64;
    let offset = if offset == i64::MIN {
        local_zone(wall).0
    } else {
        offset
    };
    Ok(wall - offset)
}

/// A Go-style duration (`1h30m`, `10m`, `2.5s`, `500ms`) in whole seconds.
fn parse_duration(text: &str) -> Option<i64> {
    crate::gocompat::parse_duration(text, crate::gocompat::Units::Go)
        .ok()
        .map(|nanos| nanos / 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_dates_in_a_zone() {
        assert_eq!(zoned_datetime(0, 0, "UTC"), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            zoned_datetime(951_782_400, 0, "UTC"),
            "2000-02-29 00:00:00 +0000 UTC"
        );
        assert_eq!(
            zoned_datetime(1_796_000_123, 3600, "CET"),
            "2026-11-30 01:55:23 +0100 CET"
        );
        assert_eq!(
            zoned_datetime(-1, -5 * 3600 - 1800, "X"),
            "1969-12-31 18:29:59 -0530 X"
        );
    }

    #[test]
    fn instants_take_the_docker_cli_forms() {
        let now = 1_796_000_123;
        assert_eq!(parse_instant("1700000000", now), Ok(1_700_000_000));
        assert_eq!(parse_instant("1700000000.75", now), Ok(1_700_000_000));
        assert_eq!(parse_instant("10m", now), Ok(now - 600));
        assert_eq!(parse_instant("1h30m", now), Ok(now - 5400));
        assert_eq!(
            parse_instant("2026-11-30T00:55:23Z", now),
            Ok(1_796_000_123)
        );
        assert_eq!(
            parse_instant("2026-11-30T01:55:23+01:00", now),
            Ok(1_796_000_123)
        );
        // Without a zone, the time is local.
        assert_eq!(
            parse_instant("2026-11-30T00:55:23.5", now),
            Ok(1_796_000_123 - local_zone(1_796_000_123).0)
        );
        assert_eq!(parse_instant("2000-02-29", now), Ok(951_782_400));
        assert!(parse_instant("yesterday", now).is_err());
        assert!(parse_instant("2000-13-01", now).is_err());
        assert!(parse_instant("", now).is_err());
    }

    #[test]
    fn engine_times_keep_their_nanoseconds() {
        assert_eq!(
            rfc3339_to_nanos("2024-01-02T03:04:05.123456789Z"),
            Some(1_704_164_645_123_456_789)
        );
        assert_eq!(
            rfc3339_to_nanos("2024-01-02T03:04:05.5Z"),
            Some(1_704_164_645_500_000_000)
        );
        assert_eq!(
            rfc3339_to_nanos("2024-01-02T03:04:05Z"),
            Some(1_704_164_645_000_000_000)
        );
        assert_eq!(rfc3339_to_nanos("soon"), None);
    }

    #[test]
    fn event_times_are_printed_to_the_microsecond_or_nanosecond() {
        let nanos = 1_704_164_645_123_456_789;
        assert_eq!(zoned_micros(nanos, 0), "2024-01-02 03:04:05.123456");
        assert_eq!(zoned_micros(nanos, 3600), "2024-01-02 04:04:05.123456");
        assert_eq!(rfc3339_nanos(nanos), "2024-01-02T03:04:05.123456789Z");
    }

    #[test]
    fn a_bad_instant_says_what_is_read() {
        assert_eq!(
            parse_instant(" yesterday ", 0).unwrap_err().to_string(),
            "\"yesterday\" is not a time: use a Unix timestamp, a duration such as 10m or 1h30m, \
             or a date such as 2024-01-02T03:04:05Z"
        );
    }
}
