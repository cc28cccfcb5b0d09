//! Git's smart HTTP protocol for the algorithms' repositories, at
//! `/git/{owner}/{name}.git/{info/refs, git-upload-pack, git-receive-pack}`, served by
//! `git http-backend`.
//!
//! Authentication is HTTP Basic where the password is an API key (any user name; a key given
//! as the user name with an empty password is accepted too). Without credentials the answer is
//! 401 with `WWW-Authenticate: Basic realm="algorithmia"`, so a stock git asks its credential
//! helper. Whether a key may read or write a repository is the caller's decision, through
//! [`GitAccess`]. A push that moves the default branch is reported to the push hook.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;

use super::cgi::{self, CgiError, CgiRequest};
use super::repo::{Repositories, head_of};

/// The user a key belongs to, as the access check found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitUser {
    /// The user name (given to git as `REMOTE_USER`, so it appears in reflogs).
    pub name: String,
}

/// Why the access check refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denied {
    /// The key is unknown: 401, so git asks for other credentials.
    Unauthenticated,
    /// The key is known but may not do this: 403.
    Forbidden,
    /// The key may not know the repository exists: 404.
    NotFound,
}

/// Decides whether an API key may read (`write == false`) or push to (`write == true`) the
/// repository `owner/name`. Any `Fn(&str, &str, &str, bool) -> Result<GitUser, Denied>`
/// closure is one.
pub trait GitAccess: Send + Sync + 'static {
    /// Check `key` (a secret: never log it) for `owner/name`.
    fn check(&self, key: &str, owner: &str, name: &str, write: bool) -> Result<GitUser, Denied>;
}

impl<F> GitAccess for F
where
    F: Fn(&str, &str, &str, bool) -> Result<GitUser, Denied> + Send + Sync + 'static,
{
    fn check(&self, key: &str, owner: &str, name: &str, write: bool) -> Result<GitUser, Denied> {
        self(key, owner, name, write)
    }
}

/// Called after a push moved the default branch: `(owner, name, new head commit)`.
pub type PushHook = Arc<dyn Fn(&str, &str, &str) + Send + Sync>;

/// The largest request body by default (a push's pack): 512 MiB.
pub const DEFAULT_BODY_LIMIT: u64 = 512 * 1024 * 1024;
/// How long one `git http-backend` may run by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// A receive-pack answer (the status report) is read whole; this is its limit.
const MAX_RECEIVE_ANSWER: usize = 16 * 1024 * 1024;

/// The git smart HTTP service over some [`Repositories`].
///
/// ```no_run
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use algorithmia_local::build::{Denied, GitHttp, GitUser, Repositories};
/// let repos = Repositories::new("/tmp/data/git".into())?;
/// let git = GitHttp::new(repos, |key: &str, _owner: &str, _name: &str, _write: bool| {
///     if key == "simKey" { Ok(GitUser { name: "alice".into() }) } else { Err(Denied::Unauthenticated) }
/// })
/// .on_push(|owner: &str, name: &str, head: &str| println!("{owner}/{name} is at {head}"));
/// let app: axum::Router = axum::Router::new().merge(git.router());
/// # Ok(()) }
/// ```
#[must_use]
pub struct GitHttp {
    repos: Repositories,
    access: Arc<dyn GitAccess>,
    on_push: Option<PushHook>,
    body_limit: u64,
    timeout: Duration,
}

impl std::fmt::Debug for GitHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHttp")
            .field("root", &self.repos.root())
            .field("body_limit", &self.body_limit)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl GitHttp {
    /// Serve `repos`, letting `access` decide who reads and writes.
    pub fn new(repos: Repositories, access: impl GitAccess) -> GitHttp {
        GitHttp {
            repos,
            access: Arc::new(access),
            on_push: None,
            body_limit: DEFAULT_BODY_LIMIT,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Call `hook` after each push that moved the default branch. It runs before the pusher
    /// gets its answer, so keep it short (start a build with `tokio::spawn`).
    pub fn on_push(mut self, hook: impl Fn(&str, &str, &str) + Send + Sync + 'static) -> Self {
        self.on_push = Some(Arc::new(hook));
        self
    }

    /// The largest request body accepted (413 above it).
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long one request's `git http-backend` may run before it is killed.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The routes, `/git/{owner}/{name}.git/{*rest}`, ready to merge into any router.
    pub fn router<S: Clone + Send + Sync + 'static>(self) -> Router<S> {
        Router::new()
            .route("/git/{owner}/{repo}/{*rest}", any(serve))
            .with_state(Arc::new(self))
    }
}

fn plain(status: StatusCode, text: &str) -> Response {
    (status, format!("{text}\n")).into_response()
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, r#"Basic realm="algorithmia""#)],
        "authentication required: use your API key as the password\n",
    )
        .into_response()
}

/// The API key from `Authorization: Basic`: the password, or the user name if that is empty.
fn basic_key(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':').unwrap_or((&decoded, ""));
    let key = if password.is_empty() { user } else { password };
    Some(key.to_owned()).filter(|k| !k.is_empty())
}

