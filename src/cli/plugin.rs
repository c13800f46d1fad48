//! docker CLI plugin mode: copied or linked as `docker-berth` into a
//! `cli-plugins` directory (`~/.docker/cli-plugins/`), berth runs as
//! `docker berth ...`.
//!
//! The protocol, as the docker CLI speaks it: to list its plugins it runs
//! each one with the single argument `docker-cli-plugin-metadata` and reads
//! a JSON object from standard output; to run one it passes its own
//! arguments on unchanged, its global flags first, then the plugin's name,
//! then the plugin's arguments (`docker -c ctx berth up` runs
//! `docker-berth -c ctx berth up`), with `DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND`
//! set. berth takes the global flags that choose the engine as its own,
//! drops the plugin's name and parses the rest as usual.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::engine::endpoint::EngineFlags;

/// The argument the docker CLI asks a plugin's metadata with.
pub const METADATA_COMMAND: &str = "docker-cli-plugin-metadata";
/// The prefix of a plugin's file name.
const PREFIX: &str = "docker-";
/// The name berth answers to when its file name does not tell.
const DEFAULT_NAME: &str = "berth";

/// The docker CLI's global flags given before the plugin's name. Those
/// that choose the engine apply to berth; the logging ones are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DockerGlobals {
    /// `--config`: the docker CLI's configuration directory.
    pub config: Option<PathBuf>,
    pub engine: EngineFlags,
}

impl DockerGlobals {
    /// Fills in what berth's own flags (given after the plugin's name) left
    /// unset: those are the more specific.
    pub fn apply_to(self, global: &mut super::GlobalArgs) {
        let engine = self.engine;
        global.context = global.context.take().or(engine.context);
        global.host = global.host.take().or(engine.host);
        global.tls |= engine.tls;
        global.tlsverify |= engine.tls_verify;
        global.tlscacert = global.tlscacert.take().or(engine.tls_ca);
        global.tlscert = global.tlscert.take().or(engine.tls_cert);
        global.tlskey = global.tlskey.take().or(engine.tls_key);
        global.docker_config = global.docker_config.take().or(self.config);
    }
}

/// How berth was started.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    /// As `berth` (or not in a way the docker CLI runs plugins): the
    /// arguments stay as they are.
    Direct,
    /// The docker CLI asks for the plugin's metadata.
    Metadata,
    /// By the docker CLI as a plugin: berth's own arguments (`docker
    /// berth` first, as the program name) and the docker CLI's global flags.
    Plugin {
        args: Vec<OsString>,
        globals: DockerGlobals,
    },
}

/// Tells how berth was started from its arguments; `run_by_docker` is
/// whether `DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND` is set.
pub fn invocation(args: &[OsString], run_by_docker: bool) -> Invocation {
    if args.len() == 2 && args[1] == METADATA_COMMAND {
        return Invocation::Metadata;
    }
    let program = args.first().map(|a| Path::new(a.as_os_str()));
    let file_name = program
        .and_then(Path::file_name)
        .and_then(OsStr::to_str)
        .unwrap_or_default();
    let as_plugin = file_name.strip_prefix(PREFIX);
    if as_plugin.is_none() && !run_by_docker {
        return Invocation::Direct;
    }
    let name = as_plugin.filter(|n| !n.is_empty()).unwrap_or(DEFAULT_NAME);
    match split_globals(&args[1..], name) {
        Some((globals, rest)) => {
            let mut own = Vec::with_capacity(rest.len() + 1);
            // Usage lines then read as the user typed the command.
            own.push(format!("docker {name}").into());
            own.extend(rest);
            Invocation::Plugin { args: own, globals }
        }
        None => Invocation::Direct,
    }
}

/// The metadata the docker CLI lists the plugin with.
pub fn metadata() -> String {
    serde_json::json!({
        "SchemaVersion": "0.1.0",
        "Vendor": "berth",
        "Version": env!("CARGO_PKG_VERSION"),
        "ShortDescription": "Run Compose projects (Docker Compose-compatible)",
    })
    .to_string()
}

/// Splits `docker [GLOBAL FLAGS] <name> [ARGS]` (without the program) into
/// the global flags and berth's arguments; `None` when the arguments are not
/// that shape. `docker help <name>` asks for berth's help.
fn split_globals(args: &[OsString], name: &str) -> Option<(DockerGlobals, Vec<OsString>)> {
    let mut globals = DockerGlobals::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].to_str()?;
        if arg == name {
            return Some((globals, args[i + 1..].to_vec()));
        }
        if arg == "help" && args.get(i + 1).is_some_and(|a| a == name) {
            let mut rest = args[i + 2..].to_vec();
            rest.push("--help".into());
            return Some((globals, rest));
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with('-') => (flag, Some(value)),
            _ => (arg, None),
        };
        // pflag also takes a short flag's value glued on: `-cNAME`.
        let (flag, inline) = match flag.as_bytes() {
            [b'-', short, _, ..] if *short != b'-' && inline.is_none() => {
                (&flag[..2], Some(&flag[2..]))
            }
            _ => (flag, inline),
        };
        let mut value = || -> Option<String> {
            match inline {
                Some(v) => Some(v.to_string()),
                None => {
                    i += 1;
                    args.get(i)?.to_str().map(str::to_string)
                }
            }
        };
        match flag {
            "--config" => globals.config = Some(value()?.into()),
            "-c" | "--context" => globals.engine.context = Some(value()?),
            "-H" | "--host" => globals.engine.host = Some(value()?),
            "--tlscacert" => globals.engine.tls_ca = Some(value()?.into()),
            "--tlscert" => globals.engine.tls_cert = Some(value()?.into()),
            "--tlskey" => globals.engine.tls_key = Some(value()?.into()),
            "-l" | "--log-level" => {
                value()?;
            }
            "--tls" => globals.engine.tls = switch(inline)?,
            "--tlsverify" => globals.engine.tls_verify = switch(inline)?,
            "-D" | "--debug" => {
                switch(inline)?;
            }
            _ => return None,
        }
        i += 1;
    }
    None
}

