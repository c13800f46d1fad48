//! Which of the project's containers a command that reads them is about:
//! the choice each of `ps`, `top`, `images`, `logs` and `stats` makes.

use crate::engine::Container;

/// Whether `c` is a container of one of `services`; with none named, of any.
pub fn in_services(c: &Container, services: &[String]) -> bool {
    services.is_empty() || services.iter().any(|s| s == c.service())
}

/// Sorted by container name, the order listings print them in.
pub fn by_name(containers: &mut [Container]) {
    containers.sort_by(|a, b| a.name.cmp(&b.name));
}
