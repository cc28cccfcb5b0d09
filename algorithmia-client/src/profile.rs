//! Profiles: the official CLI's config file, `~/.algorithmia/config`, shared with it.
//!
//! The file is TOML with one table per profile, `[profiles.NAME]`, each holding `api_key`,
//! `api_server`, `ca_cert` and `bearer_token`; an empty string means "not set". The official
//! Python CLI (`algo auth`) writes it, and so does [`ConfigFile::save`], so one file serves both.
//!
//! [`Client::from_profile`](crate::Client::from_profile) and
//! [`ClientBuilder::profile`](crate::ClientBuilder::profile) resolve a profile as the official
//! clients do: the profile's values win; `ALGORITHMIA_API_KEY` fills an empty key (else
//! `ALGORITHMIA_BEARER_TOKEN` an empty token), `ALGORITHMIA_API` an empty server and
//! `REQUESTS_CA_BUNDLE` an empty CA certificate path.
//!
//! ```
//! use algorithmia_client::profile::{ConfigFile, Profile};
//! use algorithmia_client::Client;
//!
//! # fn run() -> Result<(), algorithmia_client::Error> {
//! let dir = std::env::temp_dir().join(format!("algorithmia-doc-{}", std::process::id()));
//! let path = dir.join("config");
//!
//! // A missing file is an empty config; saving creates it (mode 0600 on Unix).
//! let mut config = ConfigFile::load(&path)?;
//! config.set_profile(
//!     "local",
//!     &Profile::new()
//!         .api_key("simExampleKey")
//!         .api_server("http://127.0.0.1:9000"),
//! )?;
//! config.save()?;
//!
//! // Read back: keys never show in `Debug`.
//! let local = ConfigFile::load(&path)?.profile("local")?;
//! assert_eq!(local.api_server.as_deref(), Some("http://127.0.0.1:9000"));
//! assert!(!format!("{local:?}").contains("simExampleKey"));
//!
//! // A client from that profile, the file named explicitly.
//! let client = Client::builder().config_file(&path).profile("local").build()?;
//! assert_eq!(client.base_url().as_str(), "http://127.0.0.1:9000/");
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(()) }
//! # run().unwrap();
//! ```

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table};

use crate::auth::{ApiKey, Auth};
use crate::error::{Error, Result};

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// The four settings, in the order the official CLI writes them.
const KEYS: [&str; 4] = ["api_key", "api_server", "ca_cert", "bearer_token"];

/// One profile's settings. `None` is "not set" (an empty string in the file).
///
/// Keys and tokens are [`ApiKey`]s, so `Debug` never shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Profile {
    /// The API key, sent as `Authorization: Simple <key>`.
    pub api_key: Option<ApiKey>,
    /// The API's address, e.g. `https://api.algorithmia.com`.
    pub api_server: Option<String>,
    /// A PEM file of CA certificates to trust besides the system's.
    pub ca_cert: Option<PathBuf>,
    /// A bearer token (JWT), used when there is no API key.
    pub bearer_token: Option<ApiKey>,
}

impl Profile {
    /// An empty profile: nothing set.
    pub fn new() -> Profile {
        Profile::default()
    }

