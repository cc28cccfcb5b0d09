//! ADK algorithms on worker pools: workers run in parallel, algorithms no longer block each
//! other, a dead worker is replaced, a full queue answers 503, the environment reaches the
//! process, and no process outlives the server.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use algorithmia_local::{AdkAlgorithm, LocalServerBuilder, ServerHandle};
use serde_json::{Value, json};

use crate::{ALICE, client, http};

fn algorithm(name: &str, workers: usize) -> AdkAlgorithm {
    AdkAlgorithm {
        name: name.into(),
        version: "1.0.0".into(),
        command: format!(
            "{} {}/tests/adk/test_algorithm.py",
            testkit::venv_bin("python").display(),
            env!("CARGO_MANIFEST_DIR")
        ),
        workers: Some(workers),
    }
}

fn hosting(algorithms: &[(&str, usize)]) -> LocalServerBuilder {
    algorithms
        .iter()
        .fold(crate::builder(), |builder, (name, workers)| {
            builder.adk_algorithm(algorithm(name, *workers))
        })
}

/// Call `name` with `input` over plain HTTP, as Alice.
async fn send(server: &ServerHandle, name: &str, input: Value) -> reqwest::Response {
    http()
        .post(format!("{}/v1/algo/{name}", server.base_url()))
        .header("Authorization", format!("Simple {ALICE}"))
        .json(&input)
        .send()
        .await
        .unwrap()
}

/// Call `name` with `input` over plain HTTP: the status, the `Retry-After` header, the body.
async fn post(server: &ServerHandle, name: &str, input: Value) -> (u16, Option<String>, Value) {
    let response = send(server, name, input).await;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, retry_after, response.json().await.unwrap())
}

fn sleep(seconds: f64) -> Value {
    json!({"action": "sleep", "seconds": seconds})
}

/// Whether a process runs (a zombie does not).
fn running(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // The state follows the command name, which is in parentheses.
        let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
        !matches!(state.and_then(|s| s.chars().next()), Some('Z' | 'X') | None)
    })
}

