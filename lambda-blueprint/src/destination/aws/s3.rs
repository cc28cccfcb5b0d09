//! S3: one `PutObject` per document, a few at once, at a key made from the document's id.

use aws_config::SdkConfig;
use aws_sdk_s3::primitives::ByteStream;
use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::batch::{json_text, last_of_each, transient};
use super::{service_error, sha256_hex};
use crate::destination::{DeliveryError, Document, Sink};

/// Objects written at once.
const CONCURRENCY: usize = 8;

/// The longest key S3 takes, in bytes.
const MAX_KEY: usize = 1024;

/// What stays as it is in a key: letters, digits and `-_.~` (RFC 3986's unreserved characters).
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The key of a document's object: `prefix`, then the id percent-encoded (everything but
/// letters, digits and `-_.~`, so `/` makes no folders and every id has its own key), then
/// `.json`. When that would be longer than S3's 1,024 bytes, the id's SHA-256 in hex stands for
/// it. The same id always gives the same key, so a document delivered again overwrites the
/// first.
///
/// ```
/// use lambda_blueprint::destination::aws::object_key;
///
/// assert_eq!(object_key("out/", "shard-1/42"), "out/shard-1%2F42.json");
/// assert_eq!(object_key("", "a b:ü"), "a%20b%3A%C3%BC.json");
/// ```
pub fn object_key(prefix: &str, id: &str) -> String {
    let name = utf8_percent_encode(id, ENCODED).to_string();
    if prefix.len() + name.len() + ".json".len() <= MAX_KEY {
        format!("{prefix}{name}.json")
    } else {
        format!("{prefix}{}.json", sha256_hex(id))
    }
}

/// Objects in an S3 bucket, under a prefix.
pub(crate) struct S3Sink {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
}

impl S3Sink {
    pub(crate) fn new(config: &SdkConfig, bucket: String, prefix: String) -> S3Sink {
        S3Sink {
            client: aws_sdk_s3::Client::new(config),
            bucket,
            prefix,
        }
    }

    async fn put(&self, key: &str, document: &Document) -> Result<(), DeliveryError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(json_text(&document.body).into_bytes()))
            .send()
            .await
            .map(drop)
            .map_err(|e| transient(service_error("S3 PutObject", &e)))
    }
}

impl Sink for S3Sink {
    fn deliver<'a>(
        &'a self,
        documents: &'a [Document],
    ) -> BoxFuture<'a, Vec<Result<(), DeliveryError>>> {
        Box::pin(async move {
            let keys: Vec<String> = documents
                .iter()
                .map(|d| object_key(&self.prefix, &d.id))
                .collect();
            let last = last_of_each(keys.iter().map(String::as_str));
            let keys = &keys;
            let written: Vec<(usize, Result<(), DeliveryError>)> =
                futures_util::stream::iter((0..documents.len()).filter(|&i| last[i] == i))
                    .map(|i| async move { (i, self.put(&keys[i], &documents[i]).await) })
                    .buffer_unordered(CONCURRENCY)
                    .collect()
                    .await;
            let mut results: Vec<Option<Result<(), DeliveryError>>> = vec![None; documents.len()];
            for (i, result) in written {
                results[i] = Some(result);
            }
            last.iter()
                .map(|&i| {
                    results[i]
                        .clone()
                        .unwrap_or_else(|| Err(transient("S3 PutObject: not attempted")))
                })
                .collect()
        })
    }

    fn describe(&self) -> String {
        if self.prefix.is_empty() {
            format!("arn:aws:s3:::{}", self.bucket)
        } else {
            format!("arn:aws:s3:::{}/{}", self.bucket, self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_safe_distinct_and_stable() {
        let ids = [
            "a/b", "a%2Fb", "a b", "a+b", "..", ".", "日本", "a:b", "A-z_0.9~",
        ];
        let keys: Vec<String> = ids.iter().map(|id| object_key("p/", id)).collect();
        for (id, key) in ids.iter().zip(&keys) {
            assert!(key.starts_with("p/") && key.ends_with(".json"), "{key}");
            let name = &key["p/".len()..key.len() - ".json".len()];
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)),
                "{id} -> {key}"
            );
            assert_eq!(&object_key("p/", id), key);
        }
        let unique: std::collections::HashSet<&String> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len());
        assert_eq!(object_key("", "A-z_0.9~"), "A-z_0.9~.json");
    }

    #[test]
    fn long_ids_are_digested_within_the_key_limit() {
        let id = "é".repeat(400);
        let key = object_key("results/", &id);
        assert_eq!(key, format!("results/{}.json", sha256_hex(&id)));
        assert!(key.len() <= MAX_KEY);
        let fits = "x".repeat(MAX_KEY - ".json".len());
        assert_eq!(object_key("", &fits), format!("{fits}.json"));
    }
}
