//! An idempotency store in a DynamoDB table (partition key `id`, a string; TTL attribute
//! `expiration`), with the semantics of [`MemoryStore`](super::MemoryStore).
//!
//! Per record in the happy path: one conditional PutItem to take the lock, then a share of one
//! BatchWriteItem (25 marks a call) to complete it. A lock that could not be taken costs no
//! second call: the item that stopped it comes back with the failed condition.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt::Debug;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, PutRequest, ReturnValuesOnConditionCheckFailure, WriteRequest,
};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt, stream};

use super::item::{self, EXPIRATION, ID, IN_PROGRESS_EXPIRATION, INPROGRESS, Item, STATUS};
use super::{Begin, Completion, IdempotencyStore, StoreError};

/// The most items one BatchWriteItem takes.
const BATCH: usize = 25;
/// How many calls run at once.
const CONCURRENCY: usize = 8;
/// How many times a batch is sent while DynamoDB leaves items unprocessed (throttling).
const BATCH_ATTEMPTS: u32 = 4;
/// The first pause before unprocessed items are sent again; it doubles each time.
const BACKOFF: Duration = Duration::from_millis(50);
/// How many times `begin` tries when the item that held the lock vanished before it was read.
const BEGIN_ATTEMPTS: usize = 3;

/// The lock may be taken when there is no item, when the item expired (TTL deletion lags by
/// up to days), or when it is a lock whose holder's time ran out.
const TAKE_LOCK: &str = "attribute_not_exists(#id) OR #expiration < :now_s \
     OR (#status = :inprogress AND #in_progress_expiration < :now_ms)";

/// Locks and completed marks in a DynamoDB table; marks expire after the TTL.
///
/// ```no_run
/// # async fn f() {
/// use std::time::Duration;
/// use lambda_blueprint::idempotency::DynamoDbStore;
///
/// let config = aws_config::load_from_env().await;
/// let store = DynamoDbStore::from_sdk_config(&config, "marks".into(), Duration::from_secs(3600));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct DynamoDbStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    ttl: Duration,
}

impl DynamoDbStore {
    /// A store in `table` (a name, or a table ARN) whose completed marks live for `ttl`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: String, ttl: Duration) -> DynamoDbStore {
        DynamoDbStore {
            client,
            table: item::table_name(&table).to_owned(),
            ttl,
        }
    }

    /// A store with a client made from `config` (region, credentials, endpoint, retries).
    pub fn from_sdk_config(
        config: &aws_config::SdkConfig,
        table: String,
        ttl: Duration,
    ) -> DynamoDbStore {
        DynamoDbStore::new(aws_sdk_dynamodb::Client::new(config), table, ttl)
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    async fn try_begin(&self, key: &str, lock_until: SystemTime) -> Result<Begin, StoreError> {
        for _ in 0..BEGIN_ATTEMPTS {
            let now = item::epoch_millis(SystemTime::now());
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item::lock(key, lock_until)))
                .condition_expression(TAKE_LOCK)
                .expression_attribute_names("#id", ID)
                .expression_attribute_names("#expiration", EXPIRATION)
                .expression_attribute_names("#status", STATUS)
                .expression_attribute_names("#in_progress_expiration", IN_PROGRESS_EXPIRATION)
                .expression_attribute_values(":now_s", AttributeValue::N((now / 1000).to_string()))
                .expression_attribute_values(":now_ms", AttributeValue::N(now.to_string()))
                .expression_attribute_values(":inprogress", AttributeValue::S(INPROGRESS.into()))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let e = match put {
                Ok(_) => return Ok(Begin::Run),
                Err(e) => e,
            };
            let Some(PutItemError::ConditionalCheckFailedException(failed)) = e.as_service_error()
            else {
                return Err(self.error("PutItem", key, &e));
            };
            let holder = match failed.item() {
                Some(item) => Some(item.clone()),
                None => self.get(key).await?,
            };
            if let Some(holder) = holder {
                return item::read(key, &holder);
            }
        }
        Err(StoreError(format!(
            "the lock on {key} in {} could not be taken, and the item holding it vanished before it was read, {BEGIN_ATTEMPTS} times",
            self.table
        )))
    }

    /// The item of `key`, read consistently.
    async fn get(&self, key: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(ID, AttributeValue::S(key.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.error("GetItem", key, &e))?;
        Ok(out.item)
    }

    /// Write `items` (distinct keys, at most [`BATCH`]) in one BatchWriteItem, sending what
    /// DynamoDB leaves unprocessed again a few times; one result per item, in order.
    async fn write_batch(&self, items: Vec<(&str, Item)>) -> Vec<Result<(), StoreError>> {
        let keys: Vec<&str> = items.iter().map(|(key, _)| *key).collect();
        let mut outcome: HashMap<&str, Result<(), StoreError>> = HashMap::new();
        let mut pending = Vec::with_capacity(items.len());
        for (key, item) in items {
            match PutRequest::builder().set_item(Some(item)).build() {
                Ok(put) => pending.push(WriteRequest::builder().put_request(put).build()),
                Err(e) => {
                    outcome.insert(key, Err(StoreError(format!("the mark of {key}: {e}"))));
                }
            }
        }
        let mut pause = BACKOFF;
        for attempt in 1..=BATCH_ATTEMPTS {
            if pending.is_empty() {
                break;
            }
            let sent: Vec<String> = pending.iter().filter_map(request_key).collect();
            let answer = self
                .client
                .batch_write_item()
                .request_items(&self.table, std::mem::take(&mut pending))
                .send()
                .await;
            let out = match answer {
                Ok(out) => out,
                Err(e) => {
                    let e = self.error("BatchWriteItem", &format!("{} marks", sent.len()), &e);
                    for key in &keys {
                        outcome.entry(*key).or_insert_with(|| Err(e.clone()));
                    }
                    break;
                }
            };
            pending = out
                .unprocessed_items
                .and_then(|mut tables| tables.remove(&self.table))
                .unwrap_or_default();
            let left: Vec<String> = pending.iter().filter_map(request_key).collect();
            for key in &keys {
                if sent.iter().any(|s| s == key) && !left.iter().any(|l| l == key) {
                    outcome.insert(*key, Ok(()));
                }
            }
            if !pending.is_empty() && attempt < BATCH_ATTEMPTS {
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
        }
        keys.iter()
            .map(|key| {
                outcome.remove(key).unwrap_or_else(|| {
                    Err(StoreError(format!(
                        "the mark of {key} was left unprocessed by BatchWriteItem on {} {BATCH_ATTEMPTS} times (throttled)",
                        self.table
                    )))
                })
            })
            .collect()
    }

    /// [`write_batch`](Self::write_batch), each outcome with its completion's index.
    async fn write_indexed(
        &self,
        batch: Vec<(usize, &str, Item)>,
    ) -> Vec<(usize, Result<(), StoreError>)> {
        let indices: Vec<usize> = batch.iter().map(|(i, _, _)| *i).collect();
        let items = batch
            .into_iter()
            .map(|(_, key, item)| (key, item))
            .collect();
        indices
            .into_iter()
            .zip(self.write_batch(items).await)
            .collect()
    }

    /// Delete the lock on `key`; an item that is no lock (completed, or gone) stays as it is.
    async fn release_one(&self, key: &str) -> Result<(), StoreError> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(ID, AttributeValue::S(key.to_owned()))
            .condition_expression("#status = :inprogress")
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_values(":inprogress", AttributeValue::S(INPROGRESS.into()))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(self.error("DeleteItem", key, &e)),
        }
    }

    /// The service's error code and message for `action` on `subject`, or the whole chain of a
    /// transport error.
    fn error<E, R>(&self, action: &str, subject: &str, e: &SdkError<E, R>) -> StoreError
    where
        E: ProvideErrorMetadata + StdError + 'static,
        R: Debug,
    {
        let what = match e.code() {
            Some(code) => format!("{code}: {}", e.message().unwrap_or("(no message)")),
            None => DisplayErrorContext(e).to_string(),
        };
        StoreError(format!("{action} of {subject} on {}: {what}", self.table))
    }
}

