//! `cp`: copies files and folders between a service's containers and the
//! host through the engine's archive API, with `docker cp`'s rules: a
//! destination that is a directory receives the source under its own name,
//! any other destination is the new name of the source.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use super::error::Failure;
use super::open::{self, CliEngine};
use super::{Error, Settings};
use crate::engine::{Container, Engine, EngineError};
use crate::events::{Emitter, Kind, Status, Word};

/// What `cp` is asked.
#[derive(Clone, Debug, Default)]
pub struct CpRequest {
    /// `SERVICE:SRC_PATH`, or a host path (`-`: a tar archive on standard input).
    pub source: String,
    /// A host path (`-`: a tar archive on standard output), or `SERVICE:DEST_PATH`.
    pub destination: String,
    /// The replica (default: from the first, to every one).
    pub index: Option<u32>,
    /// Copied files belong to the container's user (in) or keep their owners (out).
    pub archive: bool,
    /// Follows a source that is a symbolic link.
    pub follow_link: bool,
    /// Includes the one-off containers of `run` (after the replicas).
    pub all: bool,
}

/// One side of a copy.
#[derive(Debug, PartialEq)]
enum Location<'a> {
    Host(&'a str),
    Service { service: &'a str, path: &'a str },
}

/// Which way a copy goes, with the paths on either side.
enum Direction<'a> {
    /// Container → host.
    Out { src: &'a str, dest: &'a str },
    /// Host → container.
    In { src: &'a str, dest: &'a str },
}

/// `web:/etc/x` names a service's path; a path with a colon in it starts
/// with `/` or `./` to stay on the host, as with `docker cp`.
fn location(text: &str) -> Location<'_> {
    match text.split_once(':') {
        Some((service, path)) if !service.is_empty() && !service.contains('/') => {
            Location::Service { service, path }
        }
        _ => Location::Host(text),
    }
}

/// Copies as `request` says.
pub fn cp(settings: &Settings, args: &CpRequest) -> Result<(), Error> {
    let (service, copy) = match (location(&args.source), location(&args.destination)) {
        (Location::Service { service, path }, Location::Host(dest)) => {
            (service.to_string(), Direction::Out { src: path, dest })
        }
        (Location::Host(src), Location::Service { service, path }) => {
            (service.to_string(), Direction::In { src, dest: path })
        }
        (Location::Service { .. }, Location::Service { .. }) => {
            return Err(Error::Usage(
                "cp copies between a service and the host, not between services".into(),
            ));
        }
        (Location::Host(_), Location::Host(_)) => {
            return Err(Error::Usage(
                "cp needs a SERVICE:PATH as source or destination".into(),
            ));
        }
    };
    let (runtime, prepared) = open::open(settings, std::slice::from_ref(&service))?;
    let engine = prepared.engine;
    runtime.block_on(async {
        let containers =
            open::containers(&engine, &prepared.desired.project, prepared.listing).await?;
        let containers = targets(containers, &service, args)?;
        let engine = &engine;
        let copying = |events: Emitter| async move {
            // One progress line per copy: `Container p-web-1  Copied: a.txt to p-web-1:/a.txt`.
            let progress = |c: &Container, what: &str, done: Option<&Result<(), Error>>| {
                let (status, text) = match done {
                    None => (Status::Working, Word::Copying),
                    Some(Ok(_)) => (Status::Done, Word::Copied),
                    Some(Err(_)) => (Status::Error, Word::Error),
                };
                events.emit(Kind::Container, &c.name, status, text, what);
            };
            match copy {
                Direction::Out { src, dest } => {
                    let c = &containers[0];
                    let what = format!("{}:{src} to {dest}", c.name);
                    progress(c, &what, None);
                    let result = copy_out(engine, c, src, dest, args).await;
                    progress(c, &what, Some(&result));
                    result
                }
                Direction::In { src, dest } => {
                    // An archive on standard input can be read only once, for every replica.
                    let piped = match src {
                        "-" => Some(read_stdin()?),
                        _ => None,
                    };
                    let mut result = Ok(());
                    for c in &containers {
                        let what = format!("{src} to {}:{dest}", c.name);
                        progress(c, &what, None);
                        result = match &piped {
                            Some(archive) => upload_archive(engine, c, dest, archive, args).await,
                            None => copy_in(engine, c, src, dest, args).await,
                        };
                        progress(c, &what, Some(&result));
                        if result.is_err() {
                            break;
                        }
                    }
                    result
                }
            }
        };
        settings.progress.show("Copying", copying).await
    })
}

