//! Page tokens: where a page ended, signed so a client cannot forge or edit one.
//! Knows nothing of HTTP.
//!
//! A token is `base64(payload) ":" base64(HMAC-SHA256(secret, base64(payload)))`,
//! standard base64 with `+`, `/` and `=`, the shape the API documents. The
//! payload records the workspace, the sort it was made under, the position and a
//! fingerprint of the filters, so a token cannot be replayed elsewhere.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::model::{RunId, SortBy, SortDir};
use crate::store::{Order, Position};

type HmacSha256 = Hmac<Sha256>;

/// Bumped when the payload changes shape, so old tokens fail cleanly.
const FORMAT: u8 = 1;

/// Everything a token carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub workspace_id: String,
    pub order: Order,
    pub position: Position,
    /// `Filters` fingerprint at the time the token was made; see `query.rs`.
    pub filters: String,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    v: u8,
    ws: String,
    by: String,
    dir: String,
    at: i64,
    id: String,
    f: String,
}

/// Signs and verifies cursors. Fixed after start-up, so it needs no lock.
pub struct PageSigner {
    /// Keyed once; each token clones it rather than hashing the key again.
    mac: HmacSha256,
}

impl PageSigner {
    /// A signer whose tokens survive restarts and work across replicas that
    /// share the secret.
    pub fn from_secret(secret: &str) -> Self {
        PageSigner::with_key(secret.as_bytes())
    }

    /// A signer with a fresh random key: tokens die with the process.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        PageSigner::with_key(&key)
    }

    fn with_key(key: &[u8]) -> Self {
        PageSigner {
            mac: HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length"),
        }
    }

    fn mac(&self) -> HmacSha256 {
        self.mac.clone()
    }

    pub fn sign(&self, cursor: &Cursor) -> String {
        let payload = Payload {
            v: FORMAT,
            ws: cursor.workspace_id.clone(),
            by: cursor.order.by.as_str().to_owned(),
            dir: cursor.order.dir.as_str().to_owned(),
            at: cursor.position.at_nanos,
            id: cursor.position.id.as_str().to_owned(),
            f: cursor.filters.clone(),
        };
        let json = serde_json::to_vec(&payload).expect("the payload is plain data");
        let body = STANDARD.encode(json);
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        let signature = STANDARD.encode(mac.finalize().into_bytes());
        format!("{body}:{signature}")
    }

    /// Checks the signature, then decodes. The error says what is wrong without
    /// revealing anything a forger could use.
    pub fn verify(&self, token: &str) -> Result<Cursor, String> {
        let (body, signature) = token
            .split_once(':')
            .ok_or("it is not a page token from this server")?;
        let signature = STANDARD
            .decode(signature)
            .map_err(|_| "it is not a page token from this server")?;
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        mac.verify_slice(&signature).map_err(
            |_| "its signature does not match (edited, truncated, or from another server)",
        )?;
        let json = STANDARD
            .decode(body)
            .map_err(|_| "its payload is not base64")?;
        let payload: Payload =
            serde_json::from_slice(&json).map_err(|_| "its payload is not readable")?;
        if payload.v != FORMAT {
            return Err("it was made by another version of extend-mock".into());
        }
        let unreadable = |_| "its payload is not readable".to_owned();
        Ok(Cursor {
            workspace_id: payload.ws,
            order: Order {
                by: SortBy::parse(&payload.by).map_err(unreadable)?,
                dir: SortDir::parse(&payload.dir).map_err(unreadable)?,
            },
            position: Position {
                at_nanos: payload.at,
                id: RunId::parse(&payload.id).map_err(unreadable)?,
            },
            filters: payload.f,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> Cursor {
        Cursor {
            workspace_id: "ws_a".into(),
            order: Order::default(),
            position: Position {
                at_nanos: 1_700_000_000_000_000_000,
                id: RunId::parse("exr_1").unwrap(),
            },
            filters: "0123456789abcdef".into(),
        }
    }

    #[test]
    fn a_token_round_trips_and_looks_like_the_documented_shape() {
        let signer = PageSigner::from_secret("s3cret");
        let token = signer.sign(&cursor());
        let (body, sig) = token.split_once(':').unwrap();
        assert!(STANDARD.decode(body).is_ok() && STANDARD.decode(sig).is_ok());
        assert_eq!(signer.verify(&token).unwrap(), cursor());
    }

    #[test]
    fn another_secret_rejects_the_token() {
        let token = PageSigner::from_secret("one").sign(&cursor());
        assert!(PageSigner::from_secret("two").verify(&token).is_err());
        assert!(PageSigner::random().verify(&token).is_err());
    }

    #[test]
    fn every_single_character_edit_is_rejected() {
        let signer = PageSigner::from_secret("s3cret");
        let token = signer.sign(&cursor());
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let edited = String::from_utf8(bytes).unwrap();
            if edited != token {
                assert!(signer.verify(&edited).is_err(), "edit at {i} accepted");
            }
        }
        for cut in 0..token.len() {
            assert!(
                signer.verify(&token[..cut]).is_err(),
                "cut at {cut} accepted"
            );
        }
    }
}
