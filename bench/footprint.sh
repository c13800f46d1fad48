#!/usr/bin/env bash
# Prints the binary size and the peak memory (maximum resident set size, from
# /usr/bin/time) of berth and of Docker Compose v2, side by side, for:
#   - `config --format json` of a generated 1000-service project (bench/gen_compose.py),
#   - `ps` of a running 3-service busybox project,
#   - `version`.
#
#   bench/footprint.sh [BERTH_BINARY]     (default: target/release/berth)
#
# Environment: SERVICES (1000), RUNS (5; the median is shown),
# COMPOSE_BIN=/path/to/docker-compose skips the PyPI install,
# BERTH_BENCH_VENV (/tmp/berth-bench-venv) is where Docker Compose is installed.
# Needs the docker engine and the image busybox:latest; creates the project
# berth-footprint (with berth) and removes it on exit. See bench/README.md.
set -euo pipefail

BERTH=${1:-target/release/berth}
SERVICES=${SERVICES:-1000}
RUNS=${RUNS:-5}
VENV=${BERTH_BENCH_VENV:-/tmp/berth-bench-venv}
PROJECT=berth-footprint
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
command -v python3 >/dev/null || die "python3 is needed"
[ -x /usr/bin/time ] || apt_install time
[[ "$SERVICES" =~ ^[1-9][0-9]*$ ]] || die "SERVICES must be a positive integer"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
unset "${!COMPOSE_@}" DOCKER_HOST DOCKER_CONTEXT 2>/dev/null || true

BERTH=$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH")
[ -x "$BERTH" ] || die "no berth binary at $BERTH (cargo build --release)"
ensure_compose

DIR=$(mktemp -d /tmp/berth-footprint.XXXXXX)
cleanup() {
    (cd "$DIR/small" 2>/dev/null && "$BERTH" -p "$PROJECT" down -t 0 >/dev/null 2>&1) || true
    rm -rf "$DIR"
}
trap cleanup EXIT
mkdir -p "$DIR/big" "$DIR/small"
python3 "$HERE/gen_compose.py" "$DIR/big" "$SERVICES"
cat >"$DIR/small/compose.yaml" <<'EOF'
services:
  a:
    image: busybox:latest
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
  b:
    image: busybox:latest
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    depends_on: [a]
  c:
    image: busybox:latest
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    environment:
      X: "1"
EOF
(cd "$DIR/small" && "$BERTH" -p "$PROJECT" up -d >/dev/null 2>&1) || die "berth could not bring up $PROJECT"

# peak DIR BIN ARGS...: median peak RSS in MiB of RUNS runs (each must exit 0).
peak() {
    local dir=$1; shift
    local i kb
    for ((i = 0; i < RUNS; i++)); do
        (cd "$dir" && /usr/bin/time -f '%M' -o "$DIR/rss" "$@" >/dev/null 2>"$DIR/err" </dev/null) \
            || { say "failed: $* (in $dir): $(tail -n 1 "$DIR/err")"; echo "failed"; return; }
        kb=$(tail -n 1 "$DIR/rss")
        echo "$kb"
    done | sort -n | python3 -c '
import statistics, sys
lines = sys.stdin.read().split()
ok = lines and all(l.isdigit() for l in lines)
print("%.1f" % (statistics.median(map(int, lines)) / 1024) if ok else "failed")'
}
mb() { python3 -c "import os, sys; print('%.1f' % (os.path.getsize(sys.argv[1]) / 1048576))" "$1"; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2" 2>/dev/null || echo "-"; }

row() {   # row LABEL BERTH_VALUE COMPOSE_VALUE
    printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"
}

say "berth: $("$BERTH" version 2>&1 | head -n 1); Docker Compose: $compose_version; median of $RUNS"
echo "| measure | berth | Docker Compose | berth/compose |"
echo "| --- | ---: | ---: | ---: |"
row "binary size (MiB)" "$(mb "$BERTH")" "$(mb "$COMPOSE")"
row "peak RSS (MiB), \`config --format json\`, $SERVICES services" \
    "$(peak "$DIR/big" "$BERTH" config --format json)" "$(peak "$DIR/big" "$COMPOSE" config --format json)"
row "peak RSS (MiB), \`ps\`, 3 running" \
    "$(peak "$DIR/small" "$BERTH" -p "$PROJECT" ps)" "$(peak "$DIR/small" "$COMPOSE" -p "$PROJECT" ps)"
row "peak RSS (MiB), \`version\`" \
    "$(peak "$DIR/small" "$BERTH" version)" "$(peak "$DIR/small" "$COMPOSE" version)"
