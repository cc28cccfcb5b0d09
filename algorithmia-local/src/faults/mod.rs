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

mod middleware;
mod plan;
mod spec;

pub(crate) use middleware::inject;
pub(crate) use plan::FaultPlan;
pub use plan::FaultStats;
pub use spec::{FaultKind, FaultSpec, FaultSpecError};
