//! Speech to text: a WAV uploaded to S3 becomes a JSON transcript in another bucket.
//!
//! Locally, `sphinx/SpeechRecognition` (a real algorithm written with the official Python ADK,
//! in `examples/algorithms/speech_recognition/`, using PocketSphinx) is hosted by an embedded
//! `algorithmia-local`; a recording is staged in its `s3` connector, a real S3 event is built for
//! it, and the blueprint's handler runs it.
//!
//! Deploying the same workflow to Lambda is configuration only:
//!
//! ```text
//! ALGORITHMIA_ALGORITHM=sphinx/SpeechRecognition/1.0.0
//! ALGORITHMIA_API_KEY_ENCRYPTED=<aws kms encrypt ... CiphertextBlob>
//! ALGORITHMIA_INPUT_TEMPLATE={"inputUrl":"${/uri}","outputFile":"s3://transcripts/${/key}.json"}
//! ```
//!
//! With SAM (`lambda-blueprint/template.yaml`), the function's settings:
//!
//! ```yaml
//! Timeout: 300
//! Environment:
//!   Variables:
//!     ALGORITHMIA_ALGORITHM: sphinx/SpeechRecognition/1.0.0
//!     ALGORITHMIA_API_KEY_ENCRYPTED: !Ref EncryptedApiKey
//!     ALGORITHMIA_INPUT_TEMPLATE: '{"inputUrl":"${/uri}","outputFile":"s3://transcripts/${/key}.json"}'
//! Events:
//!   Recorded:
//!     Type: S3
//!     Properties:
//!       Bucket: !Ref Recordings
//!       Events: s3:ObjectCreated:*
//!       Filter: { S3Key: { Rules: [{ Name: suffix, Value: .wav }] } }
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use algorithmia_local::{AdkAlgorithm, LocalServer};
use lambda_blueprint::Blueprint;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

use crate::{Target, s3_event};

/// The algorithm the workflow calls.
pub const ALGORITHM: &str = "sphinx/SpeechRecognition/1.0.0";
/// The bucket recordings land in.
pub const UPLOAD_BUCKET: &str = "recordings";
/// The bucket transcripts go to.
pub const TRANSCRIPT_BUCKET: &str = "transcripts";

/// The repository's root (the examples are run from a checkout).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The sample recording.
pub fn sample_audio() -> PathBuf {
    repo().join("examples/audio/hello-world.wav")
}

/// The speech algorithm, hosted with the interpreter of `.venv` (or `python`).
pub fn speech_algorithm(python: Option<&Path>) -> AdkAlgorithm {
    let python = python.map_or_else(|| repo().join(".venv/bin/python"), Path::to_path_buf);
    AdkAlgorithm {
        name: "sphinx/SpeechRecognition".into(),
        version: "1.0.0".into(),
        command: format!(
            "'{}' '{}'",
            python.display(),
            repo()
                .join("examples/algorithms/speech_recognition/algorithm.py")
                .display()
        ),
        workers: None,
    }
}

/// An embedded server hosting the speech algorithm.
pub fn embedded(python: Option<&Path>) -> Result<Target, algorithmia_local::StartError> {
    Ok(Target::Embedded(
        LocalServer::builder()
            .adk_algorithm(speech_algorithm(python))
            .start()?,
    ))
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Report {
    /// Where the algorithms ran.
    pub target: String,
    /// The uploaded recording.
    pub source: String,
    /// The algorithm called.
    pub algorithm: String,
    /// What the blueprint answered.
    pub answer: Value,
    /// How long the invocation took.
    pub took: Duration,
    /// Where the transcript was written.
    pub output_uri: String,
    /// The transcript.
    pub transcript: String,
}

/// Run the workflow for `audio` against `target`.
pub async fn run(target: &Target, audio: &Path) -> Result<Report, Box<dyn std::error::Error>> {
    let client = target.client()?;
    let name = audio
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("the audio path has no UTF-8 file name")?;
    let key = format!("calls/{name}");
    let source = format!("s3://{UPLOAD_BUCKET}/{key}");
    let size = client.file(source.as_str()).put_file(audio).await?;
    let template = json!({
        "inputUrl": "${/uri}",
        "outputFile": format!("s3://{TRANSCRIPT_BUCKET}/${{/key}}.json"),
    });
    let config = target.config(&[
        ("ALGORITHMIA_ALGORITHM", ALGORITHM.to_owned()),
        ("ALGORITHMIA_INPUT_TEMPLATE", template.to_string()),
        ("ALGORITHMIA_TIMEOUT", "120".to_owned()),
    ])?;
    let blueprint = Blueprint::with_plain_key(config)?;
    let started = Instant::now();
    let answer = blueprint
        .handle(LambdaEvent::new(
            s3_event(UPLOAD_BUCKET, &key, size),
            Context::default(),
        ))
        .await?;
    let took = started.elapsed();
    let output_uri = format!("s3://{TRANSCRIPT_BUCKET}/{key}.json");
    let written: Value = client.file(output_uri.as_str()).get_json().await?;
    let transcript = written["transcript"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok(Report {
        target: target.describe(),
        source,
        algorithm: ALGORITHM.to_owned(),
        answer,
        took,
        output_uri,
        transcript,
    })
}
