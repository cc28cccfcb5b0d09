//! The idempotency stores: `DynamoDbStore` on moto's DynamoDB and `MemoryStore` pass one
//! behavioural check (`behaves`), so the two agree; then what only a table can get wrong: its
//! item layout (Powertools' where they overlap), a missing table, a malformed item.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::future::join_all;
use lambda_blueprint::idempotency::{
    Begin, Completed, Completion, DynamoDbStore, IdempotencyStore, MAX_STORED_RESULT, MemoryStore,
};
use serde_json::json;
use testkit::Moto;

use crate::create_id_table;

const TTL: Duration = Duration::from_secs(3600);

fn client(moto: &Moto) -> aws_sdk_dynamodb::Client {
    counted_client(moto, Calls::default())
}

/// The operations a client sent (`PutItem`, ...), one per attempt.
#[derive(Debug, Clone, Default)]
struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    fn count(&self, operation: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|o| *o == operation)
            .count()
    }

    fn total(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "Calls"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("");
        let operation = target.rsplit('.').next().unwrap_or("").to_owned();
        self.0.lock().unwrap().push(operation);
        Ok(())
    }
}

/// A client on moto whose calls are counted in `calls`.
fn counted_client(moto: &Moto, calls: Calls) -> aws_sdk_dynamodb::Client {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&moto.url)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .interceptor(calls)
            .build(),
    )
}

/// A moto with the table `marks`, and a store on it (named by ARN).
async fn table_store(moto: &Moto) -> (aws_sdk_dynamodb::Client, DynamoDbStore) {
    let client = client(moto);
    create_id_table(&client, "marks").await;
    let store = DynamoDbStore::new(
        client.clone(),
        "arn:aws:dynamodb:us-east-1:123456789012:table/marks".into(),
        TTL,
    );
    (client, store)
}

fn soon() -> SystemTime {
    SystemTime::now() + Duration::from_secs(60)
}

fn completion(key: &str, completed: Completed) -> Completion {
    Completion {
        key: key.into(),
        completed,
    }
}

