//! Injected faults, so clients can be tested against a server that misbehaves the way busy
//! clusters do. Configured with [`FaultSpec`] (`--faults SPEC` on the command line).
//!
//! # The spec
//!
//! ```text
//! SPEC  = ITEM *( ";" ITEM )
//! ITEM  = "seed=" INTEGER | ROUTE ":" FAULT *( "," FAULT )
//! ROUTE = "algo" | "data" | "*" | "/" PATH-PREFIX
//! FAULT = KIND "=" PROBABILITY [ "@" DURATION ]
//! KIND  = "latency" | "429" | "500" | "503" | "reset-before" | "reset-after" | "stall"
//! ```
//!
//! For example `seed=7;algo:latency=0.1@50ms,429=0.05@1s,503=0.05,reset-after=0.02;data:500=0.1`.
//!
//! - `algo` is `/v1/algo/...`; `data` is `/v1/data/...` and `/v1/connector/...`; `*` is every
//!   route; a path prefix such as `/v1/algo/util/Echo` names one. The first matching item applies.
//! - A probability is a number from 0 to 1 or a percentage (`5%`). Apart from `latency`, which is
//!   added on top, the kinds exclude each other, so their probabilities may add up to at most 1.
//! - `latency@D`: the request waits D (default 100 ms) before it is handled.
//! - `429@D`: answered 429 with `Retry-After` D in whole seconds (default 1 s, `0s` allowed).
//! - `500`, `503`: answered with that status and an error body; nothing runs.
//! - `reset-before`: the connection is reset (TCP RST) before the request is handled.
//! - `reset-after`: the request is handled (the algorithm runs, the file is written), then the
//!   connection is reset instead of answering.
//! - `stall@D`: the request is handled, the status line, headers and half of the first chunk of
//!   the body are sent, then nothing for D (default 30 s), then the connection is reset.
//!
//! # Determinism
//!
//! Whether a request is hit is a function of the seed, the method, the path and query, the body
//! (when it is at most 64 KiB and announced by `Content-Length`), and how many times that same
//! request has been seen before. So the same requests draw the same faults in every run whatever
//! the interleaving, and a retried request draws afresh.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt as _;

use crate::conn::{ConnControl, ConnInfo};
use crate::error::AppError;

/// The largest request body that takes part in the fault draw.
const HASHED_BODY_LIMIT: u64 = 64 * 1024;

/// What can go wrong with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FaultKind {
    /// Added latency before the request is handled.
    Latency,
    /// 429 with `Retry-After`.
    TooManyRequests,
    /// 500.
    InternalError,
    /// 503.
    Unavailable,
    /// The connection is reset before the request is handled.
    ResetBefore,
    /// The request is handled, then the connection is reset instead of answering.
    ResetAfter,
    /// The answer starts, then stalls, then the connection is reset.
    Stall,
}

impl FaultKind {
    /// Every kind, in the order of [`FaultStats`].
    pub const ALL: [FaultKind; 7] = [
        FaultKind::Latency,
        FaultKind::TooManyRequests,
        FaultKind::InternalError,
        FaultKind::Unavailable,
        FaultKind::ResetBefore,
        FaultKind::ResetAfter,
        FaultKind::Stall,
    ];

    /// The name used in a spec.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Latency => "latency",
            FaultKind::TooManyRequests => "429",
            FaultKind::InternalError => "500",
            FaultKind::Unavailable => "503",
            FaultKind::ResetBefore => "reset-before",
            FaultKind::ResetAfter => "reset-after",
            FaultKind::Stall => "stall",
        }
    }

    fn index(self) -> usize {
        match self {
            FaultKind::Latency => 0,
            FaultKind::TooManyRequests => 1,
            FaultKind::InternalError => 2,
            FaultKind::Unavailable => 3,
            FaultKind::ResetBefore => 4,
            FaultKind::ResetAfter => 5,
            FaultKind::Stall => 6,
        }
    }

    fn default_duration(self) -> Option<Duration> {
        match self {
            FaultKind::Latency => Some(Duration::from_millis(100)),
            FaultKind::TooManyRequests => Some(Duration::from_secs(1)),
            FaultKind::Stall => Some(Duration::from_secs(30)),
            _ => None,
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown fault {s:?} (known: latency, 429, 500, 503, reset-before, reset-after, stall)"
                )
            })
    }
}

