//! The images a Dockerfile builds `FROM`, so that a build can carry the
//! credentials of their registries (the builder pulls them, and only the
//! client knows the user's credentials).

use std::collections::BTreeMap;

/// The image references of `dockerfile`'s `FROM` lines, with `$VAR`,
/// `${VAR}` and `${VAR:-default}` taken from `args` and from the `ARG`s
/// before the first `FROM`. Stages built earlier in the file, `scratch`,
/// and references that come out empty are left out.
pub fn base_images(dockerfile: &str, args: &BTreeMap<String, String>) -> Vec<String> {
    let mut globals: BTreeMap<String, String> = BTreeMap::new();
    let mut stages: Vec<String> = Vec::new();
    let mut images: Vec<String> = Vec::new();
    let mut seen_from = false;
    for line in instructions(dockerfile) {
        let mut words = line.split_whitespace();
        let Some(keyword) = words.next() else {
            continue;
        };
        if keyword.eq_ignore_ascii_case("ARG") && !seen_from {
            for declaration in words {
                let (name, default) = declaration.split_once('=').unwrap_or((declaration, ""));
                let value = args
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| expand(default.trim_matches('"'), &globals, args));
                globals.insert(name.to_string(), value);
            }
        } else if keyword.eq_ignore_ascii_case("FROM") {
            seen_from = true;
            let rest: Vec<&str> = words.filter(|w| !w.starts_with("--")).collect();
            let Some(reference) = rest.first() else {
                continue;
            };
            let image = expand(reference, &globals, args);
            let lower = image.to_ascii_lowercase();
            if !image.is_empty()
                && lower != "scratch"
                && !stages.contains(&lower)
                && !images.contains(&image)
            {
                images.push(image);
            }
            // Named after this line's image is read: `FROM base AS base` is no loop.
            if let [_, r#as, stage] = rest.as_slice()
                && r#as.eq_ignore_ascii_case("AS")
            {
                stages.push(stage.to_ascii_lowercase());
            }
        }
    }
    images
}

/// The Dockerfile's instructions, one per item: continuation lines joined,
/// comments and blank lines left out.
fn instructions(dockerfile: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

/// `text` with `$VAR`, `${VAR}` and `${VAR:-default}` replaced; a variable
/// neither passed nor declared is empty, as in a Dockerfile.
fn expand(
    text: &str,
    globals: &BTreeMap<String, String>,
    args: &BTreeMap<String, String>,
) -> String {
    let lookup = |name: &str| {
        args.get(name)
            .or_else(|| globals.get(name))
            .cloned()
            .unwrap_or_default()
    };
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(braced) = after.strip_prefix('{') {
            let Some(end) = braced.find('}') else {
                out.push_str(&rest[at..]);
                return out;
            };
            let inner = &braced[..end];
            let value = match inner.split_once(":-") {
                Some((name, default)) => Some(lookup(name))
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| default.to_string()),
                None => lookup(inner),
            };
            out.push_str(&value);
            rest = &braced[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            out.push_str(&lookup(&after[..len]));
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn from_lines_give_images_but_not_earlier_stages_or_scratch() {
        let dockerfile = "\
# syntax=docker/dockerfile:1
FROM --platform=$BUILDPLATFORM registry.local:5000/tools/go:1.22 AS build
RUN make
from build as test
FROM scratch
FROM alpine:3 AS final
COPY --from=build /app /app
";
        assert_eq!(
            base_images(dockerfile, &BTreeMap::new()),
            ["registry.local:5000/tools/go:1.22", "alpine:3"]
        );
    }

    #[test]
    fn variables_come_from_build_args_then_global_args_then_defaults() {
        let dockerfile = "\
ARG REGISTRY=registry.local:5000
ARG TAG
FROM ${REGISTRY}/base:${TAG:-latest}
FROM $REGISTRY/other:2 \\
  AS other
FROM ${UNSET}
FROM other
";
        assert_eq!(
            base_images(dockerfile, &BTreeMap::new()),
            [
                "registry.local:5000/base:latest",
                "registry.local:5000/other:2"
            ]
        );
        assert_eq!(
            base_images(dockerfile, &args(&[("REGISTRY", "mirror:1"), ("TAG", "9")]))[0],
            "mirror:1/base:9"
        );
    }
}
