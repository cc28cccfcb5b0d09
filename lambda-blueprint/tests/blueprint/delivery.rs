//! Results and failures delivered, idempotency and routes, with sinks and a store in memory
//! (the AWS ones are tested against moto in the `tests` crate).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use lambda_blueprint::destination::{DeliveryError, Destination, Document, Sink};
use lambda_blueprint::idempotency::{IdempotencyStore, MemoryStore};
use lambda_blueprint::{Blueprint, Services};
use serde_json::{Value, json};

use crate::algorithms::{Answer, FakeAlgorithm};
use crate::{blueprint, invoke};

const RESULTS: &str = "arn:aws:sqs:us-east-1:123456789012:results";
const FAILURES: &str = "arn:aws:sqs:us-east-1:123456789012:failures";
const STREAM: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/events";

/// Which documents a sink refuses, and why.
type Refusal = Box<dyn Fn(&Document) -> Option<DeliveryError> + Send>;

/// A sink that keeps what it is given, refusing documents a rule picks.
#[derive(Clone, Default)]
struct Recorder {
    taken: Arc<Mutex<Vec<Document>>>,
    refuse: Arc<Mutex<Option<Refusal>>>,
}

impl Recorder {
    fn taken(&self) -> Vec<Document> {
        self.taken.lock().unwrap().clone()
    }

    fn refuse(&self, rule: impl Fn(&Document) -> Option<DeliveryError> + Send + 'static) {
        *self.refuse.lock().unwrap() = Some(Box::new(rule));
    }

    fn accept_all(&self) {
        *self.refuse.lock().unwrap() = None;
    }
}

impl Sink for Recorder {
    fn deliver<'a>(
        &'a self,
        documents: &'a [Document],
    ) -> BoxFuture<'a, Vec<Result<(), DeliveryError>>> {
        let refuse = self.refuse.lock().unwrap();
        let mut taken = self.taken.lock().unwrap();
        let answers = documents
            .iter()
            .map(|d| match refuse.as_ref().and_then(|rule| rule(d)) {
                Some(e) => Err(e),
                None => {
                    taken.push(d.clone());
                    Ok(())
                }
            })
            .collect();
        async move { answers }.boxed()
    }

    fn describe(&self) -> String {
        "a recorder".into()
    }
}

/// A Kinesis event of `items` (JSON), each under its own partition key unless `key` gives one.
fn kinesis(items: &[Value], first_sequence: u64) -> Value {
    let records: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let data = base64::engine::general_purpose::STANDARD.encode(item.to_string());
            let key = item
                .get("key")
                .and_then(Value::as_str)
                .map_or_else(|| format!("pk-{i}"), str::to_owned);
            json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": key,
                    "sequenceNumber": (first_sequence + i as u64).to_string(),
                    "data": data,
                    "approximateArrivalTimestamp": 1_700_000_000.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("shardId-000000000000:{}", first_sequence + i as u64),
                "eventName": "aws:kinesis:record",
                "awsRegion": "us-east-1",
                "eventSourceARN": STREAM,
            })
        })
        .collect();
    json!({ "Records": records })
}

fn with_services(
    algorithm: &FakeAlgorithm,
    extra: &[(&str, &str)],
    results: &Recorder,
    failures: &Recorder,
    store: Option<Arc<MemoryStore>>,
) -> Blueprint<FakeAlgorithm> {
    let mut services = Services::none()
        .with_sink(
            &RESULTS.parse::<Destination>().unwrap(),
            Arc::new(results.clone()),
        )
        .with_sink(
            &FAILURES.parse::<Destination>().unwrap(),
            Arc::new(failures.clone()),
        );
    if let Some(store) = store {
        services = services.with_store(store as Arc<dyn IdempotencyStore>);
    }
    blueprint(algorithm, extra).with_services(services)
}

const DESTINATIONS: [(&str, &str); 2] = [
    ("ALGORITHMIA_RESULT_DESTINATION", RESULTS),
    ("ALGORITHMIA_FAILURE_DESTINATION", FAILURES),
];

