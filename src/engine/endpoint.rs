//! Which Docker Engine to talk to, decided as the docker CLI (and so Docker
//! Compose) decides it: `--context`, else `DOCKER_HOST`, else
//! `DOCKER_CONTEXT`, else the `currentContext` of `config.json`, else the
//! local socket. A named context keeps its endpoint in
//! `$DOCKER_CONFIG/contexts/meta/<sha256 of the name>/meta.json` and its TLS
//! files in `contexts/tls/<same>/docker/`; Docker Desktop, rootless Docker,
//! colima and remote engines are all reached through one.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::env_vars;
use crate::load::environment::Env;

/// The engine's socket when nothing names another.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// The context that stands for `DOCKER_HOST` and the TLS variables.
const DEFAULT_CONTEXT: &str = "default";

/// Where to reach the engine, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `unix://`, `tcp://`, `http://` or `https://`.
    pub host: String,
    /// Set when the connection is TLS, verified against `ca`.
    pub tls: Option<TlsFiles>,
    /// What chose this endpoint, for messages: `from DOCKER_HOST`,
    /// `context "x" from DOCKER_CONTEXT`; `None` for the default socket.
    pub source: Option<String>,
}

/// The PEM files of a TLS connection. The client pair is optional: an
/// engine that does not ask for a client certificate gets none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Why no endpoint could be chosen, with the fix.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct EndpointError {
    pub message: String,
    pub hint: String,
}

/// The docker CLI's configuration directory: `$DOCKER_CONFIG`, else
/// `~/.docker`.
pub fn docker_config_dir(env: &Env) -> Option<PathBuf> {
    match env.get(env_vars::DOCKER_CONFIG).filter(|d| !d.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => env
            .get(env_vars::HOME)
            .map(|home| PathBuf::from(home).join(".docker")),
    }
}

/// The docker CLI's flags that choose the engine (which Docker Compose
/// takes before its command too).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineFlags {
    /// `--context`
    pub context: Option<String>,
    /// `-H`, `--host`
    pub host: Option<String>,
    /// `--tls`: TLS without checking the engine's certificate.
    pub tls: bool,
    /// `--tlsverify`
    pub tls_verify: bool,
    /// `--tlscacert`, `--tlscert`, `--tlskey`
    pub tls_ca: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

/// Chooses the endpoint from the flags, the environment and `config.json`.
pub fn resolve(env: &Env, flags: &EngineFlags) -> Result<Endpoint, EndpointError> {
    let set = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
    let config_dir = docker_config_dir(env);
    let context_flag = flags.context.as_deref().filter(|n| !n.is_empty());
    if context_flag.is_some() && flags.host.is_some() {
        return Err(EndpointError {
            message: "conflicting options: either specify --host or --context, not both".into(),
            hint: "drop one of them".into(),
        });
    }
    let (name, from) = if let Some(name) = context_flag {
        (name.to_string(), "--context".to_string())
    } else if flags.host.is_some() || set(env_vars::DOCKER_HOST).is_some() {
        (DEFAULT_CONTEXT.to_string(), String::new())
    } else if let Some(name) = set(env_vars::DOCKER_CONTEXT) {
        (name, env_vars::DOCKER_CONTEXT.to_string())
    } else if let Some((name, path)) = config_dir.as_deref().and_then(current_context) {
        (name, format!("currentContext in {}", path.display()))
    } else {
        (DEFAULT_CONTEXT.to_string(), String::new())
    };
    let endpoint = if name == DEFAULT_CONTEXT {
        from_variables(env, config_dir.as_deref(), flags)?
    } else {
        let dir = config_dir.ok_or_else(|| EndpointError {
            message: format!("Docker context {name:?} from {from} cannot be read: HOME is not set"),
            hint: format!(
                "set {} to the docker CLI's configuration directory",
                env_vars::DOCKER_CONFIG
            ),
        })?;
        from_context(&dir, &name, &from)?
    };
    check_scheme(&endpoint)?;
    Ok(endpoint)
}

/// The `currentContext` of `config.json`, with the file's path.
fn current_context(config_dir: &Path) -> Option<(String, PathBuf)> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Config {
        #[serde(default)]
        current_context: String,
    }
    let path = config_dir.join("config.json");
    let text = std::fs::read_to_string(&path).ok()?;
    // A config.json the docker CLI cannot read either is its problem to
    // report; berth then uses the default engine, as for no file.
    let config: Config = serde_json::from_str(&text).ok()?;
    Some(config.current_context)
        .filter(|c| !c.is_empty())
        .map(|c| (c, path))
}

