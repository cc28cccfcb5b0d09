//! An algorithm's secrets: list, set, update, delete. Values are write-only.

use std::fmt;

use reqwest::Method;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::algorithm::Algorithm;
use super::model::list::AnyList;
use crate::auth::ApiKey;
use crate::error::{Error, Result};

/// A secret's value. Write-only: it has no `Display`, its `Debug` is `SecretValue(***)`, it is
/// never put in an error, and its memory is overwritten when it is dropped (it is kept as an
/// [`ApiKey`](crate::ApiKey) is).
///
/// ```
/// use algorithmia_client::manage::SecretValue;
///
/// let value = SecretValue::new("hunter2");
/// assert_eq!(format!("{value:?}"), "SecretValue(***)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(ApiKey);

impl SecretValue {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        SecretValue(ApiKey::new(value))
    }

    /// The value, for the request body and for scrubbing errors; crate-only on purpose.
    fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(***)")
    }
}

impl From<String> for SecretValue {
    fn from(value: String) -> Self {
        SecretValue::new(value)
    }
}

impl From<&str> for SecretValue {
    fn from(value: &str) -> Self {
        SecretValue::new(value)
    }
}

fn expose<S: Serializer>(value: &&SecretValue, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.expose())
}

/// A secret as the API lists it (the value is never sent back).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretInfo {
    /// The secret's id, for [`Secrets::update`] and [`Secrets::delete`].
    #[serde(default)]
    pub id: String,
    /// Its short name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The environment variable the algorithm reads it from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
    /// `algorithm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_type: Option<String>,
    /// The algorithm's UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// The provider that stores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When it last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Every other field, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A secret provider, as `GET /v1/secret-provider` lists it.
#[derive(Debug, Deserialize)]
struct Provider {
    #[serde(default)]
    id: String,
    #[serde(default, alias = "is_default", rename = "isDefault")]
    is_default: Option<bool>,
}

#[derive(Debug, Serialize)]
struct NewSecret<'a> {
    owner_type: &'static str,
    owner_id: &'a str,
    short_name: &'a str,
    provider_id: &'a str,
    secret_key: &'a str,
    #[serde(serialize_with = "expose")]
    secret_value: &'a SecretValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct SecretChange<'a> {
    #[serde(serialize_with = "expose")]
    secret_value: &'a SecretValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

/// The secrets of one algorithm. Made by [`Algorithm::secrets`].
///
/// ```no_run
/// use algorithmia_client::manage::SecretValue;
///
/// # async fn run(client: algorithmia_client::Client) -> Result<(), algorithmia_client::Error> {
/// let secrets = client.algorithm("demo/Hello").secrets();
/// let created = secrets.set("DB_PASSWORD", SecretValue::new("hunter2"), Some("the database")).await?;
/// for secret in secrets.list().await? {
///     println!("{} {:?}", secret.id, secret.short_name);
/// }
/// secrets.delete(&created.id).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Secrets {
    algorithm: Algorithm,
}

impl Algorithm {
    /// The algorithm's secrets.
    pub fn secrets(&self) -> Secrets {
        Secrets {
            algorithm: self.clone(),
        }
    }
}

impl Secrets {
    /// The algorithm's UUID: from the reference, or asked of the API.
    async fn algorithm_id(&self) -> Result<String> {
        let reference = self
            .algorithm
            .reference()
            .map_err(|e| Error::from(e.clone()))?;
        if let Some(id) = reference.id() {
            return Ok(id.to_owned());
        }
        let info = self.algorithm.get().await?;
        info.id.filter(|id| !id.is_empty()).ok_or_else(|| {
            Error::decode(
                "algorithm",
                format!("/v1/algorithms/{reference}"),
                None,
                String::new(),
                "the algorithm object has no `id`; secrets are addressed by it".into(),
            )
        })
    }

    fn url(&self, id: &str, tail: &[&str]) -> url::Url {
        let head = ["v1", "algorithms", id, "secrets"];
        self.algorithm
            .client()
            .url(head.iter().chain(tail.iter()).copied())
    }

    /// The default secret provider's id, else the first one's.
    async fn provider_id(&self) -> Result<String> {
        let client = self.algorithm.client();
        let url = client.url(["v1", "secret-provider"]);
        let path = url.path().to_owned();
        let providers: AnyList<Provider> = client.manage_get(url, "secret providers").await?;
        let providers = providers.0;
        providers
            .iter()
            .find(|p| p.is_default == Some(true))
            .or_else(|| providers.first())
            .map(|p| p.id.clone())
            .ok_or(Error::NoSecretProvider { path })
    }

