//! A fault-injecting proxy in front of the engine's unix socket: tests
//! point berth at it (`DOCKER_HOST=unix://<path>`) and then make the engine
//! go away ([`Proxy::cut`]), end only its event streams
//! ([`Proxy::end_events`]), answer slowly ([`Proxy::delay`]) or not at all
//! ([`Proxy::black_hole`]), while the test itself (and the teardown guard)
//! still talks to the real engine.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tempfile::TempDir;

use super::harness::engine_socket;

/// A unix socket that relays every connection to the engine.
pub struct Proxy {
    _dir: TempDir,
    path: PathBuf,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    /// The engine is gone: no connection is accepted or relayed.
    cut: AtomicBool,
    /// Requests are swallowed: nothing is ever answered.
    black_hole: AtomicBool,
    /// Added before the first byte of each answer.
    delay_ms: AtomicU64,
    /// The next request whose line contains this breaks its connection
    /// instead of reaching the engine.
    break_once: Mutex<Option<String>>,
    /// Requests whose line contains this are taken and never relayed:
    /// their connection goes silent.
    hold: Mutex<Option<String>>,
    /// `GET /events` requests seen.
    event_requests: AtomicUsize,
    /// The request line of every request relayed (`POST /containers/.../wait ...`).
    request_lines: Mutex<Vec<String>>,
    /// The request lines of the requests whose answer started.
    answered_lines: Mutex<Vec<String>>,
    connections: Mutex<Vec<Arc<Connection>>>,
}

/// One client connection and its connection to the engine.
struct Connection {
    client: UnixStream,
    engine: UnixStream,
    /// It carries an event stream.
    events: AtomicBool,
    /// Its answer is to end as the engine ends a stream on purpose (the
    /// last chunk of a chunked body), not cut in the middle.
    end_cleanly: AtomicBool,
    /// A request went to the engine and its answer has not started yet.
    awaiting_answer: AtomicBool,
    /// The request line of the last request.
    last_request: Mutex<Option<String>>,
}

impl Proxy {
    /// Listens on a new socket in a temp directory.
    pub fn start() -> Proxy {
        let dir = tempfile::Builder::new()
            .prefix("berth-proxy-")
            .tempdir()
            .unwrap();
        let path = dir.path().join("engine.sock");
        let listener = UnixListener::bind(&path).expect("bind the proxy's socket");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let shared = Arc::new(Shared::default());
        let state = shared.clone();
        std::thread::spawn(move || accept(listener, state));
        Proxy {
            _dir: dir,
            path,
            shared,
        }
    }

