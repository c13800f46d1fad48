//! Reaching the engine and asking it things: opening the client for an
//! endpoint and waiting for its first answer, the quick client's reads
//! (retried once when the connection broke), the version, pings, and how
//! bollard's errors become berth's.

use std::time::Duration;

use bollard::errors::Error as BollardError;
use bollard::{ClientVersion, Docker};
use futures_util::stream::StreamExt;

use super::DockerEngine;
use crate::engine::endpoint::Endpoint;
use crate::engine::{ApiVersion, EngineError, Result, podman, ssh};
use crate::env_vars;

/// How long berth waits for the engine to answer the first call, once
/// connected. A socket nobody listens on, a refused connection or a
/// missing socket fail at once; an engine that takes its time (a loaded
/// host, a remote one far away) is waited for: Docker Compose waits too.
pub(super) const ANSWER_LIMIT: Duration = Duration::from_secs(60);
/// The same through ssh, which logs in first (the docker CLI gives ssh 30 s
/// to connect).
const SSH_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// After this long without an answer, berth says what it waits for.
const ANSWER_NOTE_AFTER: Duration = Duration::from_secs(3);
/// How long a TCP connection to the engine's host may take to open (a
/// host that drops packets never refuses).
const TCP_CONNECT_LIMIT: Duration = Duration::from_secs(10);
/// bollard's timeout covers every request, including a stop that waits out a
/// grace period; berth keeps its own deadlines, so this is only a backstop.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3600);
/// How long that ping may take: a slow or far engine answers well within it.
const PING_WHEN_QUIET: Duration = Duration::from_secs(20);

/// What the engine's `/version` tells berth.
pub(super) struct Version {
    pub(super) api: ApiVersion,
    /// `os/arch`, e.g. `linux/amd64`.
    pub(super) platform: String,
    /// Podman's Docker-compatible service rather than Docker's engine.
    pub(super) podman: bool,
}

/// The API version the client speaks: `pinned` (`DOCKER_API_VERSION`)
/// when set, else bollard's.
pub(super) fn client_version(pinned: Option<&str>) -> Result<ClientVersion> {
    Ok(match pinned {
        Some(v) => {
            let version = ApiVersion::parse(v).ok_or_else(|| EngineError::BadApiVersion {
                value: v.to_string(),
            })?;
            ClientVersion {
                major_version: version.major as usize,
                minor_version: version.minor as usize,
            }
        }
        None => *bollard::API_DEFAULT_VERSION,
    })
}

/// The engine at `endpoint` does not answer, for `reason`; the hint says
/// how to fix that by what chose the endpoint.
pub(super) fn unreachable(endpoint: &Endpoint, reason: String) -> EngineError {
    let host = &endpoint.host;
    EngineError::Unreachable {
        host: match &endpoint.source {
            Some(source) => format!("{host} ({source})"),
            None => host.clone(),
        },
        reason,
        hint: unreachable_hint(endpoint),
    }
}

/// A client for `endpoint` by its transport (ssh, TLS, unix socket, TCP),
/// and through ssh what ssh says; nothing is asked yet.
pub(super) fn open(
    endpoint: &Endpoint,
    version: &ClientVersion,
) -> Result<(Docker, Option<ssh::SshErrors>)> {
    let host = &endpoint.host;
    let timeout = REQUEST_TIMEOUT.as_secs();
    let mut ssh_errors = None;
    let client = match &endpoint.tls {
        None if host.starts_with("ssh://") => {
            let target = ssh::SshTarget::parse(host)?;
            ssh::connect(target, timeout, version).map(|(docker, errors)| {
                ssh_errors = Some(errors);
                docker
            })
        }
        Some(tls) => Docker::connect_with_ssl(host, &tls.key, &tls.cert, &tls.ca, timeout, version),
        None if host.starts_with("unix://") => Docker::connect_with_unix(host, timeout, version),
        None => Docker::connect_with_http(host, timeout, version),
    }
    .map_err(|e| unreachable(endpoint, e.to_string()))?
    .with_timeout(REQUEST_TIMEOUT);
    Ok((client, ssh_errors))
}