/// The key of a PutRequest, if it has one.
fn request_key(request: &WriteRequest) -> Option<String> {
    match request.put_request()?.item().get(ID)? {
        AttributeValue::S(key) => Some(key.clone()),
        _ => None,
    }
}

impl IdempotencyStore for DynamoDbStore {
    fn begin<'a>(
        &'a self,
        key: &'a str,
        lock_until: SystemTime,
    ) -> BoxFuture<'a, Result<Begin, StoreError>> {
        self.try_begin(key, lock_until).boxed()
    }

    fn complete<'a>(
        &'a self,
        completions: &'a [Completion],
    ) -> BoxFuture<'a, Vec<Result<(), StoreError>>> {
        async move {
            let expires = SystemTime::now() + self.ttl;
            // A key given twice is written once, with its last mark (as the memory store keeps
            // it): BatchWriteItem refuses a batch that names a key twice.
            let mut last: HashMap<&str, usize> = HashMap::new();
            for (i, c) in completions.iter().enumerate() {
                last.insert(&c.key, i);
            }
            let mut results: Vec<Option<Result<(), StoreError>>> = vec![None; completions.len()];
            let mut writes = Vec::new();
            for (i, c) in completions.iter().enumerate() {
                if last.get(c.key.as_str()) != Some(&i) {
                    continue;
                }
                match item::completed(&c.key, &c.completed, expires) {
                    Ok(item) => writes.push((i, c.key.as_str(), item)),
                    Err(e) => results[i] = Some(Err(e)),
                }
            }
            let mut batches = Vec::new();
            while !writes.is_empty() {
                let rest = writes.split_off(writes.len().min(BATCH));
                batches.push(std::mem::replace(&mut writes, rest));
            }
            // The futures are made before they are streamed: with a closure in the stream, rustc
            // cannot prove the boxed future `Send` ("FnOnce is not general enough").
            let calls: Vec<_> = batches
                .into_iter()
                .map(|batch| self.write_indexed(batch))
                .collect();
            let mut written = stream::iter(calls).buffer_unordered(CONCURRENCY);
            while let Some(outcomes) = written.next().await {
                for (i, outcome) in outcomes {
                    results[i] = Some(outcome);
                }
            }
            completions
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let written = last.get(c.key.as_str()).copied().unwrap_or(i);
                    results[written].clone().unwrap_or_else(|| {
                        Err(StoreError(format!("the mark of {} was not written", c.key)))
                    })
                })
                .collect()
        }
        .boxed()
    }

    fn release<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Vec<Result<(), StoreError>>> {
        stream::iter(keys)
            .map(|key| self.release_one(key))
            .buffered(CONCURRENCY)
            .collect()
            .boxed()
    }

    fn describe(&self) -> String {
        format!("DynamoDB table {}", self.table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_from_the_sdk_config_names_its_table_from_an_arn() {
        let config = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("eu-west-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let store = DynamoDbStore::from_sdk_config(
            &config,
            "arn:aws:dynamodb:eu-west-1:123456789012:table/marks".into(),
            Duration::from_secs(90 * 60),
        );
        assert_eq!(store.table(), "marks");
        assert_eq!(store.describe(), "DynamoDB table marks");
        assert_eq!(store.ttl, Duration::from_secs(5400));
    }
}
