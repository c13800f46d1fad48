//! Relative paths → absolute paths (owned by the transform helper; see issue 2).
//!
//! Mirrors what Compose does once every file is merged and made canonical:
//! each attribute that names a file or directory on the host is resolved
//! against the project's working directory, `~` is expanded, and the result
//! is cleaned the way Go's `filepath.Join` cleans (no `.`/`..`, no trailing
//! `/`). Paths that are already absolute (Unix or Windows style) are kept as
//! written.
//!
//! Which attributes are paths is a table of dotted patterns ([`RESOLVERS`]);
//! the walk stops at the first pattern that matches, like Compose's.

use std::path::Path;

use crate::diag::Diagnostic;
use crate::load::node::{Kind, Node};

/// Makes every path of the model absolute against `working_dir` (build
/// contexts, env files, bind sources with `~` expanded from `home`, ...).
pub fn resolve_paths(
    root: &mut Node,
    working_dir: &Path,
    home: Option<&Path>,
) -> Result<(), Diagnostic> {
    let ctx = Resolver {
        working_dir: working_dir.to_string_lossy().into_owned(),
        home: home.map(|h| h.to_string_lossy().into_owned()),
    };
    let mut path = Vec::new();
    ctx.walk(root, &mut path)
}

/// How one kind of path attribute is resolved.
#[derive(Clone, Copy)]
enum How {
    /// Build contexts: kept when they are URLs, git remotes or `service:` refs.
    Context,
    /// Plain host paths (`env_file`, `label_file`, include paths).
    Abs,
    /// Host paths that may already be absolute in Windows syntax.
    MaybeUnix,
    /// `extends.file`: kept when it names a remote resource.
    Extends,
    /// `develop.watch.path`: made absolute, then its first symlink resolved.
    Symlink,
    /// A service volume: only bind mounts have a host path.
    VolumeMount,
    /// A top-level volume: the `device` of a local-driver bind.
    VolumeDriverOpts,
}

static RESOLVER_TABLE: std::sync::LazyLock<crate::load::tree_path::PathTable<How>> =
    std::sync::LazyLock::new(|| crate::load::tree_path::PathTable::new(RESOLVERS));

const RESOLVERS: &[(&str, How)] = &[
    ("services.*.build.context", How::Context),
    ("services.*.build.additional_contexts.*", How::Context),
    ("services.*.build.ssh.*", How::MaybeUnix),
    ("services.*.env_file.*.path", How::Abs),
    ("services.*.label_file.*", How::Abs),
    ("services.*.extends.file", How::Extends),
    ("services.*.develop.watch.*.path", How::Symlink),
    ("services.*.volumes.*", How::VolumeMount),
    ("configs.*.file", How::MaybeUnix),
    ("secrets.*.file", How::MaybeUnix),
    // compose-go lists these as `include.path` etc., which never match the
    // items of the `include` list; we resolve each item's attributes.
    ("include.*.path", How::Abs),
    ("include.*.project_directory", How::Abs),
    ("include.*.env_file", How::Abs),
    ("volumes.*", How::VolumeDriverOpts),
];

/// A path as Compose prints it in messages (`services.web.volumes.[]`).
pub(crate) fn path_string(path: &[String]) -> String {
    path.join(".")
}

struct Resolver {
    working_dir: String,
    home: Option<String>,
}

impl Resolver {
    fn walk(&self, node: &mut Node, path: &mut Vec<String>) -> Result<(), Diagnostic> {
        if let Some(how) = RESOLVER_TABLE.find(path) {
            return self.apply(*how, node, path);
        }
        if !RESOLVER_TABLE.may_match_below(path) {
            return Ok(());
        }
        // What an alias shares is copied only where a path is resolved.
        node.update_children_at(path, |child, path| self.walk(child, path))
    }

    fn apply(&self, how: How, node: &mut Node, path: &[String]) -> Result<(), Diagnostic> {
        match how {
            How::Context => {
                if let Kind::Str(s) = &node.kind
                    && !is_special_context(s)
                {
                    let resolved = self.abs_path(s);
                    node.kind = Kind::Str(resolved.into());
                }
                Ok(())
            }
            How::Abs => self.abs_node(node, path),
            How::MaybeUnix => {
                self.maybe_unix_node(node);
                Ok(())
            }
            How::Extends => {
                if let Kind::Str(s) = &node.kind
                    && !is_remote_resource(s)
                {
                    let resolved = self.abs_path(s);
                    node.kind = Kind::Str(resolved.into());
                }
                Ok(())
            }
            How::Symlink => {
                self.abs_node(node, path)?;
                if let Kind::Str(s) = &node.kind {
                    let resolved = resolve_symbolic_link(s).map_err(|e| {
                        Diagnostic::new(format!("{}: {e}", path_string(path)))
                            .at(node.span)
                            .hint("the watched path goes through a symbolic link that cannot be followed")
                    })?;
                    node.kind = Kind::Str(resolved.into());
                }
                Ok(())
            }
            How::VolumeMount => self.volume_mount(node),
            How::VolumeDriverOpts => {
                self.volume_driver_opts(node);
                Ok(())
            }
        }
    }

