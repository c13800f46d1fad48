//! The build context: the files of the context directory that `.dockerignore`
//! lets through, as a tar archive streamed from disk to the engine.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::mpsc;

use crate::ignore::{PatternError, Patterns};

/// A `.dockerignore` that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreFileError {
    #[error("{}: {source}", path.display())]
    Pattern {
        path: PathBuf,
        #[source]
        source: PatternError,
    },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// What goes into a context archive.
#[derive(Clone, Debug)]
pub struct ContextSource {
    /// The context directory.
    pub root: PathBuf,
    /// The ignore rules in force.
    pub rules: Patterns,
    /// Paths always sent, ignore rules or not (the Dockerfile and `.dockerignore`).
    pub always: Vec<String>,
    /// Files that are not on disk under the root (an inline Dockerfile, or
    /// one outside the context), by their name in the archive.
    pub extra: Vec<(String, Vec<u8>)>,
}

/// The `.dockerignore` that applies to a build: `<Dockerfile>.dockerignore`
/// beside the Dockerfile when it exists, else the context's `.dockerignore`.
/// Returns the file read (if any) and its rules.
pub fn ignore_rules(
    root: &Path,
    dockerfile: Option<&Path>,
) -> Result<(Option<PathBuf>, Patterns), IgnoreFileError> {
    let specific = dockerfile.map(|d| {
        let mut name = d.as_os_str().to_owned();
        name.push(".dockerignore");
        PathBuf::from(name)
    });
    let candidates = specific.into_iter().chain([root.join(".dockerignore")]);
    for path in candidates {
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                return match Patterns::parse_file(&text) {
                    Ok(rules) => Ok((Some(path), rules)),
                    Err(source) => Err(IgnoreFileError::Pattern { path, source }),
                };
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => return Err(IgnoreFileError::Read { path, source }),
        }
    }
    Ok((None, Patterns::default()))
}

/// The relative paths (`/`-separated) of everything the archive holds from
/// disk, parents before children, sorted for a stable archive.
pub fn entries(source: &ContextSource) -> io::Result<Vec<String>> {
    let mut found = Vec::new();
    walk(source, &source.root, "", &mut found)?;
    for path in &source.always {
        if !found.contains(path) && source.root.join(path).symlink_metadata().is_ok() {
            found.push(path.clone());
        }
    }
    Ok(found)
}

fn walk(
    source: &ContextSource,
    dir: &Path,
    prefix: &str,
    found: &mut Vec<String>,
) -> io::Result<()> {
    let mut children: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot read {}: {e}", dir.display())))?
        .collect::<io::Result<_>>()?;
    children.sort_by_key(|c| c.file_name());
    for child in children {
        let name = child.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let kind = child.file_type()?;
        let excluded = source.rules.matches(&relative);
        if kind.is_dir() {
            if !excluded {
                found.push(relative.clone());
            }
            // Beneath an excluded directory only a `!` line can bring something back.
            if !excluded || source.rules.may_include_under(&relative) {
                walk(source, &child.path(), &relative, found)?;
            }
        } else if !excluded && (kind.is_file() || kind.is_symlink()) {
            found.push(relative);
        }
    }
    Ok(())
}

/// Writes the archive of `source` into `out`: symlinks stay links, and the
/// files beneath the root keep their modes and times.
pub fn write_tar(source: &ContextSource, out: impl Write) -> io::Result<()> {
    let mut tar = tar::Builder::new(out);
    tar.follow_symlinks(false);
    for relative in entries(source)? {
        tar.append_path_with_name(source.root.join(&relative), &relative)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot archive {relative}: {e}")))?;
    }
    for (name, content) in &source.extra {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, content.as_slice())?;
    }
    tar.into_inner()?.flush()
}