fn failures_of(answer: &Value) -> Vec<String> {
    answer["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_result_is_delivered_as_one_document() {
    let (results, failures) = (Recorder::default(), Recorder::default());
    let echo = FakeAlgorithm::echo();
    let bp = with_services(&echo, &DESTINATIONS, &results, &failures, None);
    let answer = invoke(&bp, kinesis(&[json!({"n": 1}), json!({"n": 2})], 100), None)
        .await
        .unwrap();
    assert_eq!(failures_of(&answer), Vec::<String>::new());
    let docs = results.taken();
    assert_eq!(docs.len(), 2);
    let doc = &docs[0].body;
    assert_eq!(docs[0].id, "100");
    assert_eq!(doc["kind"], "result");
    assert_eq!(doc["record_id"], "100");
    assert_eq!(doc["event_source"], "kinesis");
    assert_eq!(doc["source_arn"], STREAM);
    assert_eq!(doc["algorithm"], "util/Echo");
    assert_eq!(doc["request_id"], "test-request");
    assert_eq!(
        doc["result"],
        json!({"content_type": "application/json", "json": {"n": 1}})
    );
    assert!(doc["duration_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(doc["idempotency_key"], format!("kinesis:{STREAM}:100"));
    assert!(failures.taken().is_empty());
}

#[tokio::test]
async fn a_refused_result_fails_its_record_transiently_and_comes_back_from_the_mark() {
    let (results, failures) = (Recorder::default(), Recorder::default());
    let echo = FakeAlgorithm::echo();
    let store = Arc::new(MemoryStore::new(Duration::from_secs(3600)));
    let bp = with_services(
        &echo,
        &DESTINATIONS,
        &results,
        &failures,
        Some(Arc::clone(&store)),
    );
    results.refuse(|d| {
        (d.id == "201").then(|| DeliveryError {
            message: "AccessDenied: not allowed".into(),
            permanent: false,
        })
    });
    // SQS-like independence: records of one partition key would stop at the failure, so each
    // has its own key; the stream still resends from the first failure.
    let event = kinesis(&[json!({"n": 0}), json!({"n": 1}), json!({"n": 2})], 200);
    let answer = invoke(&bp, event.clone(), None).await.unwrap();
    assert_eq!(failures_of(&answer), vec!["201"]);
    assert_eq!(echo.inputs().len(), 3);
    assert_eq!(results.taken().len(), 2);
    // The result waits in its mark, not delivered.
    let mark = store.completed(&format!("kinesis:{STREAM}:201")).unwrap();
    assert!(!mark.delivered && mark.result.is_some());

    // Lambda resends the batch: nothing runs again; the refused result is delivered from the
    // mark, exactly as it was.
    results.accept_all();
    let answer = invoke(&bp, event, None).await.unwrap();
    assert_eq!(failures_of(&answer), Vec::<String>::new());
    assert_eq!(echo.inputs().len(), 3, "a completed record ran again");
    let docs = results.taken();
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[2].id, "201");
    assert_eq!(docs[2].body["result"]["json"], json!({"n": 1}));
    assert!(
        store
            .completed(&format!("kinesis:{STREAM}:201"))
            .unwrap()
            .delivered
    );
}

#[tokio::test]
async fn permanent_failures_go_to_the_failure_destination_and_are_acknowledged() {
    let (results, failures) = (Recorder::default(), Recorder::default());
    let recorder = FakeAlgorithm::recorder();
    let bp = with_services(&recorder, &DESTINATIONS, &results, &failures, None);
    // One partition key: without acknowledgement the failure would stop the records after it.
    let event = kinesis(
        &[
            json!({"key": "k", "n": 0}),
            json!({"key": "k", "fail": true}),
            json!({"key": "k", "n": 2}),
        ],
        300,
    );
    let answer = invoke(&bp, event, None).await.unwrap();
    assert_eq!(failures_of(&answer), Vec::<String>::new());
    assert_eq!(
        recorder.inputs().len(),
        3,
        "the record after the poison one ran"
    );
    assert_eq!(results.taken().len(), 2);
    let docs = failures.taken();
    assert_eq!(docs.len(), 1);
    let doc = &docs[0].body;
    assert_eq!(doc["kind"], "failure");
    assert_eq!(doc["record_id"], "301");
    assert_eq!(doc["error"]["error_type"], "InputError");
    assert_eq!(doc["error"]["permanence"], "permanent");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("asked to fail")
    );
    // The record as it arrived, so it can be sent again.
    assert_eq!(doc["record"]["kinesis"]["sequenceNumber"], "301");

    // A transient failure is still Lambda's to retry, and is not sent there.
    let flaky = FakeAlgorithm::new("util/Echo", |_| Answer::Refuse(503, "busy".into()));
    let failures = Recorder::default();
    let bp = with_services(&flaky, &DESTINATIONS, &results, &failures, None);
    let err = invoke(&bp, kinesis(&[json!({"n": 0})], 400), None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("1 of 1 records failed"), "{err}");
    assert!(failures.taken().is_empty());
}

#[tokio::test]
async fn a_failure_destination_that_refuses_leaves_the_record_failed() {
    let (results, failures) = (Recorder::default(), Recorder::default());
    failures.refuse(|_| {
        Some(DeliveryError {
            message: "NonExistentQueue".into(),
            permanent: false,
        })
    });
    let recorder = FakeAlgorithm::recorder();
    let bp = with_services(&recorder, &DESTINATIONS, &results, &failures, None);
    let event = kinesis(&[json!({"n": 0}), json!({"fail": true})], 500);
    let answer = invoke(&bp, event, None).await.unwrap();
    assert_eq!(failures_of(&answer), vec!["501"]);
}

#[tokio::test]
async fn a_result_too_large_for_its_destination_is_a_permanent_failure() {
    let (results, failures) = (Recorder::default(), Recorder::default());
    results.refuse(|d| {
        (d.id == "601").then(|| DeliveryError {
            message: "larger than the 256 KiB SQS takes".into(),
            permanent: true,
        })
    });
    let echo = FakeAlgorithm::echo();
    let bp = with_services(&echo, &DESTINATIONS, &results, &failures, None);
    let answer = invoke(&bp, kinesis(&[json!(0), json!(1)], 600), None)
        .await
        .unwrap();
    assert_eq!(failures_of(&answer), Vec::<String>::new());
    let docs = failures.taken();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].body["error"]["error_type"], "Undeliverable");
}

