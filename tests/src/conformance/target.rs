//! What the suite runs against: a server's address, the keys to use, and the names of the
//! algorithms and connectors it offers.

use std::hash::{BuildHasher, Hasher};

use algorithmia_client::{ApiKey, Client, ClientBuilder, RetryPolicy};

/// The connectors `algorithmia-local` serves from its data directory without configuration, as
/// the roots the data checks write under (beside `data://.my`).
pub const LOCAL_CONNECTORS: [&str; 5] = [
    "dropbox://",
    "s3://bucket",
    "s3+backup://b/deeper",
    "gs://g",
    "azureblob://a",
];

/// The environment variables [`Target::from_env`] reads, with what each holds.
pub const ENV_VARS: [(&str, &str); 9] = [
    (
        "ALGORITHMIA_CONFORMANCE_API",
        "the server's base URL (required)",
    ),
    ("ALGORITHMIA_CONFORMANCE_KEY", "an API key on it (required)"),
    (
        "ALGORITHMIA_CONFORMANCE_KEY2",
        "a second user's API key, for the permission checks",
    ),
    (
        "ALGORITHMIA_CONFORMANCE_USER",
        "the name of the first key's user, for the permission checks",
    ),
    (
        "ALGORITHMIA_CONFORMANCE_CONNECTORS",
        "comma-separated data roots to exercise besides data://.my, e.g. s3://my-bucket",
    ),
    (
        "ALGORITHMIA_CONFORMANCE_HELLO",
        "an algorithm that answers text with `Hello <text>` (default demo/Hello)",
    ),
    (
        "ALGORITHMIA_CONFORMANCE_ECHO",
        "an algorithm that returns its input (default util/Echo)",
    ),
    (
        "ALGORITHMIA_CONFORMANCE_DELAY",
        "an algorithm that waits {\"ms\"} and returns {\"result\"} (default util/Delay)",
    ),
    (
        "ALGORITHMIA_CONFORMANCE_FAIL",
        "an algorithm that raises {\"message\", \"error_type\"} (default util/Fail)",
    ),
];

/// The algorithms the checks call, named for what they do. The defaults are
/// `algorithmia-local`'s built-ins; another server names its own equivalents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Algorithms {
    /// Text in, `Hello <text>` out; any other input is an `InputError` (`demo/Hello`).
    pub hello: String,
    /// Returns its input with the same content type (`util/Echo`).
    pub echo: String,
    /// JSON `{"ms": N, "result": R}`: waits N milliseconds, then returns R (`util/Delay`).
    pub delay: String,
    /// JSON `{"message": M, "error_type": T}` raises that error (`util/Fail`).
    pub fail: String,
}

impl Default for Algorithms {
    fn default() -> Self {
        Algorithms {
            hello: "demo/Hello".into(),
            echo: "util/Echo".into(),
            delay: "util/Delay".into(),
            fail: "util/Fail".into(),
        }
    }
}

/// A server to check: its address, who to be, and what it offers. `Debug` never shows a key.
///
/// ```no_run
/// use tests::conformance::{LOCAL_CONNECTORS, Target, run_all};
///
/// # async fn run() {
/// let target = Target::new("local", "http://127.0.0.1:8080", "simAliceKey")
///     .with_second_user("alice", "simBobKey")
///     .with_connectors(LOCAL_CONNECTORS);
/// run_all(&target).await.assert_complete();
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Target {
    /// A name for reports: `in-process`, `binary`, or the external server's address.
    pub name: String,
    /// The API's base URL, e.g. `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The primary user's API key.
    pub key: ApiKey,
    /// The primary user's name: how another user addresses their data (`data://NAME/...`).
    pub user: Option<String>,
    /// A second user's API key, for the checks that one user cannot touch another's data.
    pub second_key: Option<ApiKey>,
    /// The algorithms to call.
    pub algorithms: Algorithms,
    /// Data roots besides `data://.my` to exercise, such as `s3://bucket` or `dropbox://`; the
    /// checks write only under `<root>/<a collection name of this run>`. A directory there has
    /// no ACL (checked on the first).
    pub connectors: Vec<String>,
    /// Whether the clients use the system's proxy settings (off for a loopback server).
    pub system_proxy: bool,
    run_id: String,
}

