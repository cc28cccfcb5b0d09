//! API keys, the users they belong to, and [`Caller`]: the extractor that authenticates a
//! request before its handler runs.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::AppState;
use crate::error::AppError;

/// The user that keys belong to when none is named.
pub const DEFAULT_USER: &str = "local";

/// The keys a server accepts. Keys are never printed.
#[derive(Clone, Default)]
pub(crate) struct Keys {
    users: HashMap<String, String>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("count", &self.users.len())
            .finish()
    }
}

impl Keys {
    pub(crate) fn insert(&mut self, key: String, user: String) {
        self.users.insert(key, user);
    }

    /// Whether any key is configured; without one, any non-empty key is accepted as `local`.
    pub(crate) fn is_open(&self) -> bool {
        self.users.is_empty()
    }

    /// The user of `key`: its configured user, or `local` for any non-empty key when none is
    /// configured; `None` for a key this list does not know.
    pub(crate) fn user_of(&self, key: &str) -> Option<String> {
        if key.is_empty() {
            return None;
        }
        if self.is_open() {
            return Some(DEFAULT_USER.to_owned());
        }
        self.users.get(key).cloned()
    }

    pub(crate) fn first_key(&self) -> Option<(&str, &str)> {
        self.users
            .iter()
            .min_by(|a, b| a.0.cmp(b.0))
            .map(|(k, u)| (k.as_str(), u.as_str()))
    }

    /// The user behind a request's `Authorization` header: `Simple <key>`, `Bearer <key>` or a
    /// bare key.
    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> Result<String, AppError> {
        let key = presented_key(headers)?;
        if self.is_open() {
            return Ok(DEFAULT_USER.to_owned());
        }
        self.users.get(key).cloned().ok_or_else(unknown_key)
    }
}

fn unauthorized(message: &str) -> AppError {
    AppError::new(axum::http::StatusCode::UNAUTHORIZED, message).code(2002)
}

fn unknown_key() -> AppError {
    unauthorized("Unknown or invalid API key")
}

/// The key a request presents in `Authorization`: `Simple <key>`, `Bearer <key>` or bare.
fn presented_key(headers: &HeaderMap) -> Result<&str, AppError> {
    let value = headers
        .get(AUTHORIZATION)
        .ok_or_else(|| {
            unauthorized("authorization required: send Authorization: Simple <api key>")
        })?
        .to_str()
        .map_err(|_| unknown_key())?
        .trim();
    let key = match value.split_once(char::is_whitespace) {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("simple") || scheme.eq_ignore_ascii_case("bearer") =>
        {
            rest.trim()
        }
        None if value.eq_ignore_ascii_case("simple") || value.eq_ignore_ascii_case("bearer") => "",
        _ => value,
    };
    if key.is_empty() {
        return Err(unknown_key());
    }
    Ok(key)
}

/// The user behind a request: a configured key, or (in a server with keys) one the state
/// database knows; any non-empty key is `local` in a server without keys.
pub(crate) fn caller_of(state: &AppState, headers: &HeaderMap) -> Result<String, AppError> {
    match state.keys.authenticate(headers) {
        Ok(user) => Ok(user),
        Err(refused) => {
            let key = presented_key(headers)?;
            state
                .store
                .user_of_key(key)
                .map_err(AppError::internal)?
                .ok_or(refused)
        }
    }
}

/// The authenticated user behind a request. A handler that takes a `Caller` runs only for a
/// valid key: any other request is answered 401 with error code 2002.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    /// The user the request's key belongs to.
    pub(crate) user: String,
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let user = caller_of(state, &parts.headers)?;
        Ok(Caller { user })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn every_header_form_is_accepted() {
        let mut keys = Keys::default();
        keys.insert("simA".into(), "alice".into());
        for form in ["Simple simA", "simA", "Bearer simA", " simple  simA "] {
            assert_eq!(
                keys.authenticate(&headers(form)).unwrap(),
                "alice",
                "{form}"
            );
        }
        for bad in ["Simple simB", "", "Simple ", "Bearer"] {
            let err = keys.authenticate(&headers(bad)).unwrap_err();
            assert_eq!(err.status, 401, "{bad}");
        }
        assert_eq!(
            keys.authenticate(&HeaderMap::new()).unwrap_err().status,
            401
        );
        assert!(!format!("{keys:?}").contains("simA"));
    }

    #[test]
    fn open_mode_accepts_any_non_empty_key() {
        let keys = Keys::default();
        assert_eq!(
            keys.authenticate(&headers("whatever")).unwrap(),
            DEFAULT_USER
        );
        assert!(keys.authenticate(&headers("Simple ")).is_err());
    }
}
