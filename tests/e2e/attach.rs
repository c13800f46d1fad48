//! `attach`: piped input reaches a running container of the service, and
//! its output comes back until it stops.

use crate::harness::TestEnv;

#[test]
fn attach_pipes_input_to_the_running_container() {
    let compose = "services:\n  echo:\n    image: busybox\n    stdin_open: true\n    command: [\"sh\", \"-c\", \"read line; echo got-$$line; echo to-stderr >&2\"]\n";
    let env = TestEnv::new("attach", compose);
    env.berth_ok(&["up", "-d"]);
    let mut attached = env.cmd(&["attach", "echo"]).background_with_input();
    attached.write(b"hello\n");
    attached.expect_line("got-hello");
    // The engine ends an attach when its input ends, as `docker attach` does.
    attached.close_input();
    let (code, stderr) = attached.finish();
    assert_eq!(code, Some(0), "{stderr}");
    let echo = env.container(&env.name_of("echo", 1));
    assert_eq!(echo.state, "exited");
    // Nothing runs any more to attach to.
    let again = env.berth(&["attach", "echo"]);
    again.assert_code(1);
    assert!(
        again.stderr.contains("no running container"),
        "{}",
        again.stderr
    );
}
