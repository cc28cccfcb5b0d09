//! A model on every DynamoDB update: each INSERT or MODIFY of an item is priced by
//! `ml/PricePredictor`, and the prediction lands in `data://.my/predictions/<id>.json`.
//!
//! Locally, a real DynamoDB Streams event (INSERT and MODIFY records, one item lacking an
//! attribute) is built and the blueprint's handler runs it on an embedded `algorithmia-local`.
//! Deploying it to Lambda is configuration only (the SAM template's `DynamoDBChanges` source):
//!
//! ```text
//! ALGORITHMIA_ALGORITHM=ml/PricePredictor/1.0.0
//! ALGORITHMIA_INPUT_TEMPLATE={"predict":[["${/new_image/sqft}","${/new_image/bedrooms}","${/new_image/age}"]],"outputUrl":"data://.my/predictions/${/keys/id}.json"}
//! ```
//!
//! With SAM (`lambda-blueprint/template.yaml`), the function's settings:
//!
//! ```yaml
//! Environment:
//!   Variables:
//!     ALGORITHMIA_ALGORITHM: ml/PricePredictor/1.0.0
//!     ALGORITHMIA_API_KEY_ENCRYPTED: !Ref EncryptedApiKey
//!     ALGORITHMIA_INPUT_TEMPLATE: '{"predict":[["${/new_image/sqft}","${/new_image/bedrooms}","${/new_image/age}"]],"outputUrl":"data://.my/predictions/${/keys/id}.json"}'
//! Events:
//!   DynamoDBChanges:
//!     Type: DynamoDB
//!     Properties:
//!       Stream: !GetAtt Items.StreamArn
//!       StartingPosition: LATEST
//!       FunctionResponseTypes: [ReportBatchItemFailures]
//! ```

use std::time::{Duration, Instant};

use algorithmia_client::DataAcl;
use lambda_blueprint::Blueprint;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

use crate::Target;

/// The algorithm the workflow calls.
pub const ALGORITHM: &str = "ml/PricePredictor/1.0.0";
/// Where predictions go.
pub const PREDICTIONS: &str = "data://.my/predictions";

/// The template that turns a stream record into the model's input.
pub fn template() -> Value {
    json!({
        "predict": [["${/new_image/sqft}", "${/new_image/bedrooms}", "${/new_image/age}"]],
        "outputUrl": format!("{PREDICTIONS}/${{/keys/id}}.json"),
    })
}

/// A DynamoDB Streams record for item `id` with numeric attributes.
pub fn stream_record(event: &str, sequence: &str, id: &str, attributes: &[(&str, f64)]) -> Value {
    let mut image = serde_json::Map::new();
    image.insert("id".into(), json!({"S": id}));
    for (name, value) in attributes {
        image.insert((*name).into(), json!({"N": value.to_string()}));
    }
    json!({
        "eventID": format!("evt-{sequence}"),
        "eventName": event,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1767225600,
            "Keys": {"id": {"S": id}},
            "NewImage": image,
            "SequenceNumber": sequence,
            "SizeBytes": 64,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/houses/stream/2026-01-01T00:00:00.000",
    })
}

/// The sample batch: two inserts, a modification, and an item without `age`.
pub fn sample_event() -> Value {
    json!({"Records": [
        stream_record("INSERT", "100", "house-1", &[("sqft", 1500.0), ("bedrooms", 3.0), ("age", 10.0)]),
        stream_record("INSERT", "101", "house-2", &[("sqft", 2200.0), ("bedrooms", 4.0), ("age", 2.0)]),
        stream_record("MODIFY", "102", "house-1", &[("sqft", 1650.0), ("bedrooms", 3.0), ("age", 10.0)]),
        stream_record("INSERT", "103", "house-3", &[("sqft", 900.0), ("bedrooms", 2.0)]),
    ]})
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Report {
    /// Where the algorithms ran.
    pub target: String,
    /// What the blueprint answered (the `batchItemFailures`).
    pub answer: Value,
    /// How long the invocation took.
    pub took: Duration,
    /// The predictions found afterwards, by item id.
    pub predictions: Vec<(String, Value)>,
}

/// Run the workflow against `target`.
pub async fn run(target: &Target) -> Result<Report, Box<dyn std::error::Error>> {
    let client = target.client()?;
    let collection = client.dir(PREDICTIONS);
    if !collection.exists().await? {
        collection.create(DataAcl::Private).await?;
    }
    let config = target.config(&[
        ("ALGORITHMIA_ALGORITHM", ALGORITHM.to_owned()),
        ("ALGORITHMIA_INPUT_TEMPLATE", template().to_string()),
    ])?;
    let blueprint = Blueprint::with_plain_key(config)?;
    let started = Instant::now();
    let answer = blueprint
        .handle(LambdaEvent::new(sample_event(), Context::default()))
        .await?;
    let took = started.elapsed();
    let mut predictions = Vec::new();
    for id in ["house-1", "house-2", "house-3"] {
        let file = client.file(format!("{PREDICTIONS}/{id}.json"));
        if file.exists().await? {
            predictions.push((id.to_owned(), file.get_json::<Value>().await?));
        }
    }
    Ok(Report {
        target: target.describe(),
        answer,
        took,
        predictions,
    })
}
