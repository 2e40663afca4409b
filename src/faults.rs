//! Injected faults: make the next N matching API requests fail with a status, or
//! answer late, so a test can exercise its retry and timeout paths. Faults are
//! consumed as they fire. The HTTP envelope applies them. No HTTP types here.

use serde::{Deserialize, Serialize};

/// Paths of the emulator's own control plane; never journaled or faulted.
pub fn is_control_path(path: &str) -> bool {
    path == "/_mock" || path.starts_with("/_mock/") || path == "/"
}

/// The control-plane calls that steer what the API answers (end or hold a
/// run, set or clear rules): journaled with the API's requests, so a test
/// reading the journal sees them in order. Seeding, reset, faults and the
/// journal itself are not.
pub fn is_steering_call(method: &str, path: &str) -> bool {
    if method == "GET" {
        return false;
    }
    path == "/_mock/rules"
        || path == "/_mock/webhooks/test"
        || (path.starts_with("/_mock/webhooks/deliveries/") && path.ends_with("/redeliver"))
        || path
            .strip_prefix("/_mock/processor_runs/")
            .is_some_and(|rest| {
                rest.ends_with("/finish") || rest.ends_with("/fail") || rest.ends_with("/hold")
            })
}

/// Longest delay a fault may ask for; longer would outlive most client timeouts
/// by so much that it is almost certainly a unit mistake (seconds for ms).
pub const MAX_DELAY_MS: u64 = 120_000;

/// A fault as `POST /_mock/faults` takes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultSpec {
    /// Matches any method when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Exact path, such as `/processor_runs`; any API path when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The status to answer with (400 to 599).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Wait this long first; with no status, then answer normally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Seconds for `Retry-After`; 429 and 503 default to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// How many matching requests it applies to.
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

impl FaultSpec {
    /// Checks the spec and fills defaults; the error names the field.
    pub fn checked(mut self) -> Result<Self, String> {
        if self.status.is_none() && self.delay_ms.is_none() {
            return Err("give `status`, `delayMs`, or both".into());
        }
        if let Some(status) = self.status
            && !(400..=599).contains(&status)
        {
            return Err(format!(
                "status: {status} is not an error status (400 to 599)"
            ));
        }
        if let Some(delay) = self.delay_ms
            && delay > MAX_DELAY_MS
        {
            return Err(format!("delayMs: {delay} is more than {MAX_DELAY_MS}"));
        }
        if self.count == 0 {
            return Err("count: must be at least 1".into());
        }
        if let Some(method) = &mut self.method {
            method.make_ascii_uppercase();
            if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(format!("method: `{method}` is not an HTTP method"));
            }
        }
        if let Some(path) = &self.path
            && (!path.starts_with('/') || is_control_path(path))
        {
            return Err(format!(
                "path: `{path}` must be an API path: starting with `/`, not `/` itself, outside /_mock/"
            ));
        }
        if self.retry_after.is_none() && matches!(self.status, Some(429 | 503)) {
            self.retry_after = Some(1);
        }
        Ok(self)
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self.path.as_deref().is_none_or(|p| p == path)
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    pub remaining: u32,
}

#[derive(Default)]
pub struct Faults {
    active: Vec<Fault>,
    next_id: u64,
}

impl Faults {
    pub fn add(&mut self, spec: FaultSpec) -> Fault {
        self.next_id += 1;
        let fault = Fault {
            id: self.next_id,
            remaining: spec.count,
            spec,
        };
        self.active.push(fault.clone());
        fault
    }

    /// The oldest fault matching the request, consumed by one.
    pub fn take_matching(&mut self, method: &str, path: &str) -> Option<FaultSpec> {
        let index = self
            .active
            .iter()
            .position(|f| f.spec.matches(method, path))?;
        let fault = &mut self.active[index];
        fault.remaining -= 1;
        let spec = fault.spec.clone();
        if fault.remaining == 0 {
            self.active.remove(index);
        }
        Some(spec)
    }

    pub fn active(&self) -> &[Fault] {
        &self.active
    }

    pub fn clear(&mut self) -> usize {
        std::mem::take(&mut self.active).len()
    }
}