/// The default context: `--host` or `DOCKER_HOST`, with TLS when
/// `--tlsverify` or `DOCKER_TLS_VERIFY` is set (certificates from the
/// `--tls*` flags, else `DOCKER_CERT_PATH`, else the configuration
/// directory).
fn from_variables(
    env: &Env,
    config_dir: Option<&Path>,
    flags: &EngineFlags,
) -> Result<Endpoint, EndpointError> {
    let set = |name: &str| env.get(name).is_some_and(|v| !v.is_empty());
    let (host, source) = match (&flags.host, env.get(env_vars::DOCKER_HOST)) {
        (Some(host), _) => (host.clone(), Some("from --host".to_string())),
        (None, Some(host)) if !host.is_empty() => (
            host.clone(),
            Some(format!("from {}", env_vars::DOCKER_HOST)),
        ),
        _ => (DEFAULT_HOST.to_string(), None),
    };
    let network = host.starts_with("tcp://") || host.starts_with("https://");
    let tls = if network && (flags.tls_verify || set(env_vars::DOCKER_TLS_VERIFY)) {
        let dir = env
            .get(env_vars::DOCKER_CERT_PATH)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| config_dir.map(Path::to_path_buf))
            .ok_or_else(|| EndpointError {
                message: format!(
                    "{} is set but no certificate directory is known",
                    env_vars::DOCKER_TLS_VERIFY
                ),
                hint: format!(
                    "set {} to the directory holding ca.pem, cert.pem and key.pem",
                    env_vars::DOCKER_CERT_PATH
                ),
            })?;
        let chosen =
            |flag: &Option<PathBuf>, file: &str| flag.clone().unwrap_or_else(|| dir.join(file));
        let files = TlsFiles {
            ca: chosen(&flags.tls_ca, "ca.pem"),
            cert: chosen(&flags.tls_cert, "cert.pem"),
            key: chosen(&flags.tls_key, "key.pem"),
        };
        Some(check_ca(
            files,
            &format!("from --tlscacert or {}", env_vars::DOCKER_CERT_PATH),
        )?)
    } else if network && (flags.tls || set(env_vars::DOCKER_TLS)) {
        return Err(unverified_tls(
            &host,
            &format!("--tls or {} without --tlsverify: it", env_vars::DOCKER_TLS),
        ));
    } else if host.starts_with("https://") {
        return Err(EndpointError {
            message: format!(
                "{host} is a TLS address, but {} is not set",
                env_vars::DOCKER_TLS_VERIFY
            ),
            hint: format!(
                "set {}=1 and {} to the directory holding ca.pem, cert.pem and key.pem",
                env_vars::DOCKER_TLS_VERIFY,
                env_vars::DOCKER_CERT_PATH
            ),
        });
    } else {
        None
    };
    Ok(Endpoint { host, tls, source })
}

/// A named context's endpoint, as `docker context create` stored it.
fn from_context(config_dir: &Path, name: &str, from: &str) -> Result<Endpoint, EndpointError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Meta {
        #[serde(default)]
        endpoints: std::collections::BTreeMap<String, DockerEndpoint>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct DockerEndpoint {
        #[serde(default)]
        host: String,
        #[serde(default, rename = "SkipTLSVerify")]
        skip_tls_verify: bool,
    }
    let id = crate::digest::sha256_hex(name.as_bytes());
    let meta_path = config_dir
        .join("contexts")
        .join("meta")
        .join(&id)
        .join("meta.json");
    let source = format!("context {name:?} from {from}");
    let text = std::fs::read_to_string(&meta_path).map_err(|e| EndpointError {
        message: format!(
            "Docker {source} does not exist: cannot read {}: {e}",
            meta_path.display()
        ),
        hint: format!(
            "`docker context ls` lists the contexts; choose one of them, or unset {} \
             and run `docker context use default` for the local engine",
            env_vars::DOCKER_CONTEXT
        ),
    })?;
    let meta: Meta = serde_json::from_str(&text).map_err(|e| EndpointError {
        message: format!(
            "Docker {source}: {} is not a context's metadata: {e}",
            meta_path.display()
        ),
        hint: "recreate the context with `docker context create`".into(),
    })?;
    let endpoint = meta
        .endpoints
        .get("docker")
        .filter(|e| !e.host.is_empty())
        .ok_or_else(|| EndpointError {
            message: format!(
                "Docker {source} has no Docker endpoint in {}",
                meta_path.display()
            ),
            hint: "recreate it with `docker context create NAME --docker host=...`".into(),
        })?;
    if endpoint.skip_tls_verify {
        return Err(unverified_tls(&endpoint.host, &format!("Docker {source}")));
    }
    let tls_dir = config_dir
        .join("contexts")
        .join("tls")
        .join(&id)
        .join("docker");
    let tls = if tls_dir.join("ca.pem").exists() {
        Some(tls_files(&tls_dir, &source)?)
    } else {
        None
    };
    Ok(Endpoint {
        host: endpoint.host.clone(),
        tls,
        source: Some(source),
    })
}

