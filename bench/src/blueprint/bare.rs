//! The batches' floor on this server and machine: the same calls in the same shape, sent by a
//! client that does nothing else. Records are taken in order by `concurrency` lanes, each on a
//! connection of its own opened inside the timed window (as a fresh `bootstrap` opens its own);
//! every request is built before the clock starts, written whole, and its answer read by its
//! `Content-Length`, on one thread, with no HTTP library, no decoding and no per-record work.
//! What the `bootstrap` takes above it is its own cost; what this takes above the ideal is the
//! server's and the loopback's.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::algo::{answer_length, raw_request};

/// `records` calls of `algorithm` with `input` at `concurrency` against the server at `url`:
/// the batch's wall time in ms, connections included. An error if any call is not a 200.
pub(crate) fn batch_ms(
    url: &str,
    algorithm: &str,
    input: &Value,
    records: usize,
    concurrency: usize,
) -> Result<f64, String> {
    let (address, request) = raw_request(url, algorithm, input);
    let request: Arc<[u8]> = request.into_bytes().into();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("bare client: {e}"))?;
    runtime.block_on(async move {
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let lanes: Vec<_> = (0..concurrency)
            .map(|_| {
                let (address, request, next) =
                    (address.clone(), Arc::clone(&request), Arc::clone(&next));
                tokio::spawn(async move { lane(&address, &request, &next, records).await })
            })
            .collect();
        let mut sent = 0;
        for lane in lanes {
            sent += lane
                .await
                .map_err(|e| format!("bare client: a lane failed: {e}"))??;
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if sent != records {
            return Err(format!("bare client: {sent} of {records} calls answered"));
        }
        Ok(ms)
    })
}

/// One lane: records from `next` until there are none left, one at a time on one connection;
/// how many it sent.
async fn lane(
    address: &str,
    request: &[u8],
    next: &AtomicUsize,
    records: usize,
) -> Result<usize, String> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|e| format!("bare client: connect to {address}: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("bare client: {e}"))?;
    let mut buffer = vec![0u8; 64 * 1024];
    let mut sent = 0;
    while next.fetch_add(1, Ordering::Relaxed) < records {
        stream
            .write_all(request)
            .await
            .map_err(|e| format!("bare client: {e}"))?;
        let mut filled = 0;
        loop {
            if filled == buffer.len() {
                return Err("bare client: an answer over 64 KiB".into());
            }
            let n = stream
                .read(&mut buffer[filled..])
                .await
                .map_err(|e| format!("bare client: {e}"))?;
            if n == 0 {
                return Err("bare client: the server closed the connection".into());
            }
            filled += n;
            if answer_length(&buffer[..filled])?.is_some_and(|total| filled >= total) {
                break;
            }
        }
        sent += 1;
    }
    Ok(sent)
}