    /// `~` expansion; without a home directory the path is left as written.
    fn expand_user(&self, p: &str) -> String {
        match (p.strip_prefix('~'), &self.home) {
            (Some(rest), Some(home)) => join(&[home, rest]),
            _ => p.to_string(),
        }
    }

    /// compose-go's `absPath` for one string.
    fn abs_path(&self, p: &str) -> String {
        let p = self.expand_user(p);
        if p.starts_with('/') || p.is_empty() {
            return p;
        }
        join(&[&self.working_dir, &p])
    }

    /// compose-go's `absPath`: a string or a list of strings.
    fn abs_node(&self, node: &mut Node, path: &[String]) -> Result<(), Diagnostic> {
        match &mut node.kind {
            Kind::Str(s) => {
                *s = self.abs_path(s).into();
                Ok(())
            }
            Kind::Seq(items) => {
                for item in items.make_mut() {
                    self.abs_node(item, path)?;
                }
                Ok(())
            }
            _ => Err(Diagnostic::new(format!(
                "{}: unexpected type {}",
                path_string(path),
                go_type_name(node)
            ))
            .at(node.span)
            .hint("write this path as a string")),
        }
    }

    /// compose-go's `maybeUnixPath`: relative paths are joined to the working
    /// directory, absolute Unix or Windows paths are kept; non-strings too.
    fn maybe_unix_path(&self, p: &str) -> String {
        let p = self.expand_user(p);
        if p.starts_with('/') || is_windows_abs(&p) {
            return p;
        }
        join(&[&self.working_dir, &p])
    }

    fn maybe_unix_node(&self, node: &mut Node) {
        if let Kind::Str(s) = &mut node.kind {
            *s = self.maybe_unix_path(s).into();
        }
    }

    fn volume_mount(&self, node: &mut Node) -> Result<(), Diagnostic> {
        let span = node.span;
        let Some(map) = node.as_map_mut() else {
            // not in canonical form: nothing to resolve
            return Ok(());
        };
        if map.get("type").and_then(Node::as_str) != Some("bind") {
            return Ok(());
        }
        match map.get_mut("source") {
            None => Err(Diagnostic::new(
                r#"invalid mount config for type "bind": field Source must not be empty"#,
            )
            .at(span)
            .hint("set `source` to the host path to mount")),
            Some(src) => {
                if !matches!(src.kind, Kind::Str(_)) {
                    return Err(Diagnostic::new(format!(
                        r#"invalid mount config for type "bind": source must be a string, not {}"#,
                        src.type_name()
                    ))
                    .at(src.span)
                    .hint("set `source` to the host path to mount"));
                }
                self.maybe_unix_node(src);
                Ok(())
            }
        }
    }

    fn volume_driver_opts(&self, node: &mut Node) {
        let Some(vol) = node.as_map_mut() else { return };
        if vol.get("driver").and_then(Node::as_str) != Some("local") {
            return;
        }
        let Some(opts) = vol.get_mut("driver_opts").and_then(Node::as_map_mut) else {
            return;
        };
        if opts.get("o").and_then(Node::as_str) != Some("bind") {
            return;
        }
        if let Some(dev) = opts.get_mut("device") {
            self.maybe_unix_node(dev);
        }
    }
}

/// Build contexts that are not local directories: any `scheme://`, a
/// `service:` reference, or a git remote.
fn is_special_context(v: &str) -> bool {
    v.contains("://")
        || v.starts_with("service:")
        || v.starts_with("github.com/")
        || v.starts_with("git@")
}

/// Whether `extends.file` names a resource the remote loaders would fetch
/// instead of a local file: an OCI artifact, or a git reference (an HTTP(S)
/// URL counts only when its path ends in `.git`).
fn is_remote_resource(v: &str) -> bool {
    if v.starts_with("oci://")
        || ["git://", "ssh://", "git@", "github.com/"]
            .iter()
            .any(|p| v.starts_with(p))
    {
        return true;
    }
    if v.starts_with("https://") || v.starts_with("http://") {
        let without_fragment = v.split('#').next().unwrap_or(v);
        let path = without_fragment
            .split('?')
            .next()
            .unwrap_or(without_fragment);
        return path.ends_with(".git");
    }
    false
}

