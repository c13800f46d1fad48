//! A shell kept running in a container to take what watch syncs: tar
//! archives and removals, framed on its standard input (see
//! `receiver.sh`). Docker's archive API starts a helper process per upload,
//! ~50 ms each, as long as a fresh `exec`; a frame through a receiver that
//! is already running takes a few milliseconds.
//!
//! The archive API stays the way for what a receiver cannot do: an image
//! without `sh`, `tar`, `dd` (with `iflag=fullblock`) or `xargs -0`, a user
//! the script cannot resolve, a frame the container refused, a receiver that
//! broke. `BERTH_WATCH_RECEIVER=0` turns receivers off.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::io::AsyncWriteExt;

use crate::engine::{self, Engine, ExecSpec, LogChunk};

/// The script, run with `sh -c`.
const SCRIPT: &str = include_str!("receiver.sh");

/// How long a receiver may take to start and say it is ready.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// How long a frame may take, plus a second per MiB it carries.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// Who the extracted files belong to: the container's user, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Owner {
    pub uid: u64,
    pub gid: u64,
}

/// Why a frame did not arrive.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// The container could not apply it (what `tar` or `rm` said); the
    /// receiver goes on.
    Refused(String),
    /// The receiver is gone or did not answer in time: it is not used again.
    Broken(String),
}

/// What a receiver is given.
#[derive(Clone, Copy, Debug)]
pub enum Frame<'a> {
    /// A tar archive, extracted at `/`.
    Extract(&'a [u8]),
    /// Absolute container paths, removed with `rm -rf`.
    Remove(&'a [String]),
}

/// A receiver running in one container.
pub struct Receiver {
    input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
    output: BoxStream<'static, engine::Result<LogChunk>>,
    /// Standard output received and not yet read as lines.
    pending: Vec<u8>,
    /// Who extracted files belong to: the container's user when it has
    /// one; when not, the archive's owners stand (as with the archive API).
    pub owner: Option<Owner>,
}

impl Receiver {
    /// Starts a receiver in the running container `id`; `None` when the
    /// container cannot have one.
    pub async fn start<E: Engine>(engine: &E, id: &str) -> Option<Receiver> {
        let user = engine.inspect_status(id).await.ok()?.user;
        let spec = ExecSpec {
            command: vec![
                "sh".into(),
                "-c".into(),
                SCRIPT.into(),
                "berth-sync".into(),
                user,
            ],
            // As the archive API: root extracts, the files get their owner.
            user: "0".into(),
            ..Default::default()
        };
        let session = tokio::time::timeout(READY_WITHIN, engine.exec(id, &spec))
            .await
            .ok()?
            .ok()?;
        let mut receiver = Receiver {
            input: session.input?,
            output: session.output?,
            pending: Vec::new(),
            owner: None,
        };
        let line = tokio::time::timeout(READY_WITHIN, receiver.line())
            .await
            .ok()?
            .ok()?;
        receiver.owner = parse_ready(&line)?;
        Some(receiver)
    }

    /// Applies `frame` in the container.
    pub async fn deliver(&mut self, frame: Frame<'_>) -> Result<(), Failure> {
        match frame {
            Frame::Extract(archive) => self.send(b'x', archive).await,
            Frame::Remove(paths) => {
                let mut list = Vec::new();
                for path in paths {
                    list.extend_from_slice(path.as_bytes());
                    list.push(0);
                }
                self.send(b'r', &list).await
            }
        }
    }

    async fn send(&mut self, op: u8, payload: &[u8]) -> Result<(), Failure> {
        let limit = ANSWER_WITHIN + Duration::from_secs((payload.len() >> 20) as u64);
        let exchange = async {
            let header = format!("{} {}\n", op as char, payload.len());
            self.input.write_all(header.as_bytes()).await?;
            self.input.write_all(payload).await?;
            self.input.flush().await?;
            self.line().await
        };
        let line = match tokio::time::timeout(limit, exchange).await {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => return Err(Failure::Broken(e.to_string())),
            Err(_) => return Err(Failure::Broken(format!("no answer within {limit:?}"))),
        };
        parse_done(&line)
    }

    /// The next line of standard output, without its newline.
    async fn line(&mut self) -> std::io::Result<String> {
        loop {
            if let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                return Ok(String::from_utf8_lossy(&line[..end]).into_owned());
            }
            match self.output.next().await {
                Some(Ok(chunk)) if !chunk.stderr => self.pending.extend_from_slice(&chunk.bytes),
                // The shell's own complaints: the answer line says what failed.
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(std::io::Error::other(e.to_string())),
                None => return Err(std::io::Error::other("the receiver ended")),
            }
        }
    }
}

/// `ready` or `ready UID:GID`: the owner, or `None` when it is not such a line.
fn parse_ready(line: &str) -> Option<Option<Owner>> {
    let rest = line.strip_prefix("ready")?.trim();
    if rest.is_empty() {
        return Some(None);
    }
    let (uid, gid) = rest.split_once(':')?;
    Some(Some(Owner {
        uid: uid.parse().ok()?,
        gid: gid.parse().ok()?,
    }))
}

/// `done STATUS MESSAGE`.
fn parse_done(line: &str) -> Result<(), Failure> {
    let Some(rest) = line.strip_prefix("done ") else {
        return Err(Failure::Broken(format!("unexpected answer {line:?}")));
    };
    let (status, message) = rest.split_once(' ').unwrap_or((rest, ""));
    match status {
        "0" => Ok(()),
        _ if message.is_empty() => Err(Failure::Refused(format!("exit status {status}"))),
        _ => Err(Failure::Refused(message.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ready_line_gives_the_owner() {
        assert_eq!(parse_ready("ready "), Some(None));
        assert_eq!(parse_ready("ready"), Some(None));
        assert_eq!(
            parse_ready("ready 1000:50"),
            Some(Some(Owner { uid: 1000, gid: 50 }))
        );
        assert_eq!(parse_ready("ready x:1"), None);
        assert_eq!(parse_ready("sh: not found"), None);
    }

    #[test]
    fn an_answer_is_success_refusal_or_nonsense() {
        assert_eq!(parse_done("done 0"), Ok(()));
        assert_eq!(parse_done("done 0 tar: time stamp in the future"), Ok(()));
        assert_eq!(
            parse_done("done 1 tar: can't create directory 'x': Permission denied"),
            Err(Failure::Refused(
                "tar: can't create directory 'x': Permission denied".into()
            ))
        );
        assert_eq!(
            parse_done("done 2"),
            Err(Failure::Refused("exit status 2".into()))
        );
        assert!(matches!(parse_done("what"), Err(Failure::Broken(_))));
    }
}
