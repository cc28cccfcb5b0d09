//! Reading the key from SSM Parameter Store and Secrets Manager: the small traits the
//! resolution goes through (implemented for the AWS clients; tests may use their own), and what
//! a secret's value may look like.

use std::future::Future;

use algorithmia_client::ApiKey;

/// Why a parameter or a secret could not be read: the service's error, or what the answer
/// lacked. Never contains the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// Reads an SSM parameter. Implemented for the SSM client; tests may use their own.
pub trait ParameterStore: Send + Sync {
    /// The value of the parameter `name` (a name or an ARN), decrypted if it is a SecureString.
    fn parameter(&self, name: &str) -> impl Future<Output = Result<String, StoreError>> + Send;
}

/// Reads a Secrets Manager secret. Implemented for the Secrets Manager client; tests may use
/// their own.
pub trait SecretStore: Send + Sync {
    /// The current SecretString of the secret `id` (an ARN or a name).
    fn secret_string(&self, id: &str) -> impl Future<Output = Result<String, StoreError>> + Send;
}

impl ParameterStore for aws_sdk_ssm::Client {
    async fn parameter(&self, name: &str) -> Result<String, StoreError> {
        let out = self
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| StoreError(aws_sdk_ssm::error::DisplayErrorContext(&e).to_string()))?;
        out.parameter()
            .and_then(|p| p.value())
            .map(str::to_owned)
            .ok_or_else(|| StoreError("SSM returned the parameter without a value".into()))
    }
}

impl SecretStore for aws_sdk_secretsmanager::Client {
    async fn secret_string(&self, id: &str) -> Result<String, StoreError> {
        let out = self
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| {
                StoreError(aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string())
            })?;
        match out.secret_string() {
            Some(text) => Ok(text.to_owned()),
            None if out.secret_binary().is_some() => Err(StoreError(
                "the secret holds a SecretBinary; store the key as a SecretString (the key, or JSON with an \"api_key\" field)".into(),
            )),
            None => Err(StoreError("the secret has no value".into())),
        }
    }
}

/// The field of a JSON secret that holds the key.
pub(crate) const API_KEY_FIELD: &str = "api_key";

/// The key in a parameter's or a secret's value: the value itself, or for a JSON object its
/// `api_key` field. The error says what is wrong without repeating the value.
pub(crate) fn key_in_value(value: &str, json_allowed: bool) -> Result<ApiKey, String> {
    let value = value.trim();
    let key = if json_allowed && value.starts_with('{') {
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(value)
            .map_err(|e| {
                format!(
                    "not valid JSON (line {}, column {}); use the key itself, or {{\"{API_KEY_FIELD}\": \"...\"}}",
                    e.line(),
                    e.column()
                )
            })?;
        match object.get(API_KEY_FIELD) {
            Some(serde_json::Value::String(key)) => key.trim().to_owned(),
            Some(_) => {
                return Err(format!(
                    "JSON whose \"{API_KEY_FIELD}\" field is not a string"
                ));
            }
            None => {
                return Err(format!(
                    "a JSON object without an \"{API_KEY_FIELD}\" field (its fields: {})",
                    field_names(&object)
                ));
            }
        }
    } else {
        value.to_owned()
    };
    if key.is_empty() {
        return Err("empty".into());
    }
    Ok(ApiKey::new(key))
}

/// The names of an object's fields (never their values), for a message.
fn field_names(object: &serde_json::Map<String, serde_json::Value>) -> String {
    if object.is_empty() {
        return "none".into();
    }
    let names: Vec<String> = object.keys().take(10).map(|k| format!("{k:?}")).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_the_key_or_json_with_an_api_key_field() {
        assert_eq!(
            key_in_value(" simPLAIN\n", true).unwrap().expose(),
            "simPLAIN"
        );
        assert_eq!(
            key_in_value(r#"{"api_key": " simJSON ", "owner": "ops"}"#, true)
                .unwrap()
                .expose(),
            "simJSON"
        );
        // An SSM parameter is taken as it is, braces and all.
        assert_eq!(key_in_value("{x", false).unwrap().expose(), "{x");
    }

    #[test]
    fn bad_values_say_what_is_wrong_without_the_value() {
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            (r#"{"api_key": "  "}"#, "empty"),
            (r#"{"api_key": "simSECRET""#, "not valid JSON"),
            (
                r#"{"apikey": "simSECRET"}"#,
                "without an \"api_key\" field (its fields: \"apikey\")",
            ),
            (r#"{}"#, "without an \"api_key\" field (its fields: none)"),
            (
                r#"{"api_key": ["simSECRET"]}"#,
                "\"api_key\" field is not a string",
            ),
        ];
        for (value, want) in cases {
            let err = key_in_value(value, true).unwrap_err();
            assert!(err.contains(want), "{value}: {err}");
            assert!(!err.contains("simSECRET"), "{err}");
        }
    }
}
