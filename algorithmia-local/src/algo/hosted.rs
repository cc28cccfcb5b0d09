//! Algorithms created through the management API: how a call's reference resolves to one of
//! their built versions, who may call which, and how their runtime failures are logged.

use algorithmia_client::{AlgoRef, Version};

use super::{Input, Resolved};
use crate::error::{AlgoError, AppError};
use crate::platform::Launcher;
use crate::store::{Callability, ErrorRecord, MAX_ERROR_INPUT, Store, StoreError, VersionRecord};

/// Why a call to a stored algorithm does not resolve.
#[derive(Debug)]
pub(crate) enum HostedError {
    /// No algorithm of that owner and name in the store.
    UnknownAlgorithm,
    /// No version the caller may call matches.
    UnknownVersion(String),
    /// The store failed.
    Store(StoreError),
    /// The launcher has no runner for it.
    Launch(AppError),
}

impl From<StoreError> for HostedError {
    fn from(e: StoreError) -> Self {
        HostedError::Store(e)
    }
}

fn public(v: &&VersionRecord) -> bool {
    v.semantic_version.is_some() && v.callability == Callability::Public
}

/// The version `reference` names, as `user` may see them (`owner` acts for the owner): none →
/// the latest public published version; `1.2.3` → exactly that (private only for the owner);
/// `1.2.*`/`1.*` → the latest public match; `latestPrivate` → the owner's latest published
/// version; a git hash → that build (the owner's any successful build; others' only a published
/// public one).
fn pick<'v>(
    versions: &'v [VersionRecord],
    version: Option<&Version>,
    owner: bool,
) -> Option<&'v VersionRecord> {
    let allowed = |v: &&VersionRecord| owner || public(v);
    let published = |v: &&VersionRecord| v.semantic_version.is_some();
    let by_semver = |vs: Vec<&'v VersionRecord>| vs.into_iter().max_by_key(|v| v.semantic_version);
    match version {
        None => by_semver(versions.iter().filter(public).collect()),
        Some(Version::LatestPrivate) if owner => {
            by_semver(versions.iter().filter(published).collect())
        }
        Some(Version::LatestPrivate) => None,
        Some(commit @ Version::GitHash(_)) => versions
            .iter()
            .filter(allowed)
            .rev()
            .find(|v| commit.matches_commit(&v.git_hash)),
        Some(exact @ Version::Exact(..)) => versions
            .iter()
            .filter(published)
            .filter(allowed)
            .find(|v| matches!(v.semantic_version, Some((a, b, c)) if exact.matches(a, b, c))),
        Some(range) => by_semver(
            versions
                .iter()
                .filter(public)
                .filter(|v| matches!(v.semantic_version, Some((a, b, c)) if range.matches(a, b, c)))
                .collect(),
        ),
    }
}

/// Resolve a call of `reference` by `user` to a stored algorithm's built version and its runner.
pub(crate) fn resolve(
    store: &Store,
    launcher: &dyn Launcher,
    user: &str,
    reference: &AlgoRef,
) -> Result<Resolved, HostedError> {
    let (Some(owner), Some(name)) = (reference.owner(), reference.name()) else {
        return Err(HostedError::UnknownAlgorithm);
    };
    let algorithm = store
        .algorithm(owner, name)?
        .ok_or(HostedError::UnknownAlgorithm)?;
    let versions = store.all_versions(&algorithm.id)?;
    let acts_for_owner = store.acts_for(user, &algorithm.owner)?;
    let version = pick(&versions, reference.version(), acts_for_owner).ok_or_else(|| {
        HostedError::UnknownVersion(
            reference
                .version()
                .map_or_else(|| "latest public".to_owned(), ToString::to_string),
        )
    })?;
    let handler = launcher
        .runner(&algorithm, &version.git_hash)
        .map_err(HostedError::Launch)?;
    let resolved_version = match version.semantic_version {
        Some((a, b, c)) => Version::Exact(a, b, c),
        None => Version::GitHash(version.git_hash.clone()),
    };
    Ok(Resolved {
        reference: reference.clone().with_version(Some(resolved_version)),
        handler,
        algorithm_id: Some(algorithm.id),
    })
}

/// A call's input as the errors log keeps it: text as is, JSON as text, binary as base64, all
/// cut to 4 KiB.
pub(crate) fn input_preview(input: &Input) -> String {
    use base64::Engine as _;
    let text = match input {
        Input::Text(s) => s.clone(),
        Input::Json(v) => v.to_string(),
        Input::Binary(b) => {
            // Only what fits is encoded: 3 bytes become 4 characters.
            let head = &b[..b.len().min(MAX_ERROR_INPUT / 4 * 3)];
            base64::engine::general_purpose::STANDARD.encode(head)
        }
    };
    crate::store::truncate_utf8(&text, MAX_ERROR_INPUT).to_owned()
}

/// The errors-log row for a failed call of a stored algorithm.
pub(crate) fn error_record(
    algorithm_id: &str,
    reference: &AlgoRef,
    user: &str,
    request_id: &str,
    input: String,
    error: &AlgoError,
) -> ErrorRecord {
    ErrorRecord {
        algorithm_id: algorithm_id.to_owned(),
        created_at: chrono::Utc::now().timestamp_millis(),
        request_id: request_id.to_owned(),
        username: user.to_owned(),
        algoname: format!(
            "{}/{}",
            reference.owner().unwrap_or_default(),
            reference.name().unwrap_or_default()
        ),
        algoversion: reference
            .version()
            .map(ToString::to_string)
            .unwrap_or_default(),
        input,
        error: error.message.clone(),
        error_type: error.error_type.clone(),
        worker: "algorithmia-local".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(hash: char, semver: Option<(u64, u64, u64)>, c: Callability) -> VersionRecord {
        VersionRecord {
            algorithm_id: "a".into(),
            git_hash: hash.to_string().repeat(40),
            semantic_version: semver,
            callability: c,
            release_notes: None,
            sample_input: None,
            sample_output: None,
            created: String::new(),
            published_at: None,
            build_id: None,
        }
    }

    #[test]
    fn owners_see_private_and_unpublished_versions_others_do_not() {
        use Callability::*;
        let vs = [
            version('a', Some((0, 1, 0)), Public),
            version('b', Some((0, 2, 0)), Private),
            version('c', None, Private),
        ];
        let v = |text: &str| text.parse::<Version>().unwrap();
        let hash = |v: Option<&VersionRecord>| v.map(|v| v.git_hash.chars().next().unwrap());
        assert_eq!(hash(pick(&vs, None, false)), Some('a'));
        assert_eq!(
            hash(pick(&vs, Some(&Version::LatestPrivate), true)),
            Some('b')
        );
        assert_eq!(hash(pick(&vs, Some(&Version::LatestPrivate), false)), None);
        assert_eq!(hash(pick(&vs, Some(&v("0.2.0")), true)), Some('b'));
        assert_eq!(hash(pick(&vs, Some(&v("0.2.0")), false)), None);
        assert_eq!(hash(pick(&vs, Some(&v("0.*")), true)), Some('a'));
        assert_eq!(hash(pick(&vs, Some(&v(&"c".repeat(40))), true)), Some('c'));
        assert_eq!(hash(pick(&vs, Some(&v("ccccccc")), true)), Some('c'));
        assert_eq!(hash(pick(&vs, Some(&v(&"c".repeat(40))), false)), None);
        assert_eq!(hash(pick(&vs, Some(&v(&"a".repeat(40))), false)), Some('a'));
    }
}
