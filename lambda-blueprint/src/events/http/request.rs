//! What templates see of an HTTP request besides its payload, under `/http` in the view:
//! method, path, route, path parameters, headers (never credentials nor cookies), query
//! strings (single and multi-value), stage, request id and source IP.

use serde_json::{Map, Value, json};

use super::HttpFlavor;
use crate::events::str_at;

/// Headers a template never sees (names in lower case): credentials and cookies. API Gateway
/// v2's `cookies` array is left out too.
const HIDDEN_HEADERS: [&str; 6] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-amz-security-token",
];

/// The request `event` describes, as templates see it under `/http`; `body` is the request's
/// JSON body before the query string is merged into it (null without one).
pub(crate) fn view(event: &Value, flavor: HttpFlavor, body: Value) -> Value {
    let (method, path, route, source_ip) = match flavor {
        HttpFlavor::V1 => (
            "/httpMethod",
            "/path",
            "/resource",
            "/requestContext/identity/sourceIp",
        ),
        HttpFlavor::V2 => (
            "/requestContext/http/method",
            "/rawPath",
            "/routeKey",
            "/requestContext/http/sourceIp",
        ),
    };
    let query = strings(event.get("queryStringParameters"));
    json!({
        "method": str_at(event, method),
        "path": str_at(event, path),
        "route": str_at(event, route),
        "path_parameters": strings(event.get("pathParameters")),
        "headers": headers(event, flavor),
        "multi_query": multi_query(event, flavor, &query),
        "query": query,
        "stage": str_at(event, "/requestContext/stage"),
        "request_id": str_at(event, "/requestContext/requestId"),
        "source_ip": str_at(event, source_ip),
        "body": body,
    })
}

/// The string values of an object (API Gateway sends `null` for an empty map).
fn strings(value: Option<&Value>) -> Map<String, Value> {
    value
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter(|(_, v)| v.is_string())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The headers, names in lower case, repeated values joined with commas (as HTTP allows and as
/// v2 sends them), hidden ones left out. v1's `multiValueHeaders` is complete where `headers`
/// keeps only the last value: it is read first.
fn headers(event: &Value, flavor: HttpFlavor) -> Map<String, Value> {
    let mut out: Map<String, Value> = Map::new();
    let mut add = |name: &str, value: &str| {
        let name = name.to_ascii_lowercase();
        if HIDDEN_HEADERS.contains(&name.as_str()) {
            return;
        }
        match out.get_mut(&name) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(value);
            }
            _ => {
                out.insert(name, Value::String(value.to_owned()));
            }
        }
    };
    let multi = match flavor {
        HttpFlavor::V1 => event.get("multiValueHeaders").and_then(Value::as_object),
        HttpFlavor::V2 => None,
    };
    let mut seen = Vec::new();
    if let Some(multi) = multi {
        for (name, values) in multi {
            let Some(values) = values.as_array() else {
                continue;
            };
            for value in values.iter().filter_map(Value::as_str) {
                add(name, value);
            }
            seen.push(name.to_ascii_lowercase());
        }
    }
    for (name, value) in strings(event.get("headers")) {
        if !seen.contains(&name.to_ascii_lowercase())
            && let Some(value) = value.as_str()
        {
            add(&name, value);
        }
    }
    out
}

/// Every value of each query string parameter: v1's `multiValueQueryStringParameters`; v2
/// joins repeated values with commas in `queryStringParameters`, so they are split there (a
/// value with a comma of its own is split too: v2 does not tell them apart).
fn multi_query(event: &Value, flavor: HttpFlavor, query: &Map<String, Value>) -> Value {
    let multi = match flavor {
        HttpFlavor::V1 => event
            .get("multiValueQueryStringParameters")
            .and_then(Value::as_object),
        HttpFlavor::V2 => None,
    };
    let mut out: Map<String, Value> = Map::new();
    if let Some(multi) = multi {
        for (name, values) in multi {
            if let Some(values) = values.as_array() {
                let values: Vec<Value> = values.iter().filter(|v| v.is_string()).cloned().collect();
                out.insert(name.clone(), Value::Array(values));
            }
        }
    }
    for (name, value) in query {
        let Some(value) = value.as_str() else {
            continue;
        };
        out.entry(name.clone()).or_insert_with(|| match flavor {
            HttpFlavor::V1 => json!([value]),
            HttpFlavor::V2 => json!(value.split(',').collect::<Vec<_>>()),
        });
    }
    Value::Object(out)
}