/// Why the engine did not answer a first ping.
#[derive(Debug, thiserror::Error)]
pub(super) enum NoAnswer {
    /// The ping failed: its cause, as [`connect_failure`] words it.
    #[error("{}", connect_failure(.0))]
    Failed(BollardError),
    #[error("no answer within {} s", .0.as_secs())]
    Timeout(Duration),
    /// A `tcp://` host that opens no connection.
    #[error("{0}")]
    Tcp(#[source] std::io::Error),
    #[error("no connection within {} s", .0.as_secs())]
    TcpTimeout(Duration),
    /// Through ssh: the failure, with what ssh said last.
    #[error("{reason}; ssh said: {said}")]
    Ssh {
        #[source]
        reason: Box<NoAnswer>,
        said: String,
    },
}

/// Waits for the engine at `host` to answer a first ping; why it did not
/// otherwise, with what ssh said when it went through ssh.
pub(super) async fn first_answer(
    client: &Docker,
    host: &str,
    ssh_errors: Option<&ssh::SshErrors>,
) -> std::result::Result<(), NoAnswer> {
    // `/_ping` answers at once; `/version` takes the engine several
    // milliseconds (it asks containerd and runc), so it is only asked
    // when a create needs the version, alongside other calls. Through
    // ssh, the first answer waits for a login.
    let wait = if ssh_errors.is_some() {
        SSH_CONNECT_TIMEOUT
    } else {
        ANSWER_LIMIT
    };
    let Err(reason) = ping_within(client, host, wait).await else {
        return Ok(());
    };
    let said = match ssh_errors {
        Some(errors) => errors.last().await,
        None => String::new(),
    };
    Err(if said.is_empty() {
        reason
    } else {
        NoAnswer::Ssh {
            reason: Box::new(reason),
            said,
        }
    })
}

/// One ping, answered within `wait`, saying on standard error what berth
/// waits for once it takes longer than [`ANSWER_NOTE_AFTER`].
async fn ping_within(
    client: &Docker,
    host: &str,
    wait: Duration,
) -> std::result::Result<(), NoAnswer> {
    let mut ping = std::pin::pin!(client.ping());
    let answer = match tokio::time::timeout(ANSWER_NOTE_AFTER, &mut ping).await {
        Ok(answer) => answer.map_err(NoAnswer::Failed),
        Err(_) => {
            eprintln!(
                "waiting for the Docker Engine at {host} to answer (up to {} s)...",
                wait.as_secs()
            );
            let rest = wait.saturating_sub(ANSWER_NOTE_AFTER);
            tokio::select! {
                answer = tokio::time::timeout(rest, &mut ping) => match answer {
                    Ok(answer) => answer.map_err(NoAnswer::Failed),
                    Err(_) => Err(NoAnswer::Timeout(wait)),
                },
                // A TCP host that opens no connection is not slow: it
                // is not there.
                Err(e) = tcp_probe(host) => Err(e),
            }
        }
    };
    answer.map(drop)
}

impl DockerEngine {
    /// bollard's error as berth's (see [`engine_error`]).
    pub(in crate::engine) fn fail(&self, e: BollardError) -> EngineError {
        engine_error(&self.host, e)
    }

    /// `Ok` for a 404: removing what is gone is success.
    pub(super) fn ignore_not_found(&self, r: std::result::Result<(), BollardError>) -> Result<()> {
        match r.map_err(|e| self.fail(e)) {
            Err(EngineError::NotFound(_)) => Ok(()),
            other => other,
        }
    }