/// Which requests a spec item applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Algo,
    Data,
    All,
    Prefix(String),
}

impl Route {
    fn matches(&self, path: &str) -> bool {
        match self {
            Route::Algo => path.starts_with("/v1/algo/"),
            Route::Data => {
                path == "/v1/data"
                    || path.starts_with("/v1/data/")
                    || path.starts_with("/v1/connector/")
            }
            Route::All => true,
            Route::Prefix(prefix) => path.starts_with(prefix.as_str()),
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Route::Algo => f.write_str("algo"),
            Route::Data => f.write_str("data"),
            Route::All => f.write_str("*"),
            Route::Prefix(p) => f.write_str(p),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct FaultRate {
    kind: FaultKind,
    probability: f64,
    duration: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
struct Rule {
    route: Route,
    faults: Vec<FaultRate>,
}

/// Which faults to inject, where and how often; parsed from the spec described in the
/// [module documentation](self).
///
/// ```
/// use algorithmia_local::FaultSpec;
///
/// let spec: FaultSpec = "seed=7;algo:503=0.1,reset-after=5%;data:latency=0.2@50ms".parse()?;
/// assert_eq!(spec.seed(), 7);
/// assert_eq!(spec.to_string(), "seed=7;algo:503=0.1,reset-after=0.05;data:latency=0.2@50ms");
/// # Ok::<(), algorithmia_local::FaultSpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    seed: u64,
    rules: Vec<Rule>,
}

impl FaultSpec {
    /// The seed of the draw (0 unless the spec sets one).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The same spec with another seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// A fault spec that could not be parsed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid fault spec {spec:?}: {reason}")]
pub struct FaultSpecError {
    spec: String,
    reason: String,
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(text: &str) -> Result<Self, FaultSpecError> {
        let fail = |reason: String| FaultSpecError {
            spec: text.to_owned(),
            reason,
        };
        let mut spec = FaultSpec {
            seed: 0,
            rules: Vec::new(),
        };
        for item in text.split(';').map(str::trim).filter(|i| !i.is_empty()) {
            if let Some(seed) = item.strip_prefix("seed=") {
                spec.seed = seed
                    .trim()
                    .parse()
                    .map_err(|_| fail(format!("seed {seed:?} is not a whole number")))?;
                continue;
            }
            let (route, faults) = item
                .split_once(':')
                .ok_or_else(|| fail(format!("{item:?} is neither seed=N nor ROUTE:FAULTS")))?;
            let route = match route.trim() {
                "algo" => Route::Algo,
                "data" => Route::Data,
                "*" => Route::All,
                p if p.starts_with('/') => Route::Prefix(p.to_owned()),
                other => {
                    return Err(fail(format!(
                        "route {other:?} is not algo, data, * or a path starting with /"
                    )));
                }
            };
            let mut rule = Rule {
                route,
                faults: Vec::new(),
            };
            for fault in faults.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                rule.faults.push(parse_fault(fault).map_err(fail)?);
            }
            if rule.faults.is_empty() {
                return Err(fail(format!("route {} names no fault", rule.route)));
            }
            let exclusive: f64 = rule
                .faults
                .iter()
                .filter(|f| f.kind != FaultKind::Latency)
                .map(|f| f.probability)
                .sum();
            if exclusive > 1.0 + 1e-9 {
                return Err(fail(format!(
                    "the probabilities of route {} add up to {exclusive}, more than 1",
                    rule.route
                )));
            }
            spec.rules.push(rule);
        }
        Ok(spec)
    }
}

fn parse_fault(text: &str) -> Result<FaultRate, String> {
    let (kind, rest) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not KIND=PROBABILITY[@DURATION]"))?;
    let kind: FaultKind = kind.trim().parse()?;
    let (probability, duration) = match rest.split_once('@') {
        Some((p, d)) => (p, Some(d)),
        None => (rest, None),
    };
    let probability = probability.trim();
    let value = match probability.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
        None => probability.parse::<f64>(),
    }
    .map_err(|_| format!("probability {probability:?} of {kind} is not a number"))?;
    if !(0.0..=1.0).contains(&value) {
        return Err(format!(
            "probability {probability:?} of {kind} is not between 0 and 1"
        ));
    }
    let duration = match duration {
        None => None,
        Some(d) => {
            if kind.default_duration().is_none() {
                return Err(format!("{kind} takes no duration"));
            }
            Some(
                humantime::parse_duration(d.trim())
                    .map_err(|e| format!("duration {d:?} of {kind}: {e}"))?,
            )
        }
    };
    Ok(FaultRate {
        kind,
        probability: value,
        duration,
    })
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seed={}", self.seed)?;
        for rule in &self.rules {
            write!(f, ";{}:", rule.route)?;
            for (i, fault) in rule.faults.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{}={}", fault.kind, fault.probability)?;
                if let Some(d) = fault.duration {
                    write!(f, "@{}", humantime::format_duration(d))?;
                }
            }
        }
        Ok(())
    }
}

