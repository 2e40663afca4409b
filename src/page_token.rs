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
use sha2::Sha256;

use crate::domain::{Order, Position};
use crate::domain::{PagedResource, SortBy, SortDir, check_id};

type HmacSha256 = Hmac<Sha256>;

/// Bumped when the payload changes shape, so old tokens fail cleanly.
/// 1 was JSON; 2 the binary layout of `encode`, a third of the length; 3
/// adds the resource paged, so tokens serve any list.
const FORMAT: u8 = 3;

/// Everything a token carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub resource: PagedResource,
    pub workspace_id: String,
    pub order: Order,
    pub position: Position,
    /// `Filters` fingerprint at the time the token was made; see `query.rs`.
    pub filters: String,
}

/// The payload: format, resource, sort (bit 0 `updatedAt`, bit 1 `desc`), the position's
/// time (i64, little-endian), then the workspace, the id and the fingerprint,
/// each after its length (u16, little-endian).
fn encode(cursor: &Cursor) -> Vec<u8> {
    let texts = [
        cursor.workspace_id.as_str(),
        cursor.position.id.as_str(),
        cursor.filters.as_str(),
    ];
    let mut payload = Vec::with_capacity(16 + texts.iter().map(|t| t.len() + 2).sum::<usize>());
    let by = u8::from(cursor.order.by == SortBy::UpdatedAt);
    let dir = u8::from(cursor.order.dir == SortDir::Desc);
    payload.extend_from_slice(&[FORMAT, cursor.resource as u8, by | dir << 1]);
    payload.extend_from_slice(&cursor.position.at_nanos.to_le_bytes());
    for text in texts {
        let len = u16::try_from(text.len()).expect("ids are at most 255 characters");
        payload.extend_from_slice(&len.to_le_bytes());
        payload.extend_from_slice(text.as_bytes());
    }
    payload
}

/// The inverse of `encode`; `None` for anything it did not write.
fn decode(payload: &[u8]) -> Option<Cursor> {
    let (&[format, resource, sort], rest) = payload.split_first_chunk::<3>()?;
    let resource = PagedResource::from_u8(resource)?;
    if format != FORMAT || sort > 3 {
        return None;
    }
    let (at, mut rest) = rest.split_first_chunk::<8>()?;
    let mut text = || -> Option<String> {
        let (len, after) = rest.split_first_chunk::<2>()?;
        let (bytes, after) = after.split_at_checked(usize::from(u16::from_le_bytes(*len)))?;
        rest = after;
        String::from_utf8(bytes.to_vec()).ok()
    };
    let (workspace_id, id, filters) = (text()?, text()?, text()?);
    if !rest.is_empty() {
        return None;
    }
    Some(Cursor {
        resource,
        workspace_id,
        order: Order {
            by: if sort & 1 == 1 {
                SortBy::UpdatedAt
            } else {
                SortBy::CreatedAt
            },
            dir: if sort & 2 == 2 {
                SortDir::Desc
            } else {
                SortDir::Asc
            },
        },
        position: Position {
            at_nanos: i64::from_le_bytes(*at),
            id: check_id(&id).ok().map(|()| id)?,
        },
        filters,
    })
}

/// Signs and verifies cursors. Fixed after start-up, so it needs no lock.
#[derive(Clone)]
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

    /// A signature over any bytes with the same key, lower-case hex: what the
    /// file download links carry.
    pub fn sign_bytes(&self, data: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(data);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `signature` is `sign_bytes(data)`, compared in constant time.
    pub fn verify_bytes(&self, data: &[u8], signature: &str) -> bool {
        if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&signature[2 * i..2 * i + 2], 16).unwrap_or(0))
            .collect();
        let mut mac = self.mac();
        mac.update(data);
        mac.verify_slice(&bytes).is_ok()
    }

    pub fn sign(&self, cursor: &Cursor) -> String {
        let body = STANDARD.encode(encode(cursor));
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        let signature = mac.finalize().into_bytes();
        let mut token = body;
        token.push(':');
        STANDARD.encode_string(signature, &mut token);
        token
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
        let payload = STANDARD
            .decode(body)
            .map_err(|_| "its payload is not base64")?;
        match payload.first() {
            Some(&FORMAT) => decode(&payload).ok_or_else(|| "its payload is not readable".into()),
            _ => Err("it was made by another version of extend-mock".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> Cursor {
        Cursor {
            resource: PagedResource::ProcessorRuns,
            workspace_id: "ws_a".into(),
            order: Order::default(),
            position: Position {
                at_nanos: 1_700_000_000_000_000_000,
                id: "exr_1".into(),
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
    fn the_payload_decodes_only_whole() {
        let payload = encode(&cursor());
        assert_eq!(decode(&payload), Some(cursor()));
        for cut in 0..payload.len() {
            assert_eq!(decode(&payload[..cut]), None, "cut at {cut}");
        }
        let mut longer = payload.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
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
