//! A spec in force: the deterministic draw of each request's fate, and what was drawn so far.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::spec::{FaultKind, FaultSpec};

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
    /// Added before the request is handled.
    pub(super) latency: Option<Duration>,
    /// The fault, with its duration where the kind takes one.
    pub(super) fault: Option<(FaultKind, Duration)>,
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

    /// Whether any item of the spec applies to a request path.
    pub(super) fn covers(&self, path: &str) -> bool {
        self.spec.rule_for(path).is_some()
    }

    /// Note what an attempt of the call with this request id met.
    pub(super) fn log(&self, request_id: &str, fault: Option<FaultKind>) {
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
        let Some(rule) = self.spec.rule_for(path) else {
            return Decision::default();
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut hash = Fnv::new();
        hash.write(&self.spec.seed().to_le_bytes());
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

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
