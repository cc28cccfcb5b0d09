//! Users and organisations: `GET /v1/users/{name}` (with `/algorithms` and `/errors`),
//! `GET /v1/organizations/{org}` and `/members`. Unknown names are 404 with code 3000.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::paging::{page_of, paged};
use super::{base_url, db, not_authorized, objects};
use crate::api::AppState;
use crate::api::auth::Caller;
use crate::error::AppError;
use crate::store::{AccountRecord, Callability};

fn unknown_user(name: &str) -> AppError {
    AppError::not_found(format!("user {name} not found")).code(3000)
}

fn unknown_org(name: &str) -> AppError {
    AppError::not_found(format!("organization {name} not found")).code(3000)
}

async fn account(state: &Arc<AppState>, name: &str) -> Result<Option<AccountRecord>, AppError> {
    let name = name.to_owned();
    db(state, move |store| store.account(&name)).await
}

/// `GET /v1/users/{name}`: the user object; the email only to the user.
pub(in crate::api) async fn user(
    State(state): State<Arc<AppState>>,
    Caller { user }: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let record = account(&state, &name)
        .await?
        .filter(|a| a.kind == "user")
        .ok_or_else(|| unknown_user(&name))?;
    let own = user == record.name;
    Ok(axum::Json(json!({
        "id": record.name,
        "username": record.name,
        "email": if own { record.email.clone() } else { None },
        "fullname": record.fullname,
        "company_name": null,
        "company_role": null,
        "created_at": record.created,
        "resource_type": "user",
        "self_link": format!("{}/v1/users/{}", base_url(&headers), record.name),
    }))
    .into_response())
}

/// `GET /v1/users/{owner}/algorithms?limit&marker`: the owner's algorithms by name; callers
/// who do not act for the owner see only those with a published public version.
pub(in crate::api) async fn user_algorithms(
    State(state): State<Arc<AppState>>,
    Caller { user }: Caller,
    Path(owner): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let page = page_of(&query)?;
    let wanted = owner.clone();
    let listed = db(&state, move |store| {
        if store.account(&wanted)?.is_none() {
            return Ok(None);
        }
        let manages = store.acts_for(&user, &wanted)?;
        let mut visible = Vec::new();
        for algorithm in store.algorithms_of(&wanted)? {
            let shown = manages
                || store
                    .all_versions(&algorithm.id)?
                    .iter()
                    .any(|v| v.semantic_version.is_some() && v.callability == Callability::Public);
            if shown {
                visible.push(algorithm);
            }
        }
        Ok(Some(visible))
    })
    .await?
    .ok_or_else(|| unknown_user(&owner))?;
    let base = base_url(&headers);
    let start = usize::try_from(page.offset)
        .unwrap_or(usize::MAX)
        .min(listed.len());
    let end = start
        .saturating_add(usize::try_from(page.limit).unwrap_or(usize::MAX))
        .min(listed.len());
    let results: Vec<Value> = listed[start..end]
        .iter()
        .map(|a| objects::algorithm(&base, a, None, None))
        .collect();
    let link = format!("{base}/v1/users/{owner}/algorithms");
    Ok(axum::Json(paged(results, page, end < listed.len(), &link, &[])).into_response())
}

/// `GET /v1/users/{name}/errors`: the errors of every algorithm the user (or an org the caller
/// belongs to) owns; only for that user or org's members.
pub(in crate::api) async fn user_errors(
    State(state): State<Arc<AppState>>,
    Caller { user }: Caller,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let wanted = name.clone();
    let errors = db(&state, move |store| {
        if store.account(&wanted)?.is_none() {
            return Ok(Err(unknown_user(&wanted)));
        }
        if !store.acts_for(&user, &wanted)? {
            return Ok(Err(not_authorized(&format!("read the errors of {wanted}"))));
        }
        Ok(Ok(store.errors_of_owner(&wanted)?))
    })
    .await??;
    let results: Vec<Value> = errors.iter().map(objects::error).collect();
    Ok(axum::Json(results).into_response())
}

/// `GET /v1/organizations/{org}`.
pub(in crate::api) async fn organization(
    State(state): State<Arc<AppState>>,
    _caller: Caller,
    Path(org): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let record = account(&state, &org)
        .await?
        .filter(|a| a.kind == "org")
        .ok_or_else(|| unknown_org(&org))?;
    Ok(axum::Json(json!({
        "org_name": record.name,
        "org_label": record.fullname.clone().unwrap_or_else(|| record.name.clone()),
        "org_contact_name": null,
        "org_email": record.email,
        "org_created_at": record.created,
        "org_url": null,
        "type_id": null,
        "resource_type": "organization",
        "self_link": format!("{}/v1/organizations/{}", base_url(&headers), record.name),
    }))
    .into_response())
}

/// `GET /v1/organizations/{org}/members`: for its members only.
pub(in crate::api) async fn organization_members(
    State(state): State<Arc<AppState>>,
    Caller { user }: Caller,
    Path(org): Path<String>,
) -> Result<Response, AppError> {
    let wanted = org.clone();
    let members = db(&state, move |store| {
        match store.account(&wanted)? {
            Some(a) if a.kind == "org" => {}
            _ => return Ok(Err(unknown_org(&wanted))),
        }
        if !store.acts_for(&user, &wanted)? {
            return Ok(Err(not_authorized(&format!(
                "list the members of {wanted}"
            ))));
        }
        Ok(Ok(store.members(&wanted)?))
    })
    .await??;
    let results: Vec<Value> = members
        .iter()
        .map(|m| json!({"username": m, "role": "member", "resource_type": "user"}))
        .collect();
    Ok(axum::Json(json!({"marker": null, "next_link": null, "results": results})).into_response())
}