    /// `unix://<path>`, for `DOCKER_HOST`.
    pub fn url(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// The engine goes away: every connection closes, and the socket
    /// refuses new ones (it stays, as a dead daemon's socket does).
    pub fn cut(&self) {
        self.shared.cut.store(true, Ordering::SeqCst);
        for c in self.shared.connections.lock().unwrap().iter() {
            let _ = c.client.shutdown(Shutdown::Both);
            let _ = c.engine.shutdown(Shutdown::Both);
        }
    }

    /// Ends every event stream as an engine does on purpose (Podman when it
    /// rotates its event log): the answer ends properly and the
    /// connection closes; the engine still answers everything else.
    pub fn end_events(&self) {
        for c in self.shared.connections.lock().unwrap().iter() {
            if c.events.load(Ordering::SeqCst) {
                c.end_cleanly.store(true, Ordering::SeqCst);
                let _ = c.engine.shutdown(Shutdown::Both);
            }
        }
    }

    /// Every answer from now on starts `delay` late.
    pub fn delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.shared.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// From now on requests are taken and never answered, and streams
    /// already open go silent: a host that dropped off the network.
    pub fn black_hole(&self) {
        self.shared.black_hole.store(true, Ordering::SeqCst);
    }

    /// The next request whose line contains `text` finds its connection
    /// closed, as a kept-alive connection the engine dropped would be.
    pub fn break_next(&self, text: &str) {
        *self.shared.break_once.lock().unwrap() = Some(text.to_string());
    }

    /// From now on, a request whose line contains `text` is taken and never
    /// reaches the engine (nor does anything after it on its connection),
    /// as if the engine were slow to act on it.
    pub fn hold(&self, text: &str) {
        *self.shared.hold.lock().unwrap() = Some(text.to_string());
    }

    /// Requests are relayed again; those already held stay held.
    pub fn stop_holding(&self) {
        *self.shared.hold.lock().unwrap() = None;
    }

    /// Whether the break asked for by [`Proxy::break_next`] happened.
    pub fn broke(&self) -> bool {
        self.shared.break_once.lock().unwrap().is_none()
    }

    /// How many requests relayed so far have a request line containing `text`.
    pub fn requests_with(&self, text: &str) -> usize {
        let lines = self.shared.request_lines.lock().unwrap();
        lines.iter().filter(|line| line.contains(text)).count()
    }

    /// Whether an answer to a request line containing `then` started after
    /// one to a request line containing `first`.
    pub fn answered_after(&self, first: &str, then: &str) -> bool {
        let lines = self.shared.answered_lines.lock().unwrap();
        lines
            .iter()
            .position(|line| line.contains(first))
            .is_some_and(|at| lines[at + 1..].iter().any(|line| line.contains(then)))
    }

    /// How many times an event stream was asked for.
    pub fn event_requests(&self) -> usize {
        self.shared.event_requests.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

fn accept(listener: UnixListener, shared: Arc<Shared>) {
    while !shared.cut.load(Ordering::SeqCst) {
        let client = match listener.accept() {
            Ok((client, _)) => client,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                // Polling, so that a cut closes the listener promptly.
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            Err(_) => break,
        };
        let _ = client.set_nonblocking(false);
        let Ok(engine) = UnixStream::connect(engine_socket()) else {
            continue;
        };
        let (Ok(client2), Ok(engine2)) = (client.try_clone(), engine.try_clone()) else {
            continue;
        };
        let connection = Arc::new(Connection {
            client: client2,
            engine: engine2,
            events: AtomicBool::new(false),
            end_cleanly: AtomicBool::new(false),
            awaiting_answer: AtomicBool::new(false),
            last_request: Mutex::new(None),
        });
        shared.connections.lock().unwrap().push(connection.clone());
        let (requests, answers) = (shared.clone(), shared.clone());
        let (up, down) = (connection.clone(), connection);
        let (Ok(client_in), Ok(engine_out)) = (client.try_clone(), engine.try_clone()) else {
            continue;
        };
        std::thread::spawn(move || relay_requests(client_in, engine_out, &up, &requests));
        std::thread::spawn(move || relay_answers(engine, client, &down, &answers));
    }
    // Dropping the listener: connecting now is refused.
}

/// Client → engine.
fn relay_requests(
    mut client: UnixStream,
    mut engine: UnixStream,
    connection: &Connection,
    shared: &Shared,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut holding = false;
    loop {
        let n = match client.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if shared.cut.load(Ordering::SeqCst) {
            break;
        }
        if shared.black_hole.load(Ordering::SeqCst) || holding {
            continue;
        }
        let chunk = &buffer[..n];
        if let Some(line) = request_line(chunk) {
            let mut break_once = shared.break_once.lock().unwrap();
            if break_once
                .as_ref()
                .is_some_and(|text| line.contains(text.as_str()))
            {
                *break_once = None;
                let _ = connection.client.shutdown(Shutdown::Both);
                break;
            }
            drop(break_once);
            shared.request_lines.lock().unwrap().push(line.clone());
            let hold = shared.hold.lock().unwrap();
            if hold
                .as_ref()
                .is_some_and(|text| line.contains(text.as_str()))
            {
                holding = true;
                continue;
            }
            drop(hold);
            *connection.last_request.lock().unwrap() = Some(line);
        }
        if is_events_request(chunk) {
            connection.events.store(true, Ordering::SeqCst);
            shared.event_requests.fetch_add(1, Ordering::SeqCst);
        }
        connection.awaiting_answer.store(true, Ordering::SeqCst);
        if engine.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = engine.shutdown(Shutdown::Write);
}

/// Engine → client, each answer held back by the delay.
fn relay_answers(
    mut engine: UnixStream,
    mut client: UnixStream,
    connection: &Connection,
    shared: &Shared,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match engine.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if shared.cut.load(Ordering::SeqCst) || connection.end_cleanly.load(Ordering::SeqCst) {
            break;
        }
        if shared.black_hole.load(Ordering::SeqCst) {
            // Nothing comes back, not even on streams already open.
            continue;
        }
        if connection.awaiting_answer.swap(false, Ordering::SeqCst) {
            let delay = shared.delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                std::thread::sleep(Duration::from_millis(delay));
            }
        }
        if client.write_all(&buffer[..n]).is_err() {
            break;
        }
        if let Some(line) = connection.last_request.lock().unwrap().take() {
            shared.answered_lines.lock().unwrap().push(line);
        }
    }
    if connection.end_cleanly.load(Ordering::SeqCst) && !shared.cut.load(Ordering::SeqCst) {
        // The last chunk of the chunked body: the stream ended, cleanly.
        let _ = client.write_all(b"0\r\n\r\n");
    }
    let _ = client.shutdown(Shutdown::Both);
}

/// The first line of a request, when `chunk` starts one.
fn request_line(chunk: &[u8]) -> Option<String> {
    let line = chunk.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let method = line.split(' ').next()?;
    matches!(method, "GET" | "POST" | "PUT" | "DELETE" | "HEAD").then(|| line.to_string())
}

/// Whether the bytes start a request for the engine's event stream
/// (`GET /events?...` or `GET /v1.41/events?...`).
fn is_events_request(chunk: &[u8]) -> bool {
    let line = chunk.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let Some(target) = line.strip_prefix("GET ") else {
        return false;
    };
    let path = target.split(['?', ' ']).next().unwrap_or_default();
    path == "/events" || path.ends_with("/events") && path.starts_with("/v1.")
}
