//! Accepted connections: `TCP_NODELAY` on every socket, and a switch that lets a fault cut the
//! connection with a TCP reset instead of an answer.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// The next connection: `TCP_NODELAY` set, with a fresh [`ConnControl`]. Accept errors that
/// concern one peer are skipped; others (out of descriptors) pause the loop instead of spinning.
pub(crate) async fn accept(listener: &TcpListener) -> (ServerIo, SocketAddr) {
    loop {
        match listener.accept().await {
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
            Err(e) => {
                tracing::error!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
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

/// What a request learns about its connection: a request extension.
#[derive(Debug, Clone)]
pub(crate) struct ConnInfo {
    pub(crate) control: Arc<ConnControl>,
}

/// One accepted connection.
pub(crate) struct ServerIo {
    stream: TcpStream,
    control: Arc<ConnControl>,
}

impl ServerIo {
    /// What the requests on this connection are told about it.
    pub(crate) fn info(&self) -> ConnInfo {
        ConnInfo {
            control: Arc::clone(&self.control),
        }
    }
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