    /// Asks the engine something that changes nothing, within
    /// [`ANSWER_LIMIT`], and asks once more when the connection broke
    /// before an answer came: a kept-alive connection the engine had
    /// already closed fails on first use, and a read is safe to repeat.
    pub(super) async fn read<T, Answer>(
        &self,
        ask: impl Fn(Docker) -> Answer,
    ) -> std::result::Result<T, BollardError>
    where
        Answer: Future<Output = std::result::Result<T, BollardError>>,
    {
        match ask(self.quick.clone()).await {
            Err(e) if is_retryable(&e) => ask(self.quick.clone()).await,
            answer => answer,
        }
    }

    /// `GET path` (with its query), its JSON answer read into berth's own
    /// lenient types ([`wire`]). bollard has no call for a path of one's
    /// choosing, so its export call, which hands the answer over as it
    /// comes, is pointed at `path`: every transport (unix, TLS, ssh) and
    /// the error mapping stay bollard's.
    pub(super) async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T> {
        let target: http::uri::PathAndQuery =
            path.parse()
                .map_err(|e: http::uri::InvalidUri| EngineError::BadRequestPath {
                    path: path.to_string(),
                    reason: e.to_string(),
                })?;
        let client = self
            .quick
            .clone()
            .with_request_modifier(move |mut request| {
                let mut parts = request.uri().clone().into_parts();
                parts.path_and_query = Some(target.clone());
                if let Ok(uri) = http::Uri::from_parts(parts) {
                    *request.uri_mut() = uri;
                }
                request
            });
        // A read: asked once more when the connection broke (see `read`).
        let body = match answer_body(&client).await {
            Err(e) if is_retryable(&e) => answer_body(&client).await,
            body => body,
        }
        .map_err(|e| self.fail(e))?;
        serde_json::from_slice(&body).map_err(|e| EngineError::UnreadableAnswer {
            path: path.to_string(),
            reason: e.to_string(),
        })
    }

    /// The API version to speak: the engine's, capped by `DOCKER_API_VERSION`.
    pub(super) async fn api(&self) -> Result<ApiVersion> {
        let api = self.version().await?.api;
        // A pinned version caps what berth uses, as the docker CLI does.
        Ok(self.pinned.map_or(api, |p| p.min(api)))
    }

    pub(super) async fn version(&self) -> Result<&Version> {
        self.version
            .get_or_try_init(|| async {
                let version = self
                    .read(|c| async move { c.version().await })
                    .await
                    .map_err(|e| self.fail(e))?;
                let api = version
                    .api_version
                    .as_deref()
                    .and_then(ApiVersion::parse)
                    .ok_or(EngineError::NoApiVersion)?;
                if api < ApiVersion::FLOOR {
                    return Err(EngineError::TooOld {
                        found: api,
                        floor: ApiVersion::FLOOR,
                    });
                }
                let platform = format!(
                    "{}/{}",
                    version.os.as_deref().unwrap_or("linux"),
                    version.arch.as_deref().unwrap_or_default()
                );
                let components: Vec<String> = version
                    .components
                    .iter()
                    .flatten()
                    .map(|c| c.name.clone())
                    .collect();
                Ok(Version {
                    api,
                    platform,
                    podman: podman::is_podman(&components),
                })
            })
            .await
    }

