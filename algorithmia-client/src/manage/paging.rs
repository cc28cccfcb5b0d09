//! Paged management collections: `{"marker", "next_link", "results"}`, fetched page by page as
//! the stream is read.

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;

use futures_util::Stream;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::request::decode;
use crate::client::Client;
use crate::error::{Error, Result};

/// One page of a management collection.
#[derive(Debug, Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct Page<T> {
    #[serde(default)]
    marker: Option<String>,
    #[serde(default)]
    next_link: Option<String>,
    #[serde(default = "Vec::new")]
    results: Vec<T>,
}

/// A paged collection to list: its address, its filters and the page size. Nothing is sent
/// until the stream from [`PagedQuery::stream`] is read.
///
/// ```no_run
/// use futures_util::TryStreamExt;
///
/// # async fn run(client: algorithmia_client::Client) -> Result<(), algorithmia_client::Error> {
/// let builds: Vec<_> = client
///     .algorithm("demo/Hello")
///     .builds()
///     .page_size(20)
///     .stream()
///     .try_collect()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a query does nothing until its stream is read"]
pub struct PagedQuery<T> {
    client: Client,
    url: Result<Url>,
    what: &'static str,
    params: Vec<(&'static str, String)>,
    page_size: Option<u32>,
    item: PhantomData<fn() -> T>,
}

impl<T> Clone for PagedQuery<T> {
    fn clone(&self) -> Self {
        PagedQuery {
            client: self.client.clone(),
            url: match &self.url {
                Ok(url) => Ok(url.clone()),
                Err(e) => Err(Error::config(e.to_string())),
            },
            what: self.what,
            params: self.params.clone(),
            page_size: self.page_size,
            item: PhantomData,
        }
    }
}

impl<T> fmt::Debug for PagedQuery<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PagedQuery")
            .field("url", &self.url.as_ref().map(Url::as_str))
            .field("params", &self.params)
            .field("page_size", &self.page_size)
            .finish()
    }
}

impl<T: DeserializeOwned + Send + 'static> PagedQuery<T> {
    /// A query of the collection at `url` (an error is reported by the stream).
    pub(crate) fn new(client: Client, url: Result<Url>, what: &'static str) -> Self {
        PagedQuery {
            client,
            url,
            what,
            params: Vec::new(),
            page_size: None,
            item: PhantomData,
        }
    }

    /// A query parameter sent with the first page (later pages follow the server's links).
    pub(crate) fn param(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.params.retain(|(k, _)| *k != key);
        self.params.push((key, value.into()));
        self
    }

    /// Items per page (`limit`); the server's default (50) without it.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// Every item, page by page. The next page is requested only when the consumer has read the
    /// current one; a failure is yielded as an error (and ends the stream).
    ///
    /// Pages are followed by `next_link` when it points at the client's own base URL origin,
    /// and by `marker` otherwise, so the API key never goes to another host.
    pub fn stream(self) -> impl Stream<Item = Result<T>> + Send + use<T> {
        let start = self.url.map(|mut url| {
            {
                let mut query = url.query_pairs_mut();
                for (key, value) in &self.params {
                    query.append_pair(key, value);
                }
                if let Some(size) = self.page_size {
                    query.append_pair("limit", &size.to_string());
                }
            }
            if url.query() == Some("") {
                url.set_query(None);
            }
            url
        });
        let walker = start.map(|first| Walker {
            client: self.client,
            first,
            what: self.what,
        });
        futures_util::stream::try_unfold(
            (walker, Cursor::Start, VecDeque::new()),
            |(walker, mut cursor, mut buffer)| async move {
                let walker = walker?;
                loop {
                    if let Some(item) = buffer.pop_front() {
                        return Ok(Some((item, (Ok(walker), cursor, buffer))));
                    }
                    let (url, marker) = match &cursor {
                        Cursor::Done => return Ok(None),
                        Cursor::Start => (walker.first.clone(), None),
                        Cursor::Next { url, marker } => (url.clone(), Some(marker.clone())),
                    };
                    let page: Page<T> = walker
                        .client
                        .manage_get_raw(url)
                        .await
                        .and_then(|(path, body)| decode(walker.what, &path, &body))?;
                    cursor = walker.next(page.marker, page.next_link, marker.as_deref())?;
                    buffer.extend(page.results);
                }
            },
        )
    }
}

enum Cursor {
    Start,
    Next { url: Url, marker: String },
    Done,
}

struct Walker {
    client: Client,
    first: Url,
    what: &'static str,
}

impl Walker {
    /// Where the page after one with `marker` and `next_link` is; `previous` is the marker that
    /// fetched it.
    fn next(
        &self,
        marker: Option<String>,
        next_link: Option<String>,
        previous: Option<&str>,
    ) -> Result<Cursor> {
        let Some(marker) = marker.filter(|m| !m.is_empty()) else {
            return Ok(Cursor::Done);
        };
        if Some(marker.as_str()) == previous {
            return Err(Error::decode(
                self.what,
                self.first.path(),
                None,
                String::new(),
                format!("the server repeated the marker {marker:?}").into(),
            ));
        }
        let base = self.client.base_url();
        let linked = next_link
            .filter(|l| !l.is_empty())
            .and_then(|link| base.join(&link).ok())
            .filter(|link| link.origin() == base.origin());
        let url = match linked {
            Some(url) => url,
            None => with_marker(&self.first, &marker),
        };
        Ok(Cursor::Next { url, marker })
    }
}

/// `url` with its `marker` parameter set to `marker`.
fn with_marker(url: &Url, marker: &str) -> Url {
    let mut next = url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "marker")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    next.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("marker", marker);
    next
}

impl Client {
    /// A GET whose raw answer is returned with its path, for decoding by the caller.
    async fn manage_get_raw(&self, url: Url) -> Result<(String, bytes::Bytes)> {
        let path = url.path().to_owned();
        let body = self.manage_send(reqwest::Method::GET, url, None).await?;
        Ok((path, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walker(base: &str) -> Walker {
        let client = Client::builder().base_url(base).build().unwrap();
        let first = client.url(["v1", "things"]);
        Walker {
            client,
            first,
            what: "things",
        }
    }

    fn url_of(cursor: Cursor) -> Option<String> {
        match cursor {
            Cursor::Next { url, .. } => Some(url.to_string()),
            _ => None,
        }
    }

    #[test]
    fn links_on_the_base_origin_are_followed_and_others_replaced_by_the_marker() {
        let w = walker("http://127.0.0.1:9/api");
        let same = "http://127.0.0.1:9/api/v1/things?marker=m&limit=5";
        let next = w
            .next(Some("m".into()), Some(same.to_owned()), None)
            .unwrap();
        assert_eq!(url_of(next).unwrap(), same);
        let other = Some("http://127.0.0.2:9/api/v1/things?marker=m".to_owned());
        let next = w.next(Some("m".into()), other, None).unwrap();
        assert_eq!(
            url_of(next).unwrap(),
            "http://127.0.0.1:9/api/v1/things?marker=m"
        );
        assert!(url_of(w.next(None, Some("x".into()), None).unwrap()).is_none());
        assert!(w.next(Some("m".into()), None, Some("m")).is_err());
    }

    #[test]
    fn a_marker_replaces_the_previous_one() {
        let url = Url::parse("http://h/v1/x?limit=2&marker=a").unwrap();
        assert_eq!(
            with_marker(&url, "b + c").as_str(),
            "http://h/v1/x?limit=2&marker=b+%2B+c"
        );
    }
}
