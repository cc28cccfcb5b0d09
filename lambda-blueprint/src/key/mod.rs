//! Resolving the API key: plaintext, a KMS ciphertext decrypted once per execution environment,
//! an SSM parameter or a Secrets Manager secret (read at start, and again when the API refuses
//! the key: see `caller::rotation`).

mod kms;
mod stores;

use algorithmia_client::ApiKey;

use crate::config::KeySource;

pub use kms::{DecryptError, Decrypter, contexts_to_try};
pub use stores::{ParameterStore, SecretStore, StoreError};

/// Why the key could not be resolved. Never contains the key.
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
    /// The SSM parameter could not be read.
    #[error("ALGORITHMIA_API_KEY_SSM_PARAMETER: could not read the SSM parameter {name}: {error}")]
    Parameter {
        /// The parameter's name.
        name: String,
        /// What SSM said.
        error: StoreError,
    },
    /// The secret could not be read.
    #[error("ALGORITHMIA_API_KEY_SECRET_ARN: could not read the secret {id}: {error}")]
    Secret {
        /// The secret's ARN or name.
        id: String,
        /// What Secrets Manager said.
        error: StoreError,
    },
    /// The parameter or the secret was read, but its value is not a usable key.
    #[error("{variable}: the value of {name} is {problem}")]
    BadValue {
        /// The variable naming the source.
        variable: &'static str,
        /// The parameter's or the secret's name.
        name: String,
        /// What is wrong with the value (never the value).
        problem: String,
    },
}

/// The services a key may be read from. [`KeyStores::from_sdk_config`] gives the AWS clients;
/// tests may give their own.
#[derive(Debug, Clone)]
pub struct KeyStores<
    D = aws_sdk_kms::Client,
    P = aws_sdk_ssm::Client,
    S = aws_sdk_secretsmanager::Client,
> {
    /// Decrypts `ALGORITHMIA_API_KEY_ENCRYPTED`.
    pub kms: D,
    /// Reads `ALGORITHMIA_API_KEY_SSM_PARAMETER`.
    pub ssm: P,
    /// Reads `ALGORITHMIA_API_KEY_SECRET_ARN`.
    pub secrets: S,
}

impl KeyStores {
    /// The KMS, SSM and Secrets Manager clients of one AWS configuration (endpoints such as
    /// `AWS_ENDPOINT_URL_SSM` are honoured as `aws_config` reads them).
    pub fn from_sdk_config(aws: &aws_config::SdkConfig) -> KeyStores {
        KeyStores {
            kms: aws_sdk_kms::Client::new(aws),
            ssm: aws_sdk_ssm::Client::new(aws),
            secrets: aws_sdk_secretsmanager::Client::new(aws),
        }
    }
}

