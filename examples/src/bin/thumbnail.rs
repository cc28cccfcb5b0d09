//! `thumbnail`: the smart-thumbnail workflow, end to end.
//!
//! By default on an embedded `algorithmia-local` (no account, no network); with `--api URL
//! --key KEY` against any Algorithmia-compatible API with an `s3` connector.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use examples::thumbnail::{Options, run};

/// An image uploaded to S3 becomes a smart thumbnail in another bucket, through the Lambda
/// blueprint's handler. Deploy it with ALGORITHMIA_ALGORITHM=opencv/SmartThumbnail/1.0.0 and
/// ALGORITHMIA_INPUT_TEMPLATE={"image":"${/uri}","outputUrl":"s3://thumbnails/${/key}.png","width":200,"height":200}.
#[derive(Parser)]
struct Args {
    /// The image to upload (JPEG, PNG, GIF or WebP); a generated sample by default.
    #[arg(long)]
    image: Option<PathBuf>,
    /// Where to write the thumbnail.
    #[arg(long, default_value = "target/thumbnail.png")]
    output: PathBuf,
    /// Thumbnail width.
    #[arg(long, default_value_t = 200)]
    width: u32,
    /// Thumbnail height.
    #[arg(long, default_value_t = 200)]
    height: u32,
    #[command(flatten)]
    connection: examples::Connection,
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::exit_code("thumbnail", workflow(Args::parse()).await)
}

async fn workflow(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let target = args.connection.target(examples::Target::embedded)?;
    let options = Options {
        image: args.image,
        output: args.output,
        size: (args.width, args.height),
    };
    let r = run(&target, &options).await?;
    println!("smart-thumbnail workflow on {}", r.target);
    println!("  uploaded   {} ({} bytes)", r.source, r.source_bytes);
    println!("  invoked    the Lambda blueprint's handler with an S3 ObjectCreated:Put event");
    println!("  called     {} with {}", r.algorithm, r.input);
    println!(
        "  answered   {} in {:.0} ms",
        r.answer,
        r.took.as_secs_f64() * 1000.0
    );
    println!(
        "  thumbnail  {} -> {} ({}x{} PNG, {} bytes)",
        r.output_uri,
        r.local_path.display(),
        r.dimensions.0,
        r.dimensions.1,
        r.output_bytes
    );
    Ok(())
}