    /// Set the API key (an empty one counts as unset).
    #[must_use]
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into()).filter(|k| !k.is_empty());
        self
    }

    /// Set the API's address (an empty one counts as unset).
    #[must_use]
    pub fn api_server(mut self, server: impl Into<String>) -> Self {
        self.api_server = Some(server.into()).filter(|s| !s.is_empty());
        self
    }

    /// Set the CA certificate file (an empty path counts as unset).
    #[must_use]
    pub fn ca_cert(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_cert = Some(path.into()).filter(|p| !p.as_os_str().is_empty());
        self
    }

    /// Set the bearer token (an empty one counts as unset).
    #[must_use]
    pub fn bearer_token(mut self, token: impl Into<ApiKey>) -> Self {
        self.bearer_token = Some(token.into()).filter(|t| !t.is_empty());
        self
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self == &Profile::default()
    }

    /// Fill what the profile leaves unset from the environment, as the official Python client
    /// does: `ALGORITHMIA_API_KEY` an unset key, else (no key at all) `ALGORITHMIA_BEARER_TOKEN`
    /// an unset token; `ALGORITHMIA_API` an unset server; `REQUESTS_CA_BUNDLE` an unset CA
    /// certificate. Values set in the profile are never replaced. Empty variables count as unset.
    #[must_use]
    pub fn with_env(self) -> Profile {
        self.with_vars(|name| std::env::var(name).ok())
    }

    /// [`Profile::with_env`] with the variables looked up by `var`.
    fn with_vars(mut self, var: impl Fn(&str) -> Option<String>) -> Profile {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        if self.api_key.is_none() {
            self.api_key = var("ALGORITHMIA_API_KEY").map(ApiKey::new);
        }
        if self.api_key.is_none() && self.bearer_token.is_none() {
            self.bearer_token = var("ALGORITHMIA_BEARER_TOKEN").map(ApiKey::new);
        }
        if self.api_server.is_none() {
            self.api_server = var("ALGORITHMIA_API");
        }
        if self.ca_cert.is_none() {
            self.ca_cert = var("REQUESTS_CA_BUNDLE").map(PathBuf::from);
        }
        self
    }

    /// How requests authenticate: the key when there is one, else the bearer token, else not
    /// at all.
    pub fn auth(&self) -> Auth {
        match (&self.api_key, &self.bearer_token) {
            (Some(key), _) => Auth::Simple(key.clone()),
            (None, Some(token)) => Auth::Bearer(token.clone()),
            (None, None) => Auth::None,
        }
    }

    /// Whether the profile authenticates at all (a key or a token).
    pub fn has_credentials(&self) -> bool {
        self.api_key.is_some() || self.bearer_token.is_some()
    }
}

/// The config file: where it is, and its text parsed so that saving keeps everything else in it
/// (other profiles, other keys, comments, layout).
#[derive(Clone)]
pub struct ConfigFile {
    path: PathBuf,
    document: DocumentMut,
}

impl fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The document holds keys: only the path and the profiles' names are shown.
        f.debug_struct("ConfigFile")
            .field("path", &self.path)
            .field("profiles", &self.profile_names())
            .finish()
    }
}

impl ConfigFile {
    /// The official CLI's location: `$HOME/.algorithmia/config`, or on Windows
    /// `%LOCALAPPDATA%\Algorithmia\config`. An [`Error::Config`] when the variable is unset.
    pub fn default_path() -> Result<PathBuf> {
        let (var, dir) = if cfg!(windows) {
            ("LOCALAPPDATA", "Algorithmia")
        } else {
            ("HOME", ".algorithmia")
        };
        match std::env::var_os(var) {
            Some(base) if !base.is_empty() => Ok(PathBuf::from(base).join(dir).join("config")),
            _ => Err(Error::config(format!(
                "{var} is not set, so the config file ({dir}/config) cannot be found"
            ))),
        }
    }

    /// Read the file at [`ConfigFile::default_path`].
    pub fn load_default() -> Result<ConfigFile> {
        ConfigFile::load(ConfigFile::default_path()?)
    }

    /// Read the file at `path`. A missing file is an empty config; a file that is not TOML, or
    /// whose `profiles` is not a table of tables, is an [`Error::Config`] naming the file (and
    /// the line and column of a syntax error).
    pub fn load(path: impl Into<PathBuf>) -> Result<ConfigFile> {
        let path = path.into();
        let text = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
                Error::config(format!(
                    "the config file {} is not UTF-8 text",
                    path.display()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(Error::config(format!(
                    "could not read the config file {}: {e}",
                    path.display()
                )));
            }
        };
        ConfigFile::parse(path, &text)
    }

