//! Images: builds, `.dockerignore`, rebuilds that recreate only what
//! changed, `down --rmi`, `images`, and pulls and pushes against a real
//! registry, with and without credentials.

use crate::harness::{REGISTRY_USER, Registry, TestEnv, docker, docker_ok};

/// A service built from `dir` that sleeps.
fn built(name: &str, build: &str, extra: &str) -> String {
    format!("  {name}:\n    build: {build}\n    command: [sleep, '3600']\n    init: true\n{extra}")
}

const DOCKERFILE: &str = "FROM busybox\nCOPY . /app\n";

/// Writes the build context `dir`: [`DOCKERFILE`] and a file naming the
/// project, so that no other test shares its layers (one test's clean-up
/// could otherwise remove a cached layer another test's build is using).
fn write_context(env: &TestEnv, dir: &str) {
    env.write(&format!("{dir}/Dockerfile"), DOCKERFILE);
    env.write(&format!("{dir}/project.txt"), &env.project);
}

/// Writes `<dir>/config.json` with the test registry's user for `registry`,
/// as `docker login` does (`auths` with base64 user:password).
pub(crate) fn write_auths(env: &TestEnv, dir: &str, registry: &str) {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", REGISTRY_USER.0, REGISTRY_USER.1));
    env.write(
        &format!("{dir}/config.json"),
        &format!(r#"{{"auths": {{"{registry}": {{"auth": "{auth}"}}}}}}"#),
    );
}

fn image_id(reference: &str) -> Option<String> {
    let out = docker(&["image", "inspect", "--format", "{{.Id}}", reference]);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn build_honours_dockerignore_and_builds_a_shared_image_once() {
    let project = crate::harness::project_name("images-shared");
    let compose = format!(
        "services:\n{}{}",
        built("web", "./app", ""),
        built("worker", "./app", &format!("    image: {project}-web\n")),
    );
    let env = TestEnv::new("images-shared", &compose);
    write_context(&env, "app");
    env.write("app/kept.txt", "kept");
    env.write("app/secret.env", "TOKEN=1");
    env.write("app/logs/a.log", "noise");
    env.write("app/.dockerignore", "# not sent\nsecret.env\n**/*.log\n");

    let run = env.berth_ok(&["build"]);
    let builds = run.stderr.matches("Service web  Built").count()
        + run.stderr.matches("Service worker  Built").count();
    assert_eq!(builds, 1, "one build for the shared image:\n{}", run.stderr);
    // BuildKit's steps, as its plain output numbers them.
    run.assert_stderr_has("#web #");
    run.assert_stderr_has("] COPY . /app");
    let image = format!("{}-web", env.project);
    let labels = docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        &image,
    ]);
    assert!(
        labels.contains(&format!(
            "\"com.docker.compose.project\":\"{}\"",
            env.project
        )),
        "{labels}"
    );

    env.berth_ok(&["up", "-d"]);
    let listing = env.exec(&env.name_of("web", 1), &["find", "/app"]);
    assert!(listing.contains("/app/kept.txt"), "{listing}");
    assert!(listing.contains("/app/Dockerfile"), "{listing}");
    assert!(
        !listing.contains("secret.env"),
        "ignored file sent: {listing}"
    );
    assert!(!listing.contains("a.log"), "ignored file sent: {listing}");
    assert!(listing.contains("/app/.dockerignore"), "{listing}");

    let images = env.berth_ok(&["images"]);
    let header = images.stdout.lines().next().unwrap_or_default();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        [
            "CONTAINER",
            "REPOSITORY",
            "TAG",
            "PLATFORM",
            "IMAGE",
            "ID",
            "SIZE",
            "CREATED"
        ]
    );
    assert_eq!(images.stdout.lines().count(), 3, "{}", images.stdout);
    assert!(images.stdout.contains(&image), "{}", images.stdout);
    let json = env.berth_ok(&["images", "--format", "json"]).json();
    let rows = json.as_array().expect("a JSON array");
    assert_eq!(rows.len(), 2, "{json}");
    assert_eq!(rows[0]["Repository"], image.as_str(), "{json}");
    // The engine's own time stamp, as it wrote it (RFC 3339 to the nanosecond).
    let tagged = docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Metadata.LastTagTime}}",
        &image,
    ]);
    assert_eq!(rows[0]["LastTagTime"].to_string(), tagged.trim(), "{json}");
    let ids = env.berth_ok(&["images", "-q"]);
    assert_eq!(
        ids.stdout.lines().count(),
        1,
        "one image for both: {}",
        ids.stdout
    );
    env.berth_ok(&["down"]);
}

