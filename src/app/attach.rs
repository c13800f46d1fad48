//! `attach`: joins the user's terminal, or standard input and output, to a
//! running container of a service, until it stops or the user detaches.

use super::{Error, Settings, exit, open, pipe};
use crate::engine::{AttachOptions, Engine, RunState};

/// What `attach` is asked.
#[derive(Clone, Debug, Default)]
pub struct AttachRequest {
    pub service: String,
    /// The replica (default: the first).
    pub index: Option<u32>,
    /// Whether berth's standard input goes to the container.
    pub stdin: bool,
    /// Whether Ctrl-C goes to the container as SIGINT (without a TTY).
    pub sig_proxy: bool,
    /// The keys that detach, such as `ctrl-p,ctrl-q`.
    pub detach_keys: Option<String>,
    /// Whether berth's standard input is a terminal (a TTY container then gets it raw).
    pub stdin_is_terminal: bool,
}

/// Attaches to the service's running container; 0 when the user detached,
/// else the container's exit code.
pub fn attach(settings: &Settings, request: &AttachRequest) -> Result<i32, Error> {
    let (runtime, engine, container) =
        open::open_replica(settings, &request.service, request.index, true)?;
    runtime.block_on(attach_to(&engine, &container.id, request))
}

/// Pipes the streams of container `id` until its output ends.
async fn attach_to<E: Engine>(engine: &E, id: &str, request: &AttachRequest) -> Result<i32, Error> {
    let tty = engine.inspect_status(id).await?.tty && request.stdin_is_terminal;
    let options = AttachOptions {
        stdin: request.stdin,
        detach_keys: request.detach_keys.clone(),
    };
    let session = engine.attach_container(id, &options).await?;
    let input = match session.input {
        Some(input) if request.stdin => input,
        _ => Box::pin(tokio::io::sink()),
    };
    if let Some(output) = session.output {
        let piped = pipe::pipe(output, input, tty, |rows, cols| {
            engine.resize_container(id, rows, cols)
        });
        // A TTY passes Ctrl-C to the container as a key instead.
        let interrupts = async {
            if request.sig_proxy && !tty {
                pipe::forward_interrupts(engine, id).await;
            }
            std::future::pending::<()>().await;
        };
        tokio::select! {
            _ = piped => {}
            _ = interrupts => {}
        }
    }
    // The stream ends when the container stops, or when the user detached.
    let status = engine.inspect_status(id).await?;
    if matches!(status.state, RunState::Running | RunState::Restarting) {
        return Ok(0);
    }
    Ok(i32::try_from(status.exit_code).unwrap_or(exit::FAILURE))
}
