//! One CloudWatch Embedded Metric Format document per invocation, printed to standard output,
//! where Lambda's log agent finds it and CloudWatch turns it into metrics.
//!
//! Namespace from `ALGORITHMIA_METRICS_NAMESPACE` (default `AlgorithmiaBlueprint`); dimensions
//! `FunctionName` and `EventSource`; metrics `Records`, `Succeeded`, `Failed`, `FailedPermanent`,
//! `FailedTransient`, `Failed<ErrorType>` for each error type that occurred, `Acknowledged`,
//! `SkippedDuplicates`, `ResultsDelivered` (counts) and `AlgorithmLatency` (milliseconds, one
//! value per call, at most 100 per document as EMF allows).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::pipeline::Stats;

/// EMF takes at most this many values per metric in one document.
const MAX_VALUES: usize = 100;

/// The EMF document of one invocation.
pub(crate) fn document(
    namespace: &str,
    function_name: &str,
    source: &str,
    stats: &Stats,
    cold_start: bool,
    request_id: &str,
) -> Value {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut doc = Map::new();
    let mut definitions = Vec::new();
    let mut count = |name: String, value: usize, doc: &mut Map<String, Value>| {
        definitions.push(json!({"Name": name, "Unit": "Count"}));
        doc.insert(name, json!(value));
    };
    count("Records".into(), stats.records, &mut doc);
    count("Succeeded".into(), stats.succeeded, &mut doc);
    count("Failed".into(), stats.reported(), &mut doc);
    count("FailedPermanent".into(), stats.failed_permanent, &mut doc);
    count("FailedTransient".into(), stats.failed_transient, &mut doc);
    count("Acknowledged".into(), stats.acknowledged, &mut doc);
    count("SkippedDuplicates".into(), stats.duplicates, &mut doc);
    count("ResultsDelivered".into(), stats.delivered, &mut doc);
    for (error_type, n) in &stats.failed {
        count(format!("Failed{error_type}"), *n, &mut doc);
    }
    if !stats.latencies_ms.is_empty() {
        definitions.push(json!({"Name": "AlgorithmLatency", "Unit": "Milliseconds"}));
        let values: Vec<f64> = sample(&stats.latencies_ms)
            .into_iter()
            .map(|ms| (ms * 1000.0).round() / 1000.0)
            .collect();
        doc.insert("AlgorithmLatency".into(), json!(values));
    }
    doc.insert("FunctionName".into(), json!(function_name));
    doc.insert("EventSource".into(), json!(source));
    doc.insert("ColdStart".into(), json!(cold_start));
    doc.insert("RequestId".into(), json!(request_id));
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["FunctionName", "EventSource"]],
                "Metrics": definitions,
            }],
        }),
    );
    Value::Object(doc)
}

/// At most [`MAX_VALUES`] of `values`, spread evenly over them (sorted first, so the
/// distribution's shape, its minimum and maximum included, survives).
fn sample(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.len() <= MAX_VALUES {
        return sorted;
    }
    let last = sorted.len() - 1;
    (0..MAX_VALUES)
        .map(|i| sorted[i * last / (MAX_VALUES - 1)])
        .collect()
}

/// Print the invocation's EMF document as one line of standard output (where Lambda's log
/// agent reads it; a test harness captures it).
pub(crate) fn emit(document: &Value) {
    println!("{document}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_valid_emf() {
        let mut stats = Stats {
            records: 5,
            succeeded: 2,
            duplicates: 1,
            acknowledged: 1,
            failed_permanent: 1,
            failed_transient: 1,
            delivered: 2,
            latencies_ms: vec![12.5, 20.25],
            ..Stats::default()
        };
        stats.failed.insert("TimeoutError", 1);
        let doc = document("Thumbs", "fn", "kinesis", &stats, true, "req");
        let aws = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(aws["Namespace"], "Thumbs");
        assert_eq!(aws["Dimensions"], json!([["FunctionName", "EventSource"]]));
        // Every declared metric and dimension is a member of the document.
        for metric in aws["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(doc.get(name).is_some(), "{name}");
        }
        assert_eq!(doc["FunctionName"], "fn");
        assert_eq!(doc["EventSource"], "kinesis");
        assert_eq!(doc["Records"], 5);
        assert_eq!(doc["Failed"], 1);
        assert_eq!(doc["FailedTimeoutError"], 1);
        assert_eq!(doc["SkippedDuplicates"], 1);
        assert_eq!(doc["AlgorithmLatency"], json!([12.5, 20.25]));
        assert_eq!(doc["ColdStart"], true);
        assert!(doc["_aws"]["Timestamp"].as_u64().unwrap() > 1_600_000_000_000);
    }

    #[test]
    fn latencies_are_sampled_to_the_emf_limit() {
        let values: Vec<f64> = (0..1000).map(f64::from).collect();
        let s = sample(&values);
        assert_eq!(s.len(), MAX_VALUES);
        assert_eq!((s[0], s[MAX_VALUES - 1]), (0.0, 999.0));
        assert!(s.windows(2).all(|w| w[0] <= w[1]));
    }
}
