//! Algorithm references (`owner/name[/version]`) and version requirements.

mod version;

use std::fmt;
use std::str::FromStr;

pub use version::Version;

/// Why a string is not an algorithm reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid algorithm reference {input:?}: {reason}")]
pub struct AlgoRefError {
    /// The text that was given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A parsed reference to an algorithm: owner and name, or the algorithm's immutable UUID, and
/// an optional version.
///
/// Accepts `owner/name`, `owner/name/version`, `uuid` and `uuid/version`, each also with a
/// leading `/` or an `algo://` scheme and a single trailing `/`. Parsing happens before any
/// request is sent, so a typo is a typed error rather than a 404.
///
/// ```
/// use algorithmia_client::{AlgoRef, Version};
///
/// let r: AlgoRef = "algo://demo/Hello/0.1.1".parse()?;
/// assert_eq!(r.owner(), Some("demo"));
/// assert_eq!(r.name(), Some("Hello"));
/// assert_eq!(r.version(), Some(&Version::Exact(0, 1, 1)));
/// assert_eq!(r.to_string(), "demo/Hello/0.1.1");
///
/// let by_id: AlgoRef = "0e1a7c0e-3b5d-4a4e-9a44-1d2b3c4d5e6f/1".parse()?;
/// assert_eq!(by_id.id(), Some("0e1a7c0e-3b5d-4a4e-9a44-1d2b3c4d5e6f"));
/// assert_eq!(by_id.owner(), None);
///
/// assert!("demo".parse::<AlgoRef>().is_err());
/// assert!("demo/Hello/one".parse::<AlgoRef>().is_err());
/// # Ok::<(), algorithmia_client::AlgoRefError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlgoRef {
    target: Target,
    version: Option<Version>,
}

/// What an [`AlgoRef`] names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Target {
    Named {
        owner: String,
        name: String,
    },
    /// The algorithm's UUID, in lower case.
    Id(String),
}

impl AlgoRef {
    /// A reference from its parts; the owner and name are checked as in parsing.
    pub fn new(
        owner: impl Into<String>,
        name: impl Into<String>,
        version: Option<Version>,
    ) -> Result<Self, AlgoRefError> {
        let (owner, name) = (owner.into(), name.into());
        let input = format!("{owner}/{name}");
        check_segment(&owner, "owner", &input)?;
        check_segment(&name, "name", &input)?;
        Ok(AlgoRef {
            target: Target::Named { owner, name },
            version,
        })
    }

    /// A reference by the algorithm's UUID (`8-4-4-4-12` hexadecimal digits).
    pub fn by_id(id: impl Into<String>, version: Option<Version>) -> Result<Self, AlgoRefError> {
        let id = id.into();
        if !is_uuid(&id) {
            return Err(AlgoRefError {
                reason: "an algorithm id is a UUID such as 0e1a7c0e-3b5d-4a4e-9a44-1d2b3c4d5e6f"
                    .to_owned(),
                input: id,
            });
        }
        Ok(AlgoRef {
            target: Target::Id(id.to_ascii_lowercase()),
            version,
        })
    }

    /// The user or organisation that owns the algorithm; `None` for a reference by id.
    pub fn owner(&self) -> Option<&str> {
        match &self.target {
            Target::Named { owner, .. } => Some(owner),
            Target::Id(_) => None,
        }
    }

    /// The algorithm's name; `None` for a reference by id.
    pub fn name(&self) -> Option<&str> {
        match &self.target {
            Target::Named { name, .. } => Some(name),
            Target::Id(_) => None,
        }
    }

    /// The algorithm's UUID, for a reference by id.
    pub fn id(&self) -> Option<&str> {
        match &self.target {
            Target::Id(id) => Some(id),
            Target::Named { .. } => None,
        }
    }

    /// The version requirement, if one was given (none means the latest public version).
    pub fn version(&self) -> Option<&Version> {
        self.version.as_ref()
    }

    /// The same algorithm at another version.
    #[must_use]
    pub fn with_version(mut self, version: Option<Version>) -> Self {
        self.version = version;
        self
    }

