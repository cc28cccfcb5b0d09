//! Credentials, kept out of every `Debug`, `Display`, log line and error.

use std::fmt;

use reqwest::header::HeaderValue;

use crate::error::{Error, Result};

/// An API key or bearer token. It is never printed: `Debug` shows `ApiKey(<redacted>)`, and
/// there is no `Display`.
///
/// ```
/// use algorithmia_client::ApiKey;
///
/// let key = ApiKey::new("simABCDEF");
/// assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
/// assert_eq!(key.expose(), "simABCDEF");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wrap a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        ApiKey(secret.into())
    }

    /// The secret itself. Call it only to hand the value to something that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl From<String> for ApiKey {
    fn from(s: String) -> Self {
        ApiKey(s)
    }
}

impl From<&str> for ApiKey {
    fn from(s: &str) -> Self {
        ApiKey(s.to_owned())
    }
}

impl Drop for ApiKey {
    fn drop(&mut self) {
        // Overwrite the bytes so the key does not linger in freed memory. `String` gives no
        // safe way to write through a volatile pointer; a plain fill is a best effort.
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&bytes);
    }
}

/// How requests authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// `Authorization: Simple <key>`, the documented scheme for API keys.
    Simple(ApiKey),
    /// `Authorization: Bearer <token>`, for clusters with JWT authentication.
    Bearer(ApiKey),
    /// No `Authorization` header: for code running inside an algorithm on the platform.
    #[default]
    None,
}

impl Auth {
    /// The `Authorization` header value, marked sensitive so that the HTTP stack never logs it.
    pub(crate) fn header_value(&self) -> Result<Option<HeaderValue>> {
        let (scheme, secret) = match self {
            Auth::None => return Ok(None),
            Auth::Simple(key) => ("Simple", key.expose()),
            Auth::Bearer(token) => ("Bearer", token.expose()),
        };
        // A key pasted with its scheme (as the Node client allows) is not doubled.
        let secret = secret
            .strip_prefix(scheme)
            .and_then(|rest| rest.strip_prefix(' '))
            .unwrap_or(secret)
            .trim();
        if secret.is_empty() {
            return Err(Error::config(
                "the API key is empty; set a key, or Auth::None to send no Authorization header",
            ));
        }
        let value = format!("{scheme} {secret}");
        let mut header = HeaderValue::from_str(&value).map_err(|_| {
            Error::config("the API key contains characters that cannot be sent in an HTTP header")
        })?;
        header.set_sensitive(true);
        Ok(Some(header))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_and_redaction() {
        let simple = Auth::Simple(ApiKey::new("simKEY123"));
        let h = simple.header_value().unwrap().unwrap();
        assert_eq!(h.to_str().unwrap(), "Simple simKEY123");
        assert!(h.is_sensitive());
        assert!(!format!("{simple:?}").contains("simKEY123"));

        let pasted = Auth::Simple(ApiKey::new("Simple simKEY123"));
        assert_eq!(
            pasted.header_value().unwrap().unwrap().to_str().unwrap(),
            "Simple simKEY123"
        );

        let bearer = Auth::Bearer(ApiKey::new("tok"));
        assert_eq!(
            bearer.header_value().unwrap().unwrap().to_str().unwrap(),
            "Bearer tok"
        );
        assert!(Auth::None.header_value().unwrap().is_none());
    }

    #[test]
    fn an_empty_key_is_a_config_error() {
        for empty in ["", "  ", "Simple ", "Simple  "] {
            let err = Auth::Simple(ApiKey::new(empty)).header_value().unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{empty:?}: {err}");
        }
        let err = Auth::Bearer(ApiKey::new("Bearer "))
            .header_value()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)));
        assert!(matches!(crate::Client::new(""), Err(Error::Config(_))));
    }

    #[test]
    fn bad_header_characters_are_a_config_error_without_the_key() {
        let err = Auth::Simple(ApiKey::new("sim\nSECRET"))
            .header_value()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)));
        assert!(!err.to_string().contains("SECRET"));
    }
}
