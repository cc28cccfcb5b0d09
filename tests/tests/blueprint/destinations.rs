//! Every kind of result destination, on moto through the AWS SDK: documents delivered in more
//! than one batch are read back whole (S3 objects, SQS messages, SNS messages through a
//! subscribed queue, EventBridge events through a rule targeting a queue, Kinesis records,
//! DynamoDB items); S3 objects and DynamoDB items are overwritten by the same id; an unknown
//! bucket, queue, topic, bus, stream or table fails every document with the service's error
//! named; a document larger than the service takes fails permanently and its neighbours go.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::SdkConfig;
use lambda_blueprint::destination::aws::{EVENT_SOURCE, aws_sink, object_key};
use lambda_blueprint::destination::{DeliveryError, Destination, Document, Sink};
use serde_json::{Value, json};
use testkit::Moto;

use crate::{create_id_table, sdk_config};

const ACCOUNT: &str = "123456789012";
/// More than two SQS, SNS and EventBridge batches; fewer than one Kinesis batch.
const COUNT: usize = 23;

fn sink_for(arn: &str, config: &SdkConfig) -> std::sync::Arc<dyn Sink> {
    let destination: Destination = arn.parse().unwrap();
    aws_sink(&destination, config)
}

/// `COUNT` documents with ids that need care (`/`, `:`, spaces, unicode); every fifth a failure.
fn documents(tag: &str) -> Vec<Document> {
    (0..COUNT)
        .map(|i| {
            let id = format!("{tag}/shard-0:{i} é");
            let kind = if i % 5 == 0 { "failure" } else { "result" };
            Document {
                body: json!({"kind": kind, "id": id, "n": i, "result": {"text": format!("ü{i}")}}),
                id,
            }
        })
        .collect()
}

/// A document of `bytes` bytes of JSON text, give or take a few.
fn sized(id: &str, bytes: usize) -> Document {
    Document {
        id: id.into(),
        body: json!({"id": id, "pad": "x".repeat(bytes)}),
    }
}

fn assert_all_delivered(results: &[Result<(), DeliveryError>]) {
    for (i, result) in results.iter().enumerate() {
        assert!(result.is_ok(), "document {i}: {result:?}");
    }
}

fn assert_all_refused(results: &[Result<(), DeliveryError>], call: &str, code: &str) {
    assert!(!results.is_empty());
    if let Some(Err(first)) = results.first() {
        eprintln!("refused: {}", first.message);
    }
    for result in results {
        let error = result.as_ref().unwrap_err();
        assert!(!error.permanent, "{error:?}");
        assert!(
            error.message.starts_with(call) && error.message.contains(code),
            "{call} / {code}: {}",
            error.message
        );
        assert!(!error.message.contains("testing"), "{}", error.message);
    }
}

/// Three documents, the middle one larger than `limit`: it fails permanently, naming S3.
fn oversized_between_neighbours(tag: &str, limit: usize) -> Vec<Document> {
    vec![
        sized(&format!("{tag}-before"), 100),
        sized(&format!("{tag}-huge"), limit + 1),
        sized(&format!("{tag}-after"), 100),
    ]
}

fn assert_only_the_middle_refused(results: &[Result<(), DeliveryError>]) {
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(results[2].is_ok(), "{:?}", results[2]);
    let error = results[1].as_ref().unwrap_err();
    assert!(error.permanent, "{error:?}");
    assert!(error.message.contains("S3"), "{}", error.message);
}

/// The bodies by id, for comparing what was sent with what was read.
fn by_id(bodies: impl IntoIterator<Item = Value>) -> BTreeMap<String, Value> {
    bodies
        .into_iter()
        .map(|body| (body["id"].as_str().unwrap().to_owned(), body))
        .collect()
}

fn sent(documents: &[Document]) -> BTreeMap<String, Value> {
    by_id(documents.iter().map(|d| d.body.clone()))
}

fn sqs(config: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}