    /// Whether the engine still answers a ping in time.
    pub(super) async fn check_alive(&self) -> Result<()> {
        match tokio::time::timeout(PING_WHEN_QUIET, self.quick.ping()).await {
            Ok(answer) => answer.map(drop).map_err(|e| self.fail(e)),
            Err(_) => Err(EngineError::Lost {
                host: self.host.to_string(),
                reason: format!(
                    "its event stream went quiet and a ping got no answer within {} s",
                    PING_WHEN_QUIET.as_secs()
                ),
            }),
        }
    }
}

/// Why the first call failed: the cause itself (`Connection refused`, `No
/// such file or directory`) rather than hyper's `client error (Connect)`.
fn connect_failure(e: &BollardError) -> String {
    transport_failure(e).unwrap_or_else(|| e.to_string())
}

/// Opens (and closes) a TCP connection to the host of a `tcp://` address;
/// `Ok` at once for the other transports.
async fn tcp_probe(host: &str) -> std::result::Result<(), NoAnswer> {
    let Some(rest) = host.strip_prefix("tcp://") else {
        return Ok(());
    };
    let address = rest.split('/').next().unwrap_or(rest);
    match tokio::time::timeout(TCP_CONNECT_LIMIT, tokio::net::TcpStream::connect(address)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(NoAnswer::Tcp(e)),
        Err(_) => Err(NoAnswer::TcpTimeout(TCP_CONNECT_LIMIT)),
    }
}

/// How to fix an engine that does not answer, by what chose it.
fn unreachable_hint(endpoint: &Endpoint) -> String {
    let host = &endpoint.host;
    match endpoint.source.as_deref() {
        _ if host.starts_with("ssh://") => format!(
            "check that `ssh {}` works without a prompt (a key in the agent or \
             ~/.ssh/config, the host in known_hosts) and that the remote user may use docker",
            ssh::SshTarget::parse(host)
                .map(|t| t.ssh_args().join(" "))
                .unwrap_or_default()
        ),
        Some(source) if source.starts_with("context") => format!(
            "start that engine, or choose another context: `docker context use default` \
             (with {} unset) is the local one",
            env_vars::DOCKER_CONTEXT
        ),
        _ if host.starts_with("unix://") => format!(
            "start the Docker daemon (`sudo systemctl start docker`, or `dockerd &`), \
             or point {} at a running engine",
            env_vars::DOCKER_HOST
        ),
        _ if endpoint.tls.is_none() => format!(
            "check that an engine listens at {host} (one that speaks TLS needs {}=1 and \
             {} set to the directory of its ca.pem, cert.pem and key.pem), or unset {} \
             to use the local socket",
            env_vars::DOCKER_TLS_VERIFY,
            env_vars::DOCKER_CERT_PATH,
            env_vars::DOCKER_HOST
        ),
        _ => format!(
            "check that an engine listens at {host} and accepts the certificates \
             of {} (ca.pem, cert.pem, key.pem), or unset {} to use the local socket",
            env_vars::DOCKER_CERT_PATH,
            env_vars::DOCKER_HOST
        ),
    }
}

/// Maps bollard's errors onto berth's: 404 and 409 are kinds of their own,
/// and a connection that closed, broke or was refused after berth had
/// reached the engine at `host` is [`EngineError::Lost`].
pub(super) fn engine_error(host: &str, e: BollardError) -> EngineError {
    match e {
        BollardError::DockerResponseServerError {
            status_code,
            message,
        } => {
            // Some answers have no body (an archive upload into a missing
            // directory): say what the engine did answer, not nothing.
            let message = match message.trim() {
                "" => format!("the Docker Engine answered HTTP {status_code} with no message"),
                _ => message,
            };
            match status_code {
                404 => EngineError::NotFound(message),
                409 => EngineError::Conflict(message),
                _ => EngineError::Refused(message),
            }
        }
        BollardError::RequestTimeoutError => EngineError::Lost {
            host: host.to_string(),
            reason: format!("no answer within {} s", ANSWER_LIMIT.as_secs()),
        },
        other => match transport_failure(&other) {
            Some(reason) => EngineError::Lost {
                host: host.to_string(),
                reason,
            },
            None => EngineError::Client(other.to_string()),
        },
    }
}

/// The whole answer of `client`'s export call (see `get_json`).
async fn answer_body(client: &Docker) -> std::result::Result<Vec<u8>, BollardError> {
    let mut body = Vec::new();
    let mut stream = client.export_container("-");
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk?);
    }
    Ok(body)
}

/// Whether a read that failed so is worth asking again: the connection
/// broke, not the engine's patience (a request that timed out would only
/// wait as long again).
fn is_retryable(e: &BollardError) -> bool {
    !matches!(e, BollardError::RequestTimeoutError) && transport_failure(e).is_some()
}

