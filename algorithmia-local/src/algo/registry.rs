//! The algorithms a server hosts, with their published versions, and version resolution.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use algorithmia_client::{AlgoRef, Version};

use super::{AlgoResult, Handler, Input};
use crate::context::Context;

/// Who may call a published version without naming it exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Resolved by "latest", `1.*` and `1.2.*`.
    Public,
    /// Reached only by its exact version, its git hash, or `latestPrivate`.
    Private,
}

/// One published version of an algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedVersion {
    /// Major, minor, patch.
    pub semver: (u64, u64, u64),
    /// Public or private.
    pub visibility: Visibility,
    /// The build's 40-character git hash (derived from the name and version, stable across runs).
    pub git_hash: String,
}

impl PublishedVersion {
    /// `major.minor.patch`.
    pub fn version_string(&self) -> String {
        let (a, b, c) = self.semver;
        format!("{a}.{b}.{c}")
    }
}

/// A hosted algorithm: its name, versions and handler.
///
/// ```
/// use algorithmia_local::{AlgorithmDef, Output};
///
/// let shout = AlgorithmDef::new("demo/Shout")
///     .version("1.0.0")
///     .private_version("1.1.0")
///     .handler(|input, _ctx| async move {
///         let text = input.as_text().unwrap_or_default().to_uppercase();
///         Ok(Output::Text(text))
///     });
/// ```
#[must_use]
pub struct AlgorithmDef {
    pub(crate) name: String,
    pub(crate) versions: Vec<(String, Visibility)>,
    pub(crate) handler: Option<Handler>,
}

impl fmt::Debug for AlgorithmDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlgorithmDef")
            .field("name", &self.name)
            .field("versions", &self.versions)
            .finish_non_exhaustive()
    }
}

impl AlgorithmDef {
    /// An algorithm named `owner/name`. Add versions and a handler before registering it.
    pub fn new(name: impl Into<String>) -> Self {
        AlgorithmDef {
            name: name.into(),
            versions: Vec::new(),
            handler: None,
        }
    }

    /// Publish a public version (`major.minor.patch`).
    pub fn version(mut self, version: &str) -> Self {
        self.versions.push((version.to_owned(), Visibility::Public));
        self
    }

    /// Publish a private version.
    pub fn private_version(mut self, version: &str) -> Self {
        self.versions
            .push((version.to_owned(), Visibility::Private));
        self
    }

    /// The code that runs: an async function of the input and the call's [`Context`].
    pub fn handler<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(Input, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = AlgoResult> + Send + 'static,
    {
        self.handler = Some(Arc::new(move |input, ctx| Box::pin(handler(input, ctx))));
        self
    }
}

/// Why a definition cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot register algorithm {name:?}: {reason}")]
pub(crate) struct DefinitionError {
    /// The algorithm's name as given.
    pub name: String,
    /// What is wrong.
    pub reason: String,
}

pub(crate) struct Hosted {
    pub(crate) versions: Vec<PublishedVersion>,
    pub(crate) handler: Handler,
}

/// A call's algorithm, resolved to one version.
#[derive(Clone)]
pub(crate) struct Resolved {
    pub(crate) reference: AlgoRef,
    pub(crate) handler: Handler,
    /// The store's id of an algorithm created through the management API; `None` for
    /// algorithms registered with the server.
    pub(crate) algorithm_id: Option<String>,
}

/// Why a reference does not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResolveError {
    UnknownAlgorithm,
    UnknownVersion(String),
}

/// All hosted algorithms, keyed by `owner/name`.
#[derive(Default)]
pub(crate) struct Registry {
    algorithms: HashMap<(String, String), Hosted>,
}

