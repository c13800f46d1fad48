use std::path::Path;

use serde_json::{Value, json};

use super::{canonical, set_defaults};
use crate::diag::Diagnostic;
use crate::load::node::Node;
use crate::load::yaml::parse_documents;

fn parse(text: &str) -> Node {
    parse_documents(text, 0).expect("valid YAML").remove(0)
}

fn yaml(text: &str) -> Value {
    parse(text).to_json()
}

fn run(text: &str, skip: bool) -> (Result<Value, Diagnostic>, Vec<Diagnostic>) {
    let mut root = parse(text);
    let mut warnings = Vec::new();
    let r = canonical(&mut root, skip, &mut warnings).map(|()| root.to_json());
    (r, warnings)
}

fn canon(text: &str) -> Value {
    let (r, _) = run(text, false);
    r.unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn canon_err(text: &str) -> Diagnostic {
    run(text, false).0.expect_err(text)
}

/// Each case: a service definition in short syntax, and the same in long syntax.
#[test]
fn service_short_to_long() {
    let cases: &[(&str, &str)] = &[
        ("build: ./dir", "build: {context: ./dir}"),
        (
            "build: {context: ., secrets: [npm, {source: x, target: y}]}",
            "build: {context: ., secrets: [{source: npm}, {source: x, target: y}]}",
        ),
        (
            "build: {provenance: true, sbom: false}",
            "build: {provenance: 'true', sbom: 'false'}",
        ),
        (
            "build: {provenance: mode=max}",
            "build: {provenance: mode=max}",
        ),
        (
            "build: {additional_contexts: ['base=docker-image://alpine', 'src=./s=x']}",
            "build: {additional_contexts: {base: 'docker-image://alpine', src: './s=x'}}",
        ),
        (
            "build: {additional_contexts: {a: ./a}}",
            "build: {additional_contexts: {a: ./a}}",
        ),
        (
            "build: {ssh: [default, 'key=./id_rsa']}",
            "build: {ssh: {default: null, key: ./id_rsa}}",
        ),
        (
            "build: {ssh: {default: null}}",
            "build: {ssh: {default: null}}",
        ),
        (
            "build: {ulimits: {nofile: 10}}",
            "build: {ulimits: {nofile: 10}}",
        ),
        (
            "depends_on: [db, redis]",
            "depends_on: {db: {condition: service_started, required: true}, \
             redis: {condition: service_started, required: true}}",
        ),
        (
            "depends_on: {db: {condition: service_healthy}, cache: {required: false, restart: true}}",
            "depends_on: {db: {condition: service_healthy, required: true}, \
             cache: {required: false, restart: true, condition: service_started}}",
        ),
        ("env_file: .env", "env_file: [{path: .env, required: true}]"),
        (
            "env_file: [a.env, {path: b.env, required: false}, {path: c.env, format: raw}]",
            "env_file: [{path: a.env, required: true}, {path: b.env, required: false}, \
             {path: c.env, format: raw, required: true}]",
        ),
        ("label_file: ./labels", "label_file: [./labels]"),
        ("label_file: [a, b]", "label_file: [a, b]"),
        ("dns: 8.8.8.8", "dns: [8.8.8.8]"),
        ("extends: base", "extends: {service: base}"),
        (
            "extends: {service: base, file: b.yml}",
            "extends: {service: base, file: b.yml}",
        ),
        ("gpus: all", "gpus: [{count: all}]"),
        (
            "gpus: [{driver: nvidia, count: 1}]",
            "gpus: [{driver: nvidia, count: 1}]",
        ),
        (
            "networks: [front, back]",
            "networks: {front: null, back: null}",
        ),
        (
            "networks: {front: {aliases: [a]}}",
            "networks: {front: {aliases: [a]}}",
        ),
        ("models: [llm]", "models: {llm: null}"),
        (
            "devices: [/dev/sda]",
            "devices: [{source: /dev/sda, target: /dev/sda, permissions: rwm}]",
        ),
        (
            "devices: ['/dev/a:/dev/b']",
            "devices: [{source: /dev/a, target: /dev/b, permissions: rwm}]",
        ),
        (
            "devices: ['/dev/a:/dev/b:r']",
            "devices: [{source: /dev/a, target: /dev/b, permissions: r}]",
        ),
        (
            "devices: ['/dev/a::r']",
            "devices: [{source: /dev/a, target: /dev/a, permissions: r}]",
        ),
        (
            "devices: [{source: /dev/a, target: /dev/b}]",
            "devices: [{source: /dev/a, target: /dev/b}]",
        ),
        ("secrets: [token]", "secrets: [{source: token}]"),
        (
            "configs: [cfg, {source: c2, target: /c}]",
            "configs: [{source: cfg}, {source: c2, target: /c}]",
        ),
        (
            "ulimits: {nproc: 65535, nofile: {soft: 1, hard: 2}}",
            "ulimits: {nproc: 65535, nofile: {soft: 1, hard: 2}}",
        ),
        (
            "develop: {watch: [{path: ., action: sync, target: /app, ignore: node_modules, include: '*.js'}]}",
            "develop: {watch: [{path: ., action: sync, target: /app, ignore: [node_modules], include: ['*.js']}]}",
        ),
        // attributes without a short form are left alone
        ("environment: [A=1]", "environment: [A=1]"),
        ("x-custom: {ports: '80'}", "x-custom: {ports: '80'}"),
    ];
    for (short, long) in cases {
        let got = canon(&format!("services:\n  web:\n    {short}\n"));
        let want = yaml(&format!("services:\n  web:\n    {long}\n"));
        assert_eq!(got, want, "{short}");
    }
}

#[test]
fn volumes_short_to_long() {
    let cases: &[(&str, Value)] = &[
        (
            "/var/lib/anonymous",
            json!({"type": "volume", "target": "/var/lib/anonymous", "volume": {}}),
        ),
        (
            "/opt/data:/var/lib/data",
            json!({"type": "bind", "source": "/opt/data", "target": "/var/lib/data",
                   "bind": {"create_host_path": true}}),
        ),
        (
            ".:/code",
            json!({"type": "bind", "source": ".", "target": "/code", "bind": {"create_host_path": true}}),
        ),
        (
            "~/configs:/etc/configs/:ro",
            json!({"type": "bind", "source": "~/configs", "target": "/etc/configs", "read_only": true,
                   "bind": {"create_host_path": true}}),
        ),
        (
            "datavolume:/var/lib/volume",
            json!({"type": "volume", "source": "datavolume", "target": "/var/lib/volume", "volume": {}}),
        ),
        (
            "data:/x:nocopy,ro",
            json!({"type": "volume", "source": "data", "target": "/x", "read_only": true,
                   "volume": {"nocopy": true}}),
        ),
        (
            "./src:/app:Z,rslave",
            json!({"type": "bind", "source": "./src", "target": "/app",
                   "bind": {"selinux": "Z", "propagation": "rslave", "create_host_path": true}}),
        ),
        (
            "C:\\\\data:/data",
            json!({"type": "bind", "source": "C:\\data", "target": "/data",
                   "bind": {"create_host_path": true}}),
        ),
        ("/a", json!({"type": "volume", "target": "/a"})),
        (
            "data:/x/../y/./z",
            json!({"type": "volume", "source": "data", "target": "/y/z", "volume": {}}),
        ),
    ];
    for (short, want) in cases {
        let got = canon(&format!("services:\n  web:\n    volumes: [\"{short}\"]\n"));
        assert_eq!(got["services"]["web"]["volumes"][0], *want, "{short}");
    }
    // long syntax is kept as written
    let long = "services:\n  web:\n    volumes: [{type: bind, source: ./a, target: /a}]\n";
    assert_eq!(canon(long), yaml(long));
}

#[test]
fn ports_short_to_long() {
    let got = canon(
        "services:\n  web:\n    ports:\n      - 3000\n      - \"3001-3002\"\n      - \"8000:8000\"\n      \
         - \"9090-9091:8080-8081/udp\"\n      - \"127.0.0.1:5000:5000\"\n      - \"[::1]:6000:6000\"\n      \
         - \"7000-7010:7000\"\n      - {target: 80, published: \"8080\"}\n",
    );
    let want = json!([
        {"mode": "ingress", "target": 3000, "protocol": "tcp"},
        {"mode": "ingress", "target": 3001, "protocol": "tcp"},
        {"mode": "ingress", "target": 3002, "protocol": "tcp"},
        {"mode": "ingress", "target": 8000, "published": "8000", "protocol": "tcp"},
        {"mode": "ingress", "target": 8080, "published": "9090", "protocol": "udp"},
        {"mode": "ingress", "target": 8081, "published": "9091", "protocol": "udp"},
        {"mode": "ingress", "host_ip": "127.0.0.1", "target": 5000, "published": "5000", "protocol": "tcp"},
        {"mode": "ingress", "host_ip": "::1", "target": 6000, "published": "6000", "protocol": "tcp"},
        {"mode": "ingress", "target": 7000, "published": "7000-7010", "protocol": "tcp"},
        {"target": 80, "published": "8080"},
    ]);
    assert_eq!(got["services"]["web"]["ports"], want);
}

#[test]
fn top_level_resources() {
    let text = "volumes:\n  a:\n  b:\n    external:\n      name: real-b\n  c:\n    external: true\n  \
         d:\n    name: n\n    external: {name: n}\n\
         networks:\n  n:\n    external: {}\n\
         include:\n  - other.yaml\n  - path: [a.yaml, b.yaml]\n";
    let (got, warnings) = run(text, false);
    let want = yaml(
        "volumes:\n  a:\n  b: {external: true, name: real-b}\n  c: {external: true}\n  \
         d: {name: n, external: true}\n\
         networks:\n  n: {external: true}\n\
         include: [{path: other.yaml}, {path: [a.yaml, b.yaml]}]\n",
    );
    assert_eq!(got.unwrap(), want);
    let messages: Vec<&str> = warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "volumes.b: external.name is deprecated. Please set name and external: true",
            "volumes.d: external.name is deprecated. Please set name and external: true",
        ]
    );
    assert_eq!(warnings[0].span.map(|s| s.line_col(text).0), Some(5));
}

