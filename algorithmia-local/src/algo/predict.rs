//! `ml/PricePredictor`: a small linear model over item attributes, for the DynamoDB workflow.
//!
//! `{"predict": [[sqft, bedrooms, age], ...]}` in, `{"predictions": [...]}` out, as Algorithmia's
//! scikit-learn demo took and returned; with `"outputUrl"` the predictions are also written there
//! as JSON through the data API. A built-in rather than an ADK algorithm: it needs no
//! scikit-learn, it is deterministic, and it answers in microseconds, so the workflow runs
//! anywhere the server does.

use serde_json::{Value, json};

use super::{AlgorithmDef, Input, Output};
use crate::error::AlgoError;

/// Intercept, then the weights of square feet, bedrooms and age in years.
pub(crate) const COEFFICIENTS: [f64; 4] = [50_000.0, 120.0, 8_000.0, -1_000.0];

/// The model's prediction for one row.
pub(crate) fn predict(row: &[f64]) -> f64 {
    COEFFICIENTS[0]
        + row
            .iter()
            .zip(&COEFFICIENTS[1..])
            .map(|(x, w)| x * w)
            .sum::<f64>()
}

fn rows(input: &Value) -> Result<Vec<Vec<f64>>, AlgoError> {
    let rows = input
        .get("predict")
        .and_then(Value::as_array)
        .ok_or_else(|| AlgoError::input("send {\"predict\": [[sqft, bedrooms, age], ...]}"))?;
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let values = row.as_array().filter(|r| r.len() == 3).ok_or_else(|| {
                AlgoError::input(format!("row {i} must be [sqft, bedrooms, age]"))
            })?;
            values
                .iter()
                .map(|v| {
                    v.as_f64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                        .ok_or_else(|| {
                            AlgoError::input(format!(
                                "row {i} has a value that is not a number: {v}"
                            ))
                        })
                })
                .collect()
        })
        .collect()
}

pub(crate) fn definition() -> AlgorithmDef {
    AlgorithmDef::new("ml/PricePredictor")
        .version("0.1.0")
        .version("1.0.0")
        .handler(|input, ctx| async move {
            let Input::Json(value) = input else {
                return Err(AlgoError::input("ml/PricePredictor takes JSON"));
            };
            let predictions: Vec<f64> = rows(&value)?.iter().map(|r| predict(r)).collect();
            let answer = json!({"predictions": predictions});
            if let Some(uri) = value.get("outputUrl").and_then(Value::as_str) {
                let written = ctx
                    .data()
                    .write(uri, answer.to_string())
                    .await
                    .map_err(|e| {
                        AlgoError::input(format!("could not write the predictions to {uri}: {e}"))
                    })?;
                return Ok(Output::Json(
                    json!({"predictions": predictions, "output": written.to_string()}),
                ));
            }
            Ok(Output::Json(answer))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predictions_follow_the_coefficients_and_bad_rows_are_input_errors() {
        assert_eq!(
            predict(&[1000.0, 3.0, 10.0]),
            50_000.0 + 120_000.0 + 24_000.0 - 10_000.0
        );
        let parsed = rows(&json!({"predict": [[1000, "3", 10.5]]})).unwrap();
        assert_eq!(parsed, vec![vec![1000.0, 3.0, 10.5]]);
        for bad in [
            json!({}),
            json!({"predict": [[1, 2]]}),
            json!({"predict": [[1, 2, "x"]]}),
        ] {
            assert_eq!(rows(&bad).unwrap_err().error_type, "InputError", "{bad}");
        }
    }
}
