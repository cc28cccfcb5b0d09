//! Accepted connections: `TCP_NODELAY` on every socket, and a switch that lets a fault cut the
//! connection with a TCP reset instead of an answer.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// The server's listener.
pub(crate) struct ServerListener {
    inner: TcpListener,
}

impl ServerListener {
    pub(crate) fn new(inner: TcpListener) -> Self {
        ServerListener { inner }
    }
}

impl Listener for ServerListener {
    type Io = ServerIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (ServerIo, SocketAddr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    // Answers go out as soon as they are written, not after a delayed ACK.
                    let _ = stream.set_nodelay(true);
                    let io = ServerIo {
                        stream,
                        control: Arc::new(ConnControl::default()),
                    };
                    return (io, addr);
                }
                // A connection that died in the backlog is the peer's business.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                            | io::ErrorKind::ConnectionRefused
                    ) => {}
                // Out of descriptors and the like: pause instead of spinning.
                Err(e) => {
                    tracing::error!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// Shared between a connection and the requests it carries.
#[derive(Debug, Default)]
pub(crate) struct ConnControl {
    killed: AtomicBool,
}

impl ConnControl {
    /// From now on every read and write fails, and closing the socket sends a reset.
    pub(crate) fn kill(&self) {
        self.killed.store(true, Ordering::Release);
    }

    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }
}

/// What a request learns about its connection (axum's `ConnectInfo`).
#[derive(Debug, Clone)]
pub(crate) struct ConnInfo {
    pub(crate) control: Arc<ConnControl>,
}

impl Connected<IncomingStream<'_, ServerListener>> for ConnInfo {
    fn connect_info(stream: IncomingStream<'_, ServerListener>) -> Self {
        ConnInfo {
            control: Arc::clone(&stream.io().control),
        }
    }
}

/// One accepted connection.
pub(crate) struct ServerIo {
    stream: TcpStream,
    control: Arc<ConnControl>,
}

fn reset() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "connection cut by a fault")
}

impl AsyncRead for ServerIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.control.is_killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ServerIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.control.is_killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.control.is_killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.control.is_killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.control.is_killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Drop for ServerIo {
    fn drop(&mut self) {
        if self.control.is_killed() {
            // Closing with a zero linger sends RST: the peer sees "connection reset".
            let _ = self.stream.set_zero_linger();
        }
    }
}
