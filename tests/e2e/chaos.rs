//! Chaos: `berth` killed with SIGKILL at random points of `up`, of a forced
//! recreate and of `down`; after each, the next `up --wait` must converge
//! (every service running or done, one container each, no temporary name
//! left) and exit 0. The random delay before each kill is the fault being
//! injected, not a wait for readiness; the seed is printed so a failure can
//! be replayed with `BERTH_CHAOS_SEED`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::harness::TestEnv;
use crate::up::sleeper;
use crate::wait::HEALTHY;

/// Trials of each kind (up, forced recreate, down): 3 × 10.
const TRIALS: usize = 10;

/// A small xorshift generator: reproducible from its seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, limit: u64) -> u64 {
        self.next() % limit
    }
}

fn stack() -> String {
    format!(
        "services:\n{}{}{}",
        sleeper("db", &format!("{HEALTHY}    stop_grace_period: 1s\n")),
        sleeper(
            "web",
            "    stop_grace_period: 1s\n    depends_on:\n      db:\n        condition: service_healthy\n      job:\n        condition: service_completed_successfully\n",
        ),
        "  job:\n    image: busybox\n    command: [\"sh\", \"-c\", \"echo migrated\"]\n",
    )
}

/// The next `up --wait` converges: one container per service under its own
/// name, the job done, the others running.
fn assert_converges(env: &TestEnv, what: &str) {
    let run = env.berth(&["up", "-d", "--wait"]);
    assert_eq!(
        run.code,
        Some(0),
        "after {what}, up --wait failed: {}",
        run.stderr
    );
    let containers = env.containers();
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    let expected = [
        env.name_of("db", 1),
        env.name_of("job", 1),
        env.name_of("web", 1),
    ];
    assert_eq!(names, expected, "after {what}");
    for c in &containers {
        if c.service() == "job" {
            assert_eq!(
                (c.state.as_str(), c.exit_code),
                ("exited", 0),
                "after {what}"
            );
        } else {
            assert_eq!(c.state, "running", "{} after {what}", c.name);
        }
    }
}

#[test]
fn killed_at_random_points_every_run_converges() {
    let seed = std::env::var("BERTH_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    eprintln!("chaos seed: {seed} (replay with BERTH_CHAOS_SEED={seed})");
    let mut rng = Rng(seed);
    let env = TestEnv::new("chaos-kill", &stack());
    let kinds: [&[&str]; 3] = [
        &["up", "-d"],
        &["up", "-d", "--force-recreate"],
        &["down", "-t", "1"],
    ];
    let mut killed = 0;
    for trial in 0..TRIALS * kinds.len() {
        let args = kinds[trial % kinds.len()];
        if trial % kinds.len() == 0 {
            // A cold start now and then: from nothing.
            env.berth_ok(&["down", "-t", "0"]);
        }
        let delay = Duration::from_millis(rng.below(1200));
        let what = format!("berth {} killed after {delay:?}", args.join(" "));
        let (mut child, _) = env.cmd(args).spawn();
        std::thread::sleep(delay);
        if child.try_wait().expect("poll berth").is_none() {
            killed += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        assert_converges(&env, &what);
    }
    eprintln!(
        "chaos: {killed} of {} runs killed midway, all converged",
        TRIALS * kinds.len()
    );
    assert!(
        killed > 0,
        "no run was killed midway: the delays are too long"
    );
}
