//! Refusals: unknown keys, the input limit, data errors, and other users' data.

use algorithmia_client::{ApiKey, Auth, DataAcl, Error};
use futures_util::TryStreamExt;

use super::Target;

/// An unknown key is a 401 with code 2002; no key at all is a 401.
pub async fn unknown_and_missing_keys_are_refused(target: &Target) {
    let hello = &target.algorithms.hello;
    let err = target
        .client_with(&ApiKey::new("simNobody"))
        .algo(hello)
        .pipe("x")
        .await
        .unwrap_err();
    let Some(api) = err.api_error() else {
        panic!("an API error, not {err:?}")
    };
    assert_eq!((api.status, api.code), (401, Some(2002)));
    let anonymous = target.builder().auth(Auth::None).build().unwrap();
    assert_eq!(
        anonymous.algo(hello).pipe("x").await.unwrap_err().status(),
        Some(401)
    );
}

/// A key sent as a bearer token is looked up like a key.
pub async fn bearer_tokens_are_accepted_like_keys(target: &Target) {
    let bearer = target
        .builder()
        .bearer_token(target.key.clone())
        .build()
        .unwrap();
    bearer
        .algo(&target.algorithms.hello)
        .pipe("x")
        .await
        .unwrap();
}

/// The 10 MiB input limit, enforced by the server for clients that do not check it: one byte
/// more is a 413 `TooLargeError`, exactly 10 MiB is accepted.
pub async fn the_server_enforces_the_input_limit(target: &Target) {
    let lax = target
        .builder()
        .api_key(target.key.clone())
        .max_input_bytes(usize::MAX)
        .build()
        .unwrap();
    let echo = &target.algorithms.echo;
    let err = lax
        .algo(echo)
        .pipe(vec![7u8; 10 * 1024 * 1024 + 1])
        .await
        .unwrap_err();
    let Some(api) = err.api_error() else {
        panic!("an API error, not {err:?}")
    };
    assert_eq!(
        (api.status, api.error_type.as_deref()),
        (413, Some("TooLargeError"))
    );
    lax.algo(echo)
        .pipe(vec![7u8; 10 * 1024 * 1024])
        .await
        .unwrap();
}

/// Missing files, files where directories are expected and the other way round, bad URIs and
/// missing collections: each a typed error naming the URI.
pub async fn data_errors_say_what_went_wrong(target: &Target) {
    let c = target.client();
    let errs = target.my_dir("errs");
    c.dir(&errs).create(DataAcl::Private).await.unwrap();
    c.file(format!("{errs}/f")).put_string("x").await.unwrap();

    let err = c
        .file(format!("{errs}/none"))
        .get_bytes()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains(&format!("{errs}/none")), "{err}");
    let err = c.file(format!("{errs}/none")).metadata().await.unwrap_err();
    assert!(err.is_not_found(), "metadata of a missing file: {err:?}");
    // A file is not a directory, and asking does not download it.
    assert!(!c.dir(format!("{errs}/f")).exists().await.unwrap());
    assert!(c.dir(&errs).exists().await.unwrap());
    let err = c.file(&errs).get_bytes().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::WrongType {
                expected: "file",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("{errs} is a directory, not a file")
    );
    let err = c
        .dir(format!("{errs}/f"))
        .list()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::WrongType {
                expected: "directory",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!c.file(&errs).exists().await.unwrap());
    assert!(!c.dir(format!("{errs}/f")).exists().await.unwrap());
    let err = c.file("ftp://nope/x").get_bytes().await.unwrap_err();
    assert!(matches!(err, Error::InvalidDataUri(_)), "{err:?}");
    let err = c
        .dir(&errs)
        .file("../escape")
        .put_string("x")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidDataUri(_)), "{err:?}");
    let err = c
        .file(format!("{}/f", target.my_dir("nocollection")))
        .put_string("x")
        .await
        .unwrap_err();
    assert!(err.is_not_found());

    c.dir(&errs).delete(true).await.unwrap();
}

/// Another user can neither read nor write a file in a private collection (403 both).
pub async fn other_users_cannot_read_or_write_private_files(target: &Target) {
    let (user, second_key) = target
        .second_user()
        .expect("run only with a second user (Needs::SecondUser)");
    let c = target.client();
    let name = target.collection("private");
    let mine = format!("data://.my/{name}");
    c.dir(&mine).create(DataAcl::Private).await.unwrap();
    c.file(format!("{mine}/f")).put_string("x").await.unwrap();

    let other = target.client_with(second_key);
    let theirs = format!("data://{user}/{name}/f");
    let err = other.file(&theirs).get_string().await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = other.file(&theirs).put_string("bob").await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(c.file(format!("{mine}/f")).get_string().await.unwrap(), "x");

    c.dir(&mine).delete(true).await.unwrap();
}
