//! Loading projects from text, for unit tests.

use crate::load::{self, LoadOptions, Loaded};
use crate::reconcile::desired::{self, Desired};

/// `yaml` loaded as project `t` (from standard input), with `adjust`
/// applied to the options first.
pub fn loaded(yaml: &str, adjust: impl FnOnce(&mut LoadOptions)) -> Loaded {
    let mut opts = LoadOptions {
        files: vec!["-".into()],
        stdin: Some(yaml.as_bytes().to_vec()),
        cwd: std::env::temp_dir(),
        project_name: Some("t".into()),
        ..Default::default()
    };
    adjust(&mut opts);
    load::load(&opts).unwrap_or_else(|e| panic!("{}", e.render(false, false)))
}

/// The desired state of `yaml`, as project `t`.
pub fn desired(yaml: &str) -> Desired {
    desired::from_loaded(loaded(yaml, |_| {}))
        .unwrap_or_else(|e| panic!("{}", e.render(false, false)))
}
