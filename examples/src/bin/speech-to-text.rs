//! `speech-to-text`: the speech workflow, end to end.
//!
//! By default on an embedded `algorithmia-local` hosting `sphinx/SpeechRecognition` (the
//! repository's `.venv` must have `algorithmia-adk` and `pocketsphinx`: `scripts/test.sh`
//! installs them); with `--api URL --key KEY` against any Algorithmia-compatible API.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use examples::speech::{embedded, run, sample_audio};

/// A WAV uploaded to S3 becomes a JSON transcript, through the Lambda blueprint's handler.
/// Deploy it with ALGORITHMIA_ALGORITHM=sphinx/SpeechRecognition/1.0.0 and
/// ALGORITHMIA_INPUT_TEMPLATE={"inputUrl":"${/uri}","outputFile":"s3://transcripts/${/key}.json"}.
#[derive(Parser)]
struct Args {
    /// The recording (WAV, any rate and channel count); the sample "hello world" by default.
    #[arg(long)]
    audio: Option<PathBuf>,
    /// The Python that runs the ADK algorithm (default: the repository's .venv).
    #[arg(long)]
    python: Option<PathBuf>,
    #[command(flatten)]
    connection: examples::Connection,
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::exit_code("speech-to-text", workflow(Args::parse()).await)
}

async fn workflow(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let target = args
        .connection
        .target(|| embedded(args.python.as_deref()))?;
    let audio = args.audio.unwrap_or_else(sample_audio);
    let r = run(&target, &audio).await?;
    println!("speech-to-text workflow on {}", r.target);
    println!("  uploaded    {}", r.source);
    println!("  invoked     the Lambda blueprint's handler with an S3 ObjectCreated:Put event");
    println!("  called      {}", r.algorithm);
    println!(
        "  answered    {} in {:.0} ms",
        r.answer,
        r.took.as_secs_f64() * 1000.0
    );
    println!("  transcript  {:?} -> {}", r.transcript, r.output_uri);
    Ok(())
}
