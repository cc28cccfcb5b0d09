//! The connection loop: accept, serve each connection with hyper's HTTP/1 and its header-read
//! timeout, and on stop, let the connections finish what they are doing.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;

use crate::conn::{self, ServerIo};

/// Time limits on a connection, beyond those on requests.
#[derive(Debug, Clone, Copy)]
pub(super) struct ConnTimeouts {
    /// How long a request head may take to arrive, counted from when the server starts waiting
    /// for it (at accept, or once the previous answer is sent): hyper's `header_read_timeout`,
    /// which so also ends idle keep-alive connections.
    pub(super) header_read: Duration,
}

/// Serve `router` on every connection `listener` accepts until `stop` completes; then stop
/// accepting, let each connection finish its request in flight, and return once all are closed.
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: ConnTimeouts,
    stop: impl Future<Output = ()>,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    // Each connection holds a receiver: sending tells them to shut down, and the sender's
    // `closed()` says when the last one is gone (as `axum::serve` does it).
    let (shutdown, connections) = watch::channel(());
    let mut stop = pin!(stop);
    loop {
        let (io, peer) = tokio::select! {
            accepted = conn::accept(&listener) => accepted,
            () = &mut stop => break,
        };
        tokio::spawn(serve_connection(
            &http,
            io,
            peer,
            router.clone(),
            connections.clone(),
        ));
    }
    drop(listener);
    drop(connections);
    let _ = shutdown.send(());
    shutdown.closed().await;
}

/// One connection, served until the peer or hyper closes it, or shut down gracefully when
/// `shutdown` says so.
fn serve_connection(
    http: &http1::Builder,
    io: ServerIo,
    peer: SocketAddr,
    router: Router,
    mut shutdown: watch::Receiver<()>,
) -> impl Future<Output = ()> + Send + 'static {
    let info = io.info();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(info.clone());
        router.clone().oneshot(request)
    });
    let connection = http.serve_connection(TokioIo::new(io), service);
    async move {
        let mut connection = pin!(connection);
        let result = tokio::select! {
            result = connection.as_mut() => result,
            _ = shutdown.changed() => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(e) = result {
            // A head that did not arrive in time, an idle keep-alive connection, a peer gone.
            tracing::debug!(%peer, error = %e, "connection closed");
        }
    }
}
