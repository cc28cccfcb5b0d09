//! Decrypting `ALGORITHMIA_API_KEY_ENCRYPTED` with KMS: the trait the resolution goes through
//! (implemented for the KMS client; tests may use their own), and the encryption contexts tried.

use std::collections::BTreeMap;
use std::future::Future;

use algorithmia_client::ApiKey;

use super::KeyError;
use crate::config::EncryptionContext;

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

/// The ciphertext decrypted, trying the contexts in order.
pub(super) async fn decrypt_key(
    ciphertext: &[u8],
    context: &EncryptionContext,
    decrypter: &impl Decrypter,
    function_name: &str,
) -> Result<ApiKey, KeyError> {
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