/// A 40-character hexadecimal "git hash" for a version: FNV-1a over the name and version,
/// stable across runs and builds.
fn git_hash(owner: &str, name: &str, version: &str) -> String {
    let mut out = String::with_capacity(48);
    for salt in 0u8..3 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in [salt]
            .iter()
            .chain(owner.as_bytes())
            .chain(b"/")
            .chain(name.as_bytes())
            .chain(b"/")
            .chain(version.as_bytes())
        {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out.truncate(40);
    out
}

impl Registry {
    pub(crate) fn insert(&mut self, def: AlgorithmDef) -> Result<(), DefinitionError> {
        let err = |reason: &str| DefinitionError {
            name: def.name.clone(),
            reason: reason.to_owned(),
        };
        let reference: AlgoRef = def
            .name
            .parse()
            .map_err(|e: algorithmia_client::AlgoRefError| err(&e.reason))?;
        if reference.version().is_some() {
            return Err(err("give versions with .version(), not in the name"));
        }
        let (Some(owner), Some(name)) = (reference.owner(), reference.name()) else {
            return Err(err("name it owner/name, not by id"));
        };
        let handler = def
            .handler
            .clone()
            .ok_or_else(|| err("it has no handler"))?;
        if def.versions.is_empty() {
            return Err(err("it has no version"));
        }
        let mut versions = Vec::new();
        for (text, visibility) in &def.versions {
            let Ok(Version::Exact(a, b, c)) = text.parse::<Version>() else {
                return Err(err(&format!("{text:?} is not a version like 1.2.3")));
            };
            if versions
                .iter()
                .any(|v: &PublishedVersion| v.semver == (a, b, c))
            {
                return Err(err(&format!("version {text} is given twice")));
            }
            versions.push(PublishedVersion {
                semver: (a, b, c),
                visibility: *visibility,
                git_hash: git_hash(owner, name, text),
            });
        }
        versions.sort_by_key(|v| v.semver);
        let key = (owner.to_owned(), name.to_owned());
        self.algorithms.insert(key, Hosted { versions, handler });
        Ok(())
    }

    pub(crate) fn get(&self, owner: &str, name: &str) -> Option<&Hosted> {
        self.algorithms.get(&(owner.to_owned(), name.to_owned()))
    }

    /// The published versions of `owner/name`, oldest first.
    pub(crate) fn versions(&self, owner: &str, name: &str) -> Option<&[PublishedVersion]> {
        self.get(owner, name).map(|h| h.versions.as_slice())
    }

    /// Resolve a reference as the API documents:
    /// none → the latest public version; `1.2.3` → exactly that (public or private);
    /// `1.2.*`, `1.2`, `1.*` → the latest public match; `latestPrivate` → the latest version of
    /// all; a git hash → the version built from it.
    pub(crate) fn resolve(&self, reference: &AlgoRef) -> Result<Resolved, ResolveError> {
        // Algorithms are hosted by name; none is known by its id.
        let (Some(owner), Some(name)) = (reference.owner(), reference.name()) else {
            return Err(ResolveError::UnknownAlgorithm);
        };
        let hosted = self
            .get(owner, name)
            .ok_or(ResolveError::UnknownAlgorithm)?;
        let public = |v: &&PublishedVersion| v.visibility == Visibility::Public;
        let found = match reference.version() {
            None => hosted.versions.iter().rev().find(public),
            Some(Version::LatestPrivate) => hosted.versions.last(),
            Some(commit @ Version::GitHash(_)) => hosted
                .versions
                .iter()
                .find(|v| commit.matches_commit(&v.git_hash)),
            Some(exact @ Version::Exact(..)) => hosted
                .versions
                .iter()
                .find(|v| exact.matches(v.semver.0, v.semver.1, v.semver.2)),
            Some(range) => hosted
                .versions
                .iter()
                .rev()
                .filter(public)
                .find(|v| range.matches(v.semver.0, v.semver.1, v.semver.2)),
        };
        let version = found.ok_or_else(|| {
            ResolveError::UnknownVersion(
                reference
                    .version()
                    .map_or_else(|| "latest public".to_owned(), ToString::to_string),
            )
        })?;
        let (a, b, c) = version.semver;
        Ok(Resolved {
            reference: reference
                .clone()
                .with_version(Some(Version::Exact(a, b, c))),
            handler: Arc::clone(&hosted.handler),
            algorithm_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::Output;

    fn registry() -> Registry {
        let mut r = Registry::default();
        r.insert(
            AlgorithmDef::new("o/a")
                .version("0.1.0")
                .version("1.0.0")
                .version("1.2.0")
                .version("1.2.5")
                .private_version("1.3.0")
                .version("2.0.0")
                .private_version("2.1.0")
                .handler(|_, _| async { Ok(Output::Void) }),
        )
        .unwrap();
        r
    }

    fn resolve(r: &Registry, reference: &str) -> Result<String, ResolveError> {
        r.resolve(&reference.parse().unwrap())
            .map(|res| res.reference.version().unwrap().to_string())
    }

    #[test]
    fn resolution_follows_the_documented_rules() {
        let r = registry();
        assert_eq!(resolve(&r, "o/a").unwrap(), "2.0.0");
        assert_eq!(resolve(&r, "o/a/1.3.0").unwrap(), "1.3.0");
        assert_eq!(resolve(&r, "o/a/1.*").unwrap(), "1.2.5");
        assert_eq!(resolve(&r, "o/a/1.2.*").unwrap(), "1.2.5");
        assert_eq!(resolve(&r, "o/a/1.2").unwrap(), "1.2.5");
        assert_eq!(resolve(&r, "o/a/0.1").unwrap(), "0.1.0");
        assert_eq!(resolve(&r, "o/a/latestPrivate").unwrap(), "2.1.0");
        let hash = git_hash("o", "a", "1.3.0");
        assert_eq!(resolve(&r, &format!("o/a/{hash}")).unwrap(), "1.3.0");
        assert_eq!(
            resolve(&r, &format!("o/a/{}", hash.to_uppercase())).unwrap(),
            "1.3.0"
        );
        assert!(matches!(
            resolve(&r, "o/a/3.*"),
            Err(ResolveError::UnknownVersion(_))
        ));
        assert!(matches!(
            resolve(&r, "o/a/1.1.0"),
            Err(ResolveError::UnknownVersion(_))
        ));
        assert!(matches!(
            resolve(&r, &format!("o/a/{}", "0".repeat(40))),
            Err(ResolveError::UnknownVersion(_))
        ));
        assert_eq!(resolve(&r, "o/b"), Err(ResolveError::UnknownAlgorithm));
    }

    #[test]
    fn hashes_are_stable_and_distinct() {
        assert_eq!(git_hash("o", "a", "1.0.0"), git_hash("o", "a", "1.0.0"));
        assert_ne!(git_hash("o", "a", "1.0.0"), git_hash("o", "a", "1.0.1"));
        assert_eq!(git_hash("o", "a", "1.0.0").len(), 40);
    }

    #[test]
    fn bad_definitions_are_refused() {
        let mut r = Registry::default();
        let h = |_, _| async { Ok(Output::Void) };
        for def in [
            AlgorithmDef::new("nope").version("1.0.0").handler(h),
            AlgorithmDef::new("o/a/1.0.0").version("1.0.0").handler(h),
            AlgorithmDef::new("o/a").handler(h),
            AlgorithmDef::new("o/a").version("1.0").handler(h),
            AlgorithmDef::new("o/a")
                .version("1.0.0")
                .version("1.0.0")
                .handler(h),
            AlgorithmDef::new("o/a").version("1.0.0"),
        ] {
            assert!(r.insert(def).is_err());
        }
    }
}
