//! Reporting a start-up failure to the Runtime API (`/runtime/init/error`), which
//! `lambda_runtime` does not expose.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// POST the error to `$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error`. Best effort: a
/// failure to report is logged, and the process exits with an error either way.
pub async fn report_init_error(error_type: &str, message: &str) {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        return;
    };
    if let Err(e) = post(&api, error_type, message).await {
        tracing::error!(error = %e, "could not report the start-up error to the Runtime API");
    }
}

async fn post(api: &str, error_type: &str, message: &str) -> std::io::Result<()> {
    let rest = api.strip_prefix("http://").unwrap_or(api);
    let (authority, base) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let connect_to = authority
        .replace("[::]", "[::1]")
        .replace("0.0.0.0", "127.0.0.1");
    let body = serde_json::json!({"errorType": error_type, "errorMessage": message}).to_string();
    let request = format!(
        "POST {base}/2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nLambda-Runtime-Function-Error-Type: {error_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(connect_to.as_str()).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        stream.read_to_end(&mut response),
    )
    .await;
    Ok(())
}
