//! Image references as the docker CLI reads them: the registry they name,
//! their tag, their repository in full. Shared by the engine and the
//! registry client, so that neither needs the other for it.

/// The key Docker Hub's credentials are stored under.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The registry host of an image reference: its first component when that
/// looks like a host (`localhost`, or with a `.` or a `:`), else Docker Hub.
pub fn registry_host(reference: &str) -> &str {
    match reference.split_once('/') {
        Some((first, _)) if first == "localhost" || first.contains(['.', ':']) => first,
        _ => "docker.io",
    }
}

/// `reference` cut into its repository and its tag, `latest` when it has
/// none, as the docker CLI reads it (the tag is after the last `:` of the
/// last path component, so a registry port is not taken for one); a digest
/// reference keeps its digest in the repository, with no tag.
pub fn split_tag(reference: &str) -> (&str, &str) {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    match last.rsplit_once(':') {
        _ if last.contains('@') => (reference, ""),
        Some((_, tag)) => (&reference[..reference.len() - tag.len() - 1], tag),
        None => (reference, "latest"),
    }
}

/// Whether `reference` already names a digest (`name@sha256:...`).
pub fn is_pinned(reference: &str) -> bool {
    reference.contains('@')
}

/// A repository spelled in full as the engine and Compose spell Docker Hub
/// names (`busybox` is `docker.io/library/busybox`); others as they are.
pub fn full_repository(repository: &str) -> String {
    if registry_host(repository) != "docker.io" {
        return repository.to_string();
    }
    let path = ["docker.io/", "index.docker.io/"]
        .iter()
        .find_map(|prefix| repository.strip_prefix(prefix))
        .unwrap_or(repository);
    if path.contains('/') {
        format!("docker.io/{path}")
    } else {
        format!("docker.io/library/{path}")
    }
}
