//! The delivery settings: result and failure destinations, the idempotency table, the metrics'
//! namespace.

use std::time::Duration;

use super::{ConfigError, error};
use crate::destination::Destination;

/// The idempotency table and how long its marks live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    /// The table's name (from `ALGORITHMIA_IDEMPOTENCY_TABLE`, a name or a table ARN).
    pub table: String,
    /// How long completed marks live (`ALGORITHMIA_IDEMPOTENCY_TTL`; default one hour).
    pub ttl: Duration,
}

/// The default lifetime of completed marks.
pub const DEFAULT_IDEMPOTENCY_TTL: Duration = Duration::from_secs(3600);

/// The default CloudWatch namespace of the metrics.
pub const DEFAULT_NAMESPACE: &str = "AlgorithmiaBlueprint";

type Get<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A destination ARN from `variable`, if set.
pub(super) fn read_destination(
    get: Get<'_>,
    variable: &'static str,
) -> Result<Option<Destination>, ConfigError> {
    get(variable)
        .map(|arn| arn.parse::<Destination>().map_err(|e| error(variable, e)))
        .transpose()
}

/// A DynamoDB table name: 3 to 255 of `a-z A-Z 0-9 _ - .`.
fn valid_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The idempotency table, if `ALGORITHMIA_IDEMPOTENCY_TABLE` is set.
pub(super) fn read_idempotency(get: Get<'_>) -> Result<Option<Idempotency>, ConfigError> {
    const TABLE: &str = "ALGORITHMIA_IDEMPOTENCY_TABLE";
    const TTL: &str = "ALGORITHMIA_IDEMPOTENCY_TTL";
    let ttl = match get(TTL) {
        None => DEFAULT_IDEMPOTENCY_TTL,
        Some(text) => {
            let ttl = match text.parse::<u64>() {
                Ok(secs) => Duration::from_secs(secs),
                Err(_) => humantime::parse_duration(&text).map_err(|e| {
                    error(
                        TTL,
                        format!("{text:?} is not a number of seconds or a duration like 90m: {e}"),
                    )
                })?,
            };
            if !(Duration::from_secs(60)..=Duration::from_secs(366 * 24 * 3600)).contains(&ttl) {
                return Err(error(
                    TTL,
                    format!("{text} is outside one minute to a year"),
                ));
            }
            ttl
        }
    };
    let Some(given) = get(TABLE) else {
        if get(TTL).is_some() {
            return Err(error(TTL, format!("set, but {TABLE} is not")));
        }
        return Ok(None);
    };
    let table = if given.starts_with("arn:") {
        match given.split_once(":table/") {
            Some((head, name)) if head.contains(":dynamodb:") && valid_table_name(name) => {
                name.to_owned()
            }
            _ => {
                return Err(error(
                    TABLE,
                    format!(
                        "{given:?} is not a DynamoDB table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME)"
                    ),
                ));
            }
        }
    } else if valid_table_name(&given) {
        given
    } else {
        return Err(error(
            TABLE,
            format!(
                "{given:?} is not a table name (3 to 255 of a-z, A-Z, 0-9, _, - and .) or a table ARN"
            ),
        ));
    };
    Ok(Some(Idempotency { table, ttl }))
}

/// The metrics' namespace: `ALGORITHMIA_METRICS_NAMESPACE`, or the default.
pub(super) fn read_namespace(get: Get<'_>) -> Result<String, ConfigError> {
    const NAMESPACE: &str = "ALGORITHMIA_METRICS_NAMESPACE";
    let Some(namespace) = get(NAMESPACE) else {
        return Ok(DEFAULT_NAMESPACE.to_owned());
    };
    // CloudWatch namespaces: 1 to 255 of alphanumerics and . - _ / # : and spaces, not
    // starting with "AWS/".
    let valid = (1..=255).contains(&namespace.len())
        && namespace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " .-_/#:".contains(c))
        && !namespace.starts_with("AWS/");
    if !valid {
        return Err(error(
            NAMESPACE,
            format!(
                "{namespace:?} is not a CloudWatch namespace (up to 255 of letters, digits, spaces and . - _ / # :, not starting with AWS/)"
            ),
        ));
    }
    Ok(namespace)
}
