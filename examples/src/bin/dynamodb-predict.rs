//! `dynamodb-predict`: a model run on every DynamoDB update, end to end.

use std::process::ExitCode;

use clap::Parser;
use examples::predict::run;

/// A DynamoDB Streams batch (INSERT and MODIFY records) priced by ml/PricePredictor through the
/// Lambda blueprint's handler; the item lacking an attribute is reported in batchItemFailures.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    connection: examples::Connection,
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::exit_code("dynamodb-predict", workflow(Args::parse()).await)
}

async fn workflow(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let target = args.connection.target(examples::Target::embedded)?;
    let r = run(&target).await?;
    println!("dynamodb-predict workflow on {}", r.target);
    println!(
        "  invoked      the Lambda blueprint's handler with a DynamoDB Streams event (4 records)"
    );
    println!(
        "  called       {} once per record, in order per item",
        examples::predict::ALGORITHM
    );
    println!(
        "  answered     {} in {:.0} ms",
        r.answer,
        r.took.as_secs_f64() * 1000.0
    );
    for (id, prediction) in &r.predictions {
        println!(
            "  prediction   {}/{id}.json = {prediction}",
            examples::predict::PREDICTIONS
        );
    }
    Ok(())
}
