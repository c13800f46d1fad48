//! The corpus's full-example fixture (compose-go's loader test file, which
//! sets nearly every service key) brought up on the real engine, with an
//! override that fixes its deliberate errors and swaps what cannot run here
//! (`tests/fixtures/full-example.override.yaml` says why for each).

use std::path::PathBuf;

use crate::harness::{TestEnv, docker_ok};

/// The corpus sits beside the repository (see `.ci/run`).
fn corpus_loader_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/compose-go/loader")
}

#[test]
fn the_full_example_fixture_comes_up_with_its_keys_applied() {
    let source = corpus_loader_dir();
    // Missing, the test fails: passing without having run would hide it.
    let fixture = std::fs::read_to_string(source.join("full-example.yml")).unwrap_or_else(|e| {
        panic!(
            "the corpus is not at {} ({e}): check out ../shared beside the repository, as CI does",
            source.display()
        )
    });
    let env = TestEnv::new("fixture-full-example", &fixture);
    env.write(
        "compose.override.yaml",
        include_str!("../fixtures/full-example.override.yaml"),
    );
    for file in [
        "example1.env",
        "example2.env",
        "example1.label",
        "example2.label",
    ] {
        let text = std::fs::read_to_string(source.join(file)).expect("corpus file");
        env.write(file, &text);
    }
    env.write("secret_data", "s3cret\n");
    env.write("config_data", "config\n");
    std::fs::create_dir(env.dir().join("opt")).unwrap();

    let run = env.berth_ok(&["up", "-d"]);
    // Keys this engine is too old for are named with their line in the fixture.
    for key in ["annotations", "healthcheck.start_interval", "mac_address"] {
        assert!(
            run.stderr.lines().any(|l| l
                .contains(&format!("services.foo.{key} needs Docker Engine API"))
                && l.contains("compose.yaml:")),
            "{key}: {}",
            run.stderr
        );
    }
    let foo = env.container(&env.name_of("foo", 1));
    assert_eq!(foo.state, "running");
    let host = &foo.raw["HostConfig"];
    let config = &foo.raw["Config"];
    assert_eq!(host["CapAdd"], serde_json::json!(["ALL"]));
    assert_eq!(
        host["CapDrop"],
        // Prefixed, as Docker Compose's client sends them.
        serde_json::json!(["CAP_NET_ADMIN", "CAP_SYS_ADMIN"])
    );
    assert_eq!(host["Privileged"], true);
    assert_eq!(host["ReadonlyRootfs"], true);
    assert_eq!(host["CgroupParent"], "m-executor-abcd");
    assert_eq!(host["IpcMode"], "host");
    assert_eq!(host["PidMode"], "host");
    assert_eq!(host["Memory"], 50 * 1024 * 1024);
    assert_eq!(host["NanoCpus"], 500_000_000);
    assert_eq!(host["Sysctls"]["net.core.somaxconn"], "1024");
    assert_eq!(host["Dns"], serde_json::json!(["8.8.8.8", "9.9.9.9"]));
    assert_eq!(
        host["DeviceCgroupRules"],
        serde_json::json!(["c 1:3 mr", "a 7:* rmw"])
    );
    assert_eq!(
        host["SecurityOpt"],
        serde_json::json!(["label=level:s0:c100,c200", "label=type:svirt_apache_t"])
    );
    assert_eq!(host["RestartPolicy"]["Name"], "always");
    assert_eq!(config["Hostname"], "foo");
    assert_eq!(config["Domainname"], "foo.com");
    assert_eq!(config["StopSignal"], "SIGUSR1");
    assert_eq!(config["Tty"], true);
    assert_eq!(config["OpenStdin"], true);
    assert_eq!(config["WorkingDir"], "/code");
    assert_eq!(config["Healthcheck"]["Retries"], 5);
    // env_file and label_file, merged under the service's own values.
    let environment = config["Env"].to_string();
    for pair in ["BAZ=baz_from_service_def", "FOO=foo_from_env_file"] {
        assert!(environment.contains(pair), "{pair}: {environment}");
    }
    assert_eq!(config["Labels"]["FOO"], "foo_from_label_file");
    assert_eq!(config["Labels"]["com.example.number"], "42");
    let network = format!("{}_other-network", env.project);
    assert_eq!(
        foo.raw["NetworkSettings"]["Networks"][&network]["IPAMConfig"]["IPv4Address"],
        "10.213.28.10"
    );
    let some_network = format!("{}_some-network", env.project);
    let aliases = foo.raw["NetworkSettings"]["Networks"][&some_network]["Aliases"].to_string();
    assert!(
        aliases.contains("alias1") && aliases.contains("alias3"),
        "{aliases}"
    );
    // The file-backed secret and config are where the service asked.
    let id = foo.id.as_str();
    assert_eq!(
        docker_ok(&["exec", id, "cat", "/run/secrets/secret1"]),
        "s3cret\n"
    );
    assert_eq!(docker_ok(&["exec", id, "cat", "/config1"]), "config\n");

    // Every key hashes the same way twice: nothing to do.
    let plan = env.berth_ok(&["plan"]);
    assert!(plan.stdout.contains("nothing to do"), "{}", plan.stdout);
    env.berth_ok(&["down", "-v"]);
    assert!(env.containers().is_empty());
    assert!(env.networks().is_empty());
}