#[test]
fn errors_point_at_the_value() {
    let cases: &[(&str, &str, u32)] = &[
        (
            "services:\n  web:\n    volumes:\n      - \":/text_file.txt\"\n",
            "invalid spec: :/text_file.txt: empty section between colons",
            4,
        ),
        (
            "services:\n  web:\n    volumes:\n      - \"\"\n",
            "invalid empty volume spec",
            4,
        ),
        (
            "services:\n  web:\n    ports:\n      - \"80:x\"\n",
            "invalid containerPort: x",
            4,
        ),
        (
            "services:\n  web:\n    ports:\n      - \"80:80:80:80\"\n",
            "invalid IP address: 80:80",
            4,
        ),
        (
            "services:\n  web:\n    ports:\n      - 1.5\n",
            "services.web.ports: invalid type float64 for port",
            4,
        ),
        (
            "services:\n  web:\n    ports: 80\n",
            "services.web.ports: invalid type int for port",
            3,
        ),
        (
            "services:\n  web:\n    devices:\n      - a:b:c:d\n",
            "confusing device mapping, please use long syntax: a:b:c:d",
            4,
        ),
        (
            "services:\n  web:\n    depends_on: db\n",
            "services.web.depends_on: invalid type string for depend_on",
            3,
        ),
        (
            "services:\n  web:\n    depends_on:\n      db: yes\n",
            "services.web.depends_on.db: unsupported value map[db:yes]",
            4,
        ),
        (
            "services:\n  web:\n    env_file: 1\n",
            "services.web.env_file: invalid type int for env_file",
            3,
        ),
        (
            "services:\n  web:\n    build: 1\n",
            "services.web.build: invalid type int for build",
            3,
        ),
        (
            "services:\n  web:\n    extends: [a]\n",
            "services.web.extends: invalid type []interface {} for extends",
            3,
        ),
        (
            "services:\n  web:\n    gpus: 1\n",
            "services.web.gpus: invalid type int for gpus",
            3,
        ),
        (
            "services:\n  web:\n    secrets: [1]\n",
            "services.web.secrets.[]: unsupported type int",
            3,
        ),
        (
            "services:\n  web:\n    build: {ssh: [mykey]}\n",
            "invalid ssh key \"mykey\"",
            3,
        ),
        (
            "services:\n  web:\n    build: {additional_contexts: [novalue]}\n",
            "services.web.build.additional_contexts: invalid value novalue, expected key=value",
            3,
        ),
        (
            "services:\n  web:\n    ulimits: {nofile: x}\n",
            "services.web.ulimits.nofile: invalid type string for ulimits",
            3,
        ),
        (
            "volumes:\n  v:\n    name: a\n    external: {name: b}\n",
            "volumes.v: name and external.name conflict; only use name",
            4,
        ),
        (
            "include:\n  - 1\n",
            "include.[]: invalid type int for include",
            2,
        ),
    ];
    for (text, message, line) in cases {
        let e = canon_err(text);
        assert_eq!(e.message, *message, "{text}");
        assert_eq!(e.span.map(|s| s.line_col(text).0), Some(*line), "{text}");
        assert!(e.hint.is_some(), "{text}");
    }
}