#[tokio::test]
async fn redelivered_records_that_completed_do_not_run_again() {
    let (results, failures) = (Recorder::default(), Recorder::default());
    let echo = FakeAlgorithm::echo();
    let store = Arc::new(MemoryStore::new(Duration::from_secs(3600)));
    let bp = with_services(
        &echo,
        &DESTINATIONS,
        &results,
        &failures,
        Some(Arc::clone(&store)),
    );
    let event = kinesis(&[json!(1), json!(2), json!(3)], 700);
    invoke(&bp, event.clone(), None).await.unwrap();
    invoke(&bp, event.clone(), None).await.unwrap();
    assert_eq!(echo.inputs().len(), 3);
    assert_eq!(
        results.taken().len(),
        3,
        "a completed record's result went out twice"
    );

    // A record another invocation is running is not run, and comes back.
    let other = kinesis(&[json!(4)], 800);
    let key = format!("kinesis:{STREAM}:800");
    store
        .begin(&key, std::time::SystemTime::now() + Duration::from_secs(60))
        .await
        .unwrap();
    let err = invoke(&bp, other, None).await.unwrap_err();
    assert!(err.to_string().contains("another invocation"), "{err}");
    assert_eq!(echo.inputs().len(), 3);

    // A transient failure releases the lock, so the retry runs at once.
    let flaky = FakeAlgorithm::new("util/Echo", |_| Answer::Refuse(503, "busy".into()));
    let bp = with_services(
        &flaky,
        &DESTINATIONS,
        &results,
        &failures,
        Some(Arc::clone(&store)),
    );
    let event = kinesis(&[json!(5)], 900);
    invoke(&bp, event.clone(), None).await.unwrap_err();
    assert!(!store.is_locked(&format!("kinesis:{STREAM}:900")));
    invoke(&bp, event, None).await.unwrap_err();
    assert_eq!(flaky.inputs().len(), 2);
}

#[tokio::test]
async fn routes_send_streams_and_buckets_to_different_algorithms() {
    let (results, failures) = (Recorder::default(), Recorder::default());
    let echo = FakeAlgorithm::echo();
    let routes = json!([
        {"name": "images", "source": "s3", "key_suffix": ".jpg", "algorithm": "opencv/SmartThumbnail",
         "result_destination": null},
        {"source": "kinesis", "source_arn": STREAM, "algorithm": "demo/Score",
         "template": {"score": "${/data}"}}
    ])
    .to_string();
    let mut settings = DESTINATIONS.to_vec();
    settings.push(("ALGORITHMIA_ROUTES", &routes));
    let bp = with_services(&echo, &settings, &results, &failures, None);

    invoke(&bp, kinesis(&[json!({"n": 1})], 1000), None)
        .await
        .unwrap();
    assert_eq!(echo.algorithms(), vec!["demo/Score"]);
    assert_eq!(echo.inputs(), vec![json!({"score": {"n": 1}})]);
    assert_eq!(results.taken()[0].body["algorithm"], "demo/Score");

    let mut s3 = crate::fixture("s3-put.json");
    let records = s3["Records"].as_array_mut().unwrap();
    records[0]["s3"]["object"]["key"] = json!("photos/cat.jpg");
    records[1]["s3"]["object"]["key"] = json!("notes/readme.txt");
    records.truncate(2);
    echo.clear();
    invoke(&bp, s3, None).await.unwrap();
    let mut called = echo.algorithms();
    called.sort();
    assert_eq!(called, vec!["opencv/SmartThumbnail", "util/Echo"]);
    // The image route delivers nowhere; the default route's result went to its destination.
    let docs = results.taken();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1].body["algorithm"], "util/Echo");
    assert_eq!(docs[1].body["object"]["key"], "notes/readme.txt");
}
