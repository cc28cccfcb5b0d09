//! Algorithms' source repositories: bare git repositories at `ROOT/OWNER/NAME.git`, created with
//! one initial commit on `master`, read by their default branch's head, served by
//! [`GitHttp`](super::GitHttp) and checked out by the [`Builder`](super::Builder).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::git::{GitEnv, GitFailure, os};
use super::names::{NameError, check_inside, check_name, join_relative};

/// The default branch of every repository this module creates.
pub const DEFAULT_BRANCH: &str = "master";

/// What went wrong with a repository.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepoError {
    /// An owner, a name or a file path was refused.
    #[error(transparent)]
    Name(#[from] NameError),
    /// `create` found the repository already there.
    #[error("the repository {owner}/{name} already exists")]
    AlreadyExists {
        /// The owner.
        owner: String,
        /// The algorithm name.
        name: String,
    },
    /// The repository does not exist.
    #[error("there is no repository {owner}/{name}")]
    NotFound {
        /// The owner.
        owner: String,
        /// The algorithm name.
        name: String,
    },
    /// A git command failed.
    #[error("{action} on {owner}/{name}: {source}")]
    Git {
        /// What was being done.
        action: &'static str,
        /// The owner.
        owner: String,
        /// The algorithm name.
        name: String,
        /// What git said.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The file system refused.
    #[error("{action} {path:?}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The bare repositories under one root directory (`<data>/git`). A cheap `Clone` handle.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use algorithmia_local::build::Repositories;
/// let repos = Repositories::new("/tmp/data/git".into())?;
/// let files = vec![("src/Hello.py".into(), b"print('hi')\n".to_vec())];
/// let commit = repos.create("alice", "Hello", &files, "alice").await?;
/// assert_eq!(repos.head("alice", "Hello").await?, Some(commit));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Repositories {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    git: Arc<GitEnv>,
}

impl Repositories {
    /// Repositories under `root`, created if missing.
    pub fn new(root: PathBuf) -> Result<Repositories, RepoError> {
        let io = |action, path: &Path| {
            let path = path.to_owned();
            move |source| RepoError::Io {
                action,
                path,
                source,
            }
        };
        std::fs::create_dir_all(&root).map_err(io("creating", &root))?;
        let root = root.canonicalize().map_err(io("resolving", &root))?;
        let git = GitEnv::new().map_err(io("creating a git home in", &std::env::temp_dir()))?;
        Ok(Repositories {
            inner: Arc::new(Inner { root, git }),
        })
    }

    /// The root directory (`GIT_PROJECT_ROOT` for the HTTP backend).
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    pub(crate) fn git(&self) -> &Arc<GitEnv> {
        &self.inner.git
    }

    /// `ROOT/OWNER/NAME.git`, after checking both names and that the path stays inside the root.
    /// The repository need not exist.
    pub fn path(&self, owner: &str, name: &str) -> Result<PathBuf, RepoError> {
        check_name("owner", owner)?;
        check_name("algorithm name", name)?;
        let path = self.inner.root.join(owner).join(format!("{name}.git"));
        check_inside(&self.inner.root, &path)?;
        Ok(path)
    }

    /// Whether the repository exists.
    pub fn exists(&self, owner: &str, name: &str) -> Result<bool, RepoError> {
        let path = self.path(owner, name)?;
        Ok(path.join("HEAD").is_file() && path.join("objects").is_dir())
    }

    /// Create the bare repository with one commit on `master` holding `files` (relative paths),
    /// authored by `author` (a user name). Returns the commit id.
    pub async fn create(
        &self,
        owner: &str,
        name: &str,
        files: &[(PathBuf, Vec<u8>)],
        author: &str,
    ) -> Result<String, RepoError> {
        check_name("author", author)?;
        let path = self.path(owner, name)?;
        // Refuse bad file paths before anything is created.
        let scratch = Path::new("/");
        for (file, _) in files {
            join_relative(scratch, file)?;
            if file.to_str().is_none() || file.components().any(|c| c.as_os_str() == ".git") {
                return Err(NameError::Escapes {
                    path: file.clone(),
                    root: PathBuf::from("the repository"),
                }
                .into());
            }
        }
        if path.exists() {
            return Err(RepoError::AlreadyExists {
                owner: owner.to_owned(),
                name: name.to_owned(),
            });
        }
        let parent = path.parent().unwrap_or(&self.inner.root);
        std::fs::create_dir_all(parent).map_err(|source| RepoError::Io {
            action: "creating",
            path: parent.to_owned(),
            source,
        })?;
        check_inside(&self.inner.root, &path)?;
        let made = self.initialise(&path, files, author).await;
        if made.is_err() {
            let _ = std::fs::remove_dir_all(&path);
        }
        made.map_err(|(action, e)| RepoError::Git {
            action,
            owner: owner.to_owned(),
            name: name.to_owned(),
            source: Box::new(e),
        })
    }

    async fn initialise(
        &self,
        path: &Path,
        files: &[(PathBuf, Vec<u8>)],
        author: &str,
    ) -> Result<String, (&'static str, GitFailure)> {
        let git = &self.inner.git;

        let step = |action: &'static str| move |e| (action, e);
        let init = [os("init"), os("--bare"), os("--quiet")];
        let init_branch = format!("--initial-branch={DEFAULT_BRANCH}");
        let mut init = init.to_vec();
        init.push(os(&init_branch));
        git.run(path, &init, &[], None)
            .await
            .map_err(step("init"))?;
        for (key, value) in [
            ("http.receivepack", "true"),
            ("receive.fsckObjects", "true"),
        ] {
            git.run(path, &[os("config"), os(key), os(value)], &[], None)
                .await
                .map_err(step("config"))?;
        }
        let index_dir = tempfile::tempdir().map_err(|e| {
            step("index")(GitFailure {
                action: "index".into(),
                message: e.to_string(),
            })
        })?;
        let index = index_dir.path().join("index");
        let index_env = [("GIT_INDEX_FILE", index.as_os_str())];
        for (file, content) in files {
            let blob = git
                .run(
                    path,
                    &[os("hash-object"), os("-w"), os("--stdin")],
                    &[],
                    Some(content),
                )
                .await
                .map_err(step("hash-object"))?;
            let info = format!("100644,{blob},{}", file.to_string_lossy());
            let args = [
                os("update-index"),
                os("--add"),
                os("--cacheinfo"),
                os(&info),
            ];
            git.run(path, &args, &index_env, None)
                .await
                .map_err(step("update-index"))?;
        }
        let tree = git
            .run(path, &[os("write-tree")], &index_env, None)
            .await
            .map_err(step("write-tree"))?;
        let email = format!("{author}@algorithmia.local");
        let author_env = [
            ("GIT_AUTHOR_NAME", os(author)),
            ("GIT_AUTHOR_EMAIL", os(&email)),
        ];
        let args = [os("commit-tree"), os(&tree), os("-m"), os("Initial commit")];
        let commit = git
            .run(path, &args, &author_env, None)
            .await
            .map_err(step("commit-tree"))?;
        let branch = format!("refs/heads/{DEFAULT_BRANCH}");
        git.run(
            path,
            &[os("update-ref"), os(&branch), os(&commit)],
            &[],
            None,
        )
        .await
        .map_err(step("update-ref"))?;
        Ok(commit)
    }

    /// The commit at the head of the default branch; `None` when it has no commit yet.
    pub async fn head(&self, owner: &str, name: &str) -> Result<Option<String>, RepoError> {
        if !self.exists(owner, name)? {
            return Err(RepoError::NotFound {
                owner: owner.to_owned(),
                name: name.to_owned(),
            });
        }
        let path = self.path(owner, name)?;
        head_of(&self.inner.git, &path)
            .await
            .map_err(|e| RepoError::Git {
                action: "reading the head",
                owner: owner.to_owned(),
                name: name.to_owned(),
                source: Box::new(e),
            })
    }

    /// Delete the repository and everything in it.
    pub async fn delete(&self, owner: &str, name: &str) -> Result<(), RepoError> {
        if !self.exists(owner, name)? {
            return Err(RepoError::NotFound {
                owner: owner.to_owned(),
                name: name.to_owned(),
            });
        }
        let path = self.path(owner, name)?;
        tokio::fs::remove_dir_all(&path)
            .await
            .map_err(|source| RepoError::Io {
                action: "deleting",
                path,
                source,
            })
    }
}

/// The head of the default branch (where `HEAD` points) of the bare repository at `path`.
pub(crate) async fn head_of(git: &GitEnv, path: &Path) -> Result<Option<String>, GitFailure> {
    let branch = git
        .run(path, &[os("symbolic-ref"), os("HEAD")], &[], None)
        .await?;
    let format = "--format=%(objectname)";
    let head = git
        .run(
            path,
            &[os("for-each-ref"), os(format), os(&branch)],
            &[],
            None,
        )
        .await?;
    Ok(Some(head).filter(|h| !h.is_empty()))
}
