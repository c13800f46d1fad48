//! The short port syntax: `[host_ip:][published:]target[/protocol]`, where
//! `published` and `target` may be ranges (`8000-8010`) and `host_ip` may be
//! an IPv6 address, bracketed or not.
//!
//! The rules are Docker's (the engine's `-p` flag): a target range needs a
//! published range of the same length, while a single target may take a
//! published range to allocate from. Every target port becomes one entry,
//! ordered by the text `port/protocol` (so `10000` sorts before `9999`).

use std::net::IpAddr;

/// One entry of the long syntax, as produced from a short one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PortConfig {
    pub host_ip: String,
    pub target: u32,
    /// A port, a range (`9000-9010`), or empty when not published.
    pub published: String,
    pub protocol: String,
}

/// A short-syntax port the engine would refuse, in the engine's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    #[error("invalid proto: {0}")]
    Proto(String),
    /// A `[host]` that Go's `net.SplitHostPort` refuses.
    #[error("invalid IP address {ip}: {cause}")]
    BracketedIp {
        ip: String,
        #[source]
        cause: HostPortError,
    },
    #[error("invalid IP address: {0}")]
    Ip(String),
    #[error("no port specified: {0}<empty>")]
    NoPort(String),
    #[error("invalid containerPort: {0}")]
    ContainerPort(String),
    #[error("invalid hostPort: {0}")]
    HostPort(String),
    #[error("invalid ranges specified for container and host Ports: {container} and {host}")]
    Ranges { container: String, host: String },
}

/// Go's `net.SplitHostPort` refusing an address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("address {hostport}: {reason}")]
pub struct HostPortError {
    pub hostport: String,
    pub reason: &'static str,
}

/// Parses one short-syntax port. The error text is the engine's.
pub(super) fn parse_port_config(raw: &str) -> Result<Vec<PortConfig>, PortError> {
    let (ip, host_port, container) = split_parts(raw);
    let (proto, container) = split_proto_port(container);
    let proto = proto.to_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(PortError::Proto(proto));
    }

    let mut ip = ip.to_string();
    if ip.starts_with('[') {
        ip = strip_brackets(&format!("{ip}:")).map_err(|cause| PortError::BracketedIp {
            ip: ip.clone(),
            cause,
        })?;
    }
    if !ip.is_empty() && ip.parse::<IpAddr>().is_err() {
        return Err(PortError::Ip(ip));
    }
    if container.is_empty() {
        return Err(PortError::NoPort(raw.to_string()));
    }

    let (start, end) =
        parse_port_range(container).map_err(|_| PortError::ContainerPort(container.to_string()))?;
    let mut host_range = None;
    if !host_port.is_empty() {
        let (hs, he) =
            parse_port_range(host_port).map_err(|_| PortError::HostPort(host_port.to_string()))?;
        // A published range for a single target is a range to allocate from.
        if end - start != he - hs && end != start {
            return Err(PortError::Ranges {
                container: container.to_string(),
                host: host_port.to_string(),
            });
        }
        host_range = Some((hs, he));
    }

    let count = end - start + 1;
    let mut ports: Vec<(String, PortConfig)> = (0..count)
        .map(|i| {
            let published = match host_range {
                None => String::new(),
                Some((hs, he)) if count == 1 && hs != he => format!("{}-{he}", hs + i),
                Some((hs, _)) => (hs + i).to_string(),
            };
            let target = start + i;
            let cfg = PortConfig {
                host_ip: ip.clone(),
                target,
                published,
                protocol: proto.clone(),
            };
            (format!("{target}/{proto}"), cfg)
        })
        .collect();
    ports.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(ports.into_iter().map(|(_, p)| p).collect())
}

/// `ip:published:target`, where the ip may itself hold colons (IPv6).
fn split_parts(raw: &str) -> (&str, &str, &str) {
    let parts: Vec<&str> = raw.split(':').collect();
    match parts.len() {
        1 => ("", "", parts[0]),
        2 => ("", parts[0], parts[1]),
        n => {
            // everything before the last two colons is the IP
            let ip_len = parts[..n - 2].iter().map(|p| p.len() + 1).sum::<usize>() - 1;
            (&raw[..ip_len], parts[n - 2], parts[n - 1])
        }
    }
}

/// `80/udp` → (`udp`, `80`); the protocol defaults to tcp; nothing for an
/// empty port.
fn split_proto_port(raw: &str) -> (&str, &str) {
    let (port, proto) = raw.split_once('/').unwrap_or((raw, ""));
    if port.is_empty() {
        return ("", "");
    }
    (if proto.is_empty() { "tcp" } else { proto }, port)
}

