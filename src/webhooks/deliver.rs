//! The sender: one task per sandbox takes the due heads of the endpoints'
//! queues and sends each as its own attempt, so a slow receiver holds only
//! its own endpoint. The API never waits for it: a run's end only queues.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::outbox::{Attempt, Ready};
use crate::domain::{EndpointStatus, Timestamp, WebhookEndpoint, host_of, is_local};
use crate::state::{AppState, Settings};

pub const TIMESTAMP_HEADER: &str = "x-extend-request-timestamp";
pub const SIGNATURE_HEADER: &str = "x-extend-request-signature";

/// Lower-case hex of HMAC-SHA256, keyed with the secret as written, over
/// `v0:<timestamp>:<body>`: what the SDKs' `webhooks.verify` recompute.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs until the sandbox goes; attempts on the wire go with it. One
/// client for all: connections to a receiver are kept and reused.
pub async fn drive(state: Arc<AppState>) {
    let settings = &state.settings;
    let client = reqwest::Client::builder()
        .timeout(settings.webhook_timeout)
        .connect_timeout(settings.webhook_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(LocalOnly {
            allow_public: settings.webhook_allow_public,
        }))
        .user_agent(concat!("extend-mock/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client without TLS always builds");
    let mut sending = JoinSet::new();
    loop {
        let (ready, next) = state.webhooks.take_ready(Instant::now());
        for ready in ready {
            let state = Arc::clone(&state);
            let client = client.clone();
            sending.spawn(async move { attempt(&state, &client, ready).await });
        }
        let far = Instant::now() + Duration::from_secs(3600);
        tokio::select! {
            _ = state.webhooks.wake.notified() => {}
            _ = tokio::time::sleep_until(next.unwrap_or(far)) => {}
            Some(_) = sending.join_next(), if !sending.is_empty() => {}
        }
    }
}

async fn attempt(state: &AppState, client: &reqwest::Client, ready: Ready) {
    let endpoint = state.store().endpoint_by_id(&ready.endpoint_id).cloned();
    let Some(endpoint) = endpoint else {
        state
            .webhooks
            .drop_delivery(&ready, "its endpoint was deleted".into());
        return;
    };
    if endpoint.status == EndpointStatus::Disabled {
        state
            .webhooks
            .drop_delivery(&ready, "its endpoint is disabled".into());
        return;
    }
    let settings = &state.settings;
    let at = Timestamp::now();
    let started = std::time::Instant::now();
    let answer = send(settings, client, &endpoint, &ready.body).await;
    let took = started.elapsed();
    let delivered = matches!(answer, Ok(status) if (200..300).contains(&status));
    let retries_left = ready.attempt <= settings.webhook_retries as usize;
    let retry_in = (!delivered && retries_left).then(|| backoff(settings, ready.attempt));
    match &answer {
        Ok(status) => tracing::info!(
            delivery = ready.seq,
            endpoint = %endpoint.id,
            attempt = ready.attempt,
            status,
            "webhook {}",
            if delivered { "delivered" } else { "refused by its receiver" }
        ),
        Err(error) => tracing::info!(
            delivery = ready.seq,
            endpoint = %endpoint.id,
            attempt = ready.attempt,
            %error,
            "webhook not delivered"
        ),
    }
    let attempt = Attempt {
        at,
        url: endpoint.url.clone(),
        status: answer.as_ref().ok().copied(),
        error: answer.err(),
        duration_ms: (took.as_micros() as f64) / 1000.0,
    };
    state
        .webhooks
        .attempted(&ready, attempt, delivered, retry_in);
}

/// `--webhook-backoff` doubled for each attempt made, at most an hour.
fn backoff(settings: &Settings, attempts_made: usize) -> Duration {
    let doublings = u32::try_from(attempts_made.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(20);
    settings
        .webhook_backoff
        .saturating_mul(1 << doublings)
        .min(Duration::from_secs(3600))
}

/// Resolves names as the system does, and refuses (unless
/// `--webhook-allow-public`) a name with an address that is not loopback,
/// private or link-local: the check and the connection use the same
/// addresses, so a name cannot change between them.
struct LocalOnly {
    allow_public: bool,
}

/// Why a name was not sent to; found again in the client's error chain.
#[derive(Debug)]
struct NotLocal(String);

impl std::fmt::Display for NotLocal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotLocal {}

fn not_local(host: &str, ip: std::net::IpAddr) -> NotLocal {
    NotLocal(format!(
        "`{host}` is {ip}, not a loopback or private address; start extend-mock with \
         --webhook-allow-public to send there"
    ))
}

impl reqwest::dns::Resolve for LocalOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_public = self.allow_public;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_public && let Some(far) = addresses.iter().find(|a| !is_local(a.ip())) {
                return Err(Box::new(not_local(&host, far.ip())) as _);
            }
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// One POST, to the registered URL only (no redirects, no proxy), at an
/// address checked first: the receiver's status, or why there was none.
async fn send(
    settings: &Settings,
    client: &reqwest::Client,
    endpoint: &WebhookEndpoint,
    body: &bytes::Bytes,
) -> Result<u16, String> {
    let url = reqwest::Url::parse(&endpoint.url).map_err(|e| format!("bad URL: {e}"))?;
    if url.scheme() != "http" {
        return Err(format!(
            "`{}` URLs are not sent to: extend-mock delivers over plain http (a receiver \
             on a test network)",
            url.scheme()
        ));
    }
    // An address in the URL is not resolved, so it is checked here.
    let host = host_of(url.host_str().unwrap_or_default());
    if let Ok(ip) = host.parse::<std::net::IpAddr>()
        && !settings.webhook_allow_public
        && !is_local(ip)
    {
        return Err(not_local(host, ip).0);
    }
    let timestamp = Timestamp::now().unix_nanos() / 1_000_000_000;
    let mut request = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    for (name, value) in endpoint.headers() {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(
            SIGNATURE_HEADER,
            signature(&endpoint.signing_secret, timestamp, body),
        )
        .body(body.clone())
        .send()
        .await
        .map_err(|e| describe(&e, settings.webhook_timeout))?;
    Ok(response.status().as_u16())
}

fn describe(error: &reqwest::Error, timeout: Duration) -> String {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(refusal) = cause.downcast_ref::<NotLocal>() {
            return refusal.0.clone();
        }
        source = cause.source();
    }
    if error.is_timeout() {
        return format!("no answer within {timeout:?} (--webhook-timeout)");
    }
    if error.is_connect() {
        return "connection refused or unreachable".into();
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_over_v0_timestamp_body() {
        // Computed independently: printf 'v0:1700000000:{"a":1}' |
        //   openssl dgst -sha256 -hmac wss_test
        assert_eq!(
            signature("wss_test", 1_700_000_000, br#"{"a":1}"#),
            "7fdd380a158e728269a758d61dc872912331405048991e36e2900530f78372b3"
        );
    }

    #[test]
    fn backoff_doubles_from_the_first_wait() {
        let settings = Settings {
            webhook_backoff: Duration::from_millis(100),
            ..Settings::default()
        };
        let waits: Vec<u128> = (1..=4).map(|n| backoff(&settings, n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800]);
    }
}