    /// Parse `text` as the file at `path` (nothing is read from disk).
    pub fn parse(path: impl Into<PathBuf>, text: &str) -> Result<ConfigFile> {
        let path = path.into();
        let document: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            // Only the parser's message and position: its `Display` quotes the offending line,
            // which may hold a key.
            let (line, column) = e
                .span()
                .map(|span| line_column(text, span.start))
                .unwrap_or((1, 1));
            Error::config(format!(
                "the config file {} is not valid TOML (line {line}, column {column}): {}",
                path.display(),
                e.message().trim_end()
            ))
        })?;
        let config = ConfigFile { path, document };
        if let Some(profiles) = config.document.get("profiles")
            && !profiles.is_table_like()
        {
            return Err(config.malformed("`profiles` is not a table"));
        }
        Ok(config)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The names of the profiles in the file, in file order.
    pub fn profile_names(&self) -> Vec<String> {
        self.profiles_table()
            .map(|t| t.iter().map(|(name, _)| name.to_owned()).collect())
            .unwrap_or_default()
    }

    /// The profile `name`, or `None` when the file has no such profile.
    pub fn get(&self, name: &str) -> Result<Option<Profile>> {
        let Some(item) = self.profiles_table().and_then(|t| t.get(name)) else {
            return Ok(None);
        };
        let Some(table) = item.as_table_like() else {
            return Err(self.malformed(&format!("profile {name:?} is not a table")));
        };
        let mut values: [Option<String>; 4] = Default::default();
        for (slot, key) in values.iter_mut().zip(KEYS) {
            *slot = match table.get(key) {
                None => None,
                Some(item) => match item.as_str() {
                    Some(text) => Some(text.to_owned()).filter(|t| !t.is_empty()),
                    None => {
                        return Err(
                            self.malformed(&format!("profile {name:?}: `{key}` is not a string"))
                        );
                    }
                },
            };
        }
        let [api_key, api_server, ca_cert, bearer_token] = values;
        Ok(Some(Profile {
            api_key: api_key.map(ApiKey::new),
            api_server,
            ca_cert: ca_cert.map(PathBuf::from),
            bearer_token: bearer_token.map(ApiKey::new),
        }))
    }

    /// The profile `name`. A profile the file lacks is an [`Error::Config`] naming it and the
    /// file, except [`DEFAULT_PROFILE`]: its absence (or the file's) means nothing is
    /// configured, and an empty profile is returned.
    pub fn profile(&self, name: &str) -> Result<Profile> {
        match self.get(name)? {
            Some(profile) => Ok(profile),
            None if name == DEFAULT_PROFILE => Ok(Profile::default()),
            None => Err(Error::config(format!(
                "there is no profile {name:?} in {} (create it with `algo auth --profile {name}`)",
                self.path.display()
            ))),
        }
    }

    /// Set the profile `name` to `profile`, writing all four keys as the official CLI does
    /// (an empty string for what is unset). Other keys of that profile and everything else in
    /// the file are kept. Nothing is written until [`ConfigFile::save`].
    pub fn set_profile(&mut self, name: &str, profile: &Profile) -> Result<()> {
        let root = self.document.as_table_mut();
        if !root.contains_key("profiles") {
            let mut profiles = Table::new();
            profiles.set_implicit(true);
            root.insert("profiles", Item::Table(profiles));
        }
        let path = self.path.display().to_string();
        let malformed =
            |what: &str| Error::config(format!("the config file {path} is malformed: {what}"));
        let profiles = root
            .get_mut("profiles")
            .and_then(Item::as_table_like_mut)
            .ok_or_else(|| malformed("`profiles` is not a table"))?;
        if profiles.get(name).is_none() {
            let mut table = Table::new();
            if !profiles.is_empty() {
                // A blank line between profiles, as the official CLI writes them.
                table.decor_mut().set_prefix("\n");
            }
            profiles.insert(name, Item::Table(table));
        }
        let table = profiles
            .get_mut(name)
            .and_then(Item::as_table_like_mut)
            .ok_or_else(|| malformed(&format!("profile {name:?} is not a table")))?;
        let secret = |v: &Option<ApiKey>| v.as_ref().map(|k| k.expose().to_owned());
        let values = [
            secret(&profile.api_key),
            profile.api_server.clone(),
            profile
                .ca_cert
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned()),
            secret(&profile.bearer_token),
        ];
        for (key, value) in KEYS.into_iter().zip(values) {
            let value = value.unwrap_or_default();
            match table.get_mut(key) {
                // Keep the key's place and decoration; only its value changes.
                Some(Item::Value(existing)) => {
                    let decor = existing.decor().clone();
                    *existing = value.into();
                    *existing.decor_mut() = decor;
                }
                _ => {
                    table.insert(key, toml_edit::value(value));
                }
            }
        }
        Ok(())
    }

    /// Write the file, whole or not at all: to a temporary file beside it (mode 0600 on Unix),
    /// then renamed over it. A missing directory is created (mode 0700 on Unix).
    pub fn save(&self) -> Result<()> {
        let fail = |what: &str, e: std::io::Error| {
            Error::config(format!(
                "could not {what} the config file {}: {e}",
                self.path.display()
            ))
        };
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            create_private_dir(&dir).map_err(|e| fail("create the directory of", e))?;
        }
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "config".to_owned());
        let temp = dir.join(format!(
            ".{name}.{}.{:08x}.tmp",
            std::process::id(),
            fastrand::u32(..)
        ));
        let written = (|| {
            let mut file = create_private_file(&temp)?;
            file.write_all(self.document.to_string().as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&temp, &self.path)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(fail("write", e));
        }
        Ok(())
    }

    fn profiles_table(&self) -> Option<&dyn toml_edit::TableLike> {
        self.document.get("profiles").and_then(Item::as_table_like)
    }

    fn malformed(&self, what: &str) -> Error {
        Error::config(format!(
            "the config file {} is malformed: {what}",
            self.path.display()
        ))
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the official CLI writes (`toml.dump` after `algo auth`).
    const OFFICIAL: &str = "[profiles.default]\napi_key = \"simDEFAULTKEY\"\napi_server = \"https://api.algorithmia.com\"\nca_cert = \"\"\nbearer_token = \"\"\n\n[profiles.other]\napi_key = \"\"\napi_server = \"\"\nca_cert = \"/etc/ca.pem\"\nbearer_token = \"a.b.c\"\n";

    fn temp_dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn reads_the_official_format_with_empty_strings_unset() {
        let config = ConfigFile::parse("/x/config", OFFICIAL).unwrap();
        assert_eq!(config.profile_names(), ["default", "other"]);
        let default = config.profile("default").unwrap();
        assert_eq!(default.api_key.as_ref().unwrap().expose(), "simDEFAULTKEY");
        assert_eq!(
            default.api_server.as_deref(),
            Some("https://api.algorithmia.com")
        );
        assert_eq!(default.ca_cert, None);
        assert_eq!(default.bearer_token, None);
        let other = config.profile("other").unwrap();
        assert_eq!(other.api_key, None);
        assert_eq!(other.ca_cert.as_deref(), Some(Path::new("/etc/ca.pem")));
        assert!(matches!(other.auth(), Auth::Bearer(_)));
        assert!(matches!(default.auth(), Auth::Simple(_)));
    }

    #[test]
    fn debug_never_shows_keys() {
        let config = ConfigFile::parse("/x/config", OFFICIAL).unwrap();
        let shown = format!("{config:?} {:?}", config.profile("default").unwrap());
        assert!(!shown.contains("simDEFAULTKEY"), "{shown}");
        assert!(!shown.contains("a.b.c"), "{shown}");
        assert!(shown.contains("other"), "{shown}");
    }

    #[test]
    fn an_unknown_profile_is_named_but_a_missing_default_is_empty() {
        let config = ConfigFile::parse("/x/config", OFFICIAL).unwrap();
        let err = config.profile("nosuch").unwrap_err();
        assert!(matches!(err, Error::Config(_)));
        let text = err.to_string();
        assert!(
            text.contains("\"nosuch\"") && text.contains("/x/config"),
            "{text}"
        );
        let empty = ConfigFile::parse("/x/config", "").unwrap();
        assert!(empty.profile("default").unwrap().is_empty());
        assert!(empty.profile("other").is_err());
    }

    #[test]
    fn malformed_files_name_the_file_and_position_without_the_text() {
        let text = "[profiles.default]\napi_key = \"simSECRETKEY\napi_server = \"\"\n";
        let err = ConfigFile::parse("/home/u/.algorithmia/config", text).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, Error::Config(_)));
        assert!(
            message.contains("/home/u/.algorithmia/config") && message.contains("line 2"),
            "{message}"
        );
        assert!(!message.contains("SECRETKEY"), "{message}");

        for (text, what) in [
            ("profiles = 3\n", "`profiles` is not a table"),
            ("[profiles]\ndefault = 1\n", "not a table"),
            (
                "[profiles.default]\napi_key = 7\n",
                "`api_key` is not a string",
            ),
        ] {
            let err = ConfigFile::parse("/c", text)
                .and_then(|c| c.profile("default"))
                .unwrap_err();
            assert!(err.to_string().contains(what), "{text:?}: {err}");
        }
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é\nx", 3), (2, 1));
        assert_eq!(line_column("ab", 99), (1, 3));
    }

    #[test]
    fn a_new_file_is_written_as_the_official_cli_writes_it() {
        let dir = temp_dir();
        let path = dir.path().join("sub").join("config");
        let mut config = ConfigFile::load(&path).unwrap();
        assert!(config.profile_names().is_empty());
        config
            .set_profile(
                "default",
                &Profile::new()
                    .api_key("simDEFAULTKEY")
                    .api_server("https://api.algorithmia.com"),
            )
            .unwrap();
        config
            .set_profile(
                "other",
                &Profile::new().ca_cert("/etc/ca.pem").bearer_token("a.b.c"),
            )
            .unwrap();
        config.save().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), OFFICIAL);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
        // Nothing but the file is left in the directory.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["config"]);
    }

    #[test]
    fn saving_keeps_other_profiles_keys_and_comments() {
        let dir = temp_dir();
        let path = dir.path().join("config");
        let original = "# my profiles\n[profiles]\n\n[profiles.default]\napi_key = \"simOLD\" # old key\napi_server = \"\"\nca_cert = \"\"\nbearer_token = \"\"\nextra = \"kept\"\n\n[profiles.work]\napi_key = \"simWORK\"\napi_server = \"https://api.example.com\"\nca_cert = \"\"\nbearer_token = \"\"\n\n[other]\nx = 1\n";
        std::fs::write(&path, original).unwrap();
        let mut config = ConfigFile::load(&path).unwrap();
        config
            .set_profile(
                "default",
                &Profile::new()
                    .api_key("simNEW")
                    .api_server("http://127.0.0.1:1"),
            )
            .unwrap();
        config.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# my profiles\n"), "{text}");
        assert!(text.contains("api_key = \"simNEW\" # old key"), "{text}");
        assert!(text.contains("extra = \"kept\""), "{text}");
        assert!(text.contains("[other]\nx = 1"), "{text}");
        assert!(!text.contains("simOLD"), "{text}");
        let again = ConfigFile::load(&path).unwrap();
        assert_eq!(
            again.profile("work").unwrap().api_key.unwrap().expose(),
            "simWORK"
        );
        assert_eq!(
            again.profile("default").unwrap().api_server.as_deref(),
            Some("http://127.0.0.1:1")
        );
    }

    #[test]
    fn the_environment_fills_only_what_the_profile_leaves_unset() {
        let env = |name: &str| {
            match name {
                "ALGORITHMIA_API_KEY" => Some("simENV"),
                "ALGORITHMIA_BEARER_TOKEN" => Some("env.token.x"),
                "ALGORITHMIA_API" => Some("http://env:1"),
                "REQUESTS_CA_BUNDLE" => Some("/env/ca.pem"),
                _ => None,
            }
            .map(str::to_owned)
        };
        let filled = Profile::new().with_vars(env);
        assert_eq!(filled.api_key.as_ref().unwrap().expose(), "simENV");
        // With a key, the token is not taken (a key wins anyway).
        assert_eq!(filled.bearer_token, None);
        assert_eq!(filled.api_server.as_deref(), Some("http://env:1"));
        assert_eq!(filled.ca_cert.as_deref(), Some(Path::new("/env/ca.pem")));

        let set = Profile::new()
            .api_key("simPROFILE")
            .api_server("http://profile:1")
            .ca_cert("/p.pem")
            .with_vars(env);
        assert_eq!(set.api_key.as_ref().unwrap().expose(), "simPROFILE");
        assert_eq!(set.api_server.as_deref(), Some("http://profile:1"));
        assert_eq!(set.ca_cert.as_deref(), Some(Path::new("/p.pem")));

        let token_only = Profile::new().with_vars(|name| {
            (name == "ALGORITHMIA_BEARER_TOKEN").then(|| "env.token.x".to_owned())
        });
        assert_eq!(
            token_only.bearer_token.as_ref().unwrap().expose(),
            "env.token.x"
        );
        let profile_token = Profile::new().bearer_token("p.t.x").with_vars(env);
        // The environment's key fills the empty key, and a key wins over the token.
        assert!(matches!(profile_token.auth(), Auth::Simple(k) if k.expose() == "simENV"));
        assert_eq!(profile_token.bearer_token.unwrap().expose(), "p.t.x");

        let blank = Profile::new().with_vars(|_| Some("  ".to_owned()));
        assert!(blank.is_empty());
    }
}