/// `80` or `8000-8010` (only the first two parts of `a-b-c` count).
fn parse_port_range(ports: &str) -> Result<(u32, u32), ()> {
    let Some((first, rest)) = ports.split_once('-') else {
        let p = parse_port(ports)?;
        return Ok((p, p));
    };
    let start = parse_port(first)?;
    let second = rest.split('-').next().unwrap_or("");
    let end = parse_port(second)?;
    if end < start {
        return Err(());
    }
    Ok((start, end))
}

/// A decimal number that fits 16 bits (digits only, no sign).
fn parse_port(s: &str) -> Result<u32, ()> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    let digits = s.trim_start_matches('0');
    if digits.len() > 5 {
        return Err(());
    }
    let n: u32 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| ())?
    };
    if n > u32::from(u16::MAX) {
        return Err(());
    }
    Ok(n)
}

/// The host of `[host]:port` (the port is empty here); errors read like
/// Go's `net.SplitHostPort`.
fn strip_brackets(hostport: &str) -> Result<String, HostPortError> {
    let fail = |reason: &'static str| {
        Err(HostPortError {
            hostport: hostport.to_string(),
            reason,
        })
    };
    let last_colon = hostport.rfind(':').unwrap_or(0);
    let Some(end) = hostport.find(']') else {
        return fail("missing ']' in address");
    };
    if end + 1 == hostport.len() {
        return fail("missing port in address");
    }
    if end + 1 != last_colon {
        return if hostport.as_bytes()[end + 1] == b':' {
            fail("too many colons in address")
        } else {
            fail("missing port in address")
        };
    }
    if hostport[1..].contains('[') {
        return fail("unexpected '[' in address");
    }
    if hostport[end + 1..].contains(']') {
        return fail("unexpected ']' in address");
    }
    Ok(hostport[1..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(ip: &str, target: u32, published: &str, protocol: &str) -> PortConfig {
        PortConfig {
            host_ip: ip.into(),
            target,
            published: published.into(),
            protocol: protocol.into(),
        }
    }

    #[test]
    fn short_ports() {
        let cases: &[(&str, Vec<PortConfig>)] = &[
            ("80", vec![p("", 80, "", "tcp")]),
            ("8080:80", vec![p("", 80, "8080", "tcp")]),
            ("8080:80/UDP", vec![p("", 80, "8080", "udp")]),
            ("53:53/sctp", vec![p("", 53, "53", "sctp")]),
            (
                "127.0.0.1:8001:8001",
                vec![p("127.0.0.1", 8001, "8001", "tcp")],
            ),
            ("127.0.0.1::80", vec![p("127.0.0.1", 80, "", "tcp")]),
            ("[::1]:8080:80", vec![p("::1", 80, "8080", "tcp")]),
            ("::1:8080:80", vec![p("::1", 80, "8080", "tcp")]),
            (
                "3000-3002",
                vec![
                    p("", 3000, "", "tcp"),
                    p("", 3001, "", "tcp"),
                    p("", 3002, "", "tcp"),
                ],
            ),
            (
                "9090-9091:8080-8081",
                vec![p("", 8080, "9090", "tcp"), p("", 8081, "9091", "tcp")],
            ),
            ("9000-9010:80", vec![p("", 80, "9000-9010", "tcp")]),
            ("0080:80", vec![p("", 80, "80", "tcp")]),
            (
                "9998-10001",
                vec![
                    p("", 10000, "", "tcp"),
                    p("", 10001, "", "tcp"),
                    p("", 9998, "", "tcp"),
                    p("", 9999, "", "tcp"),
                ],
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(&parse_port_config(raw).unwrap(), want, "{raw}");
        }
    }

    #[test]
    fn short_port_errors() {
        let cases = [
            ("8080:", "invalid proto: "),
            ("80/xyz", "invalid proto: xyz"),
            ("abc", "invalid containerPort: abc"),
            ("70000", "invalid containerPort: 70000"),
            ("x:80", "invalid hostPort: x"),
            ("1.2.3:80:80", "invalid IP address: 1.2.3"),
            (
                "[::1:80:80",
                "invalid IP address [::1: address [::1:: missing ']' in address",
            ),
            (
                "8000-8001:80-82",
                "invalid ranges specified for container and host Ports: 80-82 and 8000-8001",
            ),
            ("82-80", "invalid containerPort: 82-80"),
        ];
        for (raw, want) in cases {
            assert_eq!(
                parse_port_config(raw).unwrap_err().to_string(),
                want,
                "{raw}"
            );
        }
    }
}
