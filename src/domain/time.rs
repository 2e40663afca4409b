//! `Timestamp`: a point in time in UTC, written as RFC 3339.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in time, always held in UTC and written as RFC 3339 (`…Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let parsed = OffsetDateTime::parse(raw, &Rfc3339)
            .map_err(|e| format!("`{raw}` is not an RFC 3339 timestamp ({e})"))?;
        let utc = parsed.to_offset(time::UtcOffset::UTC);
        // Sort keys are i64 nanoseconds, which span 1677..2262.
        if i64::try_from(utc.unix_timestamp_nanos()).is_err() {
            return Err(format!("`{raw}` is outside the years 1678 to 2261"));
        }
        Ok(Timestamp(utc))
    }

    pub fn from_unix_nanos(nanos: i64) -> Self {
        Timestamp(
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
                .expect("every i64 of nanoseconds is a valid date"),
        )
    }

    pub fn now() -> Self {
        Timestamp(OffsetDateTime::now_utc())
    }

    /// Now, to the millisecond, as the API writes the times of what it makes.
    pub fn now_millis() -> Self {
        let now = OffsetDateTime::now_utc();
        Timestamp(
            now.replace_nanosecond(u32::from(now.millisecond()) * 1_000_000)
                .unwrap_or(now),
        )
    }

    /// The sort key: nanoseconds since the epoch. `parse` guarantees it fits.
    pub fn unix_nanos(self) -> i64 {
        self.0.unix_timestamp_nanos() as i64
    }

    pub fn to_rfc3339(self) -> String {
        self.0
            .format(&Rfc3339)
            .expect("a UTC time in 1678..2261 always formats as RFC 3339")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Timestamp::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_normalised_to_utc() {
        let t = Timestamp::parse("2024-03-21T17:29:55+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-21T15:29:55Z");
        assert_eq!(Timestamp::from_unix_nanos(t.unix_nanos()), t);
    }
}
