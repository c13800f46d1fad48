#!/usr/bin/env bash
# Measures `watch`: how long a file written on the host takes to be visible
# inside the container, for berth and for Docker Compose v2 side by side, and
# berth's idle CPU and inotify watches on a large tree whose node_modules is
# ignored.
#
#   bench/watch.sh [BERTH_BINARY]          (default: target/release/berth)
#
# Environment: SAMPLES (30) latency samples per tool, FILES (100000) files in
# the idle tree, of which IGNORED_PERCENT (95) under node_modules, IDLE_SECONDS
# (10), COMPOSE_BIN=/path/to/docker-compose skips the PyPI install,
# BERTH_BENCH_VENV (/tmp/berth-bench-venv), SKIP_COMPOSE=1 measures berth only.
#
# How latency is measured: the container runs a loop that reads the synced
# file with the shell's `read` builtin every millisecond and, when its content
# changes, writes the content and the time (microseconds, from busybox
# `adjtimex`, whose tv_usec holds nanoseconds when the kernel's clock is in
# nanosecond mode, status bit 0x2000; the container shares the host's clock) to a marker file on a
# bind mount. The host writes a sequence number into the watched file, notes
# the time just before, and waits for that number to appear in the marker.
# Latency = time seen inside - time written on the host: the host's polling
# of the marker is not part of it. Resolution about 1 ms (the loop's sleep),
# plus the fork of `adjtimex` (~1 ms).
#
# It creates containers and networks only under the projects
# berth-bench-watch and compose-bench-watch, and removes them on exit.
set -euo pipefail