/// What every store does; `store` is empty.
async fn behaves(store: &dyn IdempotencyStore) {
    let run = |key: &'static str, until: SystemTime| store.begin(key, until);

    // The first begin takes the lock; the next one finds it held.
    assert_eq!(run("a", soon()).await, Ok(Begin::Run));
    assert_eq!(run("a", soon()).await, Ok(Begin::InProgress));

    // A completed record is not run again, and comes back as stored.
    let done = Completed::success(&json!({"labels": ["cat", 0.97], "n": null}), false);
    assert_eq!(
        store.complete(&[completion("a", done.clone())]).await,
        vec![Ok(())]
    );
    assert_eq!(run("a", soon()).await, Ok(Begin::Completed(done.clone())));
    // Releasing a completed record leaves its mark; releasing an unknown key is no error.
    let released = store.release(&["a".into(), "never-seen".into()]).await;
    assert_eq!(released, vec![Ok(()), Ok(())]);
    assert_eq!(run("a", soon()).await, Ok(Begin::Completed(done)));

    // An acknowledged failure comes back as one.
    let failure =
        Completed::acknowledged_failure(json!({"kind": "permanent", "error": "InputError"}));
    assert_eq!(run("f", soon()).await, Ok(Begin::Run));
    assert_eq!(
        store.complete(&[completion("f", failure.clone())]).await,
        vec![Ok(())]
    );
    assert_eq!(run("f", soon()).await, Ok(Begin::Completed(failure)));

    // A released lock can be taken at once.
    assert_eq!(run("b", soon()).await, Ok(Begin::Run));
    assert_eq!(store.release(&["b".into()]).await, vec![Ok(())]);
    assert_eq!(run("b", soon()).await, Ok(Begin::Run));
    assert_eq!(run("b", soon()).await, Ok(Begin::InProgress));

    // A lock whose time ran out (a crashed invocation) can be taken again.
    let past = SystemTime::now() - Duration::from_secs(5);
    assert_eq!(run("c", past).await, Ok(Begin::Run));
    assert_eq!(run("c", past).await, Ok(Begin::Run));
    assert_eq!(run("c", soon()).await, Ok(Begin::Run));
    assert_eq!(run("c", soon()).await, Ok(Begin::InProgress));
    // Even one that ran out within the last second (the table's TTL counts whole seconds).
    let just = SystemTime::now() - Duration::from_millis(200);
    assert_eq!(run("d", just).await, Ok(Begin::Run));
    assert_eq!(run("d", soon()).await, Ok(Begin::Run));

    // A result too large to keep comes back as its digest only.
    let big = Completed::success(&json!("x".repeat(MAX_STORED_RESULT + 1)), true);
    assert_eq!(big.result, None);
    assert!(big.digest.is_some());
    assert_eq!(run("big", soon()).await, Ok(Begin::Run));
    assert_eq!(
        store.complete(&[completion("big", big.clone())]).await,
        vec![Ok(())]
    );
    assert_eq!(run("big", soon()).await, Ok(Begin::Completed(big)));

    // Sixty completions in one call (several batches), one of them given twice: the last wins.
    let marks: Vec<Completion> = (0..60)
        .map(|i| {
            completion(
                &format!("batch-{i}"),
                Completed::success(&json!(i), i % 2 == 0),
            )
        })
        .chain([completion(
            "batch-7",
            Completed::success(&json!("again"), true),
        )])
        .collect();
    let written = store.complete(&marks).await;
    assert_eq!(written, vec![Ok(()); 61]);
    for (i, mark) in marks.iter().enumerate().take(60) {
        let expected = if i == 7 { &marks[60] } else { mark };
        assert_eq!(
            store.begin(&mark.key, soon()).await,
            Ok(Begin::Completed(expected.completed.clone())),
            "{}",
            mark.key
        );
    }

    // Fifty invocations race for one record: exactly one runs it.
    let answers = join_all((0..50).map(|_| store.begin("raced", soon()))).await;
    let runs = answers.iter().filter(|a| **a == Ok(Begin::Run)).count();
    let held = answers
        .iter()
        .filter(|a| **a == Ok(Begin::InProgress))
        .count();
    assert_eq!((runs, held), (1, 49), "{answers:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_memory_store_behaves() {
    behaves(&MemoryStore::new(TTL)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dynamodb_store_behaves_as_the_memory_store_does() {
    let moto = Moto::start();
    let (_, store) = table_store(&moto).await;
    assert_eq!(store.table(), "marks");
    assert_eq!(store.describe(), "DynamoDB table marks");
    behaves(&store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_costs_one_put_to_begin_and_a_25th_of_a_batch_write_to_complete() {
    let moto = Moto::start();
    create_id_table(&client(&moto), "marks").await;
    let calls = Calls::default();
    let store = DynamoDbStore::new(counted_client(&moto, calls.clone()), "marks".into(), TTL);
    let keys: Vec<String> = (0..30).map(|i| format!("record-{i}")).collect();
    for key in &keys {
        assert_eq!(store.begin(key, soon()).await, Ok(Begin::Run));
    }
    let marks: Vec<Completion> = keys
        .iter()
        .map(|key| completion(key, Completed::success(&json!(key), true)))
        .collect();
    assert_eq!(store.complete(&marks).await, vec![Ok(()); 30]);
    assert_eq!(
        (
            calls.count("PutItem"),
            calls.count("BatchWriteItem"),
            calls.total()
        ),
        (30, 2, 32)
    );
    // Redelivered: the failed condition brings the mark back, so no GetItem follows.
    for mark in &marks {
        assert_eq!(
            store.begin(&mark.key, soon()).await,
            Ok(Begin::Completed(mark.completed.clone()))
        );
    }
    assert_eq!((calls.count("PutItem"), calls.total()), (60, 62));
}

#[tokio::test(flavor = "multi_thread")]
async fn locks_and_marks_are_laid_out_as_powertools_lays_them_out() {
    let moto = Moto::start();
    let (client, store) = table_store(&moto).await;
    let item = |key: &'static str| {
        let client = client.clone();
        async move {
            client
                .get_item()
                .table_name("marks")
                .key("id", AttributeValue::S(key.into()))
                .send()
                .await
                .unwrap()
                .item
                .unwrap()
        }
    };
    let number = |v: &AttributeValue| v.as_n().unwrap().parse::<u128>().unwrap();
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();

    let until = UNIX_EPOCH + Duration::from_millis(4_000_000_000_001);
    assert_eq!(store.begin("k", until).await, Ok(Begin::Run));
    let lock = item("k").await;
    assert_eq!(lock["status"], AttributeValue::S("INPROGRESS".into()));
    assert_eq!(number(&lock["in_progress_expiration"]), 4_000_000_000_001);
    assert_eq!(number(&lock["expiration"]), 4_000_000_001);

    let mark = Completed::success(&json!({"ok": true}), false);
    store.complete(&[completion("k", mark.clone())]).await;
    let done = item("k").await;
    assert_eq!(done["status"], AttributeValue::S("COMPLETED".into()));
    assert_eq!(done["data"], AttributeValue::S("{\"ok\":true}".into()));
    assert_eq!(done["digest"], AttributeValue::S(mark.digest.unwrap()));
    assert_eq!(done["delivered"], AttributeValue::Bool(false));
    assert!(!done.contains_key("failure"));
    let expiration = number(&done["expiration"]);
    let expected = now_ms / 1000 + TTL.as_secs() as u128;
    assert!(
        (expected..expected + 30).contains(&expiration),
        "{expiration} vs {expected}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_table_is_a_store_error_naming_the_service_error() {
    let moto = Moto::start();
    let store = DynamoDbStore::new(client(&moto), "nowhere".into(), TTL);
    let e = store.begin("k", soon()).await.unwrap_err();
    assert!(e.to_string().contains("ResourceNotFoundException"), "{e}");
    assert!(e.to_string().contains("nowhere"), "{e}");
    let completed = store
        .complete(&[completion("k", Completed::success(&json!(1), true))])
        .await;
    assert!(
        matches!(&completed[..], [Err(e)] if e.0.contains("ResourceNotFoundException")),
        "{completed:?}"
    );
    let released = store.release(&["k".into()]).await;
    assert!(
        matches!(&released[..], [Err(e)] if e.0.contains("ResourceNotFoundException")),
        "{released:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_item_is_a_store_error_not_a_panic() {
    let moto = Moto::start();
    let (client, store) = table_store(&moto).await;
    let put = |key: &'static str, attributes: Vec<(&'static str, AttributeValue)>| {
        let mut request = client
            .put_item()
            .table_name("marks")
            .item("id", AttributeValue::S(key.into()));
        for (name, value) in attributes {
            request = request.item(name, value);
        }
        request.send()
    };
    put("numbered", vec![("status", AttributeValue::N("7".into()))])
        .await
        .unwrap();
    let e = store.begin("numbered", soon()).await.unwrap_err();
    assert!(
        e.0.contains("numbered") && e.0.contains("`status` is a number"),
        "{e}"
    );

    let completed = AttributeValue::S("COMPLETED".into());
    put(
        "garbled",
        vec![
            ("status", completed.clone()),
            ("data", AttributeValue::S("{not json".into())),
        ],
    )
    .await
    .unwrap();
    let e = store.begin("garbled", soon()).await.unwrap_err();
    assert!(e.0.contains("`data` is not JSON"), "{e}");

    put(
        "odd",
        vec![
            ("status", completed),
            ("delivered", AttributeValue::N("1".into())),
        ],
    )
    .await
    .unwrap();
    let e = store.begin("odd", soon()).await.unwrap_err();
    assert!(e.0.contains("`delivered` is a number"), "{e}");
}

/// A DynamoDB endpoint that answers BatchWriteItem only, as a throttled table does: every item
/// is left unprocessed the first time it is sent, and items whose key starts with `stuck` every
/// time. Returns its URL and the number of calls it answered.
fn throttled_endpoint() -> (String, Arc<Mutex<usize>>) {
    use std::collections::HashMap;
    use std::io::{BufRead, BufReader, Read, Write};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let calls = Arc::new(Mutex::new(0));
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let counter = calls.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (calls, seen) = (counter.clone(), seen.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut length = 0;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let request: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    *calls.lock().unwrap() += 1;
                    let left: Vec<serde_json::Value> = request["RequestItems"]["marks"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|write| {
                            let key = write["PutRequest"]["Item"]["id"]["S"].as_str().unwrap();
                            let mut seen = seen.lock().unwrap();
                            let times = seen.entry(key.to_owned()).or_default();
                            *times += 1;
                            key.starts_with("stuck") || *times == 1
                        })
                        .cloned()
                        .collect();
                    let answer = json!({"UnprocessedItems": {"marks": left}}).to_string();
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    writer.write_all(response.as_bytes()).unwrap();
                }
            });
        }
    });
    (url, calls)
}

#[tokio::test(flavor = "multi_thread")]
async fn unprocessed_marks_are_sent_again_and_those_never_taken_fail_alone() {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    let (url, calls) = throttled_endpoint();
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(url)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .build(),
    );
    let store = DynamoDbStore::new(client, "marks".into(), TTL);
    let marks: Vec<Completion> = ["a", "stuck-b", "c"]
        .iter()
        .map(|key| completion(key, Completed::success(&json!(key), true)))
        .collect();
    let written = store.complete(&marks).await;
    assert_eq!(written[0], Ok(()));
    assert_eq!(written[2], Ok(()));
    let e = written[1].as_ref().unwrap_err();
    assert!(
        e.0.contains("stuck-b") && e.0.contains("unprocessed") && e.0.contains("4 times"),
        "{e}"
    );
    assert_eq!(*calls.lock().unwrap(), 4);
}
