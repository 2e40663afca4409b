//! Ids: opaque text the API hands out, checked only for length.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest ID the API documents.
pub const MAX_ID_LEN: usize = 255;

/// A processor run ID. Prefixes are opaque and have changed before (`dpr_` became
/// `exr_`), so only the length is checked. Cheap to clone: the store's indexes
/// each hold one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(Arc<str>);

impl RunId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        check_id(raw)?;
        Ok(RunId(Arc::from(raw)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for RunId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RunId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        RunId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// Any other ID the API hands out: non-empty, at most 255 characters.
pub fn check_id(raw: &str) -> Result<(), String> {
    if raw.is_empty() {
        return Err("must not be empty".into());
    }
    if raw.chars().count() > MAX_ID_LEN {
        return Err(format!("is longer than {MAX_ID_LEN} characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bounded() {
        assert!(RunId::parse("").is_err());
        assert!(RunId::parse(&"x".repeat(255)).is_ok());
        assert!(RunId::parse(&"x".repeat(256)).is_err());
    }
}
