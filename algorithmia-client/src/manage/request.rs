//! How management requests are sent and answered: one JSON request helper, the retry class of
//! each method, and the error shapes management routes have been seen to send.

use bytes::Bytes;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::client::Client;
use crate::data::{DataAnswer, Deadline};
use crate::error::{Error, Result, snippet};
use crate::request::{Body, RequestSpec};
use crate::retry::RetryClass;
use crate::wire;

/// GET, PUT and DELETE may be sent again; a POST (create, compile, publish, secrets, insights)
/// is retried only when it cannot have reached the server (connect failure, 429, 503).
fn class_of(method: &Method) -> RetryClass {
    if *method == Method::POST || *method == Method::PATCH {
        RetryClass::RunsOnce
    } else {
        RetryClass::Idempotent
    }
}

impl Client {
    /// Send a management request with an optional JSON body and return the success body; a
    /// non-success status, or an `error` key in a JSON object answer, is [`Error::Api`].
    pub(crate) async fn manage_send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<Bytes> {
        self.manage_send_within(method, url, body, Deadline::Data)
            .await
    }

    /// [`Client::manage_send`] with its own deadline.
    pub(crate) async fn manage_send_within(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        deadline: Deadline,
    ) -> Result<Bytes> {
        let class = class_of(&method);
        let mut spec = RequestSpec::new(method, url, class);
        if let Some(body) = body {
            spec = spec.with_body(Body::Bytes(body.into(), wire::CONTENT_TYPE_JSON));
        }
        let answer = self.data_answer(spec, deadline).await?;
        let error = wire::json_object(&answer.body)
            .and_then(|mut map| map.remove("error"))
            .is_some_and(|e| !e.is_null());
        if !answer.status.is_success() || error {
            return Err(manage_error(&answer));
        }
        Ok(answer.body)
    }

    /// [`Client::manage_send`] with `body` serialised as JSON, the answer decoded as `T`.
    pub(crate) async fn manage_json<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&(impl Serialize + ?Sized)>,
        what: &str,
    ) -> Result<T> {
        let body = body
            .map(|b| serde_json::to_vec(b).map_err(Error::serialize))
            .transpose()?;
        let path = url.path().to_owned();
        let answer = self.manage_send(method, url, body).await?;
        decode(what, &path, &answer)
    }

    /// A GET decoded as `T`.
    pub(crate) async fn manage_get<T: DeserializeOwned>(&self, url: Url, what: &str) -> Result<T> {
        self.manage_json(Method::GET, url, None::<&()>, what).await
    }
}

/// Decode a management answer, naming the failing field.
pub(crate) fn decode<T: DeserializeOwned>(what: &str, path: &str, body: &[u8]) -> Result<T> {
    // An empty answer (204) reads as `null`, which `()` and `Option` accept.
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        body
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de)
        .map_err(|e| Error::decode(what, path, None, snippet(body, 200), e.to_string().into()))
}

/// A management error: `{"error": {...}}` as documented, and also a bare error object
/// (`{"code": 1000, "message": ...}`), a JSON string, or plain text, each taken as the message.
pub(crate) fn manage_error(answer: &DataAnswer) -> Error {
    let mut error = Error::api(
        &answer.method,
        &answer.url,
        answer.status,
        &answer.headers,
        &answer.body,
    );
    if let Error::Api(api) = &mut error
        && api.body_snippet.is_some()
    {
        match serde_json::from_slice::<Value>(&answer.body) {
            Ok(Value::Object(map)) if ["message", "code"].iter().any(|k| map.contains_key(*k)) => {
                let body = wire::ErrorBody::from_map(map);
                if !body.message.is_empty() {
                    api.message = body.message;
                }
                api.error_type = body.error_type;
                api.code = body.code;
                api.id = body.id;
                api.body_snippet = None;
            }
            Ok(Value::String(message)) if !message.trim().is_empty() => {
                api.message = message;
                api.body_snippet = None;
            }
            Err(_) => {
                let text = String::from_utf8_lossy(&answer.body);
                let text = text.trim();
                if !text.is_empty() && !text.starts_with('<') {
                    api.message = snippet(text.as_bytes(), 200);
                    api.body_snippet = None;
                }
            }
            _ => {}
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_run_once_and_the_rest_are_idempotent() {
        assert_eq!(class_of(&Method::POST), RetryClass::RunsOnce);
        for m in [Method::GET, Method::PUT, Method::DELETE] {
            assert_eq!(class_of(&m), RetryClass::Idempotent);
        }
    }

    #[test]
    fn empty_answers_decode_as_null() {
        let nothing: Option<u32> = decode("x", "/p", b"").unwrap();
        assert_eq!(nothing, None);
        let err = decode::<u32>("thing", "/p", b"\"a\"").unwrap_err();
        assert!(err.to_string().contains("thing"), "{err}");
    }
}
