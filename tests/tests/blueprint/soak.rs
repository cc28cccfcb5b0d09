//! Soak: Kinesis records and SQS FIFO messages through the built `bootstrap` under cargo-lambda's
//! emulator, with a fifth of the algorithm calls hit by injected faults, and every batch's
//! reported failures redelivered as Lambda does until none remain; with the idempotency table in
//! moto's DynamoDB and results delivered to an SQS queue in moto.
//!
//! `SOAK_RECORDS` sets the count of each (default 1000; the documented full run is 10000):
//! `SOAK_RECORDS=10000 cargo test -p tests --test blueprint soak -- --nocapture`.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use algorithmia_local::{AlgoError, AlgorithmDef, FaultKind, LocalServer, Output, ServerHandle};
use base64::Engine as _;
use serde_json::{Value, json};
use testkit::{Emulator, Function, Moto};

use crate::{FUNCTION, KEY, ciphertexts};

/// A fifth of the calls fail one way or another (latency comes on top and fails nothing).
const FAULTS: &str = "seed=2026;/v1/algo/soak/Record:latency=0.05@10ms,429=0.03@0s,500=0.03,503=0.04,reset-before=0.03,reset-after=0.04,stall=0.03@50ms";
const KEYS: u64 = 20;
const KINESIS_BATCH: usize = 100;
const SQS_BATCH: usize = 10;

