//! The data URI a request path names: `/v1/connector/{connector}/{path}` and
//! `/v1/data/{path}` in the forms the official clients send.

use algorithmia_client::DataUri;
use percent_encoding::percent_decode_str;

use crate::error::AppError;

/// Percent-decode a request path, refusing what is not UTF-8.
fn decode(raw: &str) -> Result<String, AppError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| AppError::bad_request("the path is not valid UTF-8 once percent-decoded"))
}

fn parse_uri(connector: &str, path: &str) -> Result<DataUri, AppError> {
    DataUri::new(connector, path).map_err(|e| AppError::bad_request(e.to_string()))
}

/// The data URI a request path names. `..`, `.`, empty segments (absolute paths), NUL and
/// backslashes are refused after decoding, so `%2e%2e%2f` is no way around the check.
pub(super) fn uri_from_path(path: &str) -> Result<DataUri, AppError> {
    if let Some(rest) = path.strip_prefix("/v1/connector/") {
        let (connector, rest) = rest.split_once('/').unwrap_or((rest, ""));
        return parse_uri(&decode(connector)?, &decode(rest)?);
    }
    let rest = path
        .strip_prefix("/v1/data")
        .ok_or_else(|| AppError::not_found("no such route"))?;
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    // The Java client form-encodes the whole path (`/` as %2F, space as `+`): a path that does
    // that is read the same way.
    let form_encoded = rest.contains("%2F") || rest.contains("%2f");
    let rest = if form_encoded {
        rest.replace('+', " ")
    } else {
        rest.to_owned()
    };
    let decoded = decode(&rest)?;
    match decoded.split_once("://") {
        Some((connector, inner)) => {
            if inner.starts_with('/') {
                return Err(AppError::bad_request(format!(
                    "invalid data URI {decoded:?}: the path after :// starts with /"
                )));
            }
            parse_uri(connector, inner)
        }
        None => parse_uri("data", &decoded),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    #[test]
    fn request_paths_map_to_uris() {
        for (path, want) in [
            (
                "/v1/connector/data/.my/coll/file.txt",
                "data://.my/coll/file.txt",
            ),
            ("/v1/connector/data/.my/coll/", "data://.my/coll"),
            (
                "/v1/connector/s3+lbl/bucket/a%20b%23c%3F.txt",
                "s3+lbl://bucket/a b#c?.txt",
            ),
            ("/v1/connector/dropbox/f%C3%B6", "dropbox://fö"),
            ("/v1/data/.my/coll/x", "data://.my/coll/x"),
            ("/v1/data/", "data://"),
            ("/v1/data", "data://"),
            ("/v1/data/dropbox://somefolder", "dropbox://somefolder"),
            ("/v1/data/data://.my/x", "data://.my/x"),
            ("/v1/data/.my%2Fcoll%2Fa+b.txt", "data://.my/coll/a b.txt"),
            ("/v1/data/s3%3A%2F%2Fbucket%2Fk", "s3://bucket/k"),
        ] {
            assert_eq!(uri_from_path(path).unwrap().to_string(), want, "{path}");
        }
    }

    #[test]
    fn traversal_and_odd_bytes_are_refused() {
        for path in [
            "/v1/connector/data/.my/../etc/passwd",
            "/v1/connector/data/.my/%2e%2e/x",
            "/v1/connector/data/.my/%2e%2e%2fx",
            "/v1/data/.my%2F..%2F..%2Fetc",
            "/v1/data//etc/passwd",
            "/v1/data/%2Fetc%2Fpasswd",
            "/v1/connector/data/.my/a%00b",
            "/v1/connector/data/.my/a%5Cb",
            "/v1/connector/data/.my/%FF",
            "/v1/connector/ftp/x",
            "/v1/data/s3:///x",
        ] {
            let err = uri_from_path(path).unwrap_err();
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{path}");
        }
    }
}
