//! Our client against a server that injects faults: what it retries, what it never runs twice,
//! and how close to the configured value its timeouts fire.

use std::time::{Duration, Instant};

use algorithmia_client::{Client, Error, RetryPolicy, TransportKind};
use algorithmia_local::{FaultKind, FaultSpec, ServerHandle};
use serde_json::{Value, json};

use crate::{ALICE, builder};

const ATTEMPTS: u32 = 3;

fn faulty(spec: &str) -> ServerHandle {
    builder()
        .faults(spec.parse::<FaultSpec>().unwrap())
        .start()
        .unwrap()
}

/// Our client with quick retries (the policy's shape, shorter waits).
fn retrying(server: &ServerHandle) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .api_key(ALICE)
        .no_proxy()
        .retry(
            RetryPolicy::default()
                .max_attempts(ATTEMPTS)
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(20)),
        )
        .timeout_margin(Duration::from_secs(2))
        .data_timeout(Duration::from_secs(5))
        .transfer_idle_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// No request id ran more than once.
fn assert_nothing_ran_twice(server: &ServerHandle) {
    let twice: Vec<_> = server
        .all_executions()
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(twice.is_empty(), "executed more than once: {twice:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_algorithm_calls_ends_typed_and_never_runs_twice() {
    for (fault, kind) in [
        ("429=1@0s", FaultKind::TooManyRequests),
        ("500=1", FaultKind::InternalError),
        ("503=1", FaultKind::Unavailable),
        ("reset-before=1", FaultKind::ResetBefore),
        ("reset-after=1", FaultKind::ResetAfter),
        ("stall=1@200ms", FaultKind::Stall),
    ] {
        let server = faulty(&format!("seed=3;algo:{fault}"));
        let client = retrying(&server);
        let error = client
            .algo("util/Echo")
            .pipe_json(&json!({"n": 1}))
            .await
            .unwrap_err();
        let stats = server.fault_stats();
        let executions = server.all_executions();
        let ran: u64 = executions.values().sum();
        match kind {
            // Cannot have run: retried up to the policy, then the last answer is reported.
            FaultKind::TooManyRequests | FaultKind::Unavailable => {
                let Error::Api(api) = &error else {
                    panic!("{fault}: {error:?}")
                };
                assert_eq!(
                    api.status,
                    if kind == FaultKind::Unavailable {
                        503
                    } else {
                        429
                    }
                );
                assert_eq!(stats.requests, u64::from(ATTEMPTS), "{fault}");
                assert_eq!(ran, 0, "{fault}");
            }
            // A 500 may come from a call that ran: never retried.
            FaultKind::InternalError => {
                assert_eq!(error.status(), Some(500), "{fault}: {error}");
                assert_eq!(stats.requests, 1, "{fault}");
            }
            // A broken connection: the call may have run, so it is not retried, and the error
            // names the request id to ask about.
            FaultKind::ResetBefore | FaultKind::ResetAfter | FaultKind::Stall => {
                let Error::Transport(t) = &error else {
                    panic!("{fault}: {error:?}")
                };
                assert_eq!(t.kind, TransportKind::Other, "{fault}: {error}");
                assert_eq!(t.attempts, 1, "{fault}");
                assert_eq!(stats.requests, 1, "{fault}");
                let id = t.request_id.clone().expect("a request id");
                assert!(error.to_string().contains(&id), "{error}");
                let expected = u64::from(kind != FaultKind::ResetBefore);
                assert_eq!(server.executions(&id), expected, "{fault}");
            }
            _ => unreachable!(),
        }
        assert_eq!(stats.of(kind), stats.requests, "{fault}: {stats:?}");
        assert_nothing_ran_twice(&server);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_faults_on_many_calls_never_run_a_call_twice() {
    let server = faulty(
        "seed=11;algo:latency=0.2@5ms,429=0.08@0s,500=0.08,503=0.08,reset-before=0.08,reset-after=0.08,stall=0.04@100ms",
    );
    let client = retrying(&server);
    let calls = (0..300).map(|i| {
        let client = client.clone();
        async move {
            let input = json!({"call": i});
            let result = client.algo("util/Echo").pipe_json(&input).await;
            (input, result)
        }
    });
    let results = futures_util::future::join_all(calls).await;
    let (mut ok, mut failed) = (0, 0);
    for (input, result) in results {
        match result {
            Ok(response) => {
                ok += 1;
                assert_eq!(response.as_json(), Some(&input));
                let id = response.request_id().unwrap();
                assert_eq!(server.executions(id), 1, "{id}");
            }
            Err(Error::Api(api)) => {
                failed += 1;
                assert!([429, 500, 503].contains(&api.status), "{api:?}");
            }
            Err(Error::Transport(t)) => {
                failed += 1;
                assert_eq!(t.kind, TransportKind::Other, "{t}");
                assert!(t.request_id.is_some());
            }
            Err(other) => panic!("untyped failure: {other:?}"),
        }
    }
    let stats = server.fault_stats();
    assert_nothing_ran_twice(&server);
    // The retries of 429 and 503 rescue most of those calls.
    assert!(ok > 180, "ok {ok}, failed {failed}, {stats:?}");
    assert!(stats.failed() > 50, "{stats:?}");
    eprintln!("mixed faults: {ok} ok, {failed} failed, {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_call_outlives_its_deadline_under_any_fault_mix() {
    // Long pauses asked for (429 for 30 s), answers that stall for 5 s, and retryable failures:
    // with a deadline 1.5 s away, every call still ends by it, typed, and none runs twice.
    let server =
        faulty("seed=5;algo:latency=0.3@300ms,429=0.2@30s,503=0.2,reset-before=0.15,stall=0.15@5s");
    let client = Client::builder()
        .base_url(server.base_url())
        .api_key(ALICE)
        .no_proxy()
        .retry(
            RetryPolicy::default()
                .max_attempts(10)
                .initial_backoff(Duration::from_millis(200))
                .max_backoff(Duration::from_millis(400)),
        )
        .build()
        .unwrap();
    let budget = Duration::from_millis(1500);
    let calls = (0..40).map(|i| {
        let client = client.clone();
        async move {
            let started = Instant::now();
            let result = client
                .algo("util/Echo")
                .deadline(started + budget)
                .pipe_json(&json!({"call": i}))
                .await;
            (started.elapsed(), result)
        }
    });
    let results = futures_util::future::join_all(calls).await;
    let (mut ok, mut late_429, mut timed_out) = (0, 0, 0);
    for (elapsed, result) in results {
        assert!(
            // Loose for a loaded machine; a call that waited for a 30 s Retry-After or a 5 s
            // stall would be far past it.
            elapsed < budget + Duration::from_secs(1),
            "{elapsed:?}: {result:?}"
        );
        match result {
            Ok(_) => ok += 1,
            Err(Error::Api(api)) if api.status == 429 => late_429 += 1,
            Err(Error::Api(api)) => assert_eq!(api.status, 503, "{api:?}"),
            Err(e) if e.is_timeout() => timed_out += 1,
            // A reset connection, when no time was left to retry it.
            Err(Error::Transport(t)) => assert!(t.request_id.is_some(), "{t}"),
            Err(other) => panic!("untyped failure: {other:?}"),
        }
    }
    let stats = server.fault_stats();
    assert_nothing_ran_twice(&server);
    // Some of each: the mix did what it says.
    assert!(
        ok > 0 && late_429 > 0 && timed_out > 0,
        "ok {ok}, 429 {late_429}, timed out {timed_out}, {stats:?}"
    );
    eprintln!("deadline faults: {ok} ok, {late_429} 429, {timed_out} timed out, {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_data_operations_end_in_success_or_a_typed_error() {
    // Every kind at once on the data routes; retries turn most of them into successes.
    let server = faulty(
        "seed=5;data:latency=0.2@5ms,429=0.05@0s,500=0.05,503=0.05,reset-before=0.05,reset-after=0.05,stall=0.05@100ms",
    );
    let client = retrying(&server);
    let dir = client.dir("data://.my/faulty");
    let mut created = false;
    for _ in 0..10 {
        if dir.create(Default::default()).await.is_ok() || dir.exists().await.unwrap_or(false) {
            created = true;
            break;
        }
    }
    assert!(created, "the collection could not be created in 10 tries");
    let (mut ok, mut failed) = (0, 0);
    for i in 0..60 {
        let file = dir.file(&format!("f{i}.txt"));
        let text = format!("content {i}");
        let outcomes = [
            file.put_string(&text).await.map(|_| ()),
            file.get_string().await.map(|got| assert_eq!(got, text)),
            file.exists().await.map(|_| ()),
            file.metadata().await.map(|_| ()),
            file.delete().await.map(|_| ()),
        ];
        for outcome in outcomes {
            match outcome {
                Ok(()) => ok += 1,
                Err(Error::Api(_) | Error::Transport(_)) => failed += 1,
                // A delete whose first attempt went through and whose answer was lost is
                // retried and finds nothing: a typed 404, not a panic.
                Err(other) => panic!("untyped failure: {other:?}"),
            }
        }
    }
    let stats = server.fault_stats();
    assert!(stats.failed() > 40, "{stats:?}");
    assert!(ok > 280, "ok {ok}, failed {failed}, {stats:?}");
    eprintln!("data under faults: {ok} ok, {failed} failed, {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_operations_give_up_after_the_configured_attempts() {
    for (fault, status) in [
        ("503=1", Some(503)),
        ("500=1", Some(500)),
        ("429=1@0s", Some(429)),
        ("reset-before=1", None),
        ("reset-after=1", None),
    ] {
        let server = faulty(&format!("data:{fault}"));
        let client = retrying(&server);
        let error = client
            .file("data://.my/c/x.txt")
            .get_bytes()
            .await
            .unwrap_err();
        assert_eq!(error.status(), status, "{fault}: {error}");
        if status.is_none() {
            let Error::Transport(t) = &error else {
                panic!("{fault}: {error:?}")
            };
            assert_eq!(t.attempts, ATTEMPTS, "{fault}");
        }
        assert_eq!(
            server.fault_stats().requests,
            u64::from(ATTEMPTS),
            "{fault}"
        );
    }
}

fn assert_within(elapsed: Duration, configured: Duration, what: &str) {
    let low = configured;
    let high = configured.mul_f64(1.1);
    assert!(
        elapsed >= low && elapsed <= high,
        "{what}: fired after {elapsed:?}, configured {configured:?} (allowed {low:?}..{high:?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_fire_within_ten_percent_of_the_configured_value() {
    // Files written by a well-behaved server, then served by one that stalls on the same data.
    let data = tempfile::tempdir().unwrap();
    {
        let good = builder().data_dir(data.path()).start().unwrap();
        let client = retrying(&good);
        client
            .dir("data://.my/c")
            .create(Default::default())
            .await
            .unwrap();
        client
            .file("data://.my/c/big.bin")
            .put_bytes(vec![7u8; 512 * 1024])
            .await
            .unwrap();
        good.shutdown();
    }
    let server = builder()
        .data_dir(data.path())
        .faults(
            "algo:stall=1@60s;/v1/connector/data/.my/slow:latency=1@60s;/v1/connector/data/.my/c/up:latency=1@60s;data:stall=1@60s"
                .parse()
                .unwrap(),
        )
        .start()
        .unwrap();
    let margin = Duration::from_millis(1500);
    let idle = Duration::from_secs(2);
    let client = Client::builder()
        .base_url(server.base_url())
        .api_key(ALICE)
        .no_proxy()
        .timeout_margin(margin)
        .data_timeout(Duration::from_secs(2))
        .transfer_idle_timeout(idle)
        .build()
        .unwrap();

    // An algorithm call: its timeout (whole seconds) plus the margin.
    let started = Instant::now();
    let error = client
        .algo("util/Echo")
        .timeout(Duration::from_secs(1))
        .pipe("hi")
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert_within(
        started.elapsed(),
        Duration::from_secs(1) + margin,
        "algorithm call",
    );

    // A metadata request that gets no answer: the data timeout.
    let started = Instant::now();
    let error = client
        .file("data://.my/slow/file")
        .exists()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert_within(started.elapsed(), Duration::from_secs(2), "data request");

    // A download whose body stalls after the first bytes: the idle timeout.
    let target = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let error = client
        .file("data://.my/c/big.bin")
        .download_to(target.path().join("big.bin"))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert_within(started.elapsed(), idle, "stalled download");
    assert_eq!(
        std::fs::read_dir(target.path()).unwrap().count(),
        0,
        "no partial file"
    );

    // A download that never gets its answer: the idle timeout, not forever.
    let started = Instant::now();
    let error = client
        .file("data://.my/slow/big.bin")
        .get_bytes()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert_within(started.elapsed(), idle, "unanswered download");

    // An upload that is never answered: the idle timeout after the last chunk went out.
    let source = target.path().join("up.bin");
    std::fs::write(&source, vec![1u8; 256 * 1024]).unwrap();
    let started = Instant::now();
    let error = client
        .file("data://.my/c/up")
        .put_file(&source)
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert_within(started.elapsed(), idle, "unanswered upload");
}

#[test]
fn the_execution_count_is_served_over_http_too() {
    let server = builder().count_executions(true).start().unwrap();
    let http = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap();
    let call = |id: &str| {
        let response: Value = http
            .post(format!("{}/v1/algo/util/Echo", server.base_url()))
            .header("Authorization", format!("Simple {ALICE}"))
            .header("X-Request-Id", id)
            .json(&json!("x"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(response["metadata"]["request_id"], id);
    };
    call("call-1");
    call("call-1");
    call("call-2");
    let count = |id: &str| -> Value {
        http.get(format!("{}/v1/local/executions/{id}", server.base_url()))
            .header("Authorization", format!("Simple {ALICE}"))
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    assert_eq!(count("call-1")["executions"], 2);
    assert_eq!(count("call-2")["executions"], 1);
    assert_eq!(count("never")["executions"], 0);
    assert_eq!(server.executions("call-1"), 2);
}