/// A boolean flag's value: bare is true, `=true`/`=false` as Go parses them.
fn switch(inline: Option<&str>) -> Option<bool> {
    match inline {
        None => Some(true),
        Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Some(true),
        Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Some(false),
        Some(_) => None,
    }
}

/// Ends berth as SIGTERM would when the docker CLI that started it asks:
/// it closes the connection to `DOCKER_CLI_PLUGIN_SOCKET` when it is told
/// to stop and its plugin would not hear it otherwise (no terminal sends
/// the signal to both), and when it exits.
pub fn follow_cli(socket: Option<&str>) {
    let Some(address) = socket.filter(|s| !s.is_empty()) else {
        return;
    };
    let Ok(mut stream) = connect(address) else {
        // An old docker CLI, or one gone already: nothing to follow.
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("docker-cli".into())
        .spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 64];
            while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
            // SAFETY: kill(2) on our own pid with a valid signal number.
            unsafe {
                libc::kill(libc::getpid(), libc::SIGTERM);
            }
        });
    drop(spawned);
}

/// Connects to the docker CLI's socket: `@name` is an abstract socket
/// (Linux), anything else a path.
fn connect(address: &str) -> std::io::Result<std::os::unix::net::UnixStream> {
    use std::os::unix::net::UnixStream;
    match address.strip_prefix('@') {
        #[cfg(target_os = "linux")]
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            UnixStream::connect_addr(&addr)
        }
        #[cfg(not(target_os = "linux"))]
        Some(_) => Err(std::io::Error::from(std::io::ErrorKind::Unsupported)),
        None => UnixStream::connect(address),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn plugin(args: &[&str], globals: DockerGlobals) -> Invocation {
        Invocation::Plugin {
            args: os(args),
            globals,
        }
    }

    #[test]
    fn the_metadata_request_is_answered_whatever_the_file_name() {
        let args = os(&["/x/berth", METADATA_COMMAND]);
        assert_eq!(invocation(&args, false), Invocation::Metadata);
        let meta: serde_json::Value = serde_json::from_str(&metadata()).unwrap();
        assert_eq!(meta["SchemaVersion"], "0.1.0");
        assert_eq!(meta["Vendor"], "berth");
        assert_eq!(meta["Version"], env!("CARGO_PKG_VERSION"));
        assert!(
            meta["ShortDescription"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        );
    }

    #[test]
    fn run_directly_the_arguments_stay() {
        let args = os(&["berth", "berth", "up"]);
        assert_eq!(invocation(&args, false), Invocation::Direct);
    }

    #[test]
    fn the_plugin_name_is_dropped() {
        let args = os(&[
            "/home/u/.docker/cli-plugins/docker-berth",
            "berth",
            "up",
            "-d",
        ]);
        assert_eq!(
            invocation(&args, true),
            plugin(&["docker berth", "up", "-d"], DockerGlobals::default())
        );
        // Linked under another name, the plugin answers to that name.
        let args = os(&["docker-b", "b", "ps"]);
        assert_eq!(
            invocation(&args, false),
            plugin(&["docker b", "ps"], DockerGlobals::default())
        );
    }

    #[test]
    fn the_docker_cli_global_flags_choose_the_engine() {
        let args = os(&[
            "docker-berth",
            "--config",
            "/cfg",
            "-cctx",
            "-H=unix:///x.sock",
            "--tlsverify",
            "--tls=false",
            "--tlscacert",
            "ca.pem",
            "--tlscert=cert.pem",
            "--tlskey",
            "key.pem",
            "-D",
            "-l",
            "debug",
            "berth",
            "-p",
            "x",
            "up",
        ]);
        let globals = DockerGlobals {
            config: Some("/cfg".into()),
            engine: EngineFlags {
                context: Some("ctx".into()),
                host: Some("unix:///x.sock".into()),
                tls: false,
                tls_verify: true,
                tls_ca: Some("ca.pem".into()),
                tls_cert: Some("cert.pem".into()),
                tls_key: Some("key.pem".into()),
            },
        };
        assert_eq!(
            invocation(&args, true),
            plugin(&["docker berth", "-p", "x", "up"], globals)
        );
    }

    #[test]
    fn docker_help_berth_is_berths_help() {
        let args = os(&["docker-berth", "help", "berth"]);
        assert_eq!(
            invocation(&args, true),
            plugin(&["docker berth", "--help"], DockerGlobals::default())
        );
    }

    #[test]
    fn other_shapes_are_left_to_berths_parser() {
        for args in [
            &["docker-berth", "--nope", "berth", "up"][..],
            &["docker-berth", "up"],
            &["docker-berth", "--context"],
            &["docker-berth", "--tls=maybe", "berth"],
        ] {
            assert_eq!(invocation(&os(args), true), Invocation::Direct, "{args:?}");
        }
    }

    #[test]
    fn flags_after_the_plugin_name_win() {
        use clap::Parser;
        let mut global = super::super::Cli::try_parse_from(["berth", "--context", "mine", "ps"])
            .unwrap()
            .global;
        DockerGlobals {
            config: None,
            engine: EngineFlags {
                context: Some("docker's".into()),
                host: Some("tcp://h:1".into()),
                ..Default::default()
            },
        }
        .apply_to(&mut global);
        assert_eq!(global.context.as_deref(), Some("mine"));
        assert_eq!(global.host.as_deref(), Some("tcp://h:1"));
    }
}
