//! Registry credentials where Docker users keep them: `config.json` in
//! `$DOCKER_CONFIG` (else `~/.docker`), with its `auths` entries, its
//! `credsStore`, and its per-registry `credHelpers` (`docker-credential-*`
//! programs that answer `get` with JSON).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;

use crate::engine::RegistryAuth;
use crate::env_vars;
use crate::load::environment::Env;
pub use crate::reference::{DOCKER_HUB_KEY, full_repository, is_pinned, registry_host, split_tag};

/// The part of `config.json` that holds credentials.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    creds_store: String,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    /// base64 of `user:password`.
    #[serde(default)]
    auth: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    identitytoken: String,
}

/// What a credential helper answers to `get`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    #[serde(default)]
    username: String,
    #[serde(default)]
    secret: String,
}

/// Why the user's registry credentials cannot be had; each names the file
/// or the helper that failed.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("{}: not a valid Docker config file: {source}", path.display())]
    BadConfig {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: the auth of {server} is not base64 of user:password", path.display())]
    BadAuth { path: PathBuf, server: String },
    #[error("cannot run the credential helper {program}: {source}")]
    HelperSpawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the credential helper {program} failed: {source}")]
    HelperWait {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// The helper exited with an error; `said` is its output.
    #[error("the credential helper {program} failed for {server}: {said}")]
    HelperFailed {
        program: String,
        server: String,
        said: String,
    },
    #[error("the credential helper {program} answered no JSON: {source}")]
    HelperAnswer {
        program: String,
        #[source]
        source: serde_json::Error,
    },
}

/// The credentials for the registry of `reference`, if the user has any.
/// Errors name the file or the helper that failed.
pub fn credentials_for(
    reference: &str,
    env: &Env,
) -> Result<Option<RegistryAuth>, CredentialsError> {
    let host = registry_host(reference);
    let server = if host == "docker.io" {
        DOCKER_HUB_KEY
    } else {
        host
    };
    let Some(path) = config_path(env) else {
        return Ok(None);
    };
    let config: ConfigFile = match std::fs::read_to_string(&path) {
        Ok(text) => match serde_json::from_str(&text) {
            Ok(config) => config,
            Err(source) => return Err(CredentialsError::BadConfig { path, source }),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(CredentialsError::Read { path, source }),
    };
    let helper = config
        .cred_helpers
        .iter()
        .find(|(key, _)| same_registry(key, server))
        .map(|(_, helper)| helper.as_str())
        .or((!config.creds_store.is_empty()).then_some(config.creds_store.as_str()));
    if let Some(helper) = helper
        && let Some(auth) = ask_helper(helper, server, env)?
    {
        return Ok(Some(auth));
    }
    let Some(entry) = config
        .auths
        .iter()
        .find(|(key, _)| same_registry(key, server))
        .map(|(_, entry)| entry)
    else {
        return Ok(None);
    };
    let (mut username, mut password) = (entry.username.clone(), entry.password.clone());
    if !entry.auth.is_empty() {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(entry.auth.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| {
                text.split_once(':')
                    .map(|(u, p)| (u.to_string(), p.to_string()))
            })
            .ok_or_else(|| CredentialsError::BadAuth {
                path: path.clone(),
                server: server.to_string(),
            })?;
        (username, password) = decoded;
    }
    Ok(Some(RegistryAuth {
        server: server.to_string(),
        username,
        password,
        identity_token: entry.identitytoken.clone(),
    }))
}

fn config_path(env: &Env) -> Option<PathBuf> {
    crate::engine::endpoint::docker_config_dir(env).map(|dir| dir.join("config.json"))
}

/// Whether a `config.json` key names `server`: keys may carry a scheme and
/// a path (`https://registry.example.com/v1/`).
fn same_registry(key: &str, server: &str) -> bool {
    let host = |s: &str| {
        let s = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .unwrap_or(s);
        s.split('/').next().unwrap_or(s).to_string()
    };
    key == server || host(key) == host(server)
}

/// Runs `docker-credential-<helper> get` with `server` on its input.
/// `None` when the helper has no credentials for it.
fn ask_helper(
    helper: &str,
    server: &str,
    env: &Env,
) -> Result<Option<RegistryAuth>, CredentialsError> {
    let program = format!("docker-credential-{helper}");
    let mut command = Command::new(&program);
    command
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(path) = env.get(env_vars::PATH) {
        command.env(env_vars::PATH, path);
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(source) => return Err(CredentialsError::HelperSpawn { program, source }),
    };
    if let Some(mut input) = child.stdin.take() {
        // A helper that exits without reading is judged by its answer below.
        let _ = input.write_all(server.as_bytes());
    }
    let output = match child.wait_with_output() {
        Ok(output) => output,
        Err(source) => return Err(CredentialsError::HelperWait { program, source }),
    };
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stdout).trim().to_string()
            + String::from_utf8_lossy(&output.stderr).trim();
        if said.to_ascii_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        return Err(CredentialsError::HelperFailed {
            program,
            server: server.to_string(),
            said,
        });
    }
    let answer: HelperAnswer = match serde_json::from_slice(&output.stdout) {
        Ok(answer) => answer,
        Err(source) => return Err(CredentialsError::HelperAnswer { program, source }),
    };
    // `<token>` as the user name means the secret is an identity token.
    Ok(Some(if answer.username == "<token>" {
        RegistryAuth {
            server: server.to_string(),
            identity_token: answer.secret,
            ..Default::default()
        }
    } else {
        RegistryAuth {
            server: server.to_string(),
            username: answer.username,
            password: answer.secret,
            identity_token: String::new(),
        }
    }))
}