/// Go's `%T` for the values a YAML decoder produces.
pub(crate) fn go_type_name(node: &Node) -> &'static str {
    match node.kind {
        Kind::Null => "<nil>",
        Kind::Bool(_) => "bool",
        Kind::Int(_) => "int",
        Kind::Float(_) => "float64",
        Kind::Str(_) => "string",
        Kind::Seq(_) => "[]interface {}",
        Kind::Map(_) => "map[string]interface {}",
    }
}

/// Lexical cleaning of a slash-separated path, as Go's `path.Clean`:
/// repeated slashes collapse, `.` goes away, `..` eats the previous element
/// (or stays at the start of a relative path), no trailing slash; the empty
/// path is `.`.
pub(crate) fn clean(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            _ => parts.push(part),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

/// Go's `filepath.Join` on Unix: the non-empty elements joined with `/`,
/// then cleaned; empty when every element is.
pub(crate) fn join(elems: &[&str]) -> String {
    let parts: Vec<&str> = elems.iter().copied().filter(|e| !e.is_empty()).collect();
    if parts.is_empty() {
        return String::new();
    }
    clean(&parts.join("/"))
}

fn is_sep(c: u8) -> bool {
    c == b'/' || c == b'\\'
}

/// Whether `p` is an absolute Windows path (`C:\x`, `C:/x`, `\\host\share`,
/// `\\?\...`), checked on any platform so that a Windows client can talk to
/// a Unix engine and back.
pub(crate) fn is_windows_abs(p: &str) -> bool {
    let b = p.as_bytes();
    let vol = windows_volume_len(b);
    if vol == 0 {
        return false;
    }
    if is_sep(b[0]) && b.len() > 1 && is_sep(b[1]) {
        return true;
    }
    b.get(vol).is_some_and(|&c| is_sep(c))
}

/// Length of the volume name at the start of a Windows path (0 if none).
fn windows_volume_len(b: &[u8]) -> usize {
    if b.len() >= 2 && b[1] == b':' {
        return 2;
    }
    if b.is_empty() || !is_sep(b[0]) {
        return 0;
    }
    if has_prefix_fold(b, br"\\.\UNC") {
        return unc_len(b, br"\\.\UNC\".len());
    }
    if has_prefix_fold(b, br"\\.") || has_prefix_fold(b, br"\\?") || has_prefix_fold(b, br"\??") {
        if b.len() == 3 {
            return 3;
        }
        // the device name after the prefix is part of the volume
        let rest = &b[4..];
        return match rest.iter().position(|&c| is_sep(c)) {
            Some(i) => 4 + i,
            None => b.len(),
        };
    }
    if b.len() >= 2 && is_sep(b[1]) {
        return unc_len(b, 2);
    }
    0
}

/// Case-insensitive prefix test where both slashes count as separators and
/// the prefix must end at a separator (or at the end of `s`).
fn has_prefix_fold(s: &[u8], prefix: &[u8]) -> bool {
    if s.len() < prefix.len() {
        return false;
    }
    for (i, &c) in prefix.iter().enumerate() {
        let ok = if is_sep(c) {
            is_sep(s[i])
        } else {
            c.eq_ignore_ascii_case(&s[i])
        };
        if !ok {
            return false;
        }
    }
    s.len() == prefix.len() || is_sep(s[prefix.len()])
}

/// `\\host\share` prefix length: up to the second separator after `start`.
fn unc_len(b: &[u8], start: usize) -> usize {
    let mut count = 0;
    for (i, &c) in b.iter().enumerate().skip(start) {
        if is_sep(c) {
            count += 1;
            if count == 2 {
                return i;
            }
        }
    }
    b.len()
}

/// A symbolic link on a watched path that cannot be followed.
#[derive(Debug, thiserror::Error)]
#[error("cannot resolve symbolic link {link}: {source}")]
struct SymlinkError {
    link: String,
    #[source]
    source: std::io::Error,
}

/// Replaces the first component of `path` that is a symbolic link by the
/// fully resolved path it points to; `path` is returned as is when no
/// component is a link (or does not exist).
fn resolve_symbolic_link(path: &str) -> Result<String, SymlinkError> {
    let mut current = if path.starts_with('/') {
        "/".to_string()
    } else {
        String::new()
    };
    for part in path.split('/').filter(|p| !p.is_empty()) {
        current = join(&[&current, part]);
        let is_link = std::fs::symlink_metadata(&current).is_ok_and(|m| m.file_type().is_symlink());
        if is_link {
            let target = match std::fs::canonicalize(&current) {
                Ok(target) => target,
                Err(source) => {
                    return Err(SymlinkError {
                        link: current,
                        source,
                    });
                }
            };
            return Ok(path.replacen(&current, &target.to_string_lossy(), 1));
        }
    }
    Ok(path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse_documents;
    use serde_json::{Value, json};

    fn resolve(text: &str, home: Option<&str>) -> Result<Value, Diagnostic> {
        let mut root = parse_documents(text, 0).unwrap().remove(0);
        resolve_paths(&mut root, Path::new("/project"), home.map(Path::new))?;
        Ok(root.to_json())
    }

    fn yaml(text: &str) -> Value {
        parse_documents(text, 0).unwrap().remove(0).to_json()
    }

    /// Each case: a model fragment as written and with its paths resolved
    /// against `/project` with home `/home/u`.
    #[test]
    fn relative_paths() {
        let cases: &[(&str, &str)] = &[
            (
                "services: {web: {build: {context: .}}}",
                "services: {web: {build: {context: /project}}}",
            ),
            (
                "services: {web: {build: {context: ./dir/}}}",
                "services: {web: {build: {context: /project/dir}}}",
            ),
            (
                "services: {web: {build: {context: ../up}}}",
                "services: {web: {build: {context: /up}}}",
            ),
            (
                "services: {web: {build: {context: ~/ctx}}}",
                "services: {web: {build: {context: /home/u/ctx}}}",
            ),
            (
                "services: {web: {build: {context: /abs//x/}}}",
                "services: {web: {build: {context: /abs//x/}}}",
            ),
            (
                "services: {web: {build: {context: 'https://github.com/a/b.git#main'}}}",
                "services: {web: {build: {context: 'https://github.com/a/b.git#main'}}}",
            ),
            (
                "services: {web: {build: {context: 'git@github.com:a/b.git'}}}",
                "services: {web: {build: {context: 'git@github.com:a/b.git'}}}",
            ),
            (
                "services: {web: {build: {context: 'github.com/a/b'}}}",
                "services: {web: {build: {context: 'github.com/a/b'}}}",
            ),
            (
                "services: {web: {build: {context: ., additional_contexts: \
                 {a: ./a, b: 'docker-image://alpine', c: 'service:base', d: 'oci-layout://x'}}}}",
                "services: {web: {build: {context: /project, additional_contexts: \
                 {a: /project/a, b: 'docker-image://alpine', c: 'service:base', d: 'oci-layout://x'}}}}",
            ),
            (
                "services: {web: {build: {ssh: {default: null, key: ./id_rsa, abs: /k, win: 'C:\\\\k'}}}}",
                "services: {web: {build: {ssh: {default: null, key: /project/id_rsa, abs: /k, win: 'C:\\\\k'}}}}",
            ),
            (
                "services: {web: {env_file: [{path: .env, required: true}, {path: /etc/e}]}}",
                "services: {web: {env_file: [{path: /project/.env, required: true}, {path: /etc/e}]}}",
            ),
            (
                "services: {web: {label_file: [a/../l]}}",
                "services: {web: {label_file: [/project/l]}}",
            ),
            (
                "services: {web: {extends: {service: b, file: ../base.yml}}}",
                "services: {web: {extends: {service: b, file: /base.yml}}}",
            ),
            (
                "services: {web: {extends: {service: b, file: 'oci://registry/x'}}}",
                "services: {web: {extends: {service: b, file: 'oci://registry/x'}}}",
            ),
            (
                "services: {web: {extends: {service: b, file: 'https://example.com/r.git#main:c.yml'}}}",
                "services: {web: {extends: {service: b, file: 'https://example.com/r.git#main:c.yml'}}}",
            ),
            (
                "services: {web: {volumes: [{type: bind, source: ./src, target: /app}, \
                 {type: bind, source: ~/x, target: /x}, {type: bind, source: 'C:\\\\d', target: /d}, \
                 {type: volume, source: ./notapath, target: /v}, './short:/s']}}",
                "services: {web: {volumes: [{type: bind, source: /project/src, target: /app}, \
                 {type: bind, source: /home/u/x, target: /x}, {type: bind, source: 'C:\\\\d', target: /d}, \
                 {type: volume, source: ./notapath, target: /v}, './short:/s']}}",
            ),
            (
                "configs: {a: {file: ./a}, b: {file: /b}, c: {external: true}}\nsecrets: {s: {file: ~/s}}",
                "configs: {a: {file: /project/a}, b: {file: /b}, c: {external: true}}\nsecrets: {s: {file: /home/u/s}}",
            ),
            (
                "include: [{path: [a.yml, ./b/c.yml], project_directory: .., env_file: [.env]}]",
                "include: [{path: [/project/a.yml, /project/b/c.yml], project_directory: /, env_file: [/project/.env]}]",
            ),
            (
                "volumes: {d: {driver: local, driver_opts: {type: none, o: bind, device: ./data}}, \
                 e: {driver: local, driver_opts: {o: nobind, device: ./data}}, \
                 f: {driver: other, driver_opts: {o: bind, device: ./data}}, g: null}",
                "volumes: {d: {driver: local, driver_opts: {type: none, o: bind, device: /project/data}}, \
                 e: {driver: local, driver_opts: {o: nobind, device: ./data}}, \
                 f: {driver: other, driver_opts: {o: bind, device: ./data}}, g: null}",
            ),
            // other attributes are not paths
            (
                "services: {web: {working_dir: ./w, image: ./i}}",
                "services: {web: {working_dir: ./w, image: ./i}}",
            ),
        ];
        for (before, after) in cases {
            assert_eq!(
                resolve(before, Some("/home/u")).unwrap(),
                yaml(after),
                "{before}"
            );
        }
    }

    #[test]
    fn tilde_without_home_is_kept() {
        let got = resolve(
            "services: {web: {volumes: [{type: bind, source: ~/x, target: /x}]}}",
            None,
        )
        .unwrap();
        assert_eq!(
            got["services"]["web"]["volumes"][0]["source"],
            json!("/project/~/x")
        );
        let got = resolve("services: {web: {env_file: [{path: ~/e}]}}", None).unwrap();
        assert_eq!(
            got["services"]["web"]["env_file"][0]["path"],
            json!("/project/~/e")
        );
    }

    #[test]
    fn bind_without_source_is_an_error() {
        let text = "services:\n  web:\n    volumes:\n      - {type: bind, target: /x}\n";
        let e = resolve(text, None).unwrap_err();
        assert_eq!(
            e.message,
            r#"invalid mount config for type "bind": field Source must not be empty"#
        );
        assert_eq!(e.span.map(|s| s.line_col(text).0), Some(4));
        let e = resolve("services: {web: {env_file: [{path: 1}]}}", None).unwrap_err();
        assert_eq!(
            e.message,
            "services.web.env_file.[].path: unexpected type int"
        );
    }

    #[test]
    fn watch_paths_follow_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&real, tmp.path().join("link")).unwrap();
        let mut root = parse_documents(
            "services: {web: {develop: {watch: [{path: link/sub, action: sync}, {path: plain, action: rebuild}]}}}",
            0,
        )
        .unwrap()
        .remove(0);
        resolve_paths(&mut root, tmp.path(), None).unwrap();
        let watch = &root.to_json()["services"]["web"]["develop"]["watch"];
        let real = std::fs::canonicalize(&real).unwrap();
        assert_eq!(watch[0]["path"], json!(format!("{}/sub", real.display())));
        assert_eq!(
            watch[1]["path"],
            json!(format!("{}/plain", tmp.path().display()))
        );
    }

    #[test]
    fn clean_like_go() {
        let cases = [
            ("", "."),
            (".", "."),
            ("/", "/"),
            ("a/", "a"),
            ("//a//b/./c/", "/a/b/c"),
            ("a/../../b", "../b"),
            ("/../a", "/a"),
            ("a/b/../../..", ".."),
            ("../../x/..", "../.."),
        ];
        for (raw, want) in cases {
            assert_eq!(clean(raw), want, "{raw}");
        }
        assert_eq!(join(&["/w", ""]), "/w");
        assert_eq!(join(&["", ""]), "");
        assert_eq!(join(&["/home/u", "/x/"]), "/home/u/x");
    }

    #[test]
    fn windows_absolute_paths() {
        for p in [
            r"C:\x",
            "C:/x",
            r"\\host\share\x",
            r"\\?\C:\x",
            r"\\.\pipe\docker",
        ] {
            assert!(is_windows_abs(p), "{p}");
        }
        for p in ["C:", "C:x", r"\x", "x", "", "/x"] {
            assert!(!is_windows_abs(p), "{p}");
        }
    }
}