#[test]
fn unparsable_values_are_kept_without_interpolation() {
    let cases = [
        "services:\n  web:\n    volumes: [':/x', {type: bind, source: a, target: /a}]\n",
        "services:\n  web:\n    ports: ['${P}:80', '80']\n",
        "services:\n  web:\n    build: {additional_contexts: ['${CTX}']}\n",
    ];
    for text in cases {
        let (got, _) = run(text, true);
        let mut want = yaml(text);
        if text.contains("volumes") {
            // only the entry that fails to parse is kept as written
            want["services"]["web"]["volumes"][1] =
                json!({"type": "bind", "source": "a", "target": "/a"});
        }
        assert_eq!(got.unwrap(), want, "{text}");
    }
    // values that parse are still made canonical
    let (got, _) = run("services:\n  web:\n    volumes: ['${SRC}:/x']\n", true);
    assert_eq!(
        got.unwrap()["services"]["web"]["volumes"][0],
        json!({"type": "volume", "source": "${SRC}", "target": "/x", "volume": {}})
    );
}

#[test]
fn defaults() {
    let cases: &[(&str, &str)] = &[
        (
            "build: {dockerfile: Dockerfile.dev}",
            "build: {dockerfile: Dockerfile.dev, context: .}",
        ),
        ("build: {context: ./app}", "build: {context: ./app}"),
        (
            "secrets: [{source: token}, {source: b, target: /b}]",
            "secrets: [{source: token, target: /run/secrets/token}, {source: b, target: /b}]",
        ),
        (
            "ports: [{target: 80}]",
            "ports: [{target: 80, protocol: tcp, mode: ingress}]",
        ),
        (
            "ports: [{target: 80, protocol: udp, mode: host}]",
            "ports: [{target: 80, protocol: udp, mode: host}]",
        ),
        (
            "gpus: [{driver: nvidia}]",
            "gpus: [{driver: nvidia, count: all}]",
        ),
        (
            "deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}, {device_ids: ['0']}]}}}",
            "deploy: {resources: {reservations: {devices: [{capabilities: [gpu], count: all}, {device_ids: ['0']}]}}}",
        ),
        ("configs: [{source: c}]", "configs: [{source: c}]"),
    ];
    for (before, after) in cases {
        let mut root = parse(&format!("services:\n  web:\n    {before}\n"));
        set_defaults(&mut root).unwrap();
        assert_eq!(
            root.to_json(),
            yaml(&format!("services:\n  web:\n    {after}\n")),
            "{before}"
        );
    }
    let mut root = parse("services:\n  web:\n    secrets: [x]\n");
    let e = set_defaults(&mut root).unwrap_err();
    assert_eq!(
        e.message,
        "services.web.secrets.[]: unsupported type string"
    );
}