/// The containers of `service` a copy goes to or comes from: its replicas
/// (replica `index` alone, when given) by number, then with `all` its one-offs.
fn targets(
    containers: Vec<Container>,
    service: &str,
    args: &CpRequest,
) -> Result<Vec<Container>, Error> {
    let one_offs: Vec<Container> = containers
        .iter()
        .filter(|c| args.all && c.is_oneoff() && c.service() == service)
        .cloned()
        .collect();
    let mut containers = match open::replicas(containers, service, args.index, false) {
        Ok(replicas) => replicas,
        Err(_) if !one_offs.is_empty() && args.index.is_none() => Vec::new(),
        Err(e) => return Err(e),
    };
    containers.sort_by_key(Container::number);
    containers.extend(one_offs);
    Ok(containers)
}

/// Container → host.
async fn copy_out(
    engine: &CliEngine,
    c: &Container,
    src: &str,
    dest: &str,
    args: &CpRequest,
) -> Result<(), Error> {
    let missing = |e: EngineError| match e {
        EngineError::NotFound(_) => Failure::NoSuchPath {
            service: c.service().to_string(),
            path: src.to_string(),
        }
        .into(),
        e => Error::Engine(e),
    };
    let mut archive = engine.download(&c.id, src).await.map_err(missing)?;
    if args.follow_link
        && let Some(target) = link_target(&archive)?
    {
        let resolved = match Path::new(&target).is_absolute() {
            true => PathBuf::from(&target),
            false => Path::new(src)
                .parent()
                .unwrap_or(Path::new("/"))
                .join(&target),
        };
        archive = engine
            .download(&c.id, &resolved.to_string_lossy())
            .await
            .map_err(missing)?;
    }
    if dest == "-" {
        let mut out = std::io::stdout().lock();
        out.write_all(&archive)
            .and_then(|_| out.flush())
            .map_err(Failure::CannotWriteArchive)?;
        return Ok(());
    }
    extract(&archive, Path::new(dest), args.archive).map_err(|source| Failure::CannotCopyTo {
        path: dest.to_string(),
        source,
    })?;
    Ok(())
}

/// Where the root entry of `archive` links to, when it is a symbolic link.
fn link_target(archive: &[u8]) -> Result<Option<String>, Failure> {
    let mut entries = tar::Archive::new(archive);
    let bad = Failure::BadArchive;
    let Some(first) = entries.entries().map_err(bad)?.next() else {
        return Ok(None);
    };
    let first = first.map_err(bad)?;
    if !first.header().entry_type().is_symlink() {
        return Ok(None);
    }
    Ok(first
        .link_name()
        .map_err(bad)?
        .map(|l| l.to_string_lossy().into_owned()))
}

/// Unpacks `archive` (one root entry, under the source's name) at `dest`:
/// into it when it is a directory, as it otherwise.
fn extract(archive: &[u8], dest: &Path, owners: bool) -> std::io::Result<()> {
    let into_dir = dest.is_dir();
    if !into_dir && dest.to_string_lossy().ends_with('/') {
        return Err(std::io::Error::other("no such directory"));
    }
    let mut unpacker = tar::Archive::new(archive);
    unpacker.set_preserve_permissions(true);
    unpacker.set_preserve_ownerships(owners);
    unpacker.set_overwrite(true);
    for entry in unpacker.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let mut parts = path.components().filter(|p| *p != Component::CurDir);
        let Some(root) = parts.next() else { continue };
        let rest: PathBuf = parts.collect();
        if rest
            .components()
            .chain([root])
            .any(|p| !matches!(p, Component::Normal(_)))
        {
            return Err(std::io::Error::other(format!(
                "the archive names a path outside the destination: {}",
                path.display()
            )));
        }
        let base = if into_dir {
            dest.join(root)
        } else {
            dest.to_path_buf()
        };
        let target = if rest.as_os_str().is_empty() {
            base
        } else {
            base.join(rest)
        };
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        if entry.header().entry_type().is_dir() && target.is_file() {
            return Err(std::io::Error::other(format!(
                "cannot copy a directory over the file {}",
                target.display()
            )));
        }
        entry.unpack(&target)?;
    }
    Ok(())
}

