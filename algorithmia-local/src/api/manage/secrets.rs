//! Secrets: the one provider (`GET /v1/secret-provider`), and an algorithm's secrets under
//! `/v1/algorithms/{id or owner/name}/secrets`. No answer ever holds a secret's value.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Found, Request, objects};
use crate::api::auth::Caller;
use crate::error::AppError;
use crate::store::{NewSecret, is_env_name};

/// The id of the server's only secret provider.
pub(crate) const PROVIDER_ID: &str = "5d9b1d9c-6c4f-4d1e-9a53-0c0a1c41a1a1";

/// `GET /v1/secret-provider`: one provider, the default.
pub(in crate::api) async fn providers(_caller: Caller) -> Response {
    axum::Json(json!([{
        "id": PROVIDER_ID,
        "name": "algorithmia-local",
        "description": "Secrets kept in the local server's state database",
        "moduleName": "algorithmia-local",
        "factoryClassName": "LocalSecretProvider",
        "interfaceVersion": "1.0",
        "isEnabled": true,
        "isDefault": true,
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
    }]))
    .into_response()
}

fn string_field(body: &Value, field: &str) -> Result<Option<String>, AppError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(AppError::bad_request(format!("`{field}` must be a string"))),
    }
}

fn checked_env_name(field: &str, name: &str) -> Result<(), AppError> {
    if is_env_name(name) {
        Ok(())
    } else {
        Err(AppError::bad_request(format!(
            "invalid {field} {name:?}: use letters, digits and _, not starting with a digit"
        )))
    }
}

/// `GET .../secrets`: `{"results": [...]}`.
pub(super) async fn list(request: &Request, found: Found) -> Result<Response, AppError> {
    found.require_manager("read the secrets of")?;
    let id = found.algorithm.id.clone();
    let secrets = request.db(move |store| store.secrets(&id)).await?;
    let results: Vec<Value> = secrets.iter().map(objects::secret).collect();
    Ok(axum::Json(json!({"results": results})).into_response())
}

/// `POST .../secrets`: 201 and the secret (without its value).
pub(super) async fn create(request: &Request, found: Found) -> Result<Response, AppError> {
    found.require_manager("add secrets to")?;
    let body = request.json()?;
    let short_name = string_field(&body, "short_name")?
        .ok_or_else(|| AppError::bad_request("the body needs a `short_name`"))?;
    checked_env_name("short_name", &short_name)?;
    let secret_key = string_field(&body, "secret_key")?.unwrap_or_else(|| short_name.clone());
    checked_env_name("secret_key", &secret_key)?;
    let value = string_field(&body, "secret_value")?
        .ok_or_else(|| AppError::bad_request("the body needs a `secret_value`"))?;
    let provider_id = string_field(&body, "provider_id")?.unwrap_or_else(|| PROVIDER_ID.to_owned());
    if provider_id != PROVIDER_ID {
        return Err(AppError::bad_request(format!(
            "unknown secret provider {provider_id:?}: GET /v1/secret-provider lists the one there is"
        )));
    }
    let new = NewSecret {
        short_name,
        description: string_field(&body, "description")?.unwrap_or_default(),
        provider_id,
        secret_key,
        value,
    };
    let id = found.algorithm.id.clone();
    let secret = request
        .db(move |store| store.create_secret(&id, new))
        .await?;
    request.state.launcher.secrets_changed(&found.algorithm.id);
    Ok((StatusCode::CREATED, axum::Json(objects::secret(&secret))).into_response())
}

fn unknown_secret(found: &Found, id: &str) -> AppError {
    AppError::not_found(format!(
        "algorithm {}/{} has no secret {id}",
        found.algorithm.owner, found.algorithm.name
    ))
    .code(8008)
}

/// `PUT .../secrets/{id}`: change the description and/or the value.
pub(super) async fn update(
    request: &Request,
    found: Found,
    secret_id: &str,
) -> Result<Response, AppError> {
    found.require_manager("change the secrets of")?;
    let body = request.json()?;
    let description = string_field(&body, "description")?;
    let value = string_field(&body, "secret_value")?;
    let (id, wanted) = (found.algorithm.id.clone(), secret_id.to_owned());
    let secret = request
        .db(move |store| {
            store.update_secret(&id, &wanted, description.as_deref(), value.as_deref())
        })
        .await?
        .ok_or_else(|| unknown_secret(&found, secret_id))?;
    request.state.launcher.secrets_changed(&found.algorithm.id);
    Ok(axum::Json(objects::secret(&secret)).into_response())
}

/// `DELETE .../secrets/{id}`: 204.
pub(super) async fn delete(
    request: &Request,
    found: Found,
    secret_id: &str,
) -> Result<Response, AppError> {
    found.require_manager("delete the secrets of")?;
    let (id, wanted) = (found.algorithm.id.clone(), secret_id.to_owned());
    if !request
        .db(move |store| store.delete_secret(&id, &wanted))
        .await?
    {
        return Err(unknown_secret(&found, secret_id));
    }
    request.state.launcher.secrets_changed(&found.algorithm.id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_must_be_environment_variable_names() {
        for good in ["A", "_x", "API_KEY2"] {
            assert!(is_env_name(good), "{good}");
        }
        for bad in ["", "2A", "A-B", "A B", "A=B", "É"] {
            assert!(!is_env_name(bad), "{bad}");
        }
    }
}