    /// The path segments after `/v1/algo/`, not yet percent-encoded.
    pub fn path_segments(&self) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        let (first, second) = match &self.target {
            Target::Named { owner, name } => (owner.as_str(), Some(name.as_str())),
            Target::Id(id) => (id.as_str(), None),
        };
        [
            Some(Cow::Borrowed(first)),
            second.map(Cow::Borrowed),
            self.version.as_ref().map(|v| Cow::Owned(v.to_string())),
        ]
        .into_iter()
        .flatten()
    }
}

/// Whether `s` is a UUID in its usual text form.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn check_segment(segment: &str, what: &str, input: &str) -> Result<(), AlgoRefError> {
    let reason = if segment.is_empty() {
        Some(format!("the {what} is empty"))
    } else if segment == "." || segment == ".." {
        Some(format!("the {what} cannot be {segment:?}"))
    } else if segment.contains('/') {
        // Only `AlgoRef::new` can get here: it would print as another reference.
        Some(format!("the {what} {segment:?} contains '/'"))
    } else {
        segment
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '\\' | '%'))
            .map(|c| {
                format!(
                    "the {what} contains {c:?}; options such as a timeout are set on the handle, not in the reference"
                )
            })
    };
    match reason {
        Some(reason) => Err(AlgoRefError {
            input: input.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

impl FromStr for AlgoRef {
    type Err = AlgoRefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| AlgoRefError {
            input: s.to_owned(),
            reason,
        };
        let rest = s
            .strip_prefix("algo://")
            .or_else(|| s.strip_prefix('/'))
            .unwrap_or(s);
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let parts: Vec<&str> = rest.split('/').collect();
        let parse_version = |v: &str| {
            v.parse::<Version>()
                .map_err(|e| err(format!("bad version {v:?}: {}", e.reason)))
        };
        if is_uuid(parts[0]) {
            let version = match parts.as_slice() {
                [_] => None,
                [_, version] => Some(parse_version(version)?),
                _ => {
                    return Err(err(
                        "expected uuid or uuid/version after an algorithm id".into()
                    ));
                }
            };
            return AlgoRef::by_id(parts[0], version);
        }
        let (owner, name, version) = match parts.as_slice() {
            [owner, name] => (*owner, *name, None),
            [owner, name, version] => (*owner, *name, Some(*version)),
            _ => {
                return Err(err(
                    "expected owner/name or owner/name/version, optionally after algo:// or /"
                        .to_owned(),
                ));
            }
        };
        check_segment(owner, "owner", s)?;
        check_segment(name, "name", s)?;
        let version = version.map(parse_version).transpose()?;
        Ok(AlgoRef {
            target: Target::Named {
                owner: owner.to_owned(),
                name: name.to_owned(),
            },
            version,
        })
    }
}

impl fmt::Display for AlgoRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Target::Named { owner, name } => write!(f, "{owner}/{name}")?,
            Target::Id(id) => f.write_str(id)?,
        }
        if let Some(v) = &self.version {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Anything `client.algo(..)` accepts: a string to parse, or an [`AlgoRef`].
pub trait IntoAlgoRef {
    /// Parse or pass through.
    fn into_algo_ref(self) -> Result<AlgoRef, AlgoRefError>;
}

impl IntoAlgoRef for AlgoRef {
    fn into_algo_ref(self) -> Result<AlgoRef, AlgoRefError> {
        Ok(self)
    }
}

impl IntoAlgoRef for &AlgoRef {
    fn into_algo_ref(self) -> Result<AlgoRef, AlgoRefError> {
        Ok(self.clone())
    }
}

impl IntoAlgoRef for &str {
    fn into_algo_ref(self) -> Result<AlgoRef, AlgoRefError> {
        self.parse()
    }
}

impl IntoAlgoRef for String {
    fn into_algo_ref(self) -> Result<AlgoRef, AlgoRefError> {
        self.parse()
    }
}

impl IntoAlgoRef for &String {
    fn into_algo_ref(self) -> Result<AlgoRef, AlgoRefError> {
        self.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_documented_form() {
        let hash = "06147a5f7726757845d04d5b24b6e2b1c797fc74";
        let cases: Vec<(String, &str, Option<Version>)> = vec![
            ("demo/Hello".into(), "demo/Hello", None),
            ("/demo/Hello".into(), "demo/Hello", None),
            ("algo://demo/Hello".into(), "demo/Hello", None),
            ("demo/Hello/".into(), "demo/Hello", None),
            (
                "demo/Hello/1.2.3".into(),
                "demo/Hello/1.2.3",
                Some(Version::Exact(1, 2, 3)),
            ),
            (
                "algo://demo/Hello/1.2.*/".into(),
                "demo/Hello/1.2.*",
                Some(Version::Minor(1, 2)),
            ),
            (
                "demo/Hello/1.*".into(),
                "demo/Hello/1.*",
                Some(Version::Major(1)),
            ),
            (
                "demo/Hello/0.1".into(),
                "demo/Hello/0.1",
                Some(Version::MinorShort(0, 1)),
            ),
            (
                "demo/Hello/1".into(),
                "demo/Hello/1",
                Some(Version::MajorShort(1)),
            ),
            (
                "demo/Hello/06147a5".into(),
                "demo/Hello/06147a5",
                Some(Version::GitHash("06147a5".into())),
            ),
            (
                "demo/Hello/latestPrivate".into(),
                "demo/Hello/latestPrivate",
                Some(Version::LatestPrivate),
            ),
            (
                format!("demo/Hello/{hash}"),
                "",
                Some(Version::GitHash(hash.into())),
            ),
        ];
        for (input, display, version) in cases {
            let r: AlgoRef = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.version(), version.as_ref(), "{input}");
            if !display.is_empty() {
                assert_eq!(r.to_string(), display);
            }
        }
    }

    #[test]
    fn rejects_everything_else_with_a_reason() {
        for bad in [
            "",
            "demo",
            "/demo",
            "algo://",
            "demo//Hello",
            "demo/Hello/1.x",
            "demo/Hello/06147a",
            "demo/Hello/06147a5f7726757845d04d5b24b6e2b1c797fc74a",
            "0e1a7c0e-3b5d-4a4e-9a44-1d2b3c4d5e6f/1/extra",
            "0e1a7c0e-3b5d-4a4e-9a44-1d2b3c4d5e6f/x.y",
            "demo/Hello/latest",
            "demo/Hello/1.2.3.4",
            "demo/Hello/1.*.*",
            "demo/Hello/v1.2.3",
            "demo/Hello/1.2.3/extra",
            "demo/Hello?timeout=10",
            "de mo/Hello",
            "../Hello",
            "demo/Hello/99999999999999999999999.1.1",
        ] {
            let err = bad.parse::<AlgoRef>().expect_err(bad);
            assert_eq!(err.input, bad);
            assert!(!err.reason.is_empty());
            assert!(err.to_string().contains("invalid algorithm reference"));
        }
    }

    #[test]
    fn uuid_references_name_the_algorithm_by_id() {
        let id = "0E1A7C0E-3B5D-4A4E-9A44-1D2B3C4D5E6F";
        for input in [id.to_owned(), format!("algo://{id}/"), format!("/{id}")] {
            let r: AlgoRef = input.parse().unwrap();
            assert_eq!(r.id(), Some(id.to_ascii_lowercase().as_str()));
            assert_eq!((r.owner(), r.name(), r.version()), (None, None, None));
        }
        let r: AlgoRef = format!("{id}/1.2.3").parse().unwrap();
        assert_eq!(r.version(), Some(&Version::Exact(1, 2, 3)));
        assert_eq!(r.to_string(), format!("{}/1.2.3", id.to_ascii_lowercase()));
        let segments: Vec<_> = r.path_segments().collect();
        assert_eq!(segments, [id.to_ascii_lowercase(), "1.2.3".to_owned()]);
        assert!(AlgoRef::by_id("not-a-uuid", None).is_err());
    }
}