/// The archive of `source` as a stream of chunks, written on a blocking
/// thread while the engine reads it: a large context is never all in memory.
pub fn stream(source: ContextSource) -> BoxStream<'static, io::Result<Bytes>> {
    let (sender, receiver) = mpsc::channel::<io::Result<Bytes>>(16);
    tokio::task::spawn_blocking(move || {
        let writer = ChunkWriter {
            sender: sender.clone(),
        };
        let buffered = io::BufWriter::with_capacity(64 * 1024, writer);
        if let Err(e) = write_tar(&source, buffered) {
            let _ = sender.blocking_send(Err(e));
        }
    });
    stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    })
    .boxed()
}

/// Sends what is written as chunks to the stream's reader.
struct ChunkWriter {
    sender: mpsc::Sender<io::Result<Bytes>>,
}

impl Write for ChunkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sender
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the engine stopped reading"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(dir: &Path, rules: &str) -> ContextSource {
        ContextSource {
            root: dir.to_path_buf(),
            rules: Patterns::parse_file(rules).unwrap(),
            always: vec!["Dockerfile".into(), ".dockerignore".into()],
            extra: Vec::new(),
        }
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "Dockerfile",
            ".dockerignore",
            "app.py",
            "secret.env",
            "logs/a.log",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, file).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("node_modules/x")).unwrap();
        std::fs::write(dir.path().join("node_modules/x/keep.js"), "k").unwrap();
        std::os::unix::fs::symlink("app.py", dir.path().join("link")).unwrap();
        dir
    }

    #[test]
    fn ignored_paths_are_left_out_and_build_files_always_sent() {
        let dir = tree();
        let rules = "secret.env\nlogs\nnode_modules\nDockerfile\n.dockerignore\n";
        let found = entries(&source(dir.path(), rules)).unwrap();
        assert_eq!(found, ["app.py", "link", "Dockerfile", ".dockerignore"]);
    }

    #[test]
    fn an_exception_reaches_into_an_excluded_directory() {
        let dir = tree();
        let found = entries(&source(
            dir.path(),
            "node_modules\n!node_modules/x/keep.js\n",
        ))
        .unwrap();
        assert!(
            found.contains(&"node_modules/x/keep.js".to_string()),
            "{found:?}"
        );
        assert!(!found.contains(&"node_modules".to_string()), "{found:?}");
    }

    #[test]
    fn the_archive_keeps_symlinks_and_adds_extra_files() {
        let dir = tree();
        let mut source = source(dir.path(), "logs\nnode_modules\n");
        source
            .extra
            .push((".dockerfile.inline".into(), b"FROM scratch\n".to_vec()));
        let mut bytes = Vec::new();
        write_tar(&source, &mut bytes).unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let path = entry.path().unwrap().display().to_string();
            if path == "link" {
                assert_eq!(entry.header().entry_type(), tar::EntryType::Symlink);
                assert_eq!(entry.link_name().unwrap().unwrap().to_str(), Some("app.py"));
            }
            seen.push(path);
        }
        assert!(seen.contains(&".dockerfile.inline".to_string()), "{seen:?}");
        assert!(!seen.iter().any(|p| p.starts_with("logs")), "{seen:?}");
    }

    #[test]
    fn the_dockerfile_specific_ignore_file_wins() {
        let dir = tree();
        std::fs::write(dir.path().join("Dockerfile.dockerignore"), "app.py\n").unwrap();
        std::fs::write(dir.path().join(".dockerignore"), "secret.env\n").unwrap();
        let (file, rules) = ignore_rules(dir.path(), Some(&dir.path().join("Dockerfile"))).unwrap();
        assert!(file.unwrap().ends_with("Dockerfile.dockerignore"));
        assert!(rules.matches("app.py"));
        assert!(!rules.matches("secret.env"));
        let (file, rules) = ignore_rules(dir.path(), None).unwrap();
        assert!(file.unwrap().ends_with(".dockerignore"));
        assert!(rules.matches("secret.env"));
    }

    #[test]
    fn ignore_file_errors_name_the_file() {
        let e = IgnoreFileError::Read {
            path: PathBuf::from("/ctx/.dockerignore"),
            source: io::Error::from(io::ErrorKind::PermissionDenied),
        };
        assert_eq!(
            e.to_string(),
            "cannot read /ctx/.dockerignore: permission denied"
        );
    }
}
