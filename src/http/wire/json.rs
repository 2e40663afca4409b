//! Writing JSON straight into a response buffer, for the one hot path that
//! serves runs: no intermediate values, no per-field allocation. Everything
//! here writes exactly the bytes `serde_json` would (the tests compare them),
//! so clients cannot tell which of the two wrote a body.

/// A JSON string literal, quotes included. Plain text (the common case: ids,
/// names, enum spellings) is copied as it is; anything that needs escaping goes
/// through `serde_json`.
pub fn write_str(buf: &mut Vec<u8>, text: &str) {
    let plain = text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
    if plain {
        buf.reserve(text.len() + 2);
        buf.push(b'"');
        buf.extend_from_slice(text.as_bytes());
        buf.push(b'"');
    } else {
        serde_json::to_writer(&mut *buf, text).expect("writing to a Vec cannot fail");
    }
}

/// A number as `serde_json` writes an `f64` (`2.5`, `3.0`).
pub fn write_f64(buf: &mut Vec<u8>, value: f64) {
    serde_json::to_writer(&mut *buf, &value).expect("writing to a Vec cannot fail");
}

/// A whole number, as `serde_json` writes integers (with the same `itoa`).
pub fn write_u64(buf: &mut Vec<u8>, value: u64) {
    buf.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// `thousandths / 1000.0` as `serde_json` (and Rust) write that `f64`: the
/// shortest decimal that reads back as it, which for a whole number of
/// thousandths is those digits with trailing zeros dropped (`0.918`,
/// `0.95`, `12.0`), as long as there are at most 15 significant digits (an
/// `f64` holds every such decimal exactly enough to give it back). No float
/// formatter needed; beyond that bound, the float formatter.
pub fn write_thousandths(buf: &mut Vec<u8>, thousandths: u64) {
    if thousandths >= 1_000_000_000_000_000 {
        write_f64(buf, thousandths as f64 / 1000.0);
        return;
    }
    write_u64(buf, thousandths / 1000);
    buf.push(b'.');
    let mut fraction = thousandths % 1000;
    if fraction == 0 {
        buf.push(b'0');
        return;
    }
    let mut width = 3;
    while fraction.is_multiple_of(10) {
        fraction /= 10;
        width -= 1;
    }
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(fraction).as_bytes();
    buf.resize(buf.len() + width - digits.len(), b'0');
    buf.extend_from_slice(digits);
}

/// A whole number held as an `f64`, as `serde_json` writes it (`243.0`),
/// without a float formatter.
pub fn write_whole_f64(buf: &mut Vec<u8>, value: u32) {
    write_u64(buf, u64::from(value));
    buf.push(b'.');
    buf.push(b'0');
}

/// Nanoseconds since the epoch as the RFC 3339 string `Timestamp` serializes to:
/// `2024-03-21T15:29:55Z`, with a fraction only when there is one, trailing
/// zeros dropped. Quotes included.
pub fn write_timestamp(buf: &mut Vec<u8>, nanos: i64) {
    let fraction = nanos.rem_euclid(1_000_000_000) as u32;
    buf.reserve(32);
    buf.push(b'"');
    write_date_time(buf, nanos.div_euclid(1_000_000_000));
    if fraction != 0 {
        buf.push(b'.');
        let (mut value, mut width) = (fraction, 9);
        while value % 10 == 0 {
            value /= 10;
            width -= 1;
        }
        push_digits(buf, value, width);
    }
    buf.extend_from_slice(b"Z\"");
}

/// Seconds since the epoch as `2024-03-21T15:29:55`: the date and time of an
/// RFC 3339 string in UTC, without fraction, zone or quotes. Years 1678 to
/// 2261 (what a `Timestamp` holds) always take four digits.
pub fn write_date_time(buf: &mut Vec<u8>, seconds: i64) {
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(days);
    push_digits(buf, year as u32, 4);
    buf.push(b'-');
    push_digits(buf, month, 2);
    buf.push(b'-');
    push_digits(buf, day, 2);
    buf.push(b'T');
    push_digits(buf, of_day / 3600, 2);
    buf.push(b':');
    push_digits(buf, of_day / 60 % 60, 2);
    buf.push(b':');
    push_digits(buf, of_day % 60, 2);
}

fn push_digits(out: &mut Vec<u8>, mut value: u32, width: usize) {
    if width == 2 {
        // Most fields: month, day, hour, minute, second.
        out.extend_from_slice(&[b'0' + (value / 10) as u8, b'0' + (value % 10) as u8]);
        return;
    }
    let start = out.len();
    out.resize(start + width, b'0');
    for place in out[start..].iter_mut().rev() {
        *place = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`); exact for every day a `Timestamp` can hold.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use proptest::prelude::*;

    /// What `write_timestamp` must agree with.
    fn reference_timestamp(nanos: i64) -> String {
        serde_json::to_string(&Timestamp::from_unix_nanos(nanos)).unwrap()
    }

    fn timestamp(nanos: i64) -> String {
        let mut buf = Vec::new();
        write_timestamp(&mut buf, nanos);
        String::from_utf8(buf).unwrap()
    }

    fn string(text: &str) -> String {
        let mut buf = Vec::new();
        write_str(&mut buf, text);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn timestamps_at_the_edges() {
        for nanos in [
            0,
            -1,
            1,
            i64::MIN,
            i64::MAX,
            951_782_400_000_000_000, // 2000-02-29
            1_704_067_200_500_000_000,
        ] {
            assert_eq!(timestamp(nanos), reference_timestamp(nanos), "{nanos}");
        }
        assert_eq!(
            timestamp(1_711_034_995_000_000_000),
            "\"2024-03-21T15:29:55Z\""
        );
    }

    #[test]
    fn strings_that_need_escaping() {
        for text in [
            "",
            "plain",
            "a\"b",
            "back\\slash",
            "tab\there",
            "\u{7f}",
            "é 請求書",
        ] {
            assert_eq!(
                string(text),
                serde_json::to_string(text).unwrap(),
                "{text:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_timestamp_matches_serde(nanos in any::<i64>()) {
            prop_assert_eq!(timestamp(nanos), reference_timestamp(nanos));
        }

        #[test]
        fn any_round_second_matches_serde(seconds in -9_223_372_036i64..9_223_372_036) {
            let nanos = seconds * 1_000_000_000;
            prop_assert_eq!(timestamp(nanos), reference_timestamp(nanos));
        }

        #[test]
        fn any_string_matches_serde(text in any::<String>()) {
            prop_assert_eq!(string(&text), serde_json::to_string(&text).unwrap());
        }
    }

    proptest! {
        #[test]
        fn any_thousandths_match_serde(t in prop_oneof![0u64..1_000_000, 0u64..1u64 << 53]) {
            let mut buf = Vec::new();
            write_thousandths(&mut buf, t);
            prop_assert_eq!(
                String::from_utf8(buf).unwrap(),
                serde_json::to_string(&(t as f64 / 1000.0)).unwrap()
            );
        }

        #[test]
        fn any_whole_number_matches_serde(n in any::<u64>(), small in any::<u32>()) {
            let mut buf = Vec::new();
            write_u64(&mut buf, n);
            prop_assert_eq!(String::from_utf8(buf).unwrap(), serde_json::to_string(&n).unwrap());
            let mut buf = Vec::new();
            write_whole_f64(&mut buf, small);
            prop_assert_eq!(
                String::from_utf8(buf).unwrap(),
                serde_json::to_string(&f64::from(small)).unwrap()
            );
        }
    }
}
