//! Joins the user's terminal or standard streams to a process in a
//! container (an exec, or an attached one-off container) until it ends.

use std::future::Future;
use std::io::{Read, Write};
use std::pin::Pin;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::terminal;
use crate::engine::{Engine, LogChunk, Result};

/// Copies standard input to `input` (to its end, which the process then
/// reads) and `output` to standard output and error, until `output` ends.
/// With `tty`, the terminal is raw meanwhile and `resize` follows its size.
pub async fn pipe<R, F>(
    mut output: BoxStream<'static, Result<LogChunk>>,
    mut input: Pin<Box<dyn AsyncWrite + Send>>,
    tty: bool,
    resize: R,
) where
    R: Fn(u16, u16) -> F,
    F: Future<Output = Result<()>>,
{
    let raw = if tty {
        terminal::RawMode::enter()
    } else {
        None
    };
    if tty && let Some((rows, cols)) = terminal::size() {
        let _ = resize(rows, cols).await;
    }
    // Standard input is read on a thread of its own: a blocking read must not
    // hold up the end of the command when the process is done first.
    let (typed, mut keys) = mpsc::unbounded_channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buffer = [0u8; 8192];
        loop {
            match stdin.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if typed.send(buffer[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let forward = tokio::spawn(async move {
        while let Some(bytes) = keys.recv().await {
            if input.write_all(&bytes).await.is_err() {
                return;
            }
            let _ = input.flush().await;
        }
        // End of input: the process reads end-of-file.
        let _ = input.shutdown().await;
    });
    let print = async {
        let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
        while let Some(Ok(chunk)) = output.next().await {
            let written = if chunk.stderr {
                stderr.write_all(&chunk.bytes).and_then(|_| stderr.flush())
            } else {
                stdout.write_all(&chunk.bytes).and_then(|_| stdout.flush())
            };
            if written.is_err() {
                break;
            }
        }
    };
    let follow_size = async {
        let changes = tty
            .then(|| tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()))
            .and_then(|s| s.ok());
        let Some(mut changes) = changes else {
            return std::future::pending().await;
        };
        while changes.recv().await.is_some() {
            if let Some((rows, cols)) = terminal::size() {
                let _ = resize(rows, cols).await;
            }
        }
    };
    tokio::select! {
        _ = print => {}
        _ = follow_size => {}
    }
    forward.abort();
    drop(raw);
}

/// Sends each Ctrl-C berth gets to the container `id` as SIGINT; never ends.
pub async fn forward_interrupts<E: Engine>(engine: &E, id: &str) {
    loop {
        if tokio::signal::ctrl_c().await.is_err() {
            return std::future::pending().await;
        }
        let _ = engine.kill_container(id, "SIGINT").await;
    }
}