/// Runs canonical, defaults and path resolution over compose-go's full
/// example and compares what those steps decide with Docker Compose's own
/// output (skipped when the shared corpus is not around).
#[test]
fn full_example_matches_compose() {
    let dir = Path::new("/work/shared/corpus/compose-go/loader");
    let (Ok(text), Ok(expected)) = (
        std::fs::read_to_string(dir.join("full-example.yml")),
        std::fs::read_to_string(dir.join("full-example.yml+no-consistency.expected.json")),
    ) else {
        return;
    };
    let corpus = dir
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let expected: Value = serde_json::from_str(&expected.replace("@CORPUS@", &corpus)).unwrap();
    let stderr =
        std::fs::read_to_string(dir.join("full-example.yml+no-consistency.expected.stderr"))
            .unwrap();

    let mut root = parse(&text);
    let mut warnings = Vec::new();
    canonical(&mut root, false, &mut warnings).unwrap();
    set_defaults(&mut root).unwrap();
    crate::load::paths::resolve_paths(&mut root, dir, Some(Path::new("/home/compose-user")))
        .unwrap();
    let got = root.to_json();

    let foo = &got["services"]["foo"];
    let want = &expected["services"]["foo"];
    assert_eq!(foo["ports"], want["ports"]);
    // the short-syntax volumes (the long ones get typed later: `size: 10000` → "10000")
    let volumes = foo["volumes"].as_array().unwrap();
    assert_eq!(volumes[..7], want["volumes"].as_array().unwrap()[..7]);
    assert_eq!(foo["build"]["context"], want["build"]["context"]);
    assert_eq!(
        foo["build"]["additional_contexts"],
        want["build"]["additional_contexts"]
    );
    assert_eq!(foo["build"]["secrets"][0], want["build"]["secrets"][0]);
    assert_eq!(foo["configs"][0], want["configs"][0]);
    assert_eq!(foo["secrets"][0], want["secrets"][0]);
    assert_eq!(foo["devices"], want["devices"]);
    assert_eq!(foo["dns"], want["dns"]);
    assert_eq!(foo["ulimits"], want["ulimits"]);
    for dep in ["db", "redis"] {
        assert_eq!(
            foo["depends_on"][dep]["condition"],
            want["depends_on"][dep]["condition"]
        );
        assert_eq!(
            foo["depends_on"][dep]["required"],
            want["depends_on"][dep]["required"]
        );
    }
    assert_eq!(
        foo["env_file"],
        json!([
            {"path": format!("{}/example1.env", dir.display()), "required": true},
            {"path": format!("{}/example2.env", dir.display()), "required": false},
        ])
    );
    for (kind, key) in [
        ("networks", "other-external-network"),
        ("volumes", "other-external-volume"),
        ("configs", "config2"),
        ("secrets", "secret2"),
    ] {
        // unused resources are pruned from Compose's output
        if expected[kind].get(key).is_none() {
            continue;
        }
        assert_eq!(
            got[kind][key]["name"], expected[kind][key]["name"],
            "{kind}.{key}"
        );
        assert_eq!(
            got[kind][key]["external"], expected[kind][key]["external"],
            "{kind}.{key}"
        );
    }
    for kind in ["configs", "secrets"] {
        for (key, value) in expected[kind].as_object().into_iter().flatten() {
            assert_eq!(got[kind][key]["file"], value["file"], "{kind}.{key}");
        }
    }
    let mut messages: Vec<String> = warnings.iter().map(|w| w.message.clone()).collect();
    let mut want_messages: Vec<String> = stderr
        .lines()
        .filter_map(|l| {
            l.strip_prefix("level=warning msg=\"")?
                .strip_suffix('"')
                .map(str::to_string)
        })
        .collect();
    messages.sort();
    want_messages.sort();
    assert_eq!(messages, want_messages);
}
