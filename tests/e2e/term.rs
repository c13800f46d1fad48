//! What berth says when its output is not a terminal, or when there is
//! nothing to do: never silence where Docker Compose says something.

use crate::harness::TestEnv;
use crate::up::sleeper;

#[test]
fn term_progress_tty_without_a_terminal_falls_back_to_plain_lines() {
    let compose = format!("services:\n{}", sleeper("web", ""));
    let env = TestEnv::new("term-tty-plain", &compose);
    let run = env.berth_ok(&["--progress", "tty", "up", "-d"]);
    let web = env.name_of("web", 1);
    assert!(
        run.stderr.contains(&format!(" Container {web}  Started")),
        "no plain progress lines: {}",
        run.stderr
    );
    assert!(
        !run.stderr.contains('\u{1b}'),
        "escape codes: {}",
        run.stderr
    );
}

#[test]
fn term_noop_up_detached_says_each_container_is_running() {
    let compose = format!("services:\n{}{}", sleeper("web", ""), sleeper("db", ""));
    let env = TestEnv::new("term-noop-up", &compose);
    env.berth_ok(&["up", "-d"]);
    let run = env.berth_ok(&["up", "-d"]);
    for service in ["web", "db"] {
        let line = format!(" Container {}  Running", env.name_of(service, 1));
        assert!(
            run.stderr.lines().any(|l| l == line),
            "no {line:?}: {}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("Started"), "{}", run.stderr);
}

#[test]
fn term_down_of_an_unknown_project_warns_that_nothing_was_found() {
    let compose = format!("services:\n{}", sleeper("web", ""));
    let env = TestEnv::new("term-down-nothing", &compose);
    let other = env.other_project("typo");
    let run = env.cmd(&["down"]).project(&other).run();
    run.assert_code(0);
    assert!(
        run.stderr.contains(&format!(
            "Warning: No resource found to remove for project \"{other}\"."
        )),
        "{}",
        run.stderr
    );
}

/// A tmux server of its own, killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn command(&self, args: &[&str]) -> std::process::Output {
        let mut command = std::process::Command::new("tmux");
        command
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args);
        for var in crate::harness::SCRUBBED_VARS {
            command.env_remove(var);
        }
        command.env_remove("NO_COLOR");
        command.output().expect("tmux runs (CI installs it)")
    }

    /// The whole scrollback and screen, as the user sees it.
    fn screen(&self) -> String {
        String::from_utf8_lossy(
            &self
                .command(&["capture-pane", "-p", "-t", "t", "-S", "-2000"])
                .stdout,
        )
        .into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command(&["kill-server"]);
    }
}

/// In a terminal 70 columns wide, one Ctrl-C of attached `up` while the
/// containers keep writing: the stop is drawn in place under a `[+]
/// Running` header, each container's final line once, nothing left over
/// (lines longer than the terminal once wrapped and left copies of
/// themselves in the scrollback, and the containers' output broke the
/// redraw).
#[test]
fn term_ctrl_c_of_attached_up_redraws_the_stop_in_place() {
    let service = |name: &str| {
        format!(
            "  {name}:\n    image: busybox\n    stop_grace_period: 2s\n    command: [sh, -c, 'trap \"echo bye\" TERM; while :; do echo tick; sleep 0.3; done']\n"
        )
    };
    let compose = format!(
        "services:\n{}{}{}",
        service("web"),
        service("db"),
        service("cache")
    );
    let env = TestEnv::new("term-ctrl-c-redraw", &compose);
    let tmux = Tmux {
        socket: env.project.clone(),
    };
    let script = format!(
        "{} -p {} up; echo EXIT=$?; sleep 600",
        crate::harness::berth_bin().display(),
        env.project
    );
    let started = tmux.command(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "70",
        "-y",
        "50",
        "-c",
        &env.dir().display().to_string(),
        &script,
    ]);
    assert!(
        started.status.success(),
        "tmux: {}",
        String::from_utf8_lossy(&started.stderr)
    );
    let limit = std::time::Duration::from_secs(60);
    let ticking = env.poll_until(limit, |_| tmux.screen().matches("| tick").count() >= 6);
    assert!(
        ticking,
        "the containers' output did not show:\n{}",
        tmux.screen()
    );
    tmux.command(&["send-keys", "-t", "t", "C-c"]);
    let ended = env.poll_until(limit, |_| tmux.screen().contains("EXIT="));
    let screen = tmux.screen();
    assert!(ended, "up did not end:\n{screen}");
    assert!(screen.contains("EXIT=130"), "{screen}");
    let stop = &screen[screen
        .find("Gracefully stopping")
        .expect("the stop is announced")..];
    assert!(
        !stop.lines().any(|l| l.contains("Stopping")),
        "a stale line of the stop is left:\n{stop}"
    );
    for service in ["web", "db", "cache"] {
        let name = env.name_of(service, 1);
        let finals = stop
            .lines()
            .filter(|l| l.contains(&name) && l.contains("Stopped"))
            .count();
        assert_eq!(finals, 1, "{name}'s final line, once:\n{stop}");
    }
    assert!(stop.contains("[+] Running 3/3"), "no header:\n{stop}");
    assert!(
        !stop
            .lines()
            .any(|l| l.contains("tick") && l.contains("Container")),
        "output and progress on one line:\n{stop}"
    );
}
