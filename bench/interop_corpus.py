#!/usr/bin/env python3
"""Hash equality with Docker Compose on the conformance corpus.

  python3 bench/interop_corpus.py BERTH COMPOSE [--corpus DIR] [--only TEXT]

For every corpus case Docker Compose loads, the images the stack names are
made locally (the test busybox image, tagged under each name; nothing is
pulled or built), then, both ways:

  1. one tool creates the stack (`create`: containers made, not started);
  2. the other tool's `create` runs on it;
  3. the container and network IDs before and after are compared: equal
     means nothing was recreated.

Cases one of the tools cannot create here (a missing external network,
a device, a platform...) are counted apart. Prints one line per case and a
summary: stacks where neither tool recreated anything / stacks created.
"""
import argparse, json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, cwd=None, env=None):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def docker(*args):
    return run(["docker", *args])


def ids(project):
    containers = docker("ps", "-aq", "--no-trunc", "--filter", f"label=com.docker.compose.project={project}").stdout.split()
    networks = docker("network", "ls", "-q", "--no-trunc", "--filter", f"label=com.docker.compose.project={project}").stdout.split()
    return sorted(containers), sorted(networks)


def cleanup(compose, case_args, cwd, env, project):
    run([compose, "-p", project, *case_args, "down", "-v", "--remove-orphans", "-t", "0"], cwd, env)
    for c in docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={project}").stdout.split():
        docker("rm", "-f", "-v", c)
    for n in docker("network", "ls", "-q", "--filter", f"label=com.docker.compose.project={project}").stdout.split():
        docker("network", "rm", n)
    for v in docker("volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={project}").stdout.split():
        docker("volume", "rm", "-f", v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("berth")
    ap.add_argument("compose")
    ap.add_argument("--corpus", default=os.path.join(HERE, "..", "..", "shared", "corpus"))
    ap.add_argument("--only", default="")
    ap.add_argument("--base-image", default="busybox:latest", help="a local image with /bin/sh")
    a = ap.parse_args()
    a.berth, a.compose = os.path.abspath(a.berth), os.path.abspath(a.compose)
    root = os.path.abspath(a.corpus)
    # Every image the stacks name is this one: the base with a default command.
    base = "berth-interop-base:latest"
    built = subprocess.run(["docker", "build", "-q", "-t", base, "-"], input=f"FROM {a.base_image}\nCMD [\"sleep\", \"3600\"]\n", capture_output=True, text=True)
    if built.returncode != 0:
        sys.exit(f"cannot build {base}: {built.stderr}")
    a.base_image = base
    index = json.load(open(os.path.join(root, "expected-index.json")))
    tagged = []
    created = same = skipped = 0
    for i, case in enumerate(index["cases"]):
        if case["rc"] != 0 or case.get("config_args"):
            continue
        label = f"{case['cwd']} {' '.join(case['args'])}"
        if a.only and a.only not in label:
            continue
        cwd = os.path.join(root, case["cwd"])
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"), "PWD": cwd}
        project = f"berth-interop-{i}"
        images = run([a.compose, "-p", project, *case["args"], "config", "--images"], cwd, env)
        if images.returncode != 0:
            skipped += 1
            print(f"skip   {label}: config --images failed")
            continue
        bad_ref = False
        for image in images.stdout.split():
            if "@" in image:
                bad_ref = True
                break
            # Existing tags (the e2e image is also `busybox` and `alpine`)
            # are moved to the base and put back at the end.
            found = docker("image", "inspect", "-f", "{{.Id}}", image)
            if docker("tag", a.base_image, image).returncode != 0:
                bad_ref = True
                break
            tagged.append((image, found.stdout.strip() if found.returncode == 0 else None))
        if bad_ref:
            skipped += 1
            print(f"skip   {label}: an image cannot be made locally")
            continue
        outcome = []
        try:
            for first, second in ((a.compose, a.berth), (a.berth, a.compose)):
                cleanup(a.compose, case["args"], cwd, env, project)
                made = run([first, "-p", project, *case["args"], "create"], cwd, env)
                if made.returncode != 0:
                    outcome.append(("cannot", os.path.basename(first), made.stderr.strip().splitlines()[-1:] or [""]))
                    break
                before = ids(project)
                again = run([second, "-p", project, *case["args"], "create"], cwd, env)
                if again.returncode != 0:
                    outcome.append(("cannot", os.path.basename(second), again.stderr.strip().splitlines()[-1:] or [""]))
                    break
                after = ids(project)
                outcome.append(("same" if before == after else "recreated", os.path.basename(second), []))
        finally:
            cleanup(a.compose, case["args"], cwd, env, project)
        if any(o[0] == "cannot" for o in outcome):
            skipped += 1
            o = [o for o in outcome if o[0] == "cannot"][0]
            print(f"skip   {label}: {o[1]} cannot create it here: {o[2][0][:160]}")
            continue
        created += 1
        if all(o[0] == "same" for o in outcome):
            same += 1
            print(f"same   {label}")
        else:
            print(f"DIFF   {label}: " + ", ".join(f"{o[1]} {o[0]}" for o in outcome))
    for image, previous in reversed(tagged):
        if previous:
            docker("tag", previous, image)
        else:
            docker("rmi", image)
    docker("rmi", base)
    print(f"{same} of {created} stacks: neither tool recreated anything of the other's ({skipped} could not be created here)")


if __name__ == "__main__":
    sys.exit(main())