/// How many requests the fault layer saw and how many it hit, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultStats {
    /// Requests on routes that a spec item matched.
    pub requests: u64,
    /// Requests delayed.
    pub latency: u64,
    /// Answered 429.
    pub too_many_requests: u64,
    /// Answered 500.
    pub internal_error: u64,
    /// Answered 503.
    pub unavailable: u64,
    /// Reset before being handled.
    pub reset_before: u64,
    /// Reset after being handled.
    pub reset_after: u64,
    /// Stalled, then reset.
    pub stall: u64,
}

impl FaultStats {
    /// Requests that got no answer or a failing one (everything but latency).
    pub fn failed(&self) -> u64 {
        self.too_many_requests
            + self.internal_error
            + self.unavailable
            + self.reset_before
            + self.reset_after
            + self.stall
    }

    /// The count of one kind.
    pub fn of(&self, kind: FaultKind) -> u64 {
        match kind {
            FaultKind::Latency => self.latency,
            FaultKind::TooManyRequests => self.too_many_requests,
            FaultKind::InternalError => self.internal_error,
            FaultKind::Unavailable => self.unavailable,
            FaultKind::ResetBefore => self.reset_before,
            FaultKind::ResetAfter => self.reset_after,
            FaultKind::Stall => self.stall,
        }
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Decision {
    latency: Option<Duration>,
    fault: Option<(FaultKind, Duration)>,
}

/// A spec in force: the draw, the repeat counts and the statistics.
#[derive(Debug)]
pub(crate) struct FaultPlan {
    spec: FaultSpec,
    seen: Mutex<HashMap<u64, u64>>,
    requests: AtomicU64,
    counts: [AtomicU64; 7],
    /// What each attempt of a call that sent `X-Request-Id` met, in order.
    log: Mutex<HashMap<String, Vec<Option<FaultKind>>>>,
}

impl FaultPlan {
    pub(crate) fn new(spec: FaultSpec) -> Self {
        FaultPlan {
            spec,
            seen: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
            counts: Default::default(),
            log: Mutex::new(HashMap::new()),
        }
    }

    fn log(&self, request_id: &str, fault: Option<FaultKind>) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.entry(request_id.to_owned()).or_default().push(fault);
    }

    /// The faults met by each attempt of the call with this request id (`None`: answered).
    pub(crate) fn attempts_of(&self, request_id: &str) -> Vec<Option<FaultKind>> {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.get(request_id).cloned().unwrap_or_default()
    }

    pub(crate) fn stats(&self) -> FaultStats {
        let c = |k: FaultKind| self.counts[k.index()].load(Ordering::Relaxed);
        FaultStats {
            requests: self.requests.load(Ordering::Relaxed),
            latency: c(FaultKind::Latency),
            too_many_requests: c(FaultKind::TooManyRequests),
            internal_error: c(FaultKind::InternalError),
            unavailable: c(FaultKind::Unavailable),
            reset_before: c(FaultKind::ResetBefore),
            reset_after: c(FaultKind::ResetAfter),
            stall: c(FaultKind::Stall),
        }
    }

    /// Draw the fate of a request.
    pub(crate) fn decide(&self, method: &str, path: &str, target: &str, body: &[u8]) -> Decision {
        let Some(rule) = self.spec.rules.iter().find(|r| r.route.matches(path)) else {
            return Decision::default();
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut hash = Fnv::new();
        hash.write(&self.spec.seed.to_le_bytes());
        hash.write(method.as_bytes());
        hash.write(&[0]);
        hash.write(target.as_bytes());
        hash.write(&[0]);
        hash.write(body);
        let key = hash.finish();
        let repeat = {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            let n = seen.entry(key).or_insert(0);
            *n += 1;
            *n
        };
        let draw = splitmix(key ^ splitmix(repeat));
        let latency_draw = unit(splitmix(draw ^ 0x4c41_5445_4e43_5900));
        let fault_draw = unit(splitmix(draw ^ 0x4641_554c_5400_0000));
        let mut decision = Decision::default();
        let mut cumulative = 0.0;
        for rate in &rule.faults {
            if rate.kind == FaultKind::Latency {
                if latency_draw < rate.probability {
                    decision.latency = rate.duration.or(rate.kind.default_duration());
                }
                continue;
            }
            cumulative += rate.probability;
            if decision.fault.is_none() && fault_draw < cumulative {
                let duration = rate
                    .duration
                    .or(rate.kind.default_duration())
                    .unwrap_or_default();
                decision.fault = Some((rate.kind, duration));
            }
        }
        if decision.latency.is_some() {
            self.counts[FaultKind::Latency.index()].fetch_add(1, Ordering::Relaxed);
        }
        if let Some((kind, _)) = decision.fault {
            self.counts[kind.index()].fetch_add(1, Ordering::Relaxed);
        }
        decision
    }
}

/// FNV-1a, 64 bits: stable across builds and platforms, which `std`'s hasher does not promise.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A uniform number in [0, 1).
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// The middleware: draws each request's fate and carries it out.
pub(crate) async fn inject(
    State(plan): State<Arc<FaultPlan>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    if !plan.spec.rules.iter().any(|r| r.route.matches(path)) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let small = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n <= HASHED_BODY_LIMIT);
    let (body, digest) = if small {
        match axum::body::to_bytes(body, HASHED_BODY_LIMIT as usize).await {
            Ok(bytes) => (Body::from(bytes.clone()), bytes),
            Err(e) => {
                return AppError::bad_request(format!("the request body broke off: {e}"))
                    .into_response();
            }
        }
    } else {
        (body, Bytes::new())
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |pq| pq.as_str());
    let decision = plan.decide(parts.method.as_str(), path, target, &digest);
    if let Some(id) = parts
        .headers
        .get(algorithmia_client::wire::HEADER_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
    {
        // Latency alone still answers.
        plan.log(id, decision.fault.map(|(kind, _)| kind));
    }
    let control = parts
        .extensions
        .get::<ConnectInfo<ConnInfo>>()
        .map(|info| Arc::clone(&info.0.control));
    let request = Request::from_parts(parts, body);
    if let Some(delay) = decision.latency {
        tokio::time::sleep(delay).await;
    }
    let Some((kind, duration)) = decision.fault else {
        return next.run(request).await;
    };
    tracing::debug!(fault = %kind, "injecting a fault");
    match kind {
        FaultKind::Latency => next.run(request).await,
        FaultKind::TooManyRequests => {
            let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
            let mut response = AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests (injected fault)",
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            response
        }
        FaultKind::InternalError => AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal server error (injected fault)",
        )
        .into_response(),
        FaultKind::Unavailable => AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service unavailable (injected fault)",
        )
        .into_response(),
        FaultKind::ResetBefore => {
            drop(request);
            cut(control)
        }
        FaultKind::ResetAfter => {
            let response = next.run(request).await;
            drop(response);
            cut(control)
        }
        FaultKind::Stall => {
            let response = next.run(request).await;
            stall(response, duration, control)
        }
    }
}