impl Target {
    /// A target with the default algorithms, no second user and no connectors.
    pub fn new(
        name: impl Into<String>,
        base_url: impl Into<String>,
        key: impl Into<ApiKey>,
    ) -> Target {
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Target {
            name: name.into(),
            base_url: base_url.into(),
            key: key.into(),
            user: None,
            second_key: None,
            algorithms: Algorithms::default(),
            connectors: Vec::new(),
            system_proxy: false,
            run_id: format!("{:08x}", random as u32),
        }
    }

    /// Enable the permission checks: `user` is the name of the primary key's user, and
    /// `second_key` belongs to someone else.
    #[must_use]
    pub fn with_second_user(
        mut self,
        user: impl Into<String>,
        second_key: impl Into<ApiKey>,
    ) -> Self {
        self.user = Some(user.into());
        self.second_key = Some(second_key.into());
        self
    }

    /// Exercise these data roots besides `data://.my`.
    #[must_use]
    pub fn with_connectors<S: Into<String>>(mut self, roots: impl IntoIterator<Item = S>) -> Self {
        self.connectors = roots.into_iter().map(Into::into).collect();
        self
    }

    /// The target named by the environment (see [`ENV_VARS`]); the error says which variables
    /// are missing and what each holds.
    pub fn from_env() -> Result<Target, String> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let (Some(api), Some(key)) = (
            var("ALGORITHMIA_CONFORMANCE_API"),
            var("ALGORITHMIA_CONFORMANCE_KEY"),
        ) else {
            let help: Vec<String> = ENV_VARS
                .iter()
                .map(|(name, what)| format!("  {name}: {what}"))
                .collect();
            return Err(format!(
                "set ALGORITHMIA_CONFORMANCE_API and ALGORITHMIA_CONFORMANCE_KEY to run the \
                 conformance suite against another server; the variables:\n{}",
                help.join("\n")
            ));
        };
        let mut target = Target::new(api.clone(), api, key);
        target.system_proxy = true;
        target.user = var("ALGORITHMIA_CONFORMANCE_USER");
        target.second_key = var("ALGORITHMIA_CONFORMANCE_KEY2").map(ApiKey::new);
        if let Some(roots) = var("ALGORITHMIA_CONFORMANCE_CONNECTORS") {
            target.connectors = roots
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect();
        }
        let algorithms = &mut target.algorithms;
        for (name, slot) in [
            ("ALGORITHMIA_CONFORMANCE_HELLO", &mut algorithms.hello),
            ("ALGORITHMIA_CONFORMANCE_ECHO", &mut algorithms.echo),
            ("ALGORITHMIA_CONFORMANCE_DELAY", &mut algorithms.delay),
            ("ALGORITHMIA_CONFORMANCE_FAIL", &mut algorithms.fail),
        ] {
            if let Some(value) = var(name) {
                *slot = value;
            }
        }
        Ok(target)
    }

    /// The primary user's name and the second user's key, when both are known.
    pub fn second_user(&self) -> Option<(&str, &ApiKey)> {
        Some((self.user.as_deref()?, self.second_key.as_ref()?))
    }

    /// A client builder for this server without credentials: no retries, so that every check
    /// sees the server's first answer.
    pub fn builder(&self) -> ClientBuilder {
        let builder = Client::builder()
            .base_url(&self.base_url)
            .retry(RetryPolicy::none());
        if self.system_proxy {
            builder
        } else {
            builder.no_proxy()
        }
    }

    /// A client with the primary user's key.
    pub fn client(&self) -> Client {
        self.client_with(&self.key)
    }

    /// A client with `key`.
    pub fn client_with(&self, key: &ApiKey) -> Client {
        self.builder()
            .api_key(key.clone())
            .build()
            .unwrap_or_else(|e| panic!("no client for {}: {e}", self.base_url))
    }

    /// A collection name of this run for `purpose` (`conformance_1a2b3c4d_paged`): unique, so
    /// that runs against a shared account do not meet.
    pub fn collection(&self, purpose: &str) -> String {
        format!("conformance_{}_{purpose}", self.run_id)
    }

    /// `data://.my/` and the [`collection`](Self::collection) for `purpose`.
    pub fn my_dir(&self, purpose: &str) -> String {
        format!("data://.my/{}", self.collection(purpose))
    }

    /// The directory for `purpose` under a connector root (`s3://bucket` → `s3://bucket/NAME`,
    /// `dropbox://` → `dropbox://NAME`).
    pub fn connector_dir(&self, root: &str, purpose: &str) -> String {
        let name = self.collection(purpose);
        if root.ends_with("://") {
            format!("{root}{name}")
        } else {
            format!("{}/{name}", root.trim_end_matches('/'))
        }
    }
}
