//! Creating algorithms, changing them, and listing an owner's algorithms.

use reqwest::Method;
use serde::Serialize;

use super::model::algorithm::{AlgorithmInfo, Details, Settings, Source};
use super::paging::PagedQuery;
use crate::client::Client;
use crate::error::{Error, Result};

/// A new algorithm: its name, details, settings, sample input and source. Serialised as the body
/// of `POST /v1/algorithms/{owner}`.
///
/// Settings left unset are sent with their most cautious value: `environment` `cpu`, `license`
/// `apl` (proprietary), `network_access` `isolated`, `pipeline_enabled` false,
/// `source_visibility` `closed`. A language or an algorithm environment must be set.
///
/// ```
/// use algorithmia_client::manage::NewAlgorithm;
///
/// let new = NewAlgorithm::new("Hello", "Hello world")
///     .summary("Says hello")
///     .algorithm_environment("python3-env-id")
///     .network_access("full");
/// let body = serde_json::to_value(&new).unwrap();
/// assert_eq!(body["details"]["label"], "Hello world");
/// assert_eq!(body["settings"]["network_access"], "full");
/// assert_eq!(body["settings"]["source_visibility"], "closed");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct NewAlgorithm {
    name: String,
    details: Details,
    settings: Settings,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<SampleInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct SampleInput {
    sample_input: String,
}

macro_rules! setting {
    ($(#[$doc:meta])* $name:ident: $ty:ty => $($path:ident).+) => {
        $(#[$doc])*
        pub fn $name(mut self, value: impl Into<$ty>) -> Self {
            self.$($path).+ = Some(value.into());
            self
        }
    };
}

/// The setters [`NewAlgorithm`] and [`AlgorithmUpdate`] share: the same fields, the same body.
macro_rules! common_setters {
    () => {
        setting!(/// A one-line description.
            tagline: String => details.tagline);
        setting!(/// The build environment's id (see [`Client::environments`]).
            algorithm_environment: String => settings.algorithm_environment);
        setting!(/// `cpu` or `gpu`.
            environment: String => settings.environment);
        setting!(/// `apl`, `apache2`, `gpl3` or `mit`.
            license: String => settings.license);
        setting!(/// `full` or `isolated`.
            network_access: String => settings.network_access);
        setting!(/// Whether the algorithm may call other algorithms.
            pipeline_enabled: bool => settings.pipeline_enabled);
        setting!(/// `open` or `closed`.
            source_visibility: String => settings.source_visibility);
        setting!(/// Whether insights are reported for calls.
            insights_enabled: bool => settings.insights_enabled);

        /// A sample input, shown on the algorithm's page.
        pub fn sample_input(mut self, input: impl Into<String>) -> Self {
            self.version_info = Some(SampleInput {
                sample_input: input.into(),
            });
            self
        }
    };
}

impl NewAlgorithm {
    /// An algorithm called `name` (the last part of `owner/name`), displayed as `label`.
    pub fn new(name: impl Into<String>, label: impl Into<String>) -> Self {
        NewAlgorithm {
            name: name.into(),
            details: Details {
                label: Some(label.into()),
                ..Details::default()
            },
            settings: Settings {
                environment: Some("cpu".into()),
                license: Some("apl".into()),
                network_access: Some("isolated".into()),
                pipeline_enabled: Some(false),
                source_visibility: Some("closed".into()),
                ..Settings::default()
            },
            version_info: None,
            source: None,
        }
    }

    setting!(/// A longer description.
        summary: String => details.summary);
    setting!(/// The language (`python3-1`, `java`, ...), for algorithms without an environment.
        language: String => settings.language);
    common_setters!();

    /// Where the source lives (an external SCM repository).
    pub fn source(mut self, source: Source) -> Self {
        self.source = Some(source);
        self
    }

    /// The algorithm's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn check(&self) -> Result<()> {
        if self.name.trim().is_empty() || self.name.contains('/') {
            return Err(Error::config(format!(
                "an algorithm name is one non-empty path segment, not {:?}",
                self.name
            )));
        }
        if self.settings.language.is_none() && self.settings.algorithm_environment.is_none() {
            return Err(Error::config(format!(
                "a new algorithm needs a language or an algorithm environment ({})",
                self.name
            )));
        }
        Ok(())
    }
}

/// A change to an algorithm's details and settings; only what is set is sent. Serialised as the
/// body of `PUT /v1/algorithms/{owner}/{name}`.
///
/// ```
/// use algorithmia_client::manage::AlgorithmUpdate;
///
/// let update = AlgorithmUpdate::new().summary("Now with more hello").pipeline_enabled(true);
/// let body = serde_json::to_value(&update).unwrap();
/// assert_eq!(body, serde_json::json!({
///     "details": {"summary": "Now with more hello"},
///     "settings": {"pipeline_enabled": true}
/// }));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[must_use]
pub struct AlgorithmUpdate {
    #[serde(skip_serializing_if = "is_empty_details")]
    details: Details,
    #[serde(skip_serializing_if = "is_empty_settings")]
    settings: Settings,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<SampleInput>,
}

fn is_empty_details(d: &Details) -> bool {
    *d == Details::default()
}

fn is_empty_settings(s: &Settings) -> bool {
    *s == Settings::default()
}

impl AlgorithmUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        AlgorithmUpdate::default()
    }

    setting!(/// A new display name.
        label: String => details.label);
    setting!(/// A longer description.
        summary: String => details.summary);
    common_setters!();
}

/// The algorithms of users and organisations: create and list. Made by [`Client::algorithms`].
#[derive(Debug, Clone)]
pub struct Algorithms {
    client: Client,
}

impl Client {
    /// Create and list algorithms.
    pub fn algorithms(&self) -> Algorithms {
        Algorithms {
            client: self.clone(),
        }
    }

    /// Create an algorithm owned by `owner` (a user or an organisation); see
    /// [`Algorithms::create`].
    pub async fn create_algorithm(&self, owner: &str, new: NewAlgorithm) -> Result<AlgorithmInfo> {
        self.algorithms().create(owner, new).await
    }
}

impl Algorithms {
    /// Create an algorithm owned by `owner` (`POST /v1/algorithms/{owner}`). Not retried once
    /// sent; a bad name or a missing language fails before sending.
    pub async fn create(&self, owner: &str, new: NewAlgorithm) -> Result<AlgorithmInfo> {
        new.check()?;
        check_owner(owner)?;
        let url = self.client.url(["v1", "algorithms", owner]);
        self.client
            .manage_json(Method::POST, url, Some(&new), "algorithm")
            .await
    }

    /// The algorithms of a user or organisation (`GET /v1/users/{owner}/algorithms`), page by
    /// page.
    pub fn list(&self, owner: &str) -> PagedQuery<AlgorithmInfo> {
        let url =
            check_owner(owner).map(|()| self.client.url(["v1", "users", owner, "algorithms"]));
        PagedQuery::new(self.client.clone(), url, "algorithm list")
    }
}

/// An owner, user or organisation name: one non-empty path segment.
pub(crate) fn check_owner(owner: &str) -> Result<()> {
    if owner.trim().is_empty() || owner.contains('/') || owner == "." || owner == ".." {
        return Err(Error::config(format!(
            "an owner is a user or organisation name, not {owner:?}"
        )));
    }
    Ok(())
}
