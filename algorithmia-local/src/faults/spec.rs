//! The fault spec: its grammar (see the [module documentation](super)), parsing and printing.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

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
    /// Every kind, in the order of [`FaultStats`](super::FaultStats).
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

    pub(super) fn index(self) -> usize {
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

    pub(super) fn default_duration(self) -> Option<Duration> {
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
pub(super) enum Route {
    Algo,
    Data,
    All,
    Prefix(String),
}

impl Route {
    pub(super) fn matches(&self, path: &str) -> bool {
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
pub(super) struct FaultRate {
    pub(super) kind: FaultKind,
    pub(super) probability: f64,
    pub(super) duration: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Rule {
    pub(super) route: Route,
    pub(super) faults: Vec<FaultRate>,
}

/// Which faults to inject, where and how often; parsed from the spec described in the
/// [module documentation](super).
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

    /// The item that applies to a request path: the first whose route matches.
    pub(super) fn rule_for(&self, path: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.route.matches(path))
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
}
