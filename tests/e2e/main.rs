//! End-to-end tests: the real `berth` binary against the local Docker Engine.
//!
//! Each test brings up its own project (a unique name, a temp directory)
//! and a guard removes whatever the project left, pass or fail. The tests
//! run in parallel. The image `busybox` is built once per run from the
//! static busybox of the host.

mod harness;
mod proxy;

mod attach;
mod attached;
mod chaos;
mod concurrency;
mod cp;
mod down;
mod dry_run;
mod endpoint;
mod events;
mod exec;
mod faults;
mod fidelity;
mod fixtures;
mod images;
mod interop;
mod lifecycle;
mod logs;
mod misc;
mod plugin;
mod podman;
mod ps;
mod references;
mod run;
mod service_keys;
mod signals;
mod stats;
mod swarm;
mod swarm_engine;
mod term;
mod up;
mod volumes_export_commit;
mod wait;
mod watch;