fn record_count() -> usize {
    std::env::var("SOAK_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// One run of the algorithm, as it saw it.
#[derive(Debug, Clone)]
struct Execution {
    invocation: usize,
    stream: String,
    seq: usize,
    request_id: String,
    ok: bool,
    started: u64,
    finished: u64,
}

#[derive(Default)]
struct Journal {
    executions: Vec<Execution>,
    runs: HashMap<(String, usize), u32>,
}

/// The algorithm: records what ran, and fails the first run of every 37th record (a transient
/// algorithm error, on top of the injected faults).
fn recorder(journal: Arc<Mutex<Journal>>, invocation: Arc<AtomicUsize>) -> AlgorithmDef {
    let clock = Arc::new(AtomicU64::new(0));
    AlgorithmDef::new("soak/Record")
        .version("1.0.0")
        .handler(move |input, ctx| {
            let journal = Arc::clone(&journal);
            let invocation = invocation.load(Ordering::SeqCst);
            let clock = Arc::clone(&clock);
            async move {
                let started = clock.fetch_add(1, Ordering::SeqCst);
                let value = input
                    .as_json()
                    .cloned()
                    .ok_or_else(|| AlgoError::input("send JSON"))?;
                let stream = value["stream"].as_str().unwrap_or_default().to_owned();
                let seq = value["seq"].as_u64().unwrap_or(u64::MAX) as usize;
                let mut journal = journal.lock().unwrap();
                let runs = journal.runs.entry((stream.clone(), seq)).or_insert(0);
                *runs += 1;
                let ok = !(seq.is_multiple_of(37) && *runs == 1);
                journal.executions.push(Execution {
                    invocation,
                    stream,
                    seq,
                    request_id: ctx.request_id().to_owned(),
                    ok,
                    started,
                    finished: clock.fetch_add(1, Ordering::SeqCst),
                });
                if ok {
                    Ok(Output::Json(json!({"stream": value["stream"], "seq": seq})))
                } else {
                    Err(AlgoError::new(format!(
                        "record {seq} failed once on purpose"
                    )))
                }
            }
        })
}

fn key_of(seq: usize) -> String {
    // A fixed scatter of records over the keys.
    let mut x = seq as u64 ^ 0x9e37_79b9_7f4a_7c15;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    format!("key-{}", (x ^ (x >> 31)) % KEYS)
}

fn payload(stream: &str, seq: usize) -> String {
    json!({"stream": stream, "seq": seq, "key": key_of(seq)}).to_string()
}

fn kinesis_event(seqs: &[usize]) -> Value {
    let records: Vec<Value> = seqs
        .iter()
        .map(|&seq| {
            json!({
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("shardId-000000000000:{}", 1_000_000 + seq),
                "eventName": "aws:kinesis:record",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/soak",
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": key_of(seq),
                    "sequenceNumber": (1_000_000 + seq).to_string(),
                    "data": base64::engine::general_purpose::STANDARD.encode(payload("kinesis", seq)),
                    "approximateArrivalTimestamp": 1_700_000_000.0,
                },
            })
        })
        .collect();
    json!({ "Records": records })
}

fn sqs_event(seqs: &[usize]) -> Value {
    let records: Vec<Value> = seqs
        .iter()
        .map(|&seq| {
            json!({
                "messageId": format!("msg-{seq}"),
                "receiptHandle": format!("handle-{seq}"),
                "body": payload("sqs", seq),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1700000000000",
                    "SequenceNumber": (1_000_000 + seq).to_string(),
                    "MessageGroupId": key_of(seq),
                    "SenderId": "AIDAEXAMPLE",
                    "MessageDeduplicationId": format!("dedup-{seq}"),
                    "ApproximateFirstReceiveTimestamp": "1700000000000",
                },
                "messageAttributes": {},
                "md5OfBody": "0",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:soak.fifo",
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    json!({ "Records": records })
}

/// What one stream's soak saw.
#[derive(Debug, Default)]
struct Outcome {
    invocations: usize,
    failed_invocations: usize,
    /// (invocation, seq) for every record an invocation reported as successful.
    reported_ok: Vec<(usize, usize)>,
    /// The records of each invocation's batch.
    batches: Vec<(usize, Vec<usize>)>,
}

struct Rig {
    /// The longest invocation so far.
    longest: Duration,
    server: ServerHandle,
    emulator: Emulator,
    function: Function,
    journal: Arc<Mutex<Journal>>,
    invocation: Arc<AtomicUsize>,
    responses: Vec<String>,
    records: usize,
}

impl Rig {
    /// Invoke with `event`; the failed item ids, or `None` when the whole invocation failed.
    fn invoke(&mut self, event: &Value) -> (usize, Option<Vec<String>>) {
        let invocation = self.invocation.fetch_add(1, Ordering::SeqCst) + 1;
        let started = Instant::now();
        let (status, body) = self.emulator.invoke_http(&event.to_string());
        self.longest = self.longest.max(started.elapsed());
        self.responses.push(body.clone());
        let answer: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        if status != 200 || answer.get("batchItemFailures").is_none() {
            // Every record failed: the invocation fails as a whole, as AWS wants, so Lambda
            // retries the batch. Anything else is the function failing.
            if body.contains(" records failed") {
                let every = event["Records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        r.pointer("/kinesis/sequenceNumber")
                            .or_else(|| r.get("messageId"))
                            .and_then(Value::as_str)
                            .unwrap()
                            .to_owned()
                    })
                    .collect();
                return (invocation, Some(every));
            }
            eprintln!("invocation {invocation} failed as a whole: {status} {body}");
            return (invocation, None);
        }
        let failures = answer["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap().to_owned())
            .collect();
        (invocation, Some(failures))
    }
}

impl Outcome {
    /// Invoke with one batch and note what came back: the records reported failed, or `None`
    /// when the invocation failed as a whole.
    fn play(
        &mut self,
        rig: &mut Rig,
        batch: &[usize],
        event: &Value,
        seq_of: fn(&str) -> usize,
    ) -> Option<BTreeSet<usize>> {
        let limit = 100 * rig.records + 100;
        assert!(
            self.invocations < limit,
            "no progress after {limit} invocations"
        );
        let (invocation, failures) = rig.invoke(event);
        self.invocations += 1;
        self.batches.push((invocation, batch.to_vec()));
        let Some(failures) = failures else {
            self.failed_invocations += 1;
            return None;
        };
        let failed: BTreeSet<usize> = failures.iter().map(|id| seq_of(id)).collect();
        for &seq in batch {
            if !failed.contains(&seq) {
                self.reported_ok.push((invocation, seq));
            }
        }
        Some(failed)
    }
}

fn soak_kinesis(rig: &mut Rig, n: usize) -> Outcome {
    let mut outcome = Outcome::default();
    let mut checkpoint = 0;
    while checkpoint < n {
        let batch: Vec<usize> = (checkpoint..(checkpoint + KINESIS_BATCH).min(n)).collect();
        let seq_of = |id: &str| id.parse::<usize>().unwrap() - 1_000_000;
        if let Some(failed) = outcome.play(rig, &batch, &kinesis_event(&batch), seq_of) {
            // Lambda checkpoints at the lowest failed sequence number and retries from there.
            checkpoint = failed.first().copied().unwrap_or(checkpoint + batch.len());
        }
    }
    outcome
}

fn soak_sqs_fifo(rig: &mut Rig, n: usize) -> Outcome {
    let mut outcome = Outcome::default();
    let mut pending: Vec<usize> = (0..n).collect();
    while !pending.is_empty() {
        let batch: Vec<usize> = pending.iter().take(SQS_BATCH).copied().collect();
        let seq_of = |id: &str| id.strip_prefix("msg-").unwrap().parse().unwrap();
        if let Some(failed) = outcome.play(rig, &batch, &sqs_event(&batch), seq_of) {
            // Failed messages return to the queue where they were; the rest are deleted.
            pending.retain(|seq| !batch.contains(seq) || failed.contains(seq));
        }
    }
    outcome
}

/// The figures of one stream, and the assertions that must hold.
#[derive(Debug)]
#[allow(dead_code, reason = "every field is printed through Debug")]
struct Report {
    records: usize,
    invocations: usize,
    failed_invocations: usize,
    executions: usize,
    lost: usize,
    processed_more_than_once: usize,
    false_successes: usize,
    order_violations: usize,
    /// Successful records whose result is not in the destination.
    results_missing: usize,
    /// Results in the destination for records that never succeeded.
    results_unexpected: usize,
    /// Results delivered more than once (the same record id again).
    results_repeated: usize,
}

fn check(
    server: &ServerHandle,
    journal: &Journal,
    stream: &str,
    n: usize,
    outcome: &Outcome,
    results: &[Value],
) -> Report {
    let executions: Vec<&Execution> = journal
        .executions
        .iter()
        .filter(|e| e.stream == stream)
        .collect();
    // A run succeeded when the algorithm returned a result and its answer reached the caller.
    let answered = |e: &Execution| {
        e.ok && matches!(
            server.fault_log(&e.request_id).last(),
            Some(None) | Some(Some(FaultKind::Latency))
        )
    };
    let mut runs_in: HashMap<(usize, usize), Vec<&Execution>> = HashMap::new();
    for e in &executions {
        runs_in.entry((e.invocation, e.seq)).or_default().push(e);
    }

    let succeeded: BTreeSet<usize> = outcome.reported_ok.iter().map(|&(_, s)| s).collect();
    let lost = (0..n).filter(|s| !succeeded.contains(s)).count();

    // Every record reported successful had a successful, answered run in that invocation or,
    // skipped as a duplicate, in an earlier one.
    let false_successes = outcome
        .reported_ok
        .iter()
        .filter(|&&(invocation, seq)| {
            !executions
                .iter()
                .any(|e| e.seq == seq && e.invocation <= invocation && answered(e))
        })
        .count();

    let mut successes: HashMap<usize, usize> = HashMap::new();
    for e in executions.iter().filter(|e| answered(e)) {
        *successes.entry(e.seq).or_default() += 1;
    }
    let processed_more_than_once = successes.values().filter(|&&c| c > 1).count();

    // Order per key: a record runs only after the previous record of its key succeeded, in the
    // same invocation (when that one was in the batch too) or in an earlier one.
    let mut previous: HashMap<usize, usize> = HashMap::new();
    let mut last_of_key: HashMap<String, usize> = HashMap::new();
    for seq in 0..n {
        if let Some(p) = last_of_key.insert(key_of(seq), seq) {
            previous.insert(seq, p);
        }
    }
    // The end of each record's first successful, answered run, on the algorithm's own clock.
    let mut succeeded_at: HashMap<usize, u64> = HashMap::new();
    for e in executions.iter().filter(|e| answered(e)) {
        let at = succeeded_at.entry(e.seq).or_insert(u64::MAX);
        *at = (*at).min(e.finished);
    }
    let mut order_violations = 0;
    for e in &executions {
        let Some(&p) = previous.get(&e.seq) else {
            continue;
        };
        let fine = succeeded_at.get(&p).is_some_and(|&at| at < e.started);
        if !fine {
            order_violations += 1;
            if order_violations <= 5 {
                eprintln!(
                    "{stream}: record {} (key {}) ran in invocation {} before record {p} had succeeded",
                    e.seq,
                    key_of(e.seq),
                    e.invocation
                );
            }
        }
    }
    // The destination: one result per successful record, each with the record's own answer.
    let mut delivered: HashMap<usize, usize> = HashMap::new();
    for doc in results
        .iter()
        .filter(|d| d["result"]["json"]["stream"] == stream)
    {
        *delivered
            .entry(doc["result"]["json"]["seq"].as_u64().unwrap() as usize)
            .or_default() += 1;
    }
    let results_missing = succeeded
        .iter()
        .filter(|s| !delivered.contains_key(s))
        .count();
    let results_unexpected = delivered.keys().filter(|s| !succeeded.contains(s)).count();
    let results_repeated = delivered.values().filter(|&&c| c > 1).count();
    Report {
        records: n,
        invocations: outcome.invocations,
        failed_invocations: outcome.failed_invocations,
        executions: executions.len(),
        lost,
        processed_more_than_once,
        false_successes,
        order_violations,
        results_missing,
        results_unexpected,
        results_repeated,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_under_faults_loses_nothing_and_keeps_order() {
    let n = record_count();
    let moto = Moto::start();
    let (ciphertext, _) = ciphertexts(&moto, KEY).await;
    let journal = Arc::new(Mutex::new(Journal::default()));
    let invocation = Arc::new(AtomicUsize::new(0));
    let server = LocalServer::builder()
        .api_key(KEY, "blueprint")
        .algorithm(recorder(Arc::clone(&journal), Arc::clone(&invocation)))
        .faults(FAULTS.parse().unwrap())
        .start()
        .unwrap();
    let (table, queue_url, queue_arn) = soak_services(&moto).await;
    let emulator = Emulator::start();
    let function = Function::start(
        &testkit::blueprint_bootstrap(),
        &emulator,
        FUNCTION,
        &[
            ("ALGORITHMIA_ALGORITHM", "soak/Record/1.0.0".into()),
            ("ALGORITHMIA_API", server.base_url().into()),
            ("ALGORITHMIA_API_KEY_ENCRYPTED", ciphertext),
            ("AWS_ENDPOINT_URL", moto.url.clone()),
            ("ALGORITHMIA_CONCURRENCY", "16".into()),
            ("ALGORITHMIA_IDEMPOTENCY_TABLE", table),
            ("ALGORITHMIA_RESULT_DESTINATION", queue_arn),
            ("ALGORITHMIA_METRICS_NAMESPACE", "Soak".into()),
            // What LoggingConfig's JSON format sets.
            ("AWS_LAMBDA_LOG_FORMAT", "JSON".into()),
        ],
    );
    let mut rig = Rig {
        longest: Duration::ZERO,
        server,
        emulator,
        function,
        journal,
        invocation,
        responses: Vec::new(),
        records: n,
    };

    let started = Instant::now();
    let kinesis = soak_kinesis(&mut rig, n);
    let kinesis_time = started.elapsed();
    let started = Instant::now();
    let sqs = soak_sqs_fifo(&mut rig, n);
    let sqs_time = started.elapsed();

    let results = drain(&moto, &queue_url).await;
    let journal = rig.journal.lock().unwrap();
    let kinesis_report = check(&rig.server, &journal, "kinesis", n, &kinesis, &results);
    let sqs_report = check(&rig.server, &journal, "sqs", n, &sqs, &results);
    let stats = rig.server.fault_stats();
    eprintln!("soak kinesis ({kinesis_time:.1?}): {kinesis_report:?}");
    eprintln!("soak sqs fifo ({sqs_time:.1?}): {sqs_report:?}");
    eprintln!("soak faults: {stats:?}");
    eprintln!("soak: the longest invocation took {:.1?}", rig.longest);

    for report in [&kinesis_report, &sqs_report] {
        assert_eq!(report.lost, 0, "{report:?}");
        assert_eq!(report.false_successes, 0, "{report:?}");
        assert_eq!(report.order_violations, 0, "{report:?}");
        assert_eq!(report.failed_invocations, 0, "{report:?}");
        // Counted by the algorithm's own journal: no record that succeeded ran again.
        assert_eq!(report.processed_more_than_once, 0, "{report:?}");
        assert_eq!(report.results_missing, 0, "{report:?}");
        assert_eq!(report.results_unexpected, 0, "{report:?}");
    }
    // No invocation ran past the emulator's timeout (cargo-lambda's default, 30 s).
    assert!(rig.longest < Duration::from_secs(30), "{:?}", rig.longest);
    // A fifth of the calls really were hit, of every kind.
    let hit = stats.failed() as f64 / stats.requests as f64;
    assert!((0.15..0.25).contains(&hit), "{stats:?}");
    for kind in FaultKind::ALL {
        assert!(stats.of(kind) > 0, "no {kind} injected: {stats:?}");
    }
    // Our retries never ran a call twice.
    let twice: Vec<_> = rig
        .server
        .all_executions()
        .into_iter()
        .filter(|(_, c)| *c > 1)
        .collect();
    assert!(twice.is_empty(), "ran twice: {twice:?}");

    // The key never shows: not in the function's logs, the emulator's, or any answer.
    let logs = rig.function.logs();
    let emulator_log = rig.emulator.log.lock().unwrap().clone();
    assert!(
        logs.contains("invocation"),
        "the logs are captured: {logs:.300}"
    );
    logs_and_metrics_hold(&logs, rig.invocation.load(Ordering::SeqCst));
    for (what, text) in [("function logs", &logs), ("emulator log", &emulator_log)] {
        assert!(!text.contains(KEY), "the key leaked into the {what}");
    }
    assert!(
        rig.responses.iter().all(|r| !r.contains(KEY)),
        "the key leaked into an answer"
    );
    drop(journal);
}

/// The idempotency table (partition key `id`, a string) and the results queue in moto: the
/// table's name, the queue's URL and ARN.
async fn soak_services(moto: &Moto) -> (String, String, String) {
    let dynamodb = aws_sdk_dynamodb::Client::new(&crate::sdk_config(moto));
    crate::create_id_table(&dynamodb, "soak-idempotency").await;
    let sqs = sqs_client(moto);
    let url = sqs
        .create_queue()
        .queue_name("soak-results")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .unwrap()
        .clone();
    ("soak-idempotency".into(), url, arn)
}

/// Every document in the results queue.
async fn drain(moto: &Moto, queue_url: &str) -> Vec<Value> {
    let sqs = sqs_client(moto);
    let mut documents = Vec::new();
    let mut empty = 0;
    while empty < 2 {
        let received = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .visibility_timeout(3600)
            .send()
            .await
            .unwrap();
        let messages = received.messages();
        if messages.is_empty() {
            empty += 1;
            continue;
        }
        for m in messages {
            documents.push(serde_json::from_str(m.body().unwrap()).unwrap());
        }
    }
    documents
}

fn sqs_client(moto: &Moto) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&crate::sdk_config(moto))
}

/// Every log line is JSON; each invocation logged one line with its request id and a cold-start
/// field (true once), and printed one EMF document whose counts add up.
fn logs_and_metrics_hold(logs: &str, invocations: usize) {
    let lines: Vec<Value> = logs
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {l}"))
        })
        .collect();
    let summaries: Vec<&Value> = lines
        .iter()
        .filter(|l| l.pointer("/fields/message").and_then(Value::as_str) == Some("invocation"))
        .collect();
    assert_eq!(
        summaries.len(),
        invocations,
        "one summary line per invocation"
    );
    let cold: Vec<bool> = summaries
        .iter()
        .map(|l| {
            l.pointer("/fields/cold_start")
                .and_then(Value::as_bool)
                .unwrap()
        })
        .collect();
    assert_eq!(cold.iter().filter(|&&c| c).count(), 1, "one cold start");
    assert!(cold[0], "the first invocation is the cold one");
    assert!(
        summaries
            .iter()
            .all(|l| l.to_string().contains("\"request_id\"")),
        "every summary names its request id: {}",
        summaries[0]
    );
    let failures: Vec<&Value> = lines
        .iter()
        .filter(|l| l.pointer("/fields/message").and_then(Value::as_str) == Some("record failed"))
        .collect();
    assert!(
        !failures.is_empty(),
        "faults were injected, so records failed"
    );
    assert!(
        failures
            .iter()
            .all(|l| l.pointer("/fields/record").is_some())
    );

    let metrics: Vec<&Value> = lines.iter().filter(|l| l.get("_aws").is_some()).collect();
    assert_eq!(
        metrics.len(),
        invocations,
        "one EMF document per invocation"
    );
    for m in &metrics {
        assert_eq!(m["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Soak");
        let n = |name: &str| m[name].as_u64().unwrap();
        assert_eq!(
            n("Records"),
            n("Succeeded") + n("Failed") + n("SkippedDuplicates") + n("Acknowledged"),
            "{m}"
        );
    }
    let skipped: u64 = metrics
        .iter()
        .map(|m| m["SkippedDuplicates"].as_u64().unwrap())
        .sum();
    assert!(
        skipped > 0,
        "redelivered records that had completed were skipped"
    );
}