/// Wait (up to 3 s) until none of `pids` runs; the ones still running.
fn still_running(pids: &[u64]) -> Vec<u64> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let alive: Vec<u64> = pids.iter().copied().filter(|p| running(*p)).collect();
        if alive.is_empty() || Instant::now() > deadline {
            return alive;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_really_run_calls_in_parallel() {
    let server = hosting(&[("test/Sleepy", 2)]).start().unwrap();
    let algo = client(&server, ALICE).algo("test/Sleepy");
    // Two at once: the second worker starts (workers start as calls need them).
    let warm = futures_util::future::join_all((0..2).map(|_| algo.pipe(sleep(0.05)))).await;
    assert!(warm.iter().all(Result::is_ok), "{warm:?}");

    let started = Instant::now();
    let calls = futures_util::future::join_all((0..4).map(|_| algo.pipe(sleep(0.3)))).await;
    let elapsed = started.elapsed();
    let pids: HashSet<u64> = calls
        .into_iter()
        .map(|r| r.unwrap().as_json().unwrap()["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(pids.len(), 2, "two workers answered: {pids:?}");
    assert!(
        elapsed < Duration::from_millis(1000),
        "4 calls of 300 ms on 2 workers took {elapsed:?} (serialised would be 1200 ms)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_adk_algorithms_no_longer_block_each_other() {
    let server = hosting(&[("test/First", 1), ("test/Second", 1)])
        .start()
        .unwrap();
    let c = client(&server, ALICE);
    let (first, second) = (c.algo("test/First"), c.algo("test/Second"));
    let started = Instant::now();
    let (a, b) = tokio::join!(first.pipe(sleep(0.4)), second.pipe(sleep(0.4)));
    let elapsed = started.elapsed();
    a.unwrap();
    b.unwrap();
    assert!(
        elapsed < Duration::from_millis(750),
        "two algorithms' 400 ms calls took {elapsed:?} together (one lock would make 800 ms)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dying_worker_fails_its_call_and_the_next_call_gets_a_new_one() {
    let server = hosting(&[("test/Fragile", 1)]).start().unwrap();
    let algo = client(&server, ALICE).algo("test/Fragile");
    let pid_of = |v: Value| v["pid"].as_u64().unwrap();
    let before = pid_of(
        algo.pipe(json!({"who": 1}))
            .await
            .unwrap()
            .as_json()
            .unwrap()
            .clone(),
    );

    let err = algo.pipe(json!({"action": "crash"})).await.unwrap_err();
    let message = &err.algorithm_error().unwrap().message;
    assert!(
        message.contains("test/Fragile")
            && message.contains("exited")
            && message.contains(&before.to_string())
            && message.contains("restarted"),
        "{message}"
    );
    assert!(
        still_running(&[before]).is_empty(),
        "the dead worker is reaped"
    );

    let after = pid_of(
        algo.pipe(json!({"who": 2}))
            .await
            .unwrap()
            .as_json()
            .unwrap()
            .clone(),
    );
    assert_ne!(before, after, "a fresh worker answers the next call");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_queue_answers_503_naming_the_algorithm_and_its_pool() {
    let server = hosting(&[("test/Busy", 1)]).adk_queue(1).start().unwrap();
    let calls = (0..3).map(|n| {
        let server = &server;
        async move {
            // Staggered, so that the first is running before the others arrive.
            tokio::time::sleep(Duration::from_millis(60 * n)).await;
            post(server, "test/Busy", sleep(0.5)).await
        }
    });
    let answers = futures_util::future::join_all(calls).await;
    let mut statuses: Vec<u16> = answers.iter().map(|(status, _, _)| *status).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 200, 503],
        "one runs, one waits, one is refused: {answers:?}"
    );
    let Some((_, retry_after, body)) = answers.iter().find(|(status, _, _)| *status == 503) else {
        unreachable!()
    };
    assert_eq!(retry_after.as_deref(), Some("1"));
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("test/Busy")
            && message.contains("pool of 1 worker")
            && message.contains("queue of 1"),
        "{message}"
    );
    assert_eq!(body["error"]["error_type"], "CapacityError");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_that_waits_too_long_in_the_queue_answers_503() {
    let server = hosting(&[("test/Slow", 1)])
        .adk_queue_timeout(Duration::from_millis(200))
        .start()
        .unwrap();
    let (running, waiting) = tokio::join!(post(&server, "test/Slow", sleep(0.8)), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        post(&server, "test/Slow", sleep(0.1)).await
    });
    assert_eq!(running.0, 200, "{running:?}");
    assert_eq!(waiting.0, 503, "{waiting:?}");
    let message = waiting.2["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("test/Slow") && message.contains("waited 0.2 s"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_environment_reaches_the_process() {
    let server = hosting(&[("test/Env", 1)]).start().unwrap();
    let algo = client(&server, ALICE).algo("test/Env");
    let value = |name: &str| {
        let algo = algo.clone();
        let input = json!({"action": "env", "name": name});
        async move { algo.pipe(input).await.unwrap().as_json().unwrap()["value"].clone() }
    };
    assert_eq!(value("ALGORITHMIA_API_KEY").await, server.api_key());
    assert_eq!(value("ALGORITHMIA_API").await, server.base_url());
    // The worker's own FIFO, not the ADK's shared one.
    let fifo = value("ALGORITHMIA_LOCAL_FIFO").await;
    assert!(
        fifo.as_str()
            .is_some_and(|f| f != algorithmia_local::FIFO_PATH),
        "{fifo}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_worker_process_outlives_the_server() {
    let server = hosting(&[("test/Many", 2)]).start().unwrap();
    let algo = client(&server, ALICE).algo("test/Many");
    let calls = futures_util::future::join_all((0..2).map(|_| algo.pipe(sleep(0.2)))).await;
    let mut pids: Vec<u64> = calls
        .into_iter()
        .map(|r| r.unwrap().as_json().unwrap()["pid"].as_u64().unwrap())
        .collect();
    // A process the algorithm started belongs to its worker's process group.
    let spawned = algo
        .pipe(json!({"action": "spawn"}))
        .await
        .unwrap()
        .as_json()
        .unwrap()["child"]
        .as_u64()
        .unwrap();
    pids.push(spawned);
    assert!(pids.iter().all(|p| running(*p)), "{pids:?}");
    tokio::task::spawn_blocking(move || server.shutdown())
        .await
        .unwrap();
    assert_eq!(still_running(&pids), Vec::<u64>::new(), "of {pids:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_past_its_timeout_kills_its_worker_and_the_next_call_gets_a_new_one() {
    let server = hosting(&[("test/Stuck", 1)]).start().unwrap();
    let algo = client(&server, ALICE).algo("test/Stuck");
    let before = algo
        .pipe(json!({"who": 1}))
        .await
        .unwrap()
        .as_json()
        .unwrap()["pid"]
        .as_u64()
        .unwrap();
    let err = algo
        .clone()
        .timeout(Duration::from_secs(1))
        .pipe(sleep(30.0))
        .await
        .unwrap_err();
    let e = err.algorithm_error().unwrap();
    assert_eq!(e.error_type.as_deref(), Some("TimeoutError"), "{e:?}");
    assert!(
        still_running(&[before]).is_empty(),
        "the stuck worker is killed"
    );
    let after = algo
        .pipe(json!({"who": 2}))
        .await
        .unwrap()
        .as_json()
        .unwrap()["pid"]
        .as_u64()
        .unwrap();
    assert_ne!(before, after);
}

/// A pooled call's `Server-Timing` header, as `(queue, worker, total)` milliseconds.
async fn timed_call(server: &ServerHandle, name: &str, input: Value) -> (f64, f64, f64) {
    let response = send(server, name, input).await;
    assert_eq!(response.status(), 200);
    let header = response
        .headers()
        .get("server-timing")
        .expect("a pooled call answers with Server-Timing")
        .to_str()
        .unwrap()
        .to_owned();
    let dur = |metric: &str| -> f64 {
        header
            .split(',')
            .map(str::trim)
            .find_map(|m| m.strip_prefix(&format!("{metric};dur=")))
            .unwrap_or_else(|| panic!("no {metric} in {header}"))
            .parse()
            .unwrap()
    };
    (dur("queue"), dur("worker"), dur("total"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pooled_call_says_where_its_time_went_in_server_timing() {
    let server = hosting(&[("test/Timed", 1)]).start().unwrap();
    // The first call starts the worker; then two 300 ms calls at once on the one worker: one
    // runs at once, the other waits in the queue for it.
    timed_call(&server, "test/Timed", sleep(0.0)).await;
    let (a, b) = tokio::join!(
        timed_call(&server, "test/Timed", sleep(0.3)),
        timed_call(&server, "test/Timed", sleep(0.3))
    );
    let (first, second) = if a.0 <= b.0 { (a, b) } else { (b, a) };
    for (queue, worker, total) in [first, second] {
        assert!(
            worker >= 290.0,
            "on the worker {worker} ms for a 300 ms sleep"
        );
        assert!(
            queue + worker <= total + 0.01,
            "{queue} + {worker} > {total}"
        );
    }
    assert!(first.0 < 100.0, "the first did not wait: {first:?}");
    assert!(
        second.0 >= 250.0,
        "the second waited for the first: {second:?}"
    );
    // A registered built-in runs on no pool: no header.
    let response = send(&server, "util/Echo", json!(1)).await;
    assert!(response.headers().get("server-timing").is_none());
}
