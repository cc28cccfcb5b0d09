//! Version requirements: exact, ranges, `latestPrivate` and git commits.

use std::fmt;
use std::str::FromStr;

use super::AlgoRefError;

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
/// assert_eq!("1".parse::<Version>()?, Version::MajorShort(1));
/// assert_eq!("latestPrivate".parse::<Version>()?, Version::LatestPrivate);
/// assert_eq!("06147a5".parse::<Version>()?, Version::GitHash("06147a5".into()));
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
    /// `1`: the short form of `1.*` (the API's own pattern allows it), kept apart so that it
    /// prints as it was written.
    MajorShort(u64),
    /// `latestPrivate`: the latest version the owner published privately.
    LatestPrivate,
    /// A git commit of a build: 40 hexadecimal characters, or an abbreviation of at least 7.
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
            Version::Major(a) | Version::MajorShort(a) => a == major,
            Version::LatestPrivate | Version::GitHash(_) => false,
        }
    }

    /// Whether a build's full commit hash is the one this `GitHash` names (in full or
    /// abbreviated, in either case). Other forms never match a commit.
    ///
    /// ```
    /// use algorithmia_client::Version;
    ///
    /// let full = "06147a5f7726757845d04d5b24b6e2b1c797fc74";
    /// assert!(Version::GitHash("06147A5".into()).matches_commit(full));
    /// assert!(!Version::GitHash("06147a6".into()).matches_commit(full));
    /// ```
    pub fn matches_commit(&self, commit: &str) -> bool {
        match self {
            Version::GitHash(hash) => commit
                .get(..hash.len())
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case(hash)),
            _ => false,
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
        let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        // Short all-digit forms are major versions; 7 to 40 hexadecimal digits are a commit.
        if digits && s.len() < 7 {
            return parse_number(s)
                .map(Version::MajorShort)
                .ok_or_else(|| err("the major version is too large"));
        }
        if (7..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit()) {
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
            err("a version is 1.2.3, 1.2.*, 1.2, 1.*, 1, latestPrivate or a git hash (7 to 40 hexadecimal digits)")
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
            Version::MajorShort(a) => write!(f, "{a}"),
            Version::LatestPrivate => f.write_str("latestPrivate"),
            Version::GitHash(h) => f.write_str(h),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_matching() {
        assert!(Version::MajorShort(1).matches(1, 0, 3));
        assert!(Version::Minor(1, 2).matches(1, 2, 9));
        assert!(!Version::Minor(1, 2).matches(1, 3, 0));
        assert!(Version::MinorShort(0, 1).matches(0, 1, 0));
        assert!(Version::Major(1).matches(1, 9, 9));
        assert!(Version::Exact(1, 0, 0).matches(1, 0, 0));
        assert!(!Version::LatestPrivate.matches(1, 0, 0));
    }
}