#[test]
fn a_source_change_rebuilds_and_recreates_only_the_affected_service() {
    let compose = format!(
        "services:\n{}{}",
        built("web", "./web", ""),
        built("api", "./api", ""),
    );
    let env = TestEnv::new("images-rebuild", &compose);
    // Different contents: the builder's cache may otherwise follow the
    // other service's chain of identical layers.
    for dir in ["web", "api"] {
        write_context(&env, dir);
        env.write(&format!("{dir}/main.txt"), &format!("{dir} v1"));
    }
    // `up` builds images that are missing.
    env.berth_ok(&["up", "-d"]);
    let web = env.container(&env.name_of("web", 1)).id;
    let api = env.container(&env.name_of("api", 1)).id;
    let web_image = image_id(&format!("{}-web", env.project)).unwrap();

    env.write("web/main.txt", "web v2");
    let run = env.berth_ok(&["up", "-d", "--build"]);
    assert_ne!(
        image_id(&format!("{}-web", env.project)).unwrap(),
        web_image,
        "the change made a new image"
    );
    assert_ne!(
        env.container(&env.name_of("web", 1)).id,
        web,
        "web recreated"
    );
    assert_eq!(
        env.container(&env.name_of("api", 1)).id,
        api,
        "api kept:\n{}",
        run.stderr
    );
    let content = env.exec(&env.name_of("web", 1), &["cat", "/app/main.txt"]);
    assert_eq!(content.trim(), "web v2");

    // Nothing changed: the build cache gives the same image, nothing is recreated.
    env.berth_ok(&["up", "-d", "--build"]);
    assert_eq!(env.container(&env.name_of("api", 1)).id, api);
}

#[test]
fn down_rmi_local_keeps_named_images_and_all_removes_them() {
    let project = crate::harness::project_name("images-rmi");
    let named = format!("{project}-custom:1");
    let compose = format!(
        "services:\n{}{}",
        built("web", "./app", ""),
        built("tagged", "./app", &format!("    image: {named}\n")),
    );
    let env = TestEnv::new("images-rmi", &compose);
    write_context(&env, "app");
    let local = format!("{}-web", env.project);

    env.berth_ok(&["up", "-d"]);
    env.berth_ok(&["down", "--rmi", "local"]);
    assert_eq!(image_id(&local), None, "berth's own name is removed");
    assert!(image_id(&named).is_some(), "an image the file names stays");

    // Also when the containers are gone already.
    env.berth_ok(&["build"]);
    env.berth_ok(&["down", "--rmi", "all"]);
    assert_eq!(image_id(&local), None);
    assert_eq!(image_id(&named), None);
}