/// Why the connection to the engine failed, when `e` is about the
/// connection (closed, reset, refused, no socket) rather than an answer.
/// The innermost cause says it best: hyper's own text is only
/// `client error (SendRequest)`.
pub(super) fn transport_failure(e: &BollardError) -> Option<String> {
    match e {
        BollardError::HyperLegacyError { err } => Some(innermost(err)),
        BollardError::HyperResponseError { err } => connection_failure(err),
        // bollard reads streams (logs, events, attach) through readers that
        // wrap hyper's errors in I/O errors.
        BollardError::IOError { err } => connection_failure(err),
        _ => None,
    }
}

/// The innermost cause of `e` when `e`, or an error it wraps, is a broken
/// connection: hyper failing to read or write (not an answer it could not
/// parse), or a closed, reset or refused socket.
fn connection_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    use std::io::ErrorKind;
    let mut cause = Some(e);
    while let Some(error) = cause {
        if let Some(hyper) = error.downcast_ref::<hyper::Error>() {
            return (!(hyper.is_parse() || hyper.is_user())).then(|| innermost(error));
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                ErrorKind::BrokenPipe
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::ConnectionRefused
                    | ErrorKind::NotConnected
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::NotFound
            ) {
                return Some(innermost(error));
            }
            // bollard's stream reader keeps only the text of hyper's error.
            let text = io.to_string();
            if io.kind() == ErrorKind::Other && HYPER_CONNECTION_ERRORS.contains(&text.as_str()) {
                return Some(text);
            }
            // An I/O error's `source` skips the error it wraps.
            if let Some(inner) = io.get_ref() {
                return connection_failure(inner);
            }
        }
        cause = error.source();
    }
    None
}

/// What hyper says of a connection that broke under a request or an answer
/// (its `Display` of those kinds of error).
const HYPER_CONNECTION_ERRORS: [&str; 5] = [
    "error reading a body from connection",
    "connection closed before message completed",
    "received unexpected message from connection",
    "error writing a body to connection",
    "connection error",
];

/// The text of the innermost cause of `e`.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    loop {
        let next = match cause.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => cause.source(),
        };
        match next {
            Some(next) => cause = next,
            None => return cause.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_connection_is_the_engine_lost_at_its_address() {
        let host = "unix:///run/docker.sock";
        let lost = |e: BollardError| match engine_error(host, e) {
            EngineError::Lost { host, reason } => Some((host, reason)),
            _ => None,
        };
        // bollard's stream readers keep only the text of hyper's error.
        let body = std::io::Error::other("error reading a body from connection");
        assert_eq!(
            lost(BollardError::IOError { err: body }),
            Some((host.into(), "error reading a body from connection".into()))
        );
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(lost(BollardError::IOError { err: refused }).is_some());
        // Answers are not the connection's fault.
        let not_found = BollardError::DockerResponseServerError {
            status_code: 404,
            message: "no such container".into(),
        };
        assert!(matches!(
            engine_error(host, not_found),
            EngineError::NotFound(_)
        ));
        let empty = BollardError::DockerResponseServerError {
            status_code: 404,
            message: String::new(),
        };
        assert_eq!(
            engine_error(host, empty).to_string(),
            "the Docker Engine answered HTTP 404 with no message"
        );
        let garbled = BollardError::JsonDataError {
            message: "x".into(),
            column: 1,
        };
        assert!(lost(garbled).is_none());
        let other = std::io::Error::other("disk full");
        assert!(lost(BollardError::IOError { err: other }).is_none());
    }

    #[test]
    fn no_answer_says_how_long_and_what_ssh_said() {
        assert_eq!(
            NoAnswer::Timeout(Duration::from_secs(60)).to_string(),
            "no answer within 60 s"
        );
        let through_ssh = NoAnswer::Ssh {
            reason: Box::new(NoAnswer::TcpTimeout(Duration::from_secs(3))),
            said: "Permission denied".into(),
        };
        assert_eq!(
            through_ssh.to_string(),
            "no connection within 3 s; ssh said: Permission denied"
        );
    }
}