    /// The algorithm's secrets (the API sends them as `results` or `secrets`).
    pub async fn list(&self) -> Result<Vec<SecretInfo>> {
        let url = self.url(&self.algorithm_id().await?, &[]);
        let list: AnyList<SecretInfo> = self
            .algorithm
            .client()
            .manage_get(url, "secret list")
            .await?;
        Ok(list.0)
    }

    /// Create a secret the algorithm reads from the environment variable `short_name`
    /// (`POST`, not retried once sent). Asks the API for the algorithm's id and the secret
    /// provider first.
    pub async fn set(
        &self,
        short_name: &str,
        value: SecretValue,
        description: Option<&str>,
    ) -> Result<SecretInfo> {
        let owner_id = self.algorithm_id().await?;
        let provider_id = self.provider_id().await?;
        let body = NewSecret {
            owner_type: "algorithm",
            owner_id: &owner_id,
            short_name,
            provider_id: &provider_id,
            secret_key: short_name,
            secret_value: &value,
            description,
        };
        let url = self.url(&owner_id, &[]);
        let created: Option<SecretInfo> = self
            .algorithm
            .client()
            .manage_json(Method::POST, url, Some(&body), "secret")
            .await
            .map_err(|e| scrub(e, &value))?;
        Ok(created.unwrap_or_else(|| SecretInfo {
            short_name: Some(short_name.to_owned()),
            ..SecretInfo::default()
        }))
    }

    /// Replace a secret's value and description (`PUT`).
    pub async fn update(
        &self,
        secret_id: &str,
        value: SecretValue,
        description: Option<&str>,
    ) -> Result<()> {
        let url = self.url(&self.algorithm_id().await?, &[secret_id]);
        let body = SecretChange {
            secret_value: &value,
            description,
        };
        let body = serde_json::to_vec(&body).map_err(Error::serialize)?;
        self.algorithm
            .client()
            .manage_send(Method::PUT, url, Some(body))
            .await
            .map_err(|e| scrub(e, &value))?;
        Ok(())
    }

    /// Delete a secret.
    pub async fn delete(&self, secret_id: &str) -> Result<()> {
        let url = self.url(&self.algorithm_id().await?, &[secret_id]);
        self.algorithm
            .client()
            .manage_send(Method::DELETE, url, None)
            .await?;
        Ok(())
    }
}

/// The error with every copy of the value a server may have echoed replaced by `***`.
fn scrub(mut error: Error, value: &SecretValue) -> Error {
    let secret = value.expose();
    if secret.is_empty() {
        return error;
    }
    let clean = |text: &mut String| {
        if text.contains(secret) {
            *text = text.replace(secret, "***");
        }
    };
    match &mut error {
        Error::Api(api) => {
            clean(&mut api.message);
            if let Some(snippet) = &mut api.body_snippet {
                clean(snippet);
            }
        }
        Error::Decode(decode) => {
            clean(&mut decode.snippet);
            if decode.source.to_string().contains(secret) {
                decode.source = "the answer quoted the secret value (not shown)".into();
            }
        }
        _ => {}
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies_carry_the_value_but_never_show_it() {
        let value = SecretValue::new("v@lue-42");
        let create = NewSecret {
            owner_type: "algorithm",
            owner_id: "id",
            short_name: "DB",
            provider_id: "p",
            secret_key: "DB",
            secret_value: &value,
            description: None,
        };
        let change = SecretChange {
            secret_value: &value,
            description: Some("d"),
        };
        for debug in [format!("{create:?}"), format!("{change:#?}")] {
            assert!(!debug.contains("v@lue-42"), "{debug}");
            assert!(debug.contains("***"), "{debug}");
        }
        assert_eq!(
            serde_json::to_value(&create).unwrap()["secret_value"],
            "v@lue-42"
        );
        assert_eq!(
            serde_json::to_value(&change).unwrap()["secret_value"],
            "v@lue-42"
        );
    }

    #[test]
    fn echoed_values_are_scrubbed_from_errors() {
        let value = SecretValue::new("v@lue-42");
        let error = Error::decode(
            "secret",
            "/p",
            Some(200),
            "…v@lue-42…".into(),
            "invalid type: string \"v@lue-42\"".into(),
        );
        let text = format!("{:?}", scrub(error, &value));
        assert!(!text.contains("v@lue-42"), "{text}");
    }
}