/// `ca.pem`, `cert.pem` and `key.pem` in `dir`; the CA is required.
fn tls_files(dir: &Path, source: &str) -> Result<TlsFiles, EndpointError> {
    let files = TlsFiles {
        ca: dir.join("ca.pem"),
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    check_ca(files, source)
}

/// `files`, once its CA is known to be there.
fn check_ca(files: TlsFiles, source: &str) -> Result<TlsFiles, EndpointError> {
    if !files.ca.is_file() {
        return Err(EndpointError {
            message: format!(
                "TLS is on but there is no CA certificate at {} ({source})",
                files.ca.display()
            ),
            hint: "put the engine's ca.pem there, with cert.pem and key.pem if it checks clients"
                .into(),
        });
    }
    Ok(files)
}

/// berth always checks the engine's certificate.
fn unverified_tls(host: &str, source: &str) -> EndpointError {
    EndpointError {
        message: format!(
            "{source} asks for TLS to {host} without checking the engine's certificate, \
             which berth does not do"
        ),
        hint: format!(
            "give the engine's CA: set {}=1 and {} to the directory holding ca.pem, \
             or create the context with `--docker host=...,ca=...,cert=...,key=...`",
            env_vars::DOCKER_TLS_VERIFY,
            env_vars::DOCKER_CERT_PATH
        ),
    }
}

/// Refuses the addresses berth has no transport for.
fn check_scheme(endpoint: &Endpoint) -> Result<(), EndpointError> {
    let host = &endpoint.host;
    let from = endpoint
        .source
        .as_deref()
        .map_or(String::new(), |s| format!(" ({s})"));
    if ["unix://", "tcp://", "http://", "https://", "ssh://"]
        .iter()
        .any(|scheme| host.starts_with(scheme))
    {
        return Ok(());
    }
    Err(EndpointError {
        message: format!("unsupported engine address {host}{from}"),
        hint: "use unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT]".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(name: &str) -> EngineFlags {
        EngineFlags {
            context: Some(name.into()),
            ..Default::default()
        }
    }

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A configuration directory with `contexts` written as the docker CLI
    /// writes them.
    fn config_dir(current: Option<&str>, contexts: &[(&str, &str, bool)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        if let Some(current) = current {
            std::fs::write(
                dir.path().join("config.json"),
                format!("{{\"auths\": {{}}, \"currentContext\": {current:?}}}"),
            )
            .unwrap();
        }
        for (name, host, tls) in contexts {
            let id = crate::digest::sha256_hex(name.as_bytes());
            let meta = dir.path().join("contexts/meta").join(&id);
            std::fs::create_dir_all(&meta).unwrap();
            std::fs::write(
                meta.join("meta.json"),
                format!(
                    "{{\"Name\":{name:?},\"Metadata\":{{}},\"Endpoints\":{{\"docker\":\
                     {{\"Host\":{host:?},\"SkipTLSVerify\":false}}}}}}"
                ),
            )
            .unwrap();
            if *tls {
                let tls = dir.path().join("contexts/tls").join(&id).join("docker");
                std::fs::create_dir_all(&tls).unwrap();
                std::fs::write(tls.join("ca.pem"), "").unwrap();
            }
        }
        dir
    }

    #[test]
    fn nothing_set_is_the_local_socket() {
        let e = resolve(&env(&[]), &EngineFlags::default()).unwrap();
        assert_eq!(e.host, DEFAULT_HOST);
        assert_eq!((e.tls, e.source), (None, None));
    }

    #[test]
    fn docker_host_wins_over_contexts_but_not_over_the_flag() {
        let dir = config_dir(
            Some("cur"),
            &[
                ("cur", "unix:///cur.sock", false),
                ("flag", "unix:///flag.sock", false),
            ],
        );
        let d = dir.path().to_str().unwrap();
        let vars = env(&[
            ("DOCKER_CONFIG", d),
            ("DOCKER_HOST", "tcp://127.0.0.1:2375"),
            ("DOCKER_CONTEXT", "cur"),
        ]);
        assert_eq!(
            resolve(&vars, &EngineFlags::default()).unwrap().host,
            "tcp://127.0.0.1:2375"
        );
        assert_eq!(
            resolve(&vars, &context("flag")).unwrap().host,
            "unix:///flag.sock"
        );
    }

    #[test]
    fn docker_context_wins_over_the_current_context() {
        let dir = config_dir(
            Some("cur"),
            &[
                ("cur", "unix:///cur.sock", false),
                ("var", "unix:///var.sock", false),
            ],
        );
        let d = dir.path().to_str().unwrap();
        let by_var = resolve(
            &env(&[("DOCKER_CONFIG", d), ("DOCKER_CONTEXT", "var")]),
            &EngineFlags::default(),
        )
        .unwrap();
        assert_eq!(by_var.host, "unix:///var.sock");
        assert_eq!(
            by_var.source.as_deref(),
            Some("context \"var\" from DOCKER_CONTEXT")
        );
        let by_file = resolve(&env(&[("DOCKER_CONFIG", d)]), &EngineFlags::default()).unwrap();
        assert_eq!(by_file.host, "unix:///cur.sock");
        assert!(by_file.source.unwrap().contains("currentContext in"));
    }

    #[test]
    fn the_default_context_is_docker_host() {
        let dir = config_dir(Some("default"), &[]);
        let d = dir.path().to_str().unwrap();
        let e = resolve(&env(&[("DOCKER_CONFIG", d)]), &EngineFlags::default()).unwrap();
        assert_eq!(e.host, DEFAULT_HOST);
    }

    #[test]
    fn a_context_with_a_ca_is_tls() {
        let dir = config_dir(None, &[("remote", "tcp://127.0.0.1:2376", true)]);
        let d = dir.path().to_str().unwrap();
        let e = resolve(&env(&[("DOCKER_CONFIG", d)]), &context("remote")).unwrap();
        let tls = e.tls.unwrap();
        assert!(tls.ca.ends_with("docker/ca.pem"), "{tls:?}");
        assert!(tls.key.ends_with("docker/key.pem"), "{tls:?}");
    }

    #[test]
    fn a_missing_context_says_where_it_came_from() {
        let dir = config_dir(None, &[]);
        let d = dir.path().to_str().unwrap();
        let e = resolve(
            &env(&[("DOCKER_CONFIG", d), ("DOCKER_CONTEXT", "nope")]),
            &EngineFlags::default(),
        )
        .unwrap_err();
        assert!(
            e.message
                .starts_with("Docker context \"nope\" from DOCKER_CONTEXT does not exist"),
            "{e}"
        );
        assert!(e.hint.contains("docker context ls"), "{}", e.hint);
    }

    #[test]
    fn tls_variables_need_a_ca() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let vars = env(&[
            ("DOCKER_HOST", "tcp://127.0.0.1:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", d),
        ]);
        let e = resolve(&vars, &EngineFlags::default()).unwrap_err();
        assert!(e.message.contains("no CA certificate"), "{e}");
        std::fs::write(dir.path().join("ca.pem"), "").unwrap();
        assert!(
            resolve(&vars, &EngineFlags::default())
                .unwrap()
                .tls
                .is_some()
        );
        // TLS is for network addresses only, as with the docker CLI.
        let unix = env(&[("DOCKER_TLS_VERIFY", "1"), ("DOCKER_CERT_PATH", d)]);
        assert_eq!(resolve(&unix, &EngineFlags::default()).unwrap().tls, None);
    }

    #[test]
    fn unverified_tls_and_unknown_schemes_are_refused() {
        let e = resolve(
            &env(&[("DOCKER_HOST", "tcp://127.0.0.1:2376"), ("DOCKER_TLS", "1")]),
            &EngineFlags::default(),
        )
        .unwrap_err();
        assert!(e.message.contains("without checking"), "{e}");
        let e = resolve(&env(&[("DOCKER_HOST", "fd://")]), &EngineFlags::default()).unwrap_err();
        assert!(
            e.message.contains("unsupported engine address fd://"),
            "{e}"
        );
        assert_eq!(
            resolve(
                &env(&[("DOCKER_HOST", "ssh://me@box")]),
                &EngineFlags::default()
            )
            .unwrap()
            .host,
            "ssh://me@box"
        );
    }

    #[test]
    fn host_and_tls_flags_go_before_the_variables() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        std::fs::write(dir.path().join("my-ca.pem"), "").unwrap();
        let vars = env(&[("DOCKER_HOST", "unix:///env.sock")]);
        let flags = EngineFlags {
            host: Some("tcp://127.0.0.1:2376".into()),
            tls_verify: true,
            tls_ca: Some(dir.path().join("my-ca.pem")),
            ..Default::default()
        };
        let e = resolve(
            &env(&[("DOCKER_CERT_PATH", d), ("DOCKER_HOST", "unix:///env.sock")]),
            &flags,
        )
        .unwrap();
        assert_eq!(e.host, "tcp://127.0.0.1:2376");
        assert_eq!(e.source.as_deref(), Some("from --host"));
        let tls = e.tls.unwrap();
        assert!(
            tls.ca.ends_with("my-ca.pem") && tls.cert.ends_with("cert.pem"),
            "{tls:?}"
        );
        let both = EngineFlags {
            context: Some("x".into()),
            ..flags
        };
        let e = resolve(&vars, &both).unwrap_err();
        assert!(
            e.message.contains("either specify --host or --context"),
            "{e}"
        );
    }
}