/// The digest the engine recorded for `repository` among an image's
/// `RepoDigests` (`repo@sha256:...`, Docker Hub names often shortened).
pub fn repo_digest_for<'a>(repository: &str, repo_digests: &'a [String]) -> Option<&'a str> {
    let wanted = full_repository(repository);
    repo_digests.iter().find_map(|entry| {
        let (repo, digest) = entry.split_once('@')?;
        (full_repository(repo) == wanted).then_some(digest)
    })
}

/// `reference` pinned to `digest`: `repository:tag@digest`, the tag kept
/// so that readers still see which one was meant.
pub fn pin(reference: &str, digest: &str) -> String {
    let (repository, tag) = split_tag(reference);
    format!("{}:{tag}@{digest}", full_repository(repository))
}

/// Why an image has no digest.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    /// The image exists here but its registry does not know it (the caller
    /// words it, naming its flag).
    #[error("it was built locally and never pushed to {registry}")]
    NeverPushed { registry: String },
    /// The engine could not inspect the local image.
    #[error(transparent)]
    Engine(crate::engine::EngineError),
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error("neither the engine nor registry {registry} has it ({source})")]
    Unknown {
        registry: String,
        #[source]
        source: crate::engine::EngineError,
    },
    #[error("registry {registry}: {source}")]
    Registry {
        registry: String,
        #[source]
        source: crate::engine::EngineError,
    },
}

