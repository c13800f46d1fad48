//! The signals that interrupt berth: Ctrl-C (SIGINT), a service manager's
//! stop (SIGTERM, as `systemctl stop` sends) and the loss of the terminal
//! (SIGHUP). Docker Compose treats SIGTERM as Ctrl-C; berth treats SIGHUP
//! so too, so that a closed terminal does not leave a stack running.

use super::error::Failure;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Error;

/// Listens from its creation on, so that no signal falls between two
/// phases of a command; each signal is handed out once by [`Self::recv`].
pub struct Interrupts {
    signals: mpsc::UnboundedReceiver<()>,
    first: CancellationToken,
    listener: JoinHandle<()>,
}

impl Interrupts {
    /// Starts listening (within a runtime).
    pub fn listen() -> Result<Interrupts, Error> {
        let listen = |kind: SignalKind| -> Result<Signal, Error> {
            signal(kind).map_err(|e| Failure::Signals(e).into())
        };
        let mut int = listen(SignalKind::interrupt())?;
        let mut term = listen(SignalKind::terminate())?;
        let mut hup = listen(SignalKind::hangup())?;
        let (sender, signals) = mpsc::unbounded_channel();
        let first = CancellationToken::new();
        let cancel = first.clone();
        let listener = tokio::spawn(async move {
            loop {
                tokio::select! {
                    Some(()) = int.recv() => {}
                    Some(()) = term.recv() => {}
                    Some(()) = hup.recv() => {}
                    else => break,
                }
                // Queued before the token says so: whoever sees the token
                // finds the signal waiting.
                let _ = sender.send(());
                cancel.cancel();
            }
        });
        Ok(Interrupts {
            signals,
            first,
            listener,
        })
    }

    /// Cancelled at the first signal.
    pub fn token(&self) -> CancellationToken {
        self.first.clone()
    }

    /// The next signal not handed out yet; never resolves when none comes.
    pub async fn recv(&mut self) {
        if self.signals.recv().await.is_none() {
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        self.listener.abort();
    }
}
