//! The short volume syntax `[source:]target[:options]`.
//!
//! Colons separate the sections, except inside `${...}` (left by
//! `--no-interpolate`) and right after a single drive letter (`C:\data`).
//! A source that looks like a path (`.`, `/`, `~`, `\\`, or a drive letter)
//! makes a bind mount; anything else names a volume. Options are a comma
//! list: `ro`, `rw`, `nocopy`, SELinux `z`/`Z` and the mount propagations;
//! other words are ignored, as Compose does.

/// What a short volume mounts: a host path or an engine volume.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VolumeKind {
    Bind,
    #[default]
    Volume,
}

impl VolumeKind {
    /// The mount `type` as Compose writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeKind::Bind => "bind",
            VolumeKind::Volume => "volume",
        }
    }
}

impl std::fmt::Display for VolumeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed short volume.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolumeSpec {
    pub kind: VolumeKind,
    pub source: String,
    pub target: String,
    pub read_only: bool,
    pub bind: Option<BindOptions>,
    pub volume: Option<VolumeOptions>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BindOptions {
    pub selinux: String,
    pub propagation: String,
    pub create_host_path: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolumeOptions {
    pub nocopy: bool,
}

const PROPAGATIONS: [&str; 6] = [
    "rprivate", "private", "rshared", "shared", "rslave", "slave",
];

/// Marks the end of the spec while scanning.
const END: char = '\0';

/// A short volume Compose refuses, in its words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VolumeSpecError {
    #[error("invalid empty volume spec")]
    Empty,
    #[error("invalid spec: {spec}: {reason}")]
    Invalid { spec: String, reason: &'static str },
}

/// Parses a short volume. The error text is Compose's
/// (`invalid spec: <spec>: empty section between colons`).
pub fn parse_volume(spec: &str) -> Result<VolumeSpec, VolumeSpecError> {
    let mut volume = VolumeSpec::default();
    match spec.len() {
        0 => return Err(VolumeSpecError::Empty),
        1 | 2 => {
            // too short for `a:b`: an anonymous volume
            volume.target = spec.to_string();
            volume.kind = VolumeKind::Volume;
            return Ok(volume);
        }
        _ => {}
    }

    let bytes = spec.as_bytes();
    let mut buffer: Vec<char> = Vec::new();
    let mut in_var = 0usize;
    for (i, c) in spec
        .char_indices()
        .chain(std::iter::once((spec.len(), END)))
    {
        if c == '$' && i + 1 < spec.len() && bytes[i + 1] == b'{' {
            in_var += 1;
            buffer.push(c);
            continue;
        }
        if c == '}' && in_var > 0 {
            in_var -= 1;
            buffer.push(c);
            continue;
        }
        if is_windows_drive(&buffer, c) {
            buffer.push(c);
        } else if (c == ':' || c == END) && in_var == 0 {
            if let Err(reason) = fill_section(c, &buffer, &mut volume) {
                return Err(VolumeSpecError::Invalid {
                    spec: spec.to_string(),
                    reason,
                });
            }
            buffer.clear();
        } else {
            buffer.push(c);
        }
    }
    set_type(&mut volume);
    Ok(volume)
}

fn is_windows_drive(buffer: &[char], c: char) -> bool {
    c == ':' && buffer.len() == 1 && buffer[0].is_alphabetic()
}

/// Stores one colon-separated section: source, then target, then options.
fn fill_section(c: char, buffer: &[char], volume: &mut VolumeSpec) -> Result<(), &'static str> {
    if buffer.is_empty() {
        return Err("empty section between colons");
    }
    let text: String = buffer.iter().collect();
    if volume.source.is_empty() && c == END {
        volume.target = text;
        return Ok(());
    }
    if volume.source.is_empty() {
        volume.source = text;
        return Ok(());
    }
    if volume.target.is_empty() {
        volume.target = text;
        return Ok(());
    }
    if c == ':' {
        return Err("too many colons");
    }
    for option in text.split(',') {
        match option {
            "ro" => volume.read_only = true,
            "rw" => volume.read_only = false,
            "nocopy" => volume.volume = Some(VolumeOptions { nocopy: true }),
            "z" | "Z" => {
                volume.bind.get_or_insert_with(Default::default).selinux = option.to_string();
            }
            _ if PROPAGATIONS.contains(&option) => {
                volume.bind.get_or_insert_with(Default::default).propagation = option.to_string();
            }
            _ => {}
        }
    }
    Ok(())
}

/// Bind when the source is a host path (short binds create a missing host
/// path, as docker-compose v1 did); a named or anonymous volume otherwise.
fn set_type(volume: &mut VolumeSpec) {
    if is_file_path(&volume.source) {
        volume.kind = VolumeKind::Bind;
        volume
            .bind
            .get_or_insert_with(Default::default)
            .create_host_path = true;
    } else {
        volume.kind = VolumeKind::Volume;
        volume.volume.get_or_insert_with(Default::default);
    }
}

fn is_file_path(source: &str) -> bool {
    let Some(first) = source.chars().next() else {
        return false;
    };
    if matches!(first, '.' | '/' | '~') || source.starts_with(r"\\") {
        return true;
    }
    // a drive letter: `C:...`
    source.as_bytes().get(first.len_utf8()) == Some(&b':') && first.is_alphabetic()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bind(source: &str, target: &str) -> VolumeSpec {
        VolumeSpec {
            kind: VolumeKind::Bind,
            source: source.into(),
            target: target.into(),
            bind: Some(BindOptions {
                create_host_path: true,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn vol(source: &str, target: &str) -> VolumeSpec {
        VolumeSpec {
            kind: VolumeKind::Volume,
            source: source.into(),
            target: target.into(),
            volume: Some(VolumeOptions::default()),
            ..Default::default()
        }
    }

    #[test]
    fn short_volumes() {
        let ro = |mut v: VolumeSpec| {
            v.read_only = true;
            v
        };
        let cases: Vec<(&str, VolumeSpec)> = vec![
            ("/var/lib/data", vol("", "/var/lib/data")),
            (
                "/a",
                VolumeSpec {
                    kind: VolumeKind::Volume,
                    target: "/a".into(),
                    ..Default::default()
                },
            ),
            ("data:/var/lib/data", vol("data", "/var/lib/data")),
            ("data:/data:ro", ro(vol("data", "/data"))),
            ("./src:/app", bind("./src", "/app")),
            (
                "/opt/data:/var/lib/data",
                bind("/opt/data", "/var/lib/data"),
            ),
            (
                "~/configs:/etc/configs:ro",
                ro(bind("~/configs", "/etc/configs")),
            ),
            (r"C:\data:/data", bind(r"C:\data", "/data")),
            (r"\\host\share:/data", bind(r"\\host\share", "/data")),
            ("${SRC}:/data", vol("${SRC}", "/data")),
            ("${SRC:-./x}:/data", vol("${SRC:-./x}", "/data")),
            ("./a:/b:ro,z", {
                let mut v = ro(bind("./a", "/b"));
                v.bind.as_mut().unwrap().selinux = "z".into();
                v
            }),
            ("./a:/b:rshared", {
                let mut v = bind("./a", "/b");
                v.bind.as_mut().unwrap().propagation = "rshared".into();
                v
            }),
            ("data:/b:nocopy", {
                let mut v = vol("data", "/b");
                v.volume = Some(VolumeOptions { nocopy: true });
                v
            }),
            ("./a:/b:cached", bind("./a", "/b")),
            // a single letter before a colon reads as a drive letter
            ("a:/b", vol("", "a:/b")),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_volume(raw).unwrap(), want, "{raw}");
        }
    }

    #[test]
    fn short_volume_errors() {
        let cases = [
            ("", "invalid empty volume spec"),
            (
                ":/text_file.txt",
                "invalid spec: :/text_file.txt: empty section between colons",
            ),
            ("ab:/b:ro:x", "invalid spec: ab:/b:ro:x: too many colons"),
            (
                "/a::ro",
                "invalid spec: /a::ro: empty section between colons",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_volume(raw).unwrap_err().to_string(), want, "{raw}");
        }
    }
}
