//! DynamoDB: `BatchWriteItem` of one item per document, keyed by the document's id.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::batch::{EntryOutcome, Limits, last_of_each, send_in_batches, within_limits};
use super::{region, service_error};
use crate::destination::{DeliveryError, Document, Sink};

const LIMITS: Limits = Limits {
    call: "DynamoDB BatchWriteItem",
    entries: 25,
    entry_bytes: 400 * 1024,
    call_bytes: 16 * 1024 * 1024,
    concurrency: 4,
};

/// How deep DynamoDB nests lists and maps.
const MAX_DEPTH: usize = 32;

type Item = HashMap<String, AttributeValue>;

/// The item written for a document, as JSON: the document's fields (or `{"document": ...}`
/// around a document that is not an object) with `id` set to the document's id. The table's
/// partition key must be `id`, a string, with no sort key; a document delivered again
/// overwrites the item.
///
/// ```
/// use lambda_blueprint::destination::{Document, aws::dynamodb_item};
/// use serde_json::json;
///
/// let document = Document { id: "r1".into(), body: json!({"result": 2}) };
/// assert_eq!(dynamodb_item(&document), json!({"id": "r1", "result": 2}));
/// let document = Document { id: "r2".into(), body: json!([1]) };
/// assert_eq!(dynamodb_item(&document), json!({"id": "r2", "document": [1]}));
/// ```
pub fn dynamodb_item(document: &Document) -> Value {
    match &document.body {
        Value::Object(fields) => {
            let mut fields = fields.clone();
            fields.insert("id".into(), Value::String(document.id.clone()));
            Value::Object(fields)
        }
        other => json!({ "id": document.id, "document": other }),
    }
}

/// Why DynamoDB would refuse `value` as an attribute (refused alone rather than failing its
/// whole batch): an empty attribute name, or lists and maps nested too deep.
fn refusal(value: &Value, depth: usize) -> Option<String> {
    let children: Box<dyn Iterator<Item = &Value>> = match value {
        Value::Object(fields) => {
            if fields.contains_key("") {
                return Some("the document has an empty attribute name".into());
            }
            Box::new(fields.values())
        }
        Value::Array(items) => Box::new(items.iter()),
        _ => return None,
    };
    if depth >= MAX_DEPTH {
        return Some(format!(
            "the document nests lists and maps deeper than {MAX_DEPTH} levels"
        ));
    }
    children
        .into_iter()
        .find_map(|child| refusal(child, depth + 1))
}

/// A document's item, or why it can never be written.
fn item(document: &Document) -> Result<Item, DeliveryError> {
    let permanent = |why: String| DeliveryError {
        message: format!("{}: {why}; it was not sent", LIMITS.call),
        permanent: true,
    };
    if document.id.is_empty() {
        return Err(permanent("an empty id cannot be the item's key".into()));
    }
    let value = dynamodb_item(document);
    if let Some(why) = refusal(&value, 0) {
        return Err(permanent(why));
    }
    serde_dynamo::to_item(&value).map_err(|e| permanent(e.to_string()))
}

/// An item's size as DynamoDB counts it: names and values in UTF-8, numbers about one byte per
/// two digits, three bytes and one per element for lists and maps.
fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + attribute_size(value))
        .sum()
}

fn attribute_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(number) => number.len().div_ceil(2) + 1,
        AttributeValue::B(bytes) => bytes.as_ref().len(),
        AttributeValue::L(items) => 3 + items.iter().map(|v| 1 + attribute_size(v)).sum::<usize>(),
        AttributeValue::M(fields) => {
            3 + fields
                .iter()
                .map(|(name, v)| 1 + name.len() + attribute_size(v))
                .sum::<usize>()
        }
        AttributeValue::Ss(texts) => texts.iter().map(String::len).sum(),
        AttributeValue::Ns(numbers) => numbers.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(blobs) => blobs.iter().map(|b| b.as_ref().len()).sum(),
        _ => 1,
    }
}

/// Items in a DynamoDB table whose partition key is `id`.
pub(crate) struct DynamoDbSink {
    client: aws_sdk_dynamodb::Client,
    arn: String,
    table: String,
}

impl DynamoDbSink {
    pub(crate) fn new(config: &SdkConfig, arn: &str, table: String) -> DynamoDbSink {
        let mut builder = aws_sdk_dynamodb::config::Builder::from(config);
        builder.set_region(region(arn, config));
        DynamoDbSink {
            client: aws_sdk_dynamodb::Client::from_conf(builder.build()),
            arn: arn.to_owned(),
            table,
        }
    }

