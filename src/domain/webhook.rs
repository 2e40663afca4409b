//! A webhook endpoint as `/webhook_endpoints` manages it and a fixture
//! spells it (the API's `WebhookEndpoint`, with `workspaceId` and the
//! `signingSecret` the API shows only once).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{ApiVersion, EndpointStatus, EventType, Timestamp};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookEndpoint {
    pub id: String,
    pub workspace_id: String,
    pub url: String,
    pub name: String,
    #[serde(default = "enabled")]
    pub status: EndpointStatus,
    pub enabled_events: Vec<EventType>,
    pub api_version: ApiVersion,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_options: Option<AdvancedOptions>,
    /// `wss_…`, used verbatim as the HMAC key.
    pub signing_secret: String,
    pub created_at: Timestamp,
}

fn enabled() -> EndpointStatus {
    EndpointStatus::Enabled
}

/// The API's `WebhookAdvancedOptions`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdvancedOptions {
    /// Sent with every delivery (besides the signature headers, which win).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object_or_null"
    )]
    pub payload: Option<PayloadOptions>,
}

/// An optional object field, read as an object or `null` only: serde would
/// otherwise read a struct from a JSON array (`[null, null]`) too.
pub fn object_or_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error;
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => Ok(None),
        value @ serde_json::Value::Object(_) => serde_json::from_value(value)
            .map(Some)
            .map_err(D::Error::custom),
        other => Err(D::Error::custom(format!(
            "invalid type: {}, expected an object",
            match other {
                serde_json::Value::Array(_) => "array",
                serde_json::Value::String(_) => "string",
                serde_json::Value::Number(_) => "number",
                _ => "boolean",
            }
        ))),
    }
}

/// The API's `WebhookPayloadOptions`: inline JSON, or (`url`) a signed link
/// in place of a payload larger than `urlThresholdBytes`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PayloadOptions {
    pub format: PayloadFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_threshold_bytes: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayloadFormat {
    Json,
    Url,
}

impl WebhookEndpoint {
    /// Whether the endpoint takes `event` now.
    pub fn wants(&self, event: EventType) -> bool {
        self.status == EndpointStatus::Enabled && self.enabled_events.contains(&event)
    }

    /// Above how many bytes a payload goes as a signed link, if ever.
    pub fn url_threshold(&self) -> Option<u64> {
        let payload = self.advanced_options.as_ref()?.payload.as_ref()?;
        (payload.format == PayloadFormat::Url).then_some(payload.url_threshold_bytes.unwrap_or(0))
    }

    pub fn headers(&self) -> impl Iterator<Item = (&String, &String)> {
        self.advanced_options
            .iter()
            .flat_map(|o| o.headers.iter().flatten())
    }
}

/// The longest webhook URL taken.
pub const MAX_URL: usize = 2048;

/// A URL a delivery can be made to, checked when an endpoint is made,
/// changed or loaded from a fixture: `http://` (deliveries are plain HTTP:
/// an `https://` endpoint would never be sent to), a host that is a name or
/// an address as written (no percent-encoding, no IPv6 zone id, no
/// credentials), a port from 1 to 65535. Where it may be sent is checked
/// again on every delivery (`is_local`). Hostile-inputs F14 found URLs that
/// were taken and could never be delivered.
pub fn check_url(raw: &str) -> Result<(), String> {
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not hold spaces or control characters".into());
    }
    if raw.len() > MAX_URL {
        return Err(format!("is {} bytes long; at most {MAX_URL}", raw.len()));
    }
    let (scheme, rest) = raw.split_once("://").unwrap_or(("", raw));
    match scheme.to_ascii_lowercase().as_str() {
        "http" => {}
        "https" => {
            return Err(
                "is https://, and extend-mock delivers webhooks over plain HTTP only, so it \
                 would never be sent to; register the receiver's http:// URL"
                    .into(),
            );
        }
        _ => return Err("must be an http:// URL".into()),
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err("must not hold credentials (user@host)".into());
    }
    if authority.contains('%') {
        return Err("must name its host as written, without percent-encoding or a zone id".into());
    }
    if host_of(authority).is_empty() {
        return Err("has no host".into());
    }
    let url = url::Url::parse(raw).map_err(|e| format!("is not a URL a delivery can use: {e}"))?;
    if url.host().is_none() {
        return Err("has no host".into());
    }
    if url.port() == Some(0) {
        return Err("port 0 cannot be sent to".into());
    }
    Ok(())
}

/// Headers a delivery sets itself or that frame the message: an endpoint's
/// `advancedOptions.headers` may not give them.
const RESERVED_HEADERS: &[&str] = &[
    "x-extend-request-timestamp",
    "x-extend-request-signature",
    "content-type",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

/// An endpoint's extra headers: valid names and values, none that the
/// delivery sets itself or that would change how the request is framed.
/// `Err((header name, reason))`.
pub fn check_headers(options: &AdvancedOptions) -> Result<(), (String, &'static str)> {
    for (name, value) in options.headers.iter().flatten() {
        let fail = |reason| Err((name.clone(), reason));
        let Ok(parsed) = http::HeaderName::from_bytes(name.as_bytes()) else {
            return fail("is not a valid header name");
        };
        if parsed.as_str().starts_with("x-extend-request-")
            || RESERVED_HEADERS.contains(&parsed.as_str())
        {
            return fail("is set by the delivery itself, or frames the request");
        }
        if http::HeaderValue::from_str(value).is_err() {
            return fail("is not a valid header value");
        }
    }
    Ok(())
}

/// The host of `host[:port]` or `[v6]:port`, without brackets.
pub fn host_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

/// Where a test harness listens: loopback, private networks (Docker's
/// among them), link-local. Deliveries go elsewhere only with
/// `--webhook-allow-public`.
pub fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_local(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_a_scheme_and_a_host() {
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(check_url("http://receiver.internal/hook?x=1").is_ok());
        assert!(check_url("http://[::1]:80/").is_ok());
        assert!(check_url("HTTP://host.docker.internal:8000/x").is_ok());
        assert_eq!(check_url("ftp://x/").unwrap_err(), "must be an http:// URL");
        assert_eq!(check_url("http:///path").unwrap_err(), "has no host");
        for never_sent in [
            "https://receiver.internal/hook",
            "http://u:p@host/",
            "http://127.0.0.1:99999/",
            "http://127.0.0.1:0/",
            "http://[fe80::1%25eth0]:80/",
            "http://a%40b.test/",
            "http://[::1/",
        ] {
            assert!(check_url(never_sent).is_err(), "{never_sent}");
        }
    }

    #[test]
    fn only_harness_addresses_are_local() {
        for local in [
            "127.0.0.1",
            "10.1.2.3",
            "172.18.0.2",
            "192.168.1.9",
            "::1",
            "fd00::1",
        ] {
            assert!(is_local(local.parse().unwrap()), "{local}");
        }
        for public in [
            "8.8.8.8",
            "93.184.216.34",
            "2001:4860::8888",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_local(public.parse().unwrap()), "{public}");
        }
    }
}