/// Host → container.
async fn copy_in(
    engine: &CliEngine,
    c: &Container,
    src: &str,
    dest: &str,
    args: &CpRequest,
) -> Result<(), Error> {
    let mut source = PathBuf::from(src);
    if args.follow_link {
        source = std::fs::canonicalize(&source).map_err(|e| Failure::CannotFollow {
            path: src.to_string(),
            source: e,
        })?;
    }
    if std::fs::symlink_metadata(&source).is_err() {
        return Err(Failure::NoSuchHostPath(src.to_string()).into());
    }
    // `dir/.` copies what is in the directory, not the directory itself.
    let contents = src.ends_with("/.") || src == ".";
    let own_name = match source.file_name() {
        Some(name) if !contents => name.to_string_lossy().into_owned(),
        _ => String::new(),
    };
    // Into the destination when it is a directory there...
    let archive = pack(&source, &own_name, contents)?;
    match engine
        .upload(&c.id, dest, archive.into(), args.archive)
        .await
    {
        Ok(()) => return Ok(()),
        Err(
            EngineError::NotFound(_)
            | EngineError::NotADirectory { .. }
            | EngineError::Refused(_)
            | EngineError::Client(_),
        ) if !dest.ends_with('/') => {}
        // `DIR/` names a directory that must be there, as for `docker cp`.
        Err(e) => return Err(no_directory(e, c, dest)),
    }
    // ...else as the destination, in its parent directory.
    let dest_path = Path::new(dest);
    let (Some(parent), Some(name)) = (dest_path.parent(), dest_path.file_name()) else {
        return Err(Failure::NotAPlaceToCopyTo {
            service: c.service().to_string(),
            path: dest.to_string(),
        }
        .into());
    };
    let parent = match parent.as_os_str().is_empty() {
        true => ".".to_string(),
        false => parent.to_string_lossy().into_owned(),
    };
    let archive = pack(&source, &name.to_string_lossy(), contents)?;
    engine
        .upload(&c.id, &parent, archive.into(), args.archive)
        .await
        .map_err(|e| no_directory(e, c, &parent))?;
    Ok(())
}

/// The tar archive on standard input (`cp - SERVICE:DEST`).
fn read_stdin() -> Result<bytes::Bytes, Failure> {
    let mut archive = Vec::new();
    std::io::stdin()
        .read_to_end(&mut archive)
        .map_err(Failure::CannotReadArchive)?;
    Ok(archive.into())
}

/// Unpacks `archive` into the directory `dest` of `c`.
async fn upload_archive(
    engine: &CliEngine,
    c: &Container,
    dest: &str,
    archive: &bytes::Bytes,
    args: &CpRequest,
) -> Result<(), Error> {
    engine
        .upload(&c.id, dest, archive.clone(), args.archive)
        .await
        .map_err(|e| no_directory(e, c, dest))?;
    Ok(())
}

/// The error of an upload into `dir`, which the engine did not find.
fn no_directory(e: EngineError, c: &Container, dir: &str) -> Error {
    match e {
        EngineError::NotFound(_) => Failure::NoSuchDirectory {
            service: c.service().to_string(),
            path: dir.to_string(),
        }
        .into(),
        e => Error::Engine(e),
    }
}

/// A tar archive of `source` under the name `root` (its contents at the
/// top when `root` is empty). Links are copied as links.
fn pack(source: &Path, root: &str, contents: bool) -> Result<Vec<u8>, Failure> {
    let failed = |e| Failure::CannotRead {
        path: source.display().to_string(),
        source: e,
    };
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    if contents {
        if !root.is_empty() {
            builder.append_dir(root, source).map_err(failed)?;
        }
        for child in std::fs::read_dir(source).map_err(failed)? {
            let child = child.map_err(failed)?;
            let name = Path::new(root).join(child.file_name());
            append(&mut builder, &child.path(), &name).map_err(failed)?;
        }
    } else {
        append(&mut builder, source, Path::new(root)).map_err(failed)?;
    }
    builder.into_inner().map_err(failed)
}

fn append(builder: &mut tar::Builder<Vec<u8>>, path: &Path, name: &Path) -> std::io::Result<()> {
    if std::fs::symlink_metadata(path)?.is_dir() {
        builder.append_dir_all(name, path)
    } else {
        builder.append_path_with_name(path, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_path_has_a_colon_after_a_name() {
        assert_eq!(
            location("web:/etc/hosts"),
            Location::Service {
                service: "web",
                path: "/etc/hosts"
            }
        );
        assert_eq!(location("./a:b"), Location::Host("./a:b"));
        assert_eq!(location("/tmp/x"), Location::Host("/tmp/x"));
        assert_eq!(location(":x"), Location::Host(":x"));
    }

    #[test]
    fn extract_renames_the_root_unless_the_destination_is_a_directory() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(2);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, "note.txt", &b"hi"[..])
            .unwrap();
        let archive = builder.into_inner().unwrap();
        let dir = tempfile::tempdir().unwrap();
        extract(&archive, dir.path(), false).unwrap();
        assert_eq!(std::fs::read(dir.path().join("note.txt")).unwrap(), b"hi");
        extract(&archive, &dir.path().join("renamed"), false).unwrap();
        assert_eq!(std::fs::read(dir.path().join("renamed")).unwrap(), b"hi");
        assert!(extract(&archive, &dir.path().join("missing/"), false).is_err());
    }
}
