//! `ssh://` engines, reached as the docker CLI reaches them: every connection
//! runs `ssh [-l USER] [-p PORT] -- HOST docker system dial-stdio` and speaks
//! HTTP over that process's standard input and output. The user's own `ssh`
//! does the work, so `~/.ssh/config`, the agent and `known_hosts` apply.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bollard::{BollardRequest, ClientVersion, Docker};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

/// ssh logins in progress at once. sshd drops new connections at random once
/// 10 are unauthenticated (its default `MaxStartups`), and berth may open
/// dozens of connections at once; opened connections are not limited.
const LOGINS_AT_ONCE: usize = 4;

/// Where an `ssh://[USER@]HOST[:PORT][/SOCKET]` address points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshTarget {
    user: Option<String>,
    host: String,
    port: Option<u16>,
    /// The engine socket on the remote machine, when not its default.
    socket: Option<String>,
}

/// An `ssh://` address that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SshAddressError {
    #[error("{0} is not an ssh:// address")]
    NotSsh(String),
    #[error("{address}: the port {port:?} is not a number")]
    Port { address: String, port: String },
    #[error("{0} names no host")]
    NoHost(String),
}

impl SshTarget {
    pub fn parse(address: &str) -> Result<SshTarget, SshAddressError> {
        let rest = address
            .strip_prefix("ssh://")
            .ok_or_else(|| SshAddressError::NotSsh(address.to_string()))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (user, host_port) = match authority.rsplit_once('@') {
            Some((user, host)) => (Some(user.to_string()), host),
            None => (None, authority),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => {
                let port = port.parse().map_err(|_| SshAddressError::Port {
                    address: address.to_string(),
                    port: port.to_string(),
                })?;
                (host, Some(port))
            }
            None => (host_port, None),
        };
        if host.is_empty() {
            return Err(SshAddressError::NoHost(address.to_string()));
        }
        Ok(SshTarget {
            user: user.filter(|u| !u.is_empty()),
            host: host.to_string(),
            port,
            socket: Some(path)
                .filter(|p| !p.is_empty() && *p != "/")
                .map(str::to_string),
        })
    }

    /// The arguments of `ssh`, as the docker CLI passes them.
    pub fn ssh_args(&self) -> Vec<String> {
        let mut args: Vec<String> = ["-o", "ConnectTimeout=30", "-T"].map(String::from).into();
        if let Some(user) = &self.user {
            args.extend(["-l".into(), user.clone()]);
        }
        if let Some(port) = self.port {
            args.extend(["-p".into(), port.to_string()]);
        }
        args.extend(["--".into(), self.host.clone(), "docker".into()]);
        if let Some(socket) = &self.socket {
            args.extend(["--host".into(), format!("unix://{socket}")]);
        }
        args.extend(["system".into(), "dial-stdio".into()]);
        args
    }
}

/// What `ssh` last wrote on its standard error: why a connection failed
/// (`Permission denied (publickey)`, `Host key verification failed`).
#[derive(Clone, Default)]
pub struct SshErrors {
    text: Arc<Mutex<String>>,
    /// The reader of the newest ssh's standard error.
    reader: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl SshErrors {
    /// What ssh said, once the newest ssh has said all (it has exited when
    /// a connection failed; a second is the most this waits).
    pub async fn last(&self) -> String {
        let reader = self.reader.lock().expect("never poisoned").take();
        if let Some(reader) = reader {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), reader).await;
        }
        self.text.lock().expect("never poisoned").trim().to_string()
    }
}

/// A client for the engine behind `target`.
pub fn connect(
    target: SshTarget,
    timeout: u64,
    version: &ClientVersion,
) -> Result<(Docker, SshErrors), bollard::errors::Error> {
    let errors = SshErrors::default();
    let connector = SshConnector {
        target: Arc::new(target),
        errors: errors.clone(),
        logins: Arc::new(Semaphore::new(LOGINS_AT_ONCE)),
    };
    let client = Client::builder(TokioExecutor::new()).build(connector);
    let transport = move |request: BollardRequest| {
        let client = client.clone();
        async move {
            client
                .request(request)
                .await
                .map_err(bollard::errors::Error::from)
        }
    };
    // The address only fills the request line; every connection is an ssh
    // process whatever it says.
    let docker =
        Docker::connect_with_custom_transport(transport, Some("http://ssh"), timeout, version)?;
    Ok((docker, errors))
}

/// Opens a connection by starting `ssh`.
#[derive(Clone)]
struct SshConnector {
    target: Arc<SshTarget>,
    errors: SshErrors,
    logins: Arc<Semaphore>,
}

impl tower_service::Service<http::Uri> for SshConnector {
    type Response = SshStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<SshStream>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Uri) -> Self::Future {
        let (target, errors) = (self.target.clone(), self.errors.clone());
        let logins = self.logins.clone();
        Box::pin(async move {
            let login = logins.acquire_owned().await.map_err(io::Error::other)?;
            let mut child = Command::new("ssh")
                .args(target.ssh_args())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| io::Error::new(e.kind(), format!("cannot run ssh: {e}")))?;
            let (Some(stdin), Some(stdout), Some(mut stderr)) =
                (child.stdin.take(), child.stdout.take(), child.stderr.take())
            else {
                return Err(io::Error::other("ssh started without its pipes"));
            };
            let text = errors.text.clone();
            let reader = tokio::spawn(async move {
                let mut said = String::new();
                let _ = stderr.read_to_string(&mut said).await;
                if !said.trim().is_empty() {
                    *text.lock().expect("never poisoned") = said;
                }
            });
            *errors.reader.lock().expect("never poisoned") = Some(reader);
            Ok(SshStream {
                login: Some(login),
                _child: child,
                stdin: TokioIo::new(stdin),
                stdout: TokioIo::new(stdout),
            })
        })
    }
}

/// One connection: writes go to ssh's input, reads come from its output.
struct SshStream {
    /// Held until the engine first answers, which means ssh has logged in.
    login: Option<OwnedSemaphorePermit>,
    /// Killed when the connection is dropped.
    _child: Child,
    stdin: TokioIo<ChildStdin>,
    stdout: TokioIo<ChildStdout>,
}

impl Connection for SshStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for SshStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let read = Pin::new(&mut self.stdout).poll_read(cx, buf);
        if read.is_ready() {
            self.login = None;
        }
        read
    }
}

impl hyper::rt::Write for SshStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stdin).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_become_the_docker_clis_ssh_arguments() {
        let args = |address: &str| SshTarget::parse(address).unwrap().ssh_args().join(" ");
        assert_eq!(
            args("ssh://box"),
            "-o ConnectTimeout=30 -T -- box docker system dial-stdio"
        );
        assert_eq!(
            args("ssh://me@box:2222"),
            "-o ConnectTimeout=30 -T -l me -p 2222 -- box docker system dial-stdio"
        );
        assert_eq!(
            args("ssh://me@box/run/user/1000/docker.sock"),
            "-o ConnectTimeout=30 -T -l me -- box docker --host unix:///run/user/1000/docker.sock system dial-stdio"
        );
        assert!(SshTarget::parse("ssh://me@box:x").is_err());
        assert!(SshTarget::parse("ssh://me@").is_err());
    }

    #[test]
    fn address_errors_name_the_address() {
        let text = |a: &str| SshTarget::parse(a).unwrap_err().to_string();
        assert_eq!(
            text("ssh://me@box:x"),
            "ssh://me@box:x: the port \"x\" is not a number"
        );
        assert_eq!(text("ssh://me@"), "ssh://me@ names no host");
        assert_eq!(text("tcp://box"), "tcp://box is not an ssh:// address");
    }
}