/// Reset the connection instead of answering.
fn cut(control: Option<Arc<ConnControl>>) -> Response {
    if let Some(control) = &control {
        control.kill();
    }
    // Writing this fails on a killed connection; without one, the failing body still makes
    // hyper drop the connection mid-answer.
    Response::new(Body::from_stream(futures_util::stream::once(async {
        Err::<Bytes, _>(std::io::Error::other("connection cut by a fault"))
    })))
}

/// Send the head and half of the first chunk, then nothing for `pause`, then reset.
fn stall(response: Response, pause: Duration, control: Option<Arc<ConnControl>>) -> Response {
    let (parts, body) = response.into_parts();
    let inner = body.into_data_stream();
    let stream = futures_util::stream::unfold((0u8, inner), move |(stage, mut inner)| {
        let control = control.clone();
        async move {
            match stage {
                0 => {
                    let half = match inner.next().await {
                        Some(Ok(chunk)) => chunk.slice(..chunk.len() / 2),
                        _ => Bytes::new(),
                    };
                    Some((Ok::<Bytes, std::io::Error>(half), (1, inner)))
                }
                1 => {
                    tokio::time::sleep(pause).await;
                    if let Some(control) = &control {
                        control.kill();
                    }
                    let cut = std::io::Error::other("stalled answer cut by a fault");
                    Some((Err(cut), (2, inner)))
                }
                _ => None,
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// How many times each request id ran an algorithm.
#[derive(Debug, Default)]
pub(crate) struct Executions {
    counts: Mutex<HashMap<String, u64>>,
}

impl Executions {
    pub(crate) fn record(&self, request_id: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(request_id.to_owned()).or_insert(0) += 1;
    }

    pub(crate) fn of(&self, request_id: &str) -> u64 {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(request_id).copied().unwrap_or(0)
    }

    pub(crate) fn snapshot(&self) -> HashMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn specs_parse_and_print() {
        let spec: FaultSpec =
            "seed=42; algo:latency=0.5@20ms,429=10%@0s,500=0.1,503=0.1,reset-before=0.1,reset-after=0.1,stall=0.1@2s;data:503=1;/v1/algo/util/Echo:500=0"
                .parse()
                .unwrap();
        assert_eq!(spec.seed(), 42);
        assert_eq!(spec.rules.len(), 3);
        let again: FaultSpec = spec.to_string().parse().unwrap();
        assert_eq!(again, spec);
    }

    #[test]
    fn bad_specs_are_refused_with_a_reason() {
        for (text, reason) in [
            ("algo", "neither"),
            ("algo:boom=0.1", "unknown fault"),
            ("algo:500=2", "between 0 and 1"),
            ("algo:500=x", "not a number"),
            ("algo:500=0.6,503=0.6", "more than 1"),
            ("algo:500=0.1@1s", "takes no duration"),
            ("algo:latency=0.1@soon", "duration"),
            ("seed=-1", "whole number"),
            ("queue:500=0.1", "not algo, data"),
            ("algo:", "names no fault"),
        ] {
            let error = text.parse::<FaultSpec>().unwrap_err().to_string();
            assert!(error.contains(reason), "{text}: {error}");
        }
    }

    #[test]
    fn draws_follow_the_rates_and_repeat_with_the_seed() {
        let spec: FaultSpec = "seed=1;algo:latency=0.5,503=0.2,reset-after=0.1"
            .parse()
            .unwrap();
        let run = |spec: &FaultSpec| {
            let plan = FaultPlan::new(spec.clone());
            let decisions: Vec<Decision> = (0..10_000)
                .map(|i| {
                    let body = format!("{{\"i\":{i}}}");
                    plan.decide("POST", "/v1/algo/a/b", "/v1/algo/a/b", body.as_bytes())
                })
                .collect();
            (decisions, plan.stats())
        };
        let (first, stats) = run(&spec);
        let (second, _) = run(&spec);
        assert_eq!(first, second, "the same seed draws the same faults");
        let (other, _) = run(&spec.clone().with_seed(2));
        assert_ne!(first, other);
        assert_eq!(stats.requests, 10_000);
        let near = |count: u64, rate: f64| (count as f64 - 10_000.0 * rate).abs() < 300.0;
        assert!(near(stats.latency, 0.5), "{stats:?}");
        assert!(near(stats.unavailable, 0.2), "{stats:?}");
        assert!(near(stats.reset_after, 0.1), "{stats:?}");
        assert_eq!(stats.failed(), stats.unavailable + stats.reset_after);
        // Unmatched routes are never touched.
        let plan = FaultPlan::new(spec);
        assert_eq!(
            plan.decide("GET", "/v1/data/.my", "/v1/data/.my", b""),
            Decision::default()
        );
        assert_eq!(plan.stats().requests, 0);
    }

    #[test]
    fn a_repeated_request_draws_afresh() {
        let plan = FaultPlan::new("algo:503=0.5".parse().unwrap());
        let fates: Vec<bool> = (0..64)
            .map(|_| {
                plan.decide("POST", "/v1/algo/a/b", "/v1/algo/a/b", b"same")
                    .fault
                    .is_some()
            })
            .collect();
        assert!(fates.iter().any(|f| *f) && fates.iter().any(|f| !*f));
    }
}