/// The manifest digest of `reference` (not pinned): the one the engine
/// recorded when the local image was pushed or pulled, else the one its
/// registry gives now, asked with the user's credentials.
pub async fn resolve_digest<E: crate::engine::Engine>(
    engine: &E,
    reference: &str,
    env: &Env,
) -> Result<String, DigestError> {
    use crate::engine::EngineError;
    let (repository, tag) = split_tag(reference);
    let local = engine
        .inspect_image(reference)
        .await
        .map_err(DigestError::Engine)?;
    if let Some(digest) = local
        .as_ref()
        .and_then(|image| repo_digest_for(repository, &image.repo_digests))
    {
        return Ok(digest.to_string());
    }
    let auth = credentials_for(reference, env)?;
    let tagged = format!("{repository}:{tag}");
    match engine.registry_digest(&tagged, auth.as_ref()).await {
        Ok(digest) => Ok(digest),
        Err(EngineError::NotFound(_)) if local.is_some() => Err(DigestError::NeverPushed {
            registry: registry_host(reference).to_string(),
        }),
        Err(source @ EngineError::NotFound(_)) => Err(DigestError::Unknown {
            registry: registry_host(reference).to_string(),
            source,
        }),
        Err(source) => Err(DigestError::Registry {
            registry: registry_host(reference).to_string(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with(dir: &std::path::Path, config: &str) -> Env {
        std::fs::write(dir.join("config.json"), config).unwrap();
        let mut env = Env::default();
        env.insert(env_vars::DOCKER_CONFIG.into(), dir.display().to_string());
        env.insert(
            env_vars::PATH.into(),
            format!("{}:/usr/bin:/bin", dir.display()),
        );
        env
    }

    #[test]
    fn the_registry_is_the_first_component_when_it_looks_like_a_host() {
        assert_eq!(registry_host("busybox"), "docker.io");
        assert_eq!(registry_host("library/busybox:1"), "docker.io");
        assert_eq!(registry_host("127.0.0.1:5000/app:1"), "127.0.0.1:5000");
        assert_eq!(registry_host("ghcr.io/a/b"), "ghcr.io");
        assert_eq!(registry_host("localhost/app"), "localhost");
    }

    #[test]
    fn auths_give_base64_or_plain_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let config = r#"{"auths": {
            "https://reg.example.com/v1/": {"auth": "dXNlcjpwYSNzOnM="},
            "127.0.0.1:5000": {"username": "bob", "password": "secret"}
        }}"#;
        let env = env_with(dir.path(), config);
        let auth = credentials_for("reg.example.com/app", &env)
            .unwrap()
            .unwrap();
        assert_eq!(
            (auth.username.as_str(), auth.password.as_str()),
            ("user", "pa#s:s")
        );
        let auth = credentials_for("127.0.0.1:5000/app:1", &env)
            .unwrap()
            .unwrap();
        assert_eq!(
            (auth.username.as_str(), auth.password.as_str()),
            ("bob", "secret")
        );
        assert_eq!(credentials_for("busybox", &env).unwrap(), None);
    }

    #[test]
    fn a_helper_answers_for_its_registry() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let helper = dir.path().join("docker-credential-test");
        std::fs::write(
            &helper,
            "#!/bin/sh\nread server\nif [ \"$server\" = ghcr.io ]; then\n  echo '{\"ServerURL\":\"ghcr.io\",\"Username\":\"<token>\",\"Secret\":\"tok\"}'\nelse\n  echo 'credentials not found in native keychain'; exit 1\nfi\n",
        )
        .unwrap();
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let config = r#"{"credHelpers": {"ghcr.io": "test"}, "credsStore": "test",
            "auths": {"https://index.docker.io/v1/": {"auth": "aHViOnB3"}}}"#;
        let env = env_with(dir.path(), config);
        let auth = credentials_for("ghcr.io/a/b", &env).unwrap().unwrap();
        assert_eq!(auth.identity_token, "tok");
        // The store has nothing for Docker Hub: the auths entry is used.
        let auth = credentials_for("busybox", &env).unwrap().unwrap();
        assert_eq!(auth.username, "hub");
    }

    #[test]
    fn a_missing_helper_or_a_bad_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_with(dir.path(), r#"{"credsStore": "nope-missing"}"#);
        let err = credentials_for("busybox", &env).unwrap_err();
        assert!(
            err.to_string().contains("docker-credential-nope-missing"),
            "{err}"
        );
        let env = env_with(dir.path(), "{not json");
        let err = credentials_for("busybox", &env).unwrap_err();
        assert!(err.to_string().contains("config.json"), "{err}");
    }

    #[test]
    fn tags_default_to_latest_and_ports_are_not_tags() {
        assert_eq!(split_tag("busybox"), ("busybox", "latest"));
        assert_eq!(split_tag("busybox:1.36"), ("busybox", "1.36"));
        assert_eq!(
            split_tag("127.0.0.1:5000/app"),
            ("127.0.0.1:5000/app", "latest")
        );
        assert_eq!(
            split_tag("127.0.0.1:5000/a/app:2"),
            ("127.0.0.1:5000/a/app", "2")
        );
        assert_eq!(
            split_tag("busybox:1@sha256:abc"),
            ("busybox:1@sha256:abc", "")
        );
        assert!(is_pinned("busybox@sha256:abc"));
        assert!(is_pinned("busybox:1@sha256:abc"));
        assert!(!is_pinned("127.0.0.1:5000/app:1"));
    }

    #[test]
    fn docker_hub_repositories_are_spelled_in_full() {
        assert_eq!(full_repository("busybox"), "docker.io/library/busybox");
        assert_eq!(
            full_repository("library/busybox"),
            "docker.io/library/busybox"
        );
        assert_eq!(
            full_repository("docker.io/busybox"),
            "docker.io/library/busybox"
        );
        assert_eq!(full_repository("me/app"), "docker.io/me/app");
        assert_eq!(full_repository("ghcr.io/me/app"), "ghcr.io/me/app");
        assert_eq!(full_repository("127.0.0.1:5000/app"), "127.0.0.1:5000/app");
    }

    #[test]
    fn the_repo_digest_is_the_one_of_the_same_repository() {
        let digests = vec![
            "127.0.0.1:5000/other@sha256:111".to_string(),
            "busybox@sha256:222".to_string(),
            "127.0.0.1:5000/app@sha256:333".to_string(),
        ];
        assert_eq!(
            repo_digest_for("127.0.0.1:5000/app", &digests),
            Some("sha256:333")
        );
        assert_eq!(
            repo_digest_for("docker.io/library/busybox", &digests),
            Some("sha256:222")
        );
        assert_eq!(repo_digest_for("127.0.0.1:5000/ap", &digests), None);
        assert_eq!(repo_digest_for("app", &digests), None);
    }

    #[test]
    fn a_pin_keeps_the_tag() {
        assert_eq!(
            pin("127.0.0.1:5000/app", "sha256:1"),
            "127.0.0.1:5000/app:latest@sha256:1"
        );
        assert_eq!(
            pin("127.0.0.1:5000/app:2", "sha256:1"),
            "127.0.0.1:5000/app:2@sha256:1"
        );
        assert_eq!(
            pin("busybox:1", "sha256:1"),
            "docker.io/library/busybox:1@sha256:1"
        );
    }

    #[test]
    fn an_auth_that_is_not_base64_names_the_file_and_registry() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_with(
            dir.path(),
            r#"{"auths": {"reg.example.com": {"auth": "!!"}}}"#,
        );
        let err = credentials_for("reg.example.com/app", &env).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: the auth of reg.example.com is not base64 of user:password",
                dir.path().join("config.json").display()
            )
        );
    }
}