    async fn send(
        &self,
        documents: &[Document],
        items: &[Option<Item>],
        batch: Vec<usize>,
    ) -> Result<Vec<EntryOutcome>, String> {
        let requests = batch
            .iter()
            .filter_map(|&i| items[i].clone())
            .map(|item| {
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(|e| format!("{}: {e}", LIMITS.call))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let out = self
            .client
            .batch_write_item()
            .request_items(&self.table, requests)
            .send()
            .await
            .map_err(|e| service_error(LIMITS.call, &e))?;
        // Unprocessed items come back whole; their `id` says which documents they were.
        let unprocessed: Vec<&str> = out
            .unprocessed_items()
            .and_then(|tables| tables.get(&self.table))
            .into_iter()
            .flatten()
            .filter_map(|request| request.put_request())
            .filter_map(|put| put.item().get("id"))
            .filter_map(|id| id.as_s().ok())
            .map(String::as_str)
            .collect();
        Ok(batch
            .iter()
            .map(|&i| {
                if unprocessed.contains(&documents[i].id.as_str()) {
                    EntryOutcome::Retry(format!(
                        "{}: the item was not processed (the table's capacity was exceeded)",
                        LIMITS.call
                    ))
                } else {
                    EntryOutcome::Delivered
                }
            })
            .collect())
    }
}

impl Sink for DynamoDbSink {
    fn deliver<'a>(
        &'a self,
        documents: &'a [Document],
    ) -> BoxFuture<'a, Vec<Result<(), DeliveryError>>> {
        Box::pin(async move {
            let mut results = vec![Ok(()); documents.len()];
            let mut items: Vec<Option<Item>> = Vec::with_capacity(documents.len());
            for (document, result) in documents.iter().zip(results.iter_mut()) {
                match item(document) {
                    Ok(item) => items.push(Some(item)),
                    Err(error) => {
                        *result = Err(error);
                        items.push(None);
                    }
                }
            }
            // A batch may not hold one key twice: the last document with an id is written and
            // the earlier ones share its outcome.
            let last = last_of_each(documents.iter().map(|d| d.id.as_str()));
            let mut sizes = within_limits(
                items.iter().map(|item| item.as_ref().map_or(0, item_size)),
                &LIMITS,
                &mut results,
            );
            sizes.retain(|&(i, _)| items[i].is_some() && last[i] == i && results[i].is_ok());
            send_in_batches(&mut results, &sizes, &LIMITS, |batch| {
                self.send(documents, &items, batch)
            })
            .await;
            for (i, &representative) in last.iter().enumerate() {
                if representative != i && results[i].is_ok() {
                    results[i] = results[representative].clone();
                }
            }
            results
        })
    }

    fn describe(&self) -> String {
        self.arn.clone()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn document(id: &str, body: Value) -> Document {
        Document {
            id: id.into(),
            body,
        }
    }

    #[test]
    fn items_are_keyed_by_the_document_id() {
        let written = item(&document(
            "r/1",
            json!({"id": "other", "n": 1.5, "ok": true}),
        ))
        .unwrap();
        assert_eq!(written["id"], AttributeValue::S("r/1".into()));
        assert_eq!(written["n"], AttributeValue::N("1.5".into()));
        assert_eq!(written["ok"], AttributeValue::Bool(true));
    }

    #[test]
    fn items_dynamodb_refuses_fail_permanently() {
        let mut deep = json!(1);
        for _ in 0..40 {
            deep = json!([deep]);
        }
        for (id, body, why) in [
            ("", json!({}), "empty id"),
            ("a", json!({"": 1}), "empty attribute name"),
            ("a", json!({"x": {"": 1}}), "empty attribute name"),
            ("a", deep, "deeper than 32"),
        ] {
            let error = item(&document(id, body)).unwrap_err();
            assert!(error.permanent && error.message.contains(why), "{error}");
        }
    }

    #[test]
    fn sizes_count_names_and_values() {
        let small = item(&document(
            "abc",
            json!({"text": "hello", "list": [true, null]}),
        ))
        .unwrap();
        // id: 2 + 3; text: 4 + 5; list: 4 + 3 + (1 + 1) * 2.
        assert_eq!(item_size(&small), 5 + 9 + 11);
        let big = item(&document("a", json!({"text": "x".repeat(400 * 1024)}))).unwrap();
        assert!(item_size(&big) > LIMITS.entry_bytes);
    }
}