/// The API key from its source: the plaintext one, the ciphertext decrypted (trying the
/// contexts in order), the SSM parameter's value, or the secret's value (the key, or JSON with an
/// `api_key` field).
pub async fn resolve_key<D: Decrypter, P: ParameterStore, S: SecretStore>(
    source: &KeySource,
    stores: &KeyStores<D, P, S>,
    function_name: &str,
) -> Result<ApiKey, KeyError> {
    match source {
        KeySource::Plain(key) => Ok(key.clone()),
        KeySource::Encrypted {
            ciphertext,
            context,
        } => kms::decrypt_key(ciphertext, context, &stores.kms, function_name).await,
        KeySource::SsmParameter(name) => {
            let value = stores
                .ssm
                .parameter(name)
                .await
                .map_err(|error| KeyError::Parameter {
                    name: name.clone(),
                    error,
                })?;
            stores::key_in_value(&value, false).map_err(|problem| KeyError::BadValue {
                variable: source.variable(),
                name: name.clone(),
                problem,
            })
        }
        KeySource::Secret(id) => {
            let value =
                stores
                    .secrets
                    .secret_string(id)
                    .await
                    .map_err(|error| KeyError::Secret {
                        id: id.clone(),
                        error,
                    })?;
            stores::key_in_value(&value, true).map_err(|problem| KeyError::BadValue {
                variable: source.variable(),
                name: id.clone(),
                problem,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EncryptionContext;
    use std::collections::BTreeMap;
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

    impl Decrypter for &Fake {
        async fn decrypt(
            &self,
            ciphertext: &[u8],
            context: &BTreeMap<String, String>,
        ) -> Result<Vec<u8>, DecryptError> {
            (**self).decrypt(ciphertext, context).await
        }
    }

    /// A parameter and a secret store that answer from a map, and count what they were asked.
    #[derive(Default)]
    struct Values {
        values: BTreeMap<String, Result<String, StoreError>>,
        asked: Mutex<Vec<String>>,
    }

    impl Values {
        fn get(&self, name: &str) -> Result<String, StoreError> {
            self.asked.lock().unwrap().push(name.to_owned());
            self.values
                .get(name)
                .cloned()
                .unwrap_or_else(|| Err(StoreError("ParameterNotFound".into())))
        }
    }

    impl ParameterStore for &Values {
        async fn parameter(&self, name: &str) -> Result<String, StoreError> {
            self.get(name)
        }
    }

    impl SecretStore for &Values {
        async fn secret_string(&self, id: &str) -> Result<String, StoreError> {
            self.get(id)
        }
    }

    fn values(pairs: &[(&str, Result<&str, &str>)]) -> Values {
        Values {
            values: pairs
                .iter()
                .map(|(k, v)| {
                    (
                        (*k).to_owned(),
                        v.map(str::to_owned).map_err(|e| StoreError(e.into())),
                    )
                })
                .collect(),
            asked: Mutex::new(Vec::new()),
        }
    }

    async fn resolve_with(
        source: &KeySource,
        kms: &Fake,
        function_name: &str,
    ) -> Result<ApiKey, KeyError> {
        let none = Values::default();
        resolve_key(
            source,
            &KeyStores {
                kms,
                ssm: &none,
                secrets: &none,
            },
            function_name,
        )
        .await
    }

    async fn from_stores(source: &KeySource, stores: &Values) -> Result<ApiKey, KeyError> {
        let kms = fake(&[], b"");
        resolve_key(
            source,
            &KeyStores {
                kms: &kms,
                ssm: stores,
                secrets: stores,
            },
            "fwd",
        )
        .await
    }

    #[tokio::test]
    async fn ssm_parameters_and_secrets_resolve_to_their_key() {
        let stores = values(&[
            ("/prod/key", Ok("simSSM\n")),
            ("plain-secret", Ok(" simPLAIN ")),
            (
                "json-secret",
                Ok(r#"{"api_key":"simJSON","rotated":"2026-12-01"}"#),
            ),
        ]);
        let key = |s: KeySource| {
            let stores = &stores;
            async move { from_stores(&s, stores).await.unwrap().expose().to_owned() }
        };
        assert_eq!(
            key(KeySource::SsmParameter("/prod/key".into())).await,
            "simSSM"
        );
        assert_eq!(
            key(KeySource::Secret("plain-secret".into())).await,
            "simPLAIN"
        );
        assert_eq!(
            key(KeySource::Secret("json-secret".into())).await,
            "simJSON"
        );
        assert_eq!(
            *stores.asked.lock().unwrap(),
            ["/prod/key", "plain-secret", "json-secret"]
        );
    }

    #[tokio::test]
    async fn store_failures_and_bad_values_name_the_source_never_the_key() {
        let stores = values(&[
            ("denied", Err("AccessDeniedException: not allowed")),
            ("no-field", Ok(r#"{"key":"simSECRET"}"#)),
            ("bad-json", Ok(r#"{"api_key":"simSECRET"#)),
            ("empty", Ok("  ")),
        ]);
        let cases = [
            (
                KeySource::SsmParameter("denied".into()),
                "ALGORITHMIA_API_KEY_SSM_PARAMETER: could not read the SSM parameter denied: AccessDeniedException",
            ),
            (
                KeySource::SsmParameter("missing".into()),
                "ALGORITHMIA_API_KEY_SSM_PARAMETER: could not read the SSM parameter missing: ParameterNotFound",
            ),
            (
                KeySource::Secret("denied".into()),
                "ALGORITHMIA_API_KEY_SECRET_ARN: could not read the secret denied: AccessDeniedException",
            ),
            (
                KeySource::Secret("no-field".into()),
                "ALGORITHMIA_API_KEY_SECRET_ARN: the value of no-field is a JSON object without an \"api_key\" field",
            ),
            (
                KeySource::Secret("bad-json".into()),
                "ALGORITHMIA_API_KEY_SECRET_ARN: the value of bad-json is not valid JSON",
            ),
            (
                KeySource::SsmParameter("empty".into()),
                "ALGORITHMIA_API_KEY_SSM_PARAMETER: the value of empty is empty",
            ),
        ];
        for (source, want) in cases {
            let err = from_stores(&source, &stores).await.unwrap_err();
            let text = err.to_string();
            assert!(text.starts_with(want), "{text}");
            assert!(!text.contains("simSECRET") && !format!("{err:?}").contains("simSECRET"));
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
        let key = resolve_with(&encrypted(EncryptionContext::Auto), &console, "fwd")
            .await
            .unwrap();
        assert_eq!(key.expose(), "simCONSOLE");
        assert_eq!(console.asked.lock().unwrap().len(), 1);

        let cli = fake(&[], b"simCLI");
        let key = resolve_with(&encrypted(EncryptionContext::Auto), &cli, "fwd")
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
            resolve_with(&encrypted(ctx), &f, "fwd")
                .await
                .unwrap()
                .expose(),
            "simX"
        );
        let err = resolve_with(&encrypted(EncryptionContext::None), &f, "fwd")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no encryption context"), "{err}");
    }

    #[tokio::test]
    async fn failures_say_what_was_tried_and_never_leak_plaintext() {
        let f = fake(&[("other", "y")], b"simLEAK");
        let err = resolve_with(&encrypted(EncryptionContext::Auto), &f, "fwd")
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
        let err = resolve_with(&encrypted(EncryptionContext::Auto), &denied, "fwd")
            .await
            .unwrap_err();
        assert_eq!(denied.asked.lock().unwrap().len(), 1);
        assert!(err.to_string().contains("AccessDenied"));
        // Unusable plaintexts.
        let empty = fake(&[], b"  ");
        assert_eq!(
            resolve_with(&encrypted(EncryptionContext::None), &empty, "fwd")
                .await
                .unwrap_err(),
            KeyError::BadPlaintext("empty")
        );
        let binary = fake(&[], &[0xff, 0xfe]);
        assert!(
            resolve_with(&encrypted(EncryptionContext::None), &binary, "fwd")
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_plain_key_needs_no_decrypter() {
        let f = fake(&[], b"");
        let key = resolve_with(&KeySource::Plain(ApiKey::new("simP")), &f, "fwd")
            .await
            .unwrap();
        assert_eq!(key.expose(), "simP");
        assert!(f.asked.lock().unwrap().is_empty());
    }
}