/// Which service a request is for, and whether it writes; `None` for anything else.
fn service(method: &Method, rest: &str, query: &str) -> Option<(&'static str, bool)> {
    match (method, rest) {
        (&Method::GET, "info/refs") => {
            let wanted = query
                .split('&')
                .find_map(|pair| pair.strip_prefix("service="));
            match wanted {
                Some("git-receive-pack") => Some(("info/refs (receive-pack)", true)),
                Some("git-upload-pack") => Some(("info/refs (upload-pack)", false)),
                _ => None,
            }
        }
        (&Method::POST, "git-upload-pack") => Some(("git-upload-pack", false)),
        (&Method::POST, "git-receive-pack") => Some(("git-receive-pack", true)),
        _ => None,
    }
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn serve(
    State(git): State<Arc<GitHttp>>,
    Path((owner, repo, rest)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let query = query.unwrap_or_default();
    let rest = rest.trim_start_matches('/');
    let Some(name) = repo.strip_suffix(".git") else {
        return plain(
            StatusCode::NOT_FOUND,
            "repositories are at /git/OWNER/NAME.git",
        );
    };
    let Some((service, write)) = service(request.method(), rest, &query) else {
        return plain(
            StatusCode::NOT_FOUND,
            "only git's smart HTTP protocol is served",
        );
    };
    let Some(key) = basic_key(request.headers()) else {
        return unauthorized();
    };
    let user = match git.access.check(&key, &owner, name, write) {
        Ok(user) => user,
        Err(Denied::Unauthenticated) => {
            tracing::info!(%owner, %name, service, "git: unknown API key");
            return unauthorized();
        }
        Err(Denied::Forbidden) => {
            tracing::info!(%owner, %name, service, "git: access denied");
            let what = if write { "push to" } else { "read" };
            return plain(
                StatusCode::FORBIDDEN,
                &format!("this API key may not {what} {owner}/{name}"),
            );
        }
        Err(Denied::NotFound) => return plain(StatusCode::NOT_FOUND, "no such repository"),
    };
    drop(key);
    let path = match git.repos.exists(&owner, name) {
        Ok(true) => git.repos.path(&owner, name),
        Ok(false) | Err(_) => return plain(StatusCode::NOT_FOUND, "no such repository"),
    };
    let Ok(path) = path else {
        return plain(StatusCode::NOT_FOUND, "no such repository");
    };
    tracing::info!(%owner, %name, service, user = %user.name, "git request");
    let receive = service == "git-receive-pack";
    let before = if receive {
        head_of(git.repos.git(), &path).await.ok().flatten()
    } else {
        None
    };
    let headers = request.headers();
    let cgi_request = CgiRequest {
        project_root: git.repos.root().to_owned(),
        path_info: format!("/{owner}/{name}.git/{rest}"),
        method: request.method().as_str().to_owned(),
        query,
        content_type: header_text(headers, header::CONTENT_TYPE),
        content_length: header_text(headers, header::CONTENT_LENGTH).and_then(|n| n.parse().ok()),
        content_encoding: header_text(headers, header::CONTENT_ENCODING),
        git_protocol: header_text(headers, header::HeaderName::from_static("git-protocol")).filter(
            |p| {
                p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "=:.-_".contains(c))
            },
        ),
        remote_user: user.name.clone(),
    };
    let body: Body = request.into_body();
    let started = cgi::start(
        git.repos.git(),
        cgi_request,
        body,
        git.body_limit,
        git.timeout,
    )
    .await;
    let response = match started {
        Ok(response) => response,
        Err(e) => return cgi_failure(&owner, name, e),
    };
    let (status, headers) = (response.status, response.headers.clone());
    let body = if receive {
        match response.collect(MAX_RECEIVE_ANSWER).await {
            Ok(bytes) => {
                let after = head_of(git.repos.git(), &path).await.ok().flatten();
                if let (Some(after), Some(hook)) = (after, &git.on_push)
                    && before.as_deref() != Some(after.as_str())
                {
                    tracing::info!(%owner, %name, head = %after, "git: default branch moved");
                    hook(&owner, name, &after);
                }
                Body::from(bytes)
            }
            Err(e) => return cgi_failure(&owner, name, e),
        }
    } else {
        response.stream()
    };
    let mut answer = Response::new(body);
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    answer
}

fn cgi_failure(owner: &str, name: &str, error: CgiError) -> Response {
    tracing::warn!(%owner, %name, "git http-backend: {error}");
    match error {
        CgiError::TooLarge(_) => plain(StatusCode::PAYLOAD_TOO_LARGE, &error.to_string()),
        CgiError::TimedOut(_) => plain(StatusCode::GATEWAY_TIMEOUT, &error.to_string()),
        CgiError::Start(_) | CgiError::Malformed(_) => {
            plain(StatusCode::BAD_GATEWAY, "the git backend failed")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_password_or_a_lone_user_name() {
        let mut headers = HeaderMap::new();
        let basic = |s: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(s)
            )
            .parse()
            .unwrap()
        };
        headers.insert(header::AUTHORIZATION, basic("x:simKey"));
        assert_eq!(basic_key(&headers).as_deref(), Some("simKey"));
        headers.insert(header::AUTHORIZATION, basic("simKey:"));
        assert_eq!(basic_key(&headers).as_deref(), Some("simKey"));
        headers.insert(header::AUTHORIZATION, basic(":"));
        assert_eq!(basic_key(&headers), None);
        headers.insert(header::AUTHORIZATION, "Bearer simKey".parse().unwrap());
        assert_eq!(basic_key(&headers), None);
    }

    #[test]
    fn only_the_smart_services_are_served() {
        let q = "service=git-receive-pack";
        assert_eq!(
            service(&Method::GET, "info/refs", q).map(|s| s.1),
            Some(true)
        );
        assert_eq!(
            service(&Method::GET, "info/refs", "service=git-upload-pack").map(|s| s.1),
            Some(false)
        );
        assert_eq!(
            service(&Method::POST, "git-receive-pack", "").map(|s| s.1),
            Some(true)
        );
        assert!(service(&Method::GET, "info/refs", "").is_none());
        assert!(service(&Method::GET, "HEAD", "").is_none());
        assert!(service(&Method::GET, "objects/info/packs", "").is_none());
    }
}
