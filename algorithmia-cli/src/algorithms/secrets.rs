//! `algo secrets list|set|delete`: an algorithm's secrets, by name. Values go to the server
//! and nowhere else: never printed, never in an error.

use std::io::IsTerminal;

use algorithmia_client::AlgoRef;
use algorithmia_client::manage::{SecretInfo, SecretValue, Secrets};
use tokio::io::AsyncReadExt;

use super::{cell, handle};
use crate::cli::{SecretNameArgs, SecretSetArgs, SecretsCommand};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output;

/// `algo secrets ...`.
pub async fn secrets(ctx: &Context, command: SecretsCommand) -> CliResult {
    match command {
        SecretsCommand::List(args) => list(ctx, &args.algo).await,
        SecretsCommand::Set(args) => set(ctx, args).await,
        SecretsCommand::Delete(args) => delete(ctx, args).await,
    }
}

/// The secret's name as listed: its short name, else the variable it is read from.
fn name_of(secret: &SecretInfo) -> Option<&str> {
    secret
        .short_name
        .as_deref()
        .or(secret.secret_key.as_deref())
}

async fn all(secrets: &Secrets, reference: &AlgoRef) -> CliResult<Vec<SecretInfo>> {
    secrets
        .list()
        .await
        .map_err(|e| CliError::api(format_args!("list the secrets of {reference}"), e))
}

async fn list(ctx: &Context, algo: &str) -> CliResult {
    let (algorithm, reference) = handle(ctx, algo)?;
    let secrets = all(&algorithm.secrets(), &reference).await?;
    if ctx.json {
        return output::json(&secrets);
    }
    let rows: Vec<Vec<String>> = secrets
        .iter()
        .map(|s| {
            vec![
                cell(name_of(s)),
                cell(s.description.as_deref()),
                cell(s.modified.as_deref().or(s.created.as_deref())),
            ]
        })
        .collect();
    output::table(&["Name", "Description", "Modified"], &rows)
}

/// Create the secret, or replace its value (and description) when one of that name exists.
async fn set(ctx: &Context, args: SecretSetArgs) -> CliResult {
    let (algorithm, reference) = handle(ctx, &args.algo)?;
    if args.name.trim().is_empty() {
        return Err(CliError::usage("a secret needs a name"));
    }
    let value = match args.value {
        Some(value) => value,
        None => read_value(&args.name).await?,
    };
    if value.is_empty() {
        return Err(CliError::usage(format!(
            "the value of secret {} of {reference} is empty",
            args.name
        )));
    }
    let value = SecretValue::new(value);
    let secrets = algorithm.secrets();
    let existing = all(&secrets, &reference)
        .await?
        .into_iter()
        .find(|s| name_of(s) == Some(args.name.as_str()));
    let what = format!("set secret {} of {reference}", args.name);
    match existing {
        Some(secret) => secrets
            .update(&secret.id, value, args.description.as_deref())
            .await
            .map_err(|e| CliError::api(&what, e))?,
        None => {
            secrets
                .set(&args.name, value, args.description.as_deref())
                .await
                .map_err(|e| CliError::api(&what, e))?;
        }
    }
    if !ctx.json {
        eprintln!("Set secret {} of {reference}", args.name);
    }
    Ok(())
}

/// The value from stdin: everything, less one final line end.
async fn read_value(name: &str) -> CliResult<String> {
    if std::io::stdin().is_terminal() {
        eprintln!("Type the value of {name}, then Enter and Ctrl-D:");
    }
    let mut value = String::new();
    tokio::io::stdin()
        .read_to_string(&mut value)
        .await
        .map_err(|e| {
            CliError::failed(format!(
                "could not read the value of {name} from stdin: {e}"
            ))
        })?;
    if value.ends_with('\n') {
        value.pop();
        if value.ends_with('\r') {
            value.pop();
        }
    }
    Ok(value)
}

async fn delete(ctx: &Context, args: SecretNameArgs) -> CliResult {
    let (algorithm, reference) = handle(ctx, &args.algo)?;
    let secrets = algorithm.secrets();
    let Some(secret) = all(&secrets, &reference)
        .await?
        .into_iter()
        .find(|s| name_of(s) == Some(args.name.as_str()))
    else {
        return Err(CliError::failed(format!(
            "could not delete secret {} of {reference}: it has no secret of that name",
            args.name
        )));
    };
    secrets.delete(&secret.id).await.map_err(|e| {
        CliError::api(
            format_args!("delete secret {} of {reference}", args.name),
            e,
        )
    })?;
    if !ctx.json {
        eprintln!("Deleted secret {} of {reference}", args.name);
    }
    Ok(())
}
