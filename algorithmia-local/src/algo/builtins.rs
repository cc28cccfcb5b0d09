//! The built-in algorithms: `demo/Hello`, `util/Echo`, `util/Delay`, `util/Fail`, and with the
//! `workflow-algorithms` feature `opencv/SmartThumbnail` and `ml/PricePredictor`.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{AlgorithmDef, Output};
use crate::error::AlgoError;

/// The versions every built-in is published at.
const VERSIONS: [&str; 2] = ["0.1.0", "1.0.0"];

fn published(name: &str) -> AlgorithmDef {
    VERSIONS
        .iter()
        .fold(AlgorithmDef::new(name), |def, v| def.version(v))
}

/// All built-ins.
pub(crate) fn all() -> Vec<AlgorithmDef> {
    let basics = [hello(), echo(), delay(), fail()];
    #[cfg(feature = "workflow-algorithms")]
    let workflows = [super::thumbnail::definition(), super::predict::definition()];
    #[cfg(not(feature = "workflow-algorithms"))]
    let workflows: [AlgorithmDef; 0] = [];
    basics.into_iter().chain(workflows).collect()
}

/// `demo/Hello`: text in, `Hello <input>` out.
fn hello() -> AlgorithmDef {
    published("demo/Hello").handler(|input, _ctx| async move {
        match input.as_text() {
            Some(name) => Ok(Output::Text(format!("Hello {name}"))),
            None => Err(AlgoError::input(format!(
                "demo/Hello takes text, not {} input",
                input.kind()
            ))),
        }
    })
}

/// `util/Echo`: returns its input with the same content type.
fn echo() -> AlgorithmDef {
    published("util/Echo").handler(|input, _ctx| async move { Ok(Output::from(input)) })
}

/// `util/Delay`: JSON `{"ms": N, "result": ...}`; waits N ms, then returns `result`.
fn delay() -> AlgorithmDef {
    published("util/Delay").handler(|input, _ctx| async move {
        let started = Instant::now();
        let Some(Value::Object(fields)) = input.as_json() else {
            return Err(AlgoError::input(
                "util/Delay takes JSON {\"ms\": N, \"result\": ...}",
            ));
        };
        let ms = fields
            .get("ms")
            .and_then(Value::as_u64)
            .ok_or_else(|| AlgoError::input("`ms` must be a whole number of milliseconds"))?;
        sleep_precisely(started + Duration::from_millis(ms)).await;
        Ok(Output::Json(
            fields.get("result").cloned().unwrap_or(Value::Null),
        ))
    })
}

/// The last stretch of a wait slept on a blocking thread, where the OS's timer is exact.
const FINE_SLEEP: Duration = Duration::from_millis(2);

/// Wait until `deadline`, and not much longer. Tokio's timer counts whole milliseconds: it
/// rounds a deadline up to the next tick and parks from the current tick rounded down, so a
/// 20 ms sleep lasts 20 to 22 ms, about 21 on average (a 5% error in the batches timed with
/// `util/Delay`). All but the last [`FINE_SLEEP`] is a tokio sleep; the rest a thread sleep on
/// the blocking pool, which ends within tens of microseconds of the deadline.
async fn sleep_precisely(deadline: Instant) {
    if let Some(coarse) = deadline.checked_sub(FINE_SLEEP) {
        tokio::time::sleep_until(coarse.into()).await;
    }
    let rest = deadline.saturating_duration_since(Instant::now());
    if rest.is_zero() {
        return;
    }
    // A blocking pool that cannot take the task (shutting down) falls back to the timer.
    if tokio::task::spawn_blocking(move || std::thread::sleep(rest))
        .await
        .is_err()
    {
        tokio::time::sleep_until(deadline.into()).await;
    }
}

/// `util/Fail`: JSON `{"message": ..., "error_type": ...}` raises that error (`AlgorithmError` when
/// no type is given); any other input is returned as it came, so a batch can mix records that
/// fail and records that pass.
fn fail() -> AlgorithmDef {
    published("util/Fail").handler(|input, _ctx| async move {
        let field = |name: &str| {
            input
                .as_json()
                .and_then(|v| v.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let (message, error_type) = (field("message"), field("error_type"));
        if message.is_none() && error_type.is_none() {
            return Ok(Output::from(input));
        }
        let message = message.unwrap_or_else(|| "util/Fail was asked to fail".into());
        Err(AlgoError::with_type(
            error_type.unwrap_or_else(|| "AlgorithmError".into()),
            message,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_precise_sleep_never_ends_early() {
        for ms in [0, 1, 3, 20] {
            let started = Instant::now();
            let deadline = started + Duration::from_millis(ms);
            sleep_precisely(deadline).await;
            assert!(Instant::now() >= deadline, "{ms} ms ended early");
        }
    }
}