/// A queue; its URL and ARN.
async fn queue(sqs: &aws_sdk_sqs::Client, name: &str) -> (String, String) {
    let mut request = sqs.create_queue().queue_name(name);
    if name.ends_with(".fifo") {
        request = request.attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true");
    }
    let url = request
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    (url, format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"))
}

/// Every message body on the queue, reading until `expected` came or the queue stays empty.
async fn drain(sqs: &aws_sdk_sqs::Client, url: &str, expected: usize) -> Vec<String> {
    let mut bodies = Vec::new();
    let mut empty = 0;
    while bodies.len() < expected && empty < 20 {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        if out.messages().is_empty() {
            empty += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for message in out.messages() {
            bodies.push(message.body().unwrap().to_owned());
        }
    }
    // Anything more is a duplicate.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    bodies.extend(out.messages().iter().map(|m| m.body().unwrap().to_owned()));
    bodies
}

fn parsed(bodies: &[String]) -> Vec<Value> {
    bodies
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_objects_land_at_their_keys_once_per_id() {
    let moto = Moto::start();
    let config = sdk_config(&moto);
    let s3 = aws_sdk_s3::Client::new(&config);
    s3.create_bucket().bucket("results").send().await.unwrap();
    let sink = sink_for("arn:aws:s3:::results/out/", &config);
    assert_eq!(sink.describe(), "arn:aws:s3:::results/out/");

    let documents = documents("s3");
    assert_all_delivered(&sink.deliver(&documents).await);
    // Again, with one body changed: the same keys, overwritten.
    let mut again = documents.clone();
    again[3].body["n"] = json!("second");
    assert_all_delivered(&sink.deliver(&again).await);

    let listed = s3
        .list_objects_v2()
        .bucket("results")
        .prefix("out/")
        .send()
        .await
        .unwrap();
    let mut keys: Vec<String> = listed
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = documents
        .iter()
        .map(|d| object_key("out/", &d.id))
        .collect();
    keys.sort();
    expected.sort();
    assert_eq!(keys, expected);
    let mut read = Vec::new();
    for key in &keys {
        let object = s3
            .get_object()
            .bucket("results")
            .key(key)
            .send()
            .await
            .unwrap();
        assert_eq!(object.content_type(), Some("application/json"));
        let bytes = object.body.collect().await.unwrap().into_bytes();
        read.push(serde_json::from_slice::<Value>(&bytes).unwrap());
    }
    assert_eq!(by_id(read), sent(&again));

    let missing = sink_for("arn:aws:s3:::no-such-bucket", &config);
    assert_all_refused(
        &missing.deliver(&documents[..3]).await,
        "S3 PutObject",
        "NoSuchBucket",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sqs_messages_arrive_in_batches_fifo_ones_once_and_oversized_ones_alone() {
    let moto = Moto::start();
    let config = sdk_config(&moto);
    let sqs = sqs(&config);

    let (url, arn) = queue(&sqs, "results").await;
    let sink = sink_for(&arn, &config);
    let documents = documents("sqs");
    assert_all_delivered(&sink.deliver(&documents).await);
    assert_eq!(
        by_id(parsed(&drain(&sqs, &url, COUNT).await)),
        sent(&documents)
    );

    let oversized = oversized_between_neighbours("sqs", 256 * 1024);
    assert_only_the_middle_refused(&sink.deliver(&oversized).await);
    let bodies = parsed(&drain(&sqs, &url, 2).await);
    assert_eq!(
        by_id(bodies),
        sent(&[oversized[0].clone(), oversized[2].clone()])
    );

    // A FIFO queue: each document its own group, a repeat dropped as a duplicate.
    let (url, arn) = queue(&sqs, "results.fifo").await;
    let sink = sink_for(&arn, &config);
    let documents = self::documents("fifo");
    assert_all_delivered(&sink.deliver(&documents).await);
    assert_all_delivered(&sink.deliver(&documents[..2]).await);
    let bodies = drain(&sqs, &url, COUNT + 2).await;
    assert_eq!(bodies.len(), COUNT, "a repeat was not deduplicated");
    assert_eq!(by_id(parsed(&bodies)), sent(&documents));

    let missing = sink_for(&format!("arn:aws:sqs:us-east-1:{ACCOUNT}:missing"), &config);
    assert_all_refused(
        &missing.deliver(&documents[..3]).await,
        "SQS GetQueueUrl",
        "NonExistentQueue",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sns_messages_reach_a_subscribed_queue() {
    let moto = Moto::start();
    let config = sdk_config(&moto);
    let sqs = sqs(&config);
    let sns = aws_sdk_sns::Client::new(&config);
    let topic = sns.create_topic().name("results").send().await.unwrap();
    let topic_arn = topic.topic_arn().unwrap().to_owned();
    let (url, queue_arn) = queue(&sqs, "from-sns").await;
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .unwrap();

    let sink = sink_for(&topic_arn, &config);
    let documents = documents("sns");
    assert_all_delivered(&sink.deliver(&documents).await);
    assert_eq!(
        by_id(parsed(&drain(&sqs, &url, COUNT).await)),
        sent(&documents)
    );

    let oversized = oversized_between_neighbours("sns", 256 * 1024);
    assert_only_the_middle_refused(&sink.deliver(&oversized).await);
    assert_eq!(drain(&sqs, &url, 2).await.len(), 2);

    let missing = sink_for(&format!("arn:aws:sns:us-east-1:{ACCOUNT}:missing"), &config);
    assert_all_refused(
        &missing.deliver(&documents[..3]).await,
        "SNS PublishBatch",
        "NotFound",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn eventbridge_events_reach_a_rule_s_queue_with_their_detail_type() {
    let moto = Moto::start();
    let config = sdk_config(&moto);
    let sqs = sqs(&config);
    let events = aws_sdk_eventbridge::Client::new(&config);
    let bus = events
        .create_event_bus()
        .name("results")
        .send()
        .await
        .unwrap();
    let bus_arn = bus.event_bus_arn().unwrap().to_owned();
    let (url, queue_arn) = queue(&sqs, "from-events").await;
    events
        .put_rule()
        .name("blueprint")
        .event_bus_name("results")
        .event_pattern(json!({"source": [EVENT_SOURCE]}).to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("blueprint")
        .event_bus_name("results")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(&queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let sink = sink_for(&bus_arn, &config);
    let documents = documents("events");
    assert_all_delivered(&sink.deliver(&documents).await);
    let received = parsed(&drain(&sqs, &url, COUNT).await);
    assert_eq!(received.len(), COUNT);
    let mut details = Vec::new();
    for event in received {
        assert_eq!(event["source"], EVENT_SOURCE);
        let expected = if event["detail"]["kind"] == "failure" {
            "AlgorithmFailure"
        } else {
            "AlgorithmResult"
        };
        assert_eq!(event["detail-type"], expected, "{event}");
        details.push(event["detail"].clone());
    }
    assert_eq!(by_id(details), sent(&documents));

    let oversized = oversized_between_neighbours("events", 256 * 1024);
    assert_only_the_middle_refused(&sink.deliver(&oversized).await);
    assert_eq!(drain(&sqs, &url, 2).await.len(), 2);

    let missing = sink_for(
        &format!("arn:aws:events:us-east-1:{ACCOUNT}:event-bus/missing"),
        &config,
    );
    assert_all_refused(
        &missing.deliver(&documents[..3]).await,
        "EventBridge PutEvents",
        "ResourceNotFoundException",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kinesis_records_carry_the_id_as_partition_key() {
    let moto = Moto::start();
    let config = sdk_config(&moto);
    let kinesis = aws_sdk_kinesis::Client::new(&config);
    kinesis
        .create_stream()
        .stream_name("results")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    let arn = format!("arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/results");

    let sink = sink_for(&arn, &config);
    let documents = documents("kinesis");
    assert_all_delivered(&sink.deliver(&documents).await);
    let oversized = oversized_between_neighbours("kinesis", 1024 * 1024);
    assert_only_the_middle_refused(&sink.deliver(&oversized).await);

    let shards = kinesis.list_shards().stream_arn(&arn).send().await.unwrap();
    let shard = shards.shards()[0].shard_id().to_owned();
    let iterator = kinesis
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(shard)
        .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap();
    let records = kinesis
        .get_records()
        .stream_arn(&arn)
        .shard_iterator(iterator.shard_iterator().unwrap())
        .send()
        .await
        .unwrap();
    let mut read = Vec::new();
    for record in records.records() {
        let body: Value = serde_json::from_slice(record.data().as_ref()).unwrap();
        assert_eq!(body["id"], record.partition_key(), "{body}");
        read.push(body);
    }
    // In the order sent: the batch, then the oversized document's neighbours.
    let order: Vec<&str> = read.iter().map(|b| b["id"].as_str().unwrap()).collect();
    let mut expected: Vec<&str> = documents.iter().map(|d| d.id.as_str()).collect();
    expected.extend([oversized[0].id.as_str(), oversized[2].id.as_str()]);
    assert_eq!(order, expected);
    assert_eq!(by_id(read.into_iter().take(COUNT)), sent(&documents));

    let missing = sink_for(
        &format!("arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/missing"),
        &config,
    );
    assert_all_refused(
        &missing.deliver(&documents[..3]).await,
        "Kinesis PutRecords",
        "ResourceNotFoundException",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_items_are_keyed_by_id_and_overwritten() {
    let moto = Moto::start();
    let config = sdk_config(&moto);
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    create_id_table(&dynamodb, "results").await;
    let sink = sink_for(
        &format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/results"),
        &config,
    );

    let documents = documents("dynamodb");
    assert_all_delivered(&sink.deliver(&documents).await);
    // Again, with one id twice in the same delivery: the last one stands.
    let mut again = documents[..3].to_vec();
    let mut changed = again[1].clone();
    changed.body["n"] = json!("second");
    again.push(changed.clone());
    assert_all_delivered(&sink.deliver(&again).await);
    let oversized = oversized_between_neighbours("dynamodb", 400 * 1024);
    assert_only_the_middle_refused(&sink.deliver(&oversized).await);

    let scanned = dynamodb.scan().table_name("results").send().await.unwrap();
    let items: Vec<Value> = scanned
        .items()
        .iter()
        .map(|item| serde_dynamo::from_item(item.clone()).unwrap())
        .collect();
    let mut expected = sent(&documents);
    expected.insert(changed.id.clone(), changed.body.clone());
    for document in [&oversized[0], &oversized[2]] {
        expected.insert(document.id.clone(), document.body.clone());
    }
    assert_eq!(by_id(items), expected);

    let missing = sink_for(
        &format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/missing"),
        &config,
    );
    assert_all_refused(
        &missing.deliver(&documents[..3]).await,
        "DynamoDB BatchWriteItem",
        "ResourceNotFoundException",
    );
}
