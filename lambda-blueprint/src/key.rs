//! Resolving the API key: plaintext, or a KMS ciphertext decrypted once per execution environment.

use std::collections::BTreeMap;
use std::future::Future;

use algorithmia_client::ApiKey;

use crate::config::{EncryptionContext, KeySource};

/// Why a decryption failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    /// The ciphertext does not decrypt with this context (KMS `InvalidCiphertextException`):
    /// another context may work.
    #[error("the ciphertext does not decrypt with this encryption context: {0}")]
    InvalidCiphertext(String),
    /// Anything else (access denied, key disabled, network): trying another context will not help.
    #[error("{0}")]
    Other(String),
}

/// Decrypts a ciphertext. Implemented for the KMS client; tests may use their own.
pub trait Decrypter: Send + Sync {
    /// Decrypt `ciphertext` with `context` (none if empty).
    fn decrypt(
        &self,
        ciphertext: &[u8],
        context: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<Vec<u8>, DecryptError>> + Send;
}

impl Decrypter for aws_sdk_kms::Client {
    async fn decrypt(
        &self,
        ciphertext: &[u8],
        context: &BTreeMap<String, String>,
    ) -> Result<Vec<u8>, DecryptError> {
        let mut request = self
            .decrypt()
            .ciphertext_blob(aws_sdk_kms::primitives::Blob::new(ciphertext.to_vec()));
        for (k, v) in context {
            request = request.encryption_context(k, v);
        }
        match request.send().await {
            Ok(out) => out
                .plaintext()
                .map(|b| b.as_ref().to_vec())
                .ok_or_else(|| DecryptError::Other("KMS returned no plaintext".into())),
            Err(e) => {
                let text = aws_sdk_kms::error::DisplayErrorContext(&e).to_string();
                if e.as_service_error()
                    .is_some_and(|s| s.is_invalid_ciphertext_exception())
                {
                    Err(DecryptError::InvalidCiphertext(text))
                } else {
                    Err(DecryptError::Other(text))
                }
            }
        }
    }
}

/// Why the key could not be resolved. Never contains the plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// KMS refused every context tried.
    #[error("ALGORITHMIA_API_KEY_ENCRYPTED: could not decrypt with KMS ({tried}): {last}")]
    Decrypt {
        /// The contexts tried, for the message.
        tried: String,
        /// The last error.
        last: DecryptError,
    },
    /// The plaintext is not a usable key.
    #[error("ALGORITHMIA_API_KEY_ENCRYPTED: the decrypted key is {0}")]
    BadPlaintext(&'static str),
}

fn describe(context: &BTreeMap<String, String>) -> String {
    if context.is_empty() {
        "no encryption context".into()
    } else {
        let pairs: Vec<String> = context.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("context {}", pairs.join(","))
    }
}

/// The contexts to try, in order.
pub fn contexts_to_try(
    context: &EncryptionContext,
    function_name: &str,
) -> Vec<BTreeMap<String, String>> {
    match context {
        EncryptionContext::Auto => vec![
            BTreeMap::from([("LambdaFunctionName".to_owned(), function_name.to_owned())]),
            BTreeMap::new(),
        ],
        EncryptionContext::None => vec![BTreeMap::new()],
        EncryptionContext::Explicit(map) => vec![map.clone()],
    }
}

/// The API key: the plaintext one, or the ciphertext decrypted (trying the contexts in order).
pub async fn resolve_key(
    source: &KeySource,
    decrypter: &impl Decrypter,
    function_name: &str,
) -> Result<ApiKey, KeyError> {
    let (ciphertext, context) = match source {
        KeySource::Plain(key) => return Ok(key.clone()),
        KeySource::Encrypted {
            ciphertext,
            context,
        } => (ciphertext, context),
    };
    let candidates = contexts_to_try(context, function_name);
    let mut tried = Vec::new();
    let mut last = DecryptError::Other("nothing tried".into());
    for candidate in &candidates {
        tried.push(describe(candidate));
        match decrypter.decrypt(ciphertext, candidate).await {
            Ok(plaintext) => {
                let key = String::from_utf8(plaintext)
                    .map_err(|_| KeyError::BadPlaintext("not UTF-8"))?;
                let key = key.trim();
                if key.is_empty() {
                    return Err(KeyError::BadPlaintext("empty"));
                }
                if tried.len() > 1 {
                    tracing::info!(context = %tried.last().map(String::as_str).unwrap_or(""), "decrypted the API key");
                }
                return Ok(ApiKey::new(key));
            }
            Err(e @ DecryptError::InvalidCiphertext(_)) => last = e,
            Err(e) => {
                last = e;
                break;
            }
        }
    }
    Err(KeyError::Decrypt {
        tried: tried.join(", then "),
        last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Decrypts only with one context, and records what it was asked.
    struct Fake {
        accepts: BTreeMap<String, String>,
        plaintext: Vec<u8>,
        asked: Mutex<Vec<BTreeMap<String, String>>>,
        other_error: bool,
    }

    impl Decrypter for Fake {
        async fn decrypt(
            &self,
            _: &[u8],
            context: &BTreeMap<String, String>,
        ) -> Result<Vec<u8>, DecryptError> {
            self.asked.lock().unwrap().push(context.clone());
            if self.other_error {
                return Err(DecryptError::Other("AccessDeniedException".into()));
            }
            if *context == self.accepts {
                Ok(self.plaintext.clone())
            } else {
                Err(DecryptError::InvalidCiphertext(
                    "InvalidCiphertextException".into(),
                ))
            }
        }
    }

    fn fake(accepts: &[(&str, &str)], plaintext: &[u8]) -> Fake {
        Fake {
            accepts: accepts
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            plaintext: plaintext.to_vec(),
            asked: Mutex::new(Vec::new()),
            other_error: false,
        }
    }

    fn encrypted(context: EncryptionContext) -> KeySource {
        KeySource::Encrypted {
            ciphertext: vec![1, 2, 3],
            context,
        }
    }

    #[tokio::test]
    async fn auto_tries_the_function_name_then_no_context() {
        let console = fake(&[("LambdaFunctionName", "fwd")], b"simCONSOLE\n");
        let key = resolve_key(&encrypted(EncryptionContext::Auto), &console, "fwd")
            .await
            .unwrap();
        assert_eq!(key.expose(), "simCONSOLE");
        assert_eq!(console.asked.lock().unwrap().len(), 1);

        let cli = fake(&[], b"simCLI");
        let key = resolve_key(&encrypted(EncryptionContext::Auto), &cli, "fwd")
            .await
            .unwrap();
        assert_eq!(key.expose(), "simCLI");
        assert_eq!(cli.asked.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn explicit_and_none_contexts_are_used_as_given() {
        let f = fake(&[("app", "x")], b"simX");
        let ctx = EncryptionContext::Explicit(BTreeMap::from([("app".to_owned(), "x".to_owned())]));
        assert_eq!(
            resolve_key(&encrypted(ctx), &f, "fwd")
                .await
                .unwrap()
                .expose(),
            "simX"
        );
        let err = resolve_key(&encrypted(EncryptionContext::None), &f, "fwd")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no encryption context"), "{err}");
    }

    #[tokio::test]
    async fn failures_say_what_was_tried_and_never_leak_plaintext() {
        let f = fake(&[("other", "y")], b"simLEAK");
        let err = resolve_key(&encrypted(EncryptionContext::Auto), &f, "fwd")
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("ALGORITHMIA_API_KEY_ENCRYPTED"), "{text}");
        assert!(
            text.contains("LambdaFunctionName=fwd, then no encryption context"),
            "{text}"
        );
        // A non-context error stops at once.
        let mut denied = fake(&[], b"simLEAK");
        denied.other_error = true;
        let err = resolve_key(&encrypted(EncryptionContext::Auto), &denied, "fwd")
            .await
            .unwrap_err();
        assert_eq!(denied.asked.lock().unwrap().len(), 1);
        assert!(err.to_string().contains("AccessDenied"));
        // Unusable plaintexts.
        let empty = fake(&[], b"  ");
        assert_eq!(
            resolve_key(&encrypted(EncryptionContext::None), &empty, "fwd")
                .await
                .unwrap_err(),
            KeyError::BadPlaintext("empty")
        );
        let binary = fake(&[], &[0xff, 0xfe]);
        assert!(
            resolve_key(&encrypted(EncryptionContext::None), &binary, "fwd")
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_plain_key_needs_no_decrypter() {
        let f = fake(&[], b"");
        let key = resolve_key(&KeySource::Plain(ApiKey::new("simP")), &f, "fwd")
            .await
            .unwrap();
        assert_eq!(key.expose(), "simP");
        assert!(f.asked.lock().unwrap().is_empty());
    }
}
