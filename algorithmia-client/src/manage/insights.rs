//! Insights: metrics an algorithm reports about its calls.

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use crate::client::Client;
use crate::error::{Error, Result};

/// The most insights one report may carry.
pub const MAX_INSIGHTS: usize = 25;

#[derive(Debug, Serialize)]
struct Insight {
    insight_key: String,
    insight_value: Value,
}

impl Client {
    /// Report insights (`POST /v1/insights`, a JSON array of `{insight_key, insight_value}`).
    /// More than [`MAX_INSIGHTS`] fail with [`Error::TooManyInsights`] before sending; the
    /// request is not retried once sent.
    ///
    /// ```no_run
    /// # async fn run(client: algorithmia_client::Client) -> Result<(), algorithmia_client::Error> {
    /// client
    ///     .report_insights([("cats_in_image".to_owned(), serde_json::json!(4))])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn report_insights(
        &self,
        insights: impl IntoIterator<Item = (String, Value)>,
    ) -> Result<()> {
        let insights: Vec<Insight> = insights
            .into_iter()
            .map(|(insight_key, insight_value)| Insight {
                insight_key,
                insight_value,
            })
            .collect();
        if insights.len() > MAX_INSIGHTS {
            return Err(Error::TooManyInsights {
                count: insights.len(),
                limit: MAX_INSIGHTS,
            });
        }
        let body = serde_json::to_vec(&insights).map_err(Error::serialize)?;
        self.manage_send(Method::POST, self.url(["v1", "insights"]), Some(body))
            .await?;
        Ok(())
    }
}