#[test]
fn a_failing_build_names_the_service_and_shows_its_last_lines() {
    let compose = format!("services:\n{}", built("web", "./app", ""));
    let env = TestEnv::new("images-fail", &compose);
    env.write(
        "app/Dockerfile",
        "FROM busybox\nRUN echo about to fail && exit 3\n",
    );
    let run = env.berth(&["up", "-d"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    run.assert_stderr_has("service \"web\" failed to build");
    run.assert_stderr_has("app/Dockerfile");
    assert!(
        run.stderr.contains("the last lines of its build output")
            && run.stderr.contains("about to fail"),
        "{}",
        run.stderr
    );
    assert!(env.containers().is_empty(), "nothing created");

    std::fs::remove_file(env.dir().join("app/Dockerfile")).unwrap();
    let run = env.berth(&["build"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("there is no Dockerfile at")
            && run.stderr.contains("fix services.web.build.dockerfile"),
        "{}",
        run.stderr
    );
}

#[test]
fn buildkit_builds_what_only_it_can_and_docker_buildkit_0_chooses_the_classic_builder() {
    let compose = format!("services:\n{}", built("web", "./app", ""));
    let env = TestEnv::new("images-buildkit-only", &compose);
    write_context(&env, "app");
    // A cache mount exists only in BuildKit; the classic builder refuses it.
    env.write(
        "app/Dockerfile",
        &format!(
            "{DOCKERFILE}RUN --mount=type=cache,target=/cache echo from-cache > /cache/x \
             && cp /cache/x /made\n"
        ),
    );
    // A credential store that cannot answer is worth a warning, not a
    // failed build: the base image is local.
    env.write("store/config.json", r#"{"credsStore": "berth-missing"}"#);
    let run = env
        .cmd(&["--progress", "plain", "build"])
        .env("DOCKER_CONFIG", env.dir().join("store").to_str().unwrap())
        .run();
    run.assert_code(0);
    run.assert_stderr_has("cannot run the credential helper docker-credential-berth-missing");
    run.assert_stderr_has("building without those credentials");
    run.assert_stderr_has("RUN --mount=type=cache");
    let image = format!("{}-web", env.project);
    let made = docker_ok(&["run", "--rm", "--entrypoint", "cat", &image, "/made"]);
    assert_eq!(made.trim(), "from-cache");

    let run = env
        .cmd(&["--progress", "plain", "build", "--no-cache"])
        .env("DOCKER_BUILDKIT", "0")
        .run();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    run.assert_stderr_has("#web Step 1/");
    run.assert_stderr_has("the --mount option requires BuildKit");

    let run = env.cmd(&["build"]).env("DOCKER_BUILDKIT", "maybe").run();
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    run.assert_stderr_has("DOCKER_BUILDKIT is \"maybe\": set it to 1");
}

#[test]
fn build_shm_size_and_ulimits_are_applied_by_the_classic_builder() {
    let compose = format!(
        "services:\n{}",
        built(
            "web",
            "\n      context: ./app\n      shm_size: 128m\n      ulimits: {nofile: 1234}",
            ""
        )
    );
    let env = TestEnv::new("images-build-limits", &compose);
    write_context(&env, "app");
    env.write(
        "app/Dockerfile",
        &format!("{DOCKERFILE}RUN grep /dev/shm /proc/mounts > /shm; ulimit -n > /nofile\n"),
    );
    let run = env.berth_ok(&["--progress", "plain", "build"]);
    // BuildKit (on Engine 20.10) would leave both out, silently.
    run.assert_stderr_has("classic builder: only it applies shm_size and ulimits");
    let image = format!("{}-web", env.project);
    let read = |file: &str| docker_ok(&["run", "--rm", "--entrypoint", "cat", &image, file]);
    assert!(read("/shm").contains("size=131072k"), "{}", read("/shm"));
    assert_eq!(read("/nofile").trim(), "1234");
}

#[test]
fn buildx_only_keys_are_refused_at_their_line() {
    let compose = "services:\n  web:\n    build:\n      context: .\n      ssh: [default]\n    command: [sleep, '1']\n";
    let env = TestEnv::new("images-buildkit", compose);
    write_context(&env, ".");
    let run = env.berth(&["build"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "services.web.build.ssh needs buildx; berth builds with the engine's own BuildKit"
        ) && run.stderr.contains("compose.yaml:5:7"),
        "{}",
        run.stderr
    );
}

#[test]
fn buildx_only_build_flags_are_refused_not_ignored() {
    let compose = "services:\n  web:\n    build: .\n    command: [sleep, '1']\n";
    let env = TestEnv::new("images-buildkit-flags", compose);
    write_context(&env, ".");
    let run = env.berth(&["build", "--check"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("--check needs buildx") && run.stderr.contains("own BuildKit"),
        "{}",
        run.stderr
    );
    let run = env.berth(&["build", "--ssh", "default", "--builder", "remote"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    run.assert_stderr_has("--builder, --ssh need buildx");
    // The engine's own builder is the default one: that name is fine.
    env.berth_ok(&["build", "--builder", "default"]);
}

#[test]
fn build_memory_limits_the_build_and_push_pushes_what_was_built() {
    let registry = Registry::start(false);
    let project = crate::harness::project_name("images-build-push");
    let image = format!("{}/{project}/app:1", registry.address);
    let compose = format!(
        "services:\n{}",
        built("web", "./app", &format!("    image: {image}\n"))
    );
    let env = TestEnv::new("images-build-push", &compose);
    write_context(&env, "app");
    // The build step records the memory limit it ran under (cgroup v1 or v2).
    env.write(
        "app/Dockerfile",
        &format!(
            "{DOCKERFILE}RUN (cat /sys/fs/cgroup/memory/memory.limit_in_bytes || \
             cat /sys/fs/cgroup/memory.max) > /limit 2>/dev/null\n"
        ),
    );
    let run = env.berth_ok(&["build", "--memory", "64m", "--push"]);
    run.assert_stderr_has(&format!("Image {image}  Pushed"));
    let limit = docker_ok(&["run", "--rm", "--entrypoint", "cat", &image, "/limit"]);
    assert_eq!(limit.trim(), (64 * 1024 * 1024).to_string());

    // What the registry holds is what was built.
    let built_id = image_id(&image).unwrap();
    docker_ok(&["rmi", &image]);
    docker_ok(&["pull", &image]);
    assert_eq!(image_id(&image), Some(built_id));
}

#[test]
fn a_missing_image_names_the_image_and_its_registry() {
    let registry = Registry::start(false);
    let image = format!("{}/berth-e2e/absent:1", registry.address);
    let compose = format!("services:\n  web:\n    image: {image}\n    command: [sleep, '1']\n");
    let env = TestEnv::new("images-missing", &compose);
    let run = env.berth(&["up", "-d"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    run.assert_stderr_has(&format!(
        "cannot pull {image} (registry {})",
        registry.address
    ));
    assert!(env.containers().is_empty());
}

#[test]
fn push_then_pull_back_from_a_registry() {
    let registry = Registry::start(false);
    let project = crate::harness::project_name("images-push");
    let image = format!("{}/{project}/app:1", registry.address);
    let compose = format!(
        "services:\n{}",
        built("web", "./app", &format!("    image: {image}\n"))
    );
    let env = TestEnv::new("images-push", &compose);
    write_context(&env, "app");
    // A layer big enough for the engine to report its download, made of
    // bytes that do not compress away.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let noise: Vec<u8> = (0..3_000_000)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) as u8
        })
        .collect();
    std::fs::write(env.dir().join("app/noise.bin"), noise).unwrap();
    // The classic builder: BuildKit's cache would keep the layer after
    // `rmi`, and the pull would have nothing to download.
    env.cmd(&["build"])
        .env("DOCKER_BUILDKIT", "0")
        .run()
        .assert_code(0);
    let built_id = image_id(&image).unwrap();
    let run = env.berth_ok(&["push"]);
    run.assert_stderr_has(&format!("Image {image}  Pushed"));

    docker_ok(&["rmi", &image]);
    let run = env.berth_ok(&["pull"]);
    run.assert_stderr_has(&format!("Image {image}  Pulled"));
    assert!(run.stderr.contains("MB"), "byte counts: {}", run.stderr);
    assert_eq!(image_id(&image), Some(built_id));
}

/// `config --resolve-image-digests` and `--lock-image-digests` pin images
/// to the digest their registry gave: from the local image's `RepoDigests`,
/// else from the registry; an image never pushed is an error naming it.
#[test]
fn config_pins_pushed_images_to_their_digests() {
    let registry = Registry::start(false);
    let project = crate::harness::project_name("images-digests");
    let image = format!("{}/{project}/app:1", registry.address);
    let never = format!("{}/{project}/never:1", registry.address);
    let pinned = format!("busybox@sha256:{}", "0".repeat(64));
    let compose = format!(
        "services:\n{}{}  pinned:\n    image: {pinned}\n",
        built("web", "./app", &format!("    image: {image}\n")),
        built("local", "./app", ""),
    );
    let env = TestEnv::new("images-digests", &compose);
    write_context(&env, "app");
    write_context(&env, "other");
    env.write(
        "never.yaml",
        &format!(
            "services:\n{}",
            built("never", "./other", &format!("    image: {never}\n"))
        ),
    );
    env.berth_ok(&["-f", "compose.yaml", "-f", "never.yaml", "build"]);
    docker_ok(&["push", &image]);
    let repo_digest = docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{index .RepoDigests 0}}",
        &image,
    ]);
    let digest = repo_digest.trim().split_once('@').unwrap().1.to_string();
    let wanted = format!("image: {image}@{digest}");

    let run = env.berth_ok(&["config", "--resolve-image-digests"]);
    assert!(run.stdout.contains(&wanted), "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!("image: {pinned}\n")),
        "{}",
        run.stdout
    );
    // Only the digest changes: the rest prints as plain `config` does.
    let plain = env.berth_ok(&["config"]).stdout;
    assert_eq!(
        run.stdout,
        plain.replace(&format!("image: {image}\n"), &format!("{wanted}\n"))
    );

    let lock = env.berth_ok(&["config", "--lock-image-digests"]);
    assert_eq!(
        lock.stdout,
        format!("services:\n  local: {{}}\n  pinned:\n    image: {pinned}\n  web:\n    {wanted}\n")
    );

    // Without the local image, the registry tells the digest.
    docker_ok(&["rmi", &image]);
    let run = env.berth_ok(&["config", "--format", "json", "--resolve-image-digests"]);
    assert_eq!(
        run.json()["services"]["web"]["image"],
        format!("{image}@{digest}").as_str()
    );

    let run = env.berth(&[
        "-f",
        "compose.yaml",
        "-f",
        "never.yaml",
        "config",
        "--resolve-image-digests",
    ]);
    assert_ne!(run.code, Some(0), "{}", run.stdout);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    for part in [
        "service \"never\"",
        never.as_str(),
        "never pushed",
        "push it first",
    ] {
        assert!(run.stderr.contains(part), "{part}: {}", run.stderr);
    }
    assert!(!run.stderr.contains("\"web\""), "{}", run.stderr);
}

#[test]
fn a_base_image_in_a_private_registry_is_pulled_with_the_users_credentials() {
    let registry = Registry::start(true);
    let project = crate::harness::project_name("images-base-auth");
    let base = format!("{}/{project}/base:1", registry.address);
    let compose = format!(
        "services:\n{}{}",
        built("base", "./base", &format!("    image: {base}\n")),
        built("app", "./app", ""),
    );
    let env = TestEnv::new("images-base-auth", &compose);
    write_context(&env, "base");
    env.write(
        "app/Dockerfile",
        &format!("ARG BASE={base}\nFROM $BASE\nRUN test -d /app\n"),
    );
    write_auths(&env, "auths", &registry.address);
    env.write("none/config.json", "{}");
    let config = |dir: &str| env.dir().join(dir).display().to_string();
    env.cmd(&["build", "base"])
        .env("DOCKER_CONFIG", &config("auths"))
        .run()
        .assert_code(0);
    env.cmd(&["push", "base"])
        .env("DOCKER_CONFIG", &config("auths"))
        .run()
        .assert_code(0);
    docker_ok(&["rmi", &base]);

    // The registry turns a builder without credentials away...
    let run = env
        .cmd(&["build", "app"])
        .env("DOCKER_CONFIG", &config("none"))
        .run();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    // ...and lets it pull with the user's, with BuildKit and with the classic builder.
    for buildkit in ["1", "0"] {
        env.cmd(&["build", "--no-cache", "app"])
            .env("DOCKER_CONFIG", &config("auths"))
            .env("DOCKER_BUILDKIT", buildkit)
            .run()
            .assert_code(0);
        // BuildKit keeps what it pulls to itself; the classic builder
        // stores the base image, which the next build must not find.
        let _ = docker(&["rmi", &base]);
    }
}

#[test]
fn credentials_come_from_config_json_and_from_helpers() {
    use std::os::unix::fs::PermissionsExt;
    let registry = Registry::start(true);
    let project = crate::harness::project_name("images-auth");
    let image = format!("{}/{project}/app:1", registry.address);
    let compose = format!(
        "services:\n{}",
        built("web", "./app", &format!("    image: {image}\n"))
    );
    let env = TestEnv::new("images-auth", &compose);
    write_context(&env, "app");
    env.berth_ok(&["build"]);

    // Without credentials the registry says no, and berth says which image and registry.
    env.write("none/config.json", "{}");
    let none = env.dir().join("none");
    let run = env
        .cmd(&["push"])
        .env("DOCKER_CONFIG", none.to_str().unwrap())
        .run();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    run.assert_stderr_has(&format!(
        "cannot push {image} (registry {})",
        registry.address
    ));

    // `auths` with base64 user:password.
    write_auths(&env, "auths", &registry.address);
    let auths = env.dir().join("auths");
    env.cmd(&["push"])
        .env("DOCKER_CONFIG", auths.to_str().unwrap())
        .run()
        .assert_code(0);

    // A credential helper found on PATH.
    docker_ok(&["rmi", &image]);
    let helper = env.dir().join("bin/docker-credential-berthtest");
    env.write(
        "bin/docker-credential-berthtest",
        &format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\necho \"$server\" >> \"$(dirname \"$0\")/asked\"\necho '{{\"ServerURL\":\"'$server'\",\"Username\":\"{}\",\"Secret\":\"{}\"}}'\n",
            REGISTRY_USER.0, REGISTRY_USER.1
        ),
    );
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.write(
        "helpers/config.json",
        &format!(
            r#"{{"credHelpers": {{"{}": "berthtest"}}}}"#,
            registry.address
        ),
    );
    let path = format!(
        "{}:{}",
        env.dir().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    env.cmd(&["pull"])
        .env("DOCKER_CONFIG", env.dir().join("helpers").to_str().unwrap())
        .env("PATH", &path)
        .run()
        .assert_code(0);
    assert!(
        image_id(&image).is_some(),
        "pulled back with the helper's credentials"
    );
    let asked = std::fs::read_to_string(env.dir().join("bin/asked")).unwrap();
    assert_eq!(asked.trim(), registry.address);
}

#[test]
fn pull_policy_never_and_no_build_leave_missing_images_missing() {
    let project = crate::harness::project_name("images-policy");
    let compose = format!(
        "services:\n{}  cached:\n    image: {project}-absent:1\n    pull_policy: never\n    command: [sleep, '1']\n",
        built("web", "./app", "    pull_policy: build\n"),
    );
    let env = TestEnv::new("images-policy", &compose);
    write_context(&env, "app");
    let run = env.berth(&["up", "-d"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    run.assert_stderr_has(&format!(
            "service \"cached\": the image {project}-absent:1 is not on this engine, and pull_policy is never"
        ));
    // `pull_policy: build` builds even when the image is there.
    env.berth_ok(&["up", "-d", "web"]);
    let run = env.berth_ok(&["up", "-d", "web"]);
    run.assert_stderr_has("Service web  Built");

    // --no-build: a missing image is pulled instead, and that fails here.
    env.berth_ok(&["down", "--rmi", "local"]);
    let run = env.berth(&["up", "-d", "--no-build", "web"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    run.assert_stderr_has(&format!("cannot pull {}-web", env.project));
}