BERTH=${1:-target/release/berth}
SAMPLES=${SAMPLES:-30}
FILES=${FILES:-100000}
IGNORED_PERCENT=${IGNORED_PERCENT:-95}
IDLE_SECONDS=${IDLE_SECONDS:-10}
VENV=${BERTH_BENCH_VENV:-/tmp/berth-bench-venv}

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v docker >/dev/null || die "the docker CLI is needed"
command -v python3 >/dev/null || die "python3 is needed"
unset "${!COMPOSE_@}" DOCKER_CONTEXT 2>/dev/null || true
if [[ "$BERTH" == */* ]]; then BERTH="$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH")"; fi
[ -x "$BERTH" ] || die "berth binary not found: $BERTH (cargo build --release builds target/release/berth)"
[ -n "${SKIP_COMPOSE:-}" ] || ensure_compose

docker image inspect busybox:latest >/dev/null 2>&1 \
    || die "the image busybox:latest is needed (the e2e tests build it: cargo test --test e2e)"

DIR=$(mktemp -d /tmp/berth-bench-watch.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    for p in berth-bench-watch compose-bench-watch berth-bench-idle; do
        docker rm -f $(docker ps -aq --filter "label=com.docker.compose.project=$p") >/dev/null 2>&1 || true
        docker network rm $(docker network ls -q --filter "label=com.docker.compose.project=$p") >/dev/null 2>&1 || true
    done
    rm -rf "$DIR" "/tmp/berth-watch/berth-bench-watch" "/tmp/berth-watch/berth-bench-idle"
}
trap cleanup EXIT

now_us() { echo $(( $(date +%s%N) / 1000 )); }

# A project whose container reports when /app/probe changes.
make_project() { # DIR
    mkdir -p "$1/src" "$1/marker"
    echo start > "$1/src/probe"
    cat > "$1/compose.yaml" <<'EOF'
services:
  app:
    image: busybox:latest
    init: true
    volumes: [./marker:/marker]
    command:
      - sh
      - -c
      - |
        last=
        while :; do
          v=
          read -r v < /app/probe 2>/dev/null || true
          if [ -n "$$v" ] && [ "$$v" != "$$last" ]; then
            t=$$(adjtimex | awk '/status:/ {st=$$2} /tv_sec/ {s=$$2} /tv_usec/ {u=$$2} END {if (and(st, 8192)) u = int(u / 1000); printf "%d%06d", s, u}')
            echo "$$v $$t" > /marker/seen.tmp && mv /marker/seen.tmp /marker/seen
            last=$$v
          fi
          usleep 1000
        done
    develop:
      watch:
        - path: ./src
          target: /app
          action: sync
EOF
}

# Waits (at most 10 s) until the marker holds sequence number N; prints the time seen.
wait_seen() { # DIR N
    local deadline=$(( $(date +%s) + 10 )) line
    while [ "$(date +%s)" -lt "$deadline" ]; do
        line=$(cat "$1/marker/seen" 2>/dev/null || true)
        if [ "${line%% *}" = "$2" ]; then echo "${line#* }"; return 0; fi
        sleep 0.005
    done
    return 1
}

# Percentiles of the numbers on standard input (p50 p95 max).
percentiles() {
    python3 -c '
import sys
v = sorted(float(x) for x in sys.stdin.read().split())
pick = lambda q: v[min(len(v) - 1, int(round(q * (len(v) - 1))))]
print(f"{pick(0.5):.0f} {pick(0.95):.0f} {v[-1]:.0f}")'
}

# Samples the latency of the watch running on DIR; prints p50 p95 max.
latency() { # NAME DIR
    local name=$1 dir=$2 out=$DIR/$1.samples i t0 seen
    : > "$out"
    # A first write, waited for: the session is warm and the container synced.
    for i in $(seq 0 "$SAMPLES"); do
        t0=$(now_us)
        echo "$i" > "$dir/src/probe"
        if ! seen=$(wait_seen "$dir" "$i"); then
            say "$name: change $i not seen inside the container within 10 s"
            return 1
        fi
        [ "$i" -gt 0 ] && echo $(( (seen - t0) / 1000 )) >> "$out"
        sleep 0.7   # longer than Docker Compose's 500 ms debounce: one change per batch
    done
    percentiles < "$out"
}

say "berth: $($BERTH version --short 2>/dev/null || echo '?'), $BERTH"

# --- latency: berth -----------------------------------------------------------
make_project "$DIR/berth"
(cd "$DIR/berth" && "$BERTH" -p berth-bench-watch --progress quiet up -d >/dev/null)
(cd "$DIR/berth" && exec "$BERTH" -p berth-bench-watch watch --no-up > "$DIR/berth.log" 2>&1) &
PIDS+=($!)
for _ in $(seq 200); do grep -q '^watching' "$DIR/berth.log" 2>/dev/null && break; sleep 0.05; done
grep -q '^watching' "$DIR/berth.log" || die "berth watch did not start: $(cat "$DIR/berth.log")"
read -r b50 b95 bmax < <(latency berth "$DIR/berth") || die "berth latency failed: $(tail "$DIR/berth.log")"
say "berth watch: p50 $b50 ms, p95 $b95 ms, max $bmax ms"

# --- latency: Docker Compose --------------------------------------------------
if [ -z "${SKIP_COMPOSE:-}" ]; then
    make_project "$DIR/compose"
    (cd "$DIR/compose" && "$COMPOSE" -p compose-bench-watch up -d --quiet-pull >/dev/null 2>&1)
    (cd "$DIR/compose" && exec "$COMPOSE" -p compose-bench-watch watch --no-up > "$DIR/compose.log" 2>&1) &
    PIDS+=($!)
    for _ in $(seq 200); do grep -qi 'watch enabled' "$DIR/compose.log" 2>/dev/null && break; sleep 0.05; done
    grep -qi 'watch enabled' "$DIR/compose.log" || die "docker compose watch did not start: $(cat "$DIR/compose.log")"
    read -r c50 c95 cmax < <(latency compose "$DIR/compose") || die "compose latency failed: $(tail "$DIR/compose.log")"
    say "docker compose watch: p50 $c50 ms, p95 $c95 ms, max $cmax ms"
fi

# --- idle: a large tree, node_modules ignored -----------------------------------
idle=$DIR/idle
mkdir -p "$idle"
python3 - "$idle" "$FILES" "$IGNORED_PERCENT" <<'EOF'
import os, sys
root, files, ignored_percent = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ignored = files * ignored_percent // 100
per_dir = 100
for kind, count in (("node_modules", ignored), ("src", files - ignored)):
    for i in range(count):
        d = os.path.join(root, "app", kind, f"pkg{i // per_dir // 10}", f"d{i // per_dir}")
        if i % per_dir == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i}.js"), "w") as f:
            f.write("x")
EOF
dirs_kept=$(find "$idle/app" -path "$idle/app/node_modules" -prune -o -type d -print | wc -l)
dirs_all=$(find "$idle/app" -type d | wc -l)
cat > "$idle/compose.yaml" <<'EOF'
services:
  app:
    image: busybox:latest
    init: true
    command: sleep 3600
    develop:
      watch:
        - path: ./app
          target: /app
          action: sync
          ignore: [node_modules]
EOF
(cd "$idle" && "$BERTH" -p berth-bench-idle --progress quiet up -d >/dev/null)
t0=$(now_us)
(cd "$idle" && exec "$BERTH" -p berth-bench-idle watch --no-up > "$DIR/idle.log" 2>&1) &
pid=$!
PIDS+=("$pid")
for _ in $(seq 600); do grep -q '^watching' "$DIR/idle.log" 2>/dev/null && break; sleep 0.05; done
grep -q '^watching' "$DIR/idle.log" || die "berth watch did not start on the large tree: $(cat "$DIR/idle.log")"
ready_ms=$(( ($(now_us) - t0) / 1000 ))
watches=$(cat /proc/"$pid"/fdinfo/* 2>/dev/null | grep -c '^inotify wd:' || true)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks "$pid")
sleep "$IDLE_SECONDS"
after=$(ticks "$pid")
cpu=$(python3 -c "print(f'{100 * ($after - $before) / $hz / $IDLE_SECONDS:.2f}')")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")

cat <<EOF

## watch

| | berth | Docker Compose |
| --- | --- | --- |
| latency p50 (ms) | $b50 | ${c50:--} |
| latency p95 (ms) | $b95 | ${c95:--} |
| latency max (ms) | $bmax | ${cmax:--} |
| p50 ratio berth / compose | $( [ -n "${c50:-}" ] && python3 -c "print(f'{$b50 / max($c50, 1):.2f}')" || echo -) | |

$SAMPLES samples each, one change per batch. Engine: $(docker version --format '{{.Server.Version}}' 2>/dev/null).

Idle tree: $FILES files ($IGNORED_PERCENT% under an ignored node_modules), $dirs_all directories of which $dirs_kept not ignored.
berth watch: ready in $ready_ms ms, $watches inotify watches, idle CPU $cpu% of a core over $IDLE_SECONDS s, RSS $(( rss / 1024 )) MB.
EOF
