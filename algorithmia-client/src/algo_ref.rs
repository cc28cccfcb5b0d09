//! Algorithm references (`owner/name[/version]`) and version requirements.

use std::fmt;
use std::str::FromStr;

/// Why a string is not an algorithm reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid algorithm reference {input:?}: {reason}")]
pub struct AlgoRefError {
    /// The text that was given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Which version of an algorithm to call.
///
/// The forms are those the API documents; anything else fails to parse.
///
/// ```
/// use algorithmia_client::Version;
///
/// assert_eq!("1.2.3".parse::<Version>()?, Version::Exact(1, 2, 3));
/// assert_eq!("1.2.*".parse::<Version>()?, Version::Minor(1, 2));
/// assert_eq!("1.*".parse::<Version>()?, Version::Major(1));
/// assert_eq!("latestPrivate".parse::<Version>()?, Version::LatestPrivate);
/// assert!("1.x".parse::<Version>().is_err());
/// # Ok::<(), algorithmia_client::AlgoRefError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Version {
    /// `1.2.3`: exactly this published version.
    Exact(u64, u64, u64),
    /// `1.2.*`: the latest public version with this major and minor.
    Minor(u64, u64),
    /// `1.2`: the short form of `1.2.*`, kept apart so that it prints as it was written.
    MinorShort(u64, u64),
    /// `1.*`: the latest public version with this major.
    Major(u64),
    /// `latestPrivate`: the latest version the owner published privately.
    LatestPrivate,
    /// A 40-character hexadecimal git commit of a build.
    GitHash(String),
}

impl Version {
    /// Whether a semantic version `major.minor.patch` satisfies this requirement.
    ///
    /// `LatestPrivate` and `GitHash` are not semantic ranges and never match here; a server
    /// resolves them by other means.
    pub fn matches(&self, major: u64, minor: u64, patch: u64) -> bool {
        match *self {
            Version::Exact(a, b, c) => (a, b, c) == (major, minor, patch),
            Version::Minor(a, b) | Version::MinorShort(a, b) => (a, b) == (major, minor),
            Version::Major(a) => a == major,
            Version::LatestPrivate | Version::GitHash(_) => false,
        }
    }
}

fn parse_number(part: &str) -> Option<u64> {
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

impl FromStr for Version {
    type Err = AlgoRefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| AlgoRefError {
            input: s.to_owned(),
            reason: reason.to_owned(),
        };
        if s == "latestPrivate" {
            return Ok(Version::LatestPrivate);
        }
        if s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Version::GitHash(s.to_owned()));
        }
        let parts: Vec<&str> = s.split('.').collect();
        let num = |i: usize| parse_number(parts[i]);
        let version = match parts.as_slice() {
            [_, _, _] if parts[2] == "*" => num(0).zip(num(1)).map(|(a, b)| Version::Minor(a, b)),
            [_, _, _] => match (num(0), num(1), num(2)) {
                (Some(a), Some(b), Some(c)) => Some(Version::Exact(a, b, c)),
                _ => None,
            },
            [_, "*"] => num(0).map(Version::Major),
            [_, _] => num(0).zip(num(1)).map(|(a, b)| Version::MinorShort(a, b)),
            _ => None,
        };
        version.ok_or_else(|| {
            err("a version is 1.2.3, 1.2.*, 1.2, 1.*, latestPrivate or a 40-character git hash")
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Exact(a, b, c) => write!(f, "{a}.{b}.{c}"),
            Version::Minor(a, b) => write!(f, "{a}.{b}.*"),
            Version::MinorShort(a, b) => write!(f, "{a}.{b}"),
            Version::Major(a) => write!(f, "{a}.*"),
            Version::LatestPrivate => f.write_str("latestPrivate"),
            Version::GitHash(h) => f.write_str(h),
        }
    }
}

/// A parsed reference to an algorithm: owner, name and an optional version.
///
/// Accepts `owner/name`, `owner/name/version`, the same with a leading `/` or an `algo://`
/// scheme, and a single trailing `/`. Parsing happens before any request is sent, so a typo is a
/// typed error rather than a 404.
///
/// ```
/// use algorithmia_client::{AlgoRef, Version};
///
/// let r: AlgoRef = "algo://demo/Hello/0.1.1".parse()?;
/// assert_eq!(r.owner(), "demo");
/// assert_eq!(r.name(), "Hello");
/// assert_eq!(r.version(), Some(&Version::Exact(0, 1, 1)));
/// assert_eq!(r.to_string(), "demo/Hello/0.1.1");
///
/// assert!("demo".parse::<AlgoRef>().is_err());
/// assert!("demo/Hello/one".parse::<AlgoRef>().is_err());
/// # Ok::<(), algorithmia_client::AlgoRefError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlgoRef {
    owner: String,
    name: String,
    version: Option<Version>,
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
            owner,
            name,
            version,
        })
    }

    /// The user or organisation that owns the algorithm.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The algorithm's name.
    pub fn name(&self) -> &str {
        &self.name
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
        [
            Some(std::borrow::Cow::Borrowed(self.owner.as_str())),
            Some(std::borrow::Cow::Borrowed(self.name.as_str())),
            self.version
                .as_ref()
                .map(|v| std::borrow::Cow::Owned(v.to_string())),
        ]
        .into_iter()
        .flatten()
    }
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
        let version = match version {
            Some(v) => Some(
                v.parse::<Version>()
                    .map_err(|e| err(format!("bad version {v:?}: {}", e.reason)))?,
            ),
            None => None,
        };
        Ok(AlgoRef {
            owner: owner.to_owned(),
            name: name.to_owned(),
            version,
        })
    }
}

impl fmt::Display for AlgoRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)?;
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
            "demo/Hello/1",
            "demo/Hello/1.x",
            "demo/Hello/latest",
            "demo/Hello/1.2.3.4",
            "demo/Hello/1.*.*",
            "demo/Hello/v1.2.3",
            "demo/Hello/1.2.3/extra",
            "demo/Hello?timeout=10",
            "de mo/Hello",
            "../Hello",
            "demo/Hello/06147a5f7726757845d04d5b24b6e2b1c797fc7",
            "demo/Hello/99999999999999999999999.1.1",
        ] {
            let err = bad.parse::<AlgoRef>().expect_err(bad);
            assert_eq!(err.input, bad);
            assert!(!err.reason.is_empty());
            assert!(err.to_string().contains("invalid algorithm reference"));
        }
    }

    #[test]
    fn version_matching() {
        assert!(Version::Minor(1, 2).matches(1, 2, 9));
        assert!(!Version::Minor(1, 2).matches(1, 3, 0));
        assert!(Version::MinorShort(0, 1).matches(0, 1, 0));
        assert!(Version::Major(1).matches(1, 9, 9));
        assert!(Version::Exact(1, 0, 0).matches(1, 0, 0));
        assert!(!Version::LatestPrivate.matches(1, 0, 0));
    }
}
