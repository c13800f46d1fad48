#!/usr/bin/env bash
# Regenerates link/hot-symbols.txt: the functions berth runs for its common
# commands, which build.rs asks the linker to place first in release builds
# (see build.rs for why: fewer 64 KiB code blocks touched, less memory).
#
#   bench/hot-symbols.sh [BERTH_BINARY]    (default: target/release/berth)
#
# Runs, under valgrind's callgrind, `version`, `--help`, `config` (of a
# generated 200-service file, YAML and JSON), and on a small busybox project
# `ps`, `up -d`, `ps` again, `up -d` again, `logs` and `down`, all with the
# schema's verdicts remembered, then one `config` that validates. The
# functions are grouped by which of the three commands bench/footprint.sh
# measures (`version`, `config --format json`, `ps` of the running project)
# run them, the groups put in the order where each command's functions lie
# closest together, and what none of the three runs last, each group in the
# order the functions were first run; the list goes to link/hot-symbols.txt.
# A stripped binary is read through the link map that
# build.rs asks for (target/release/build/berth-*/out/berth.map): the newest
# map is used, so run this right after `cargo build --release`. Rebuild
# afterwards for the list to take effect. Needs valgrind, python3, the docker
# engine and the image busybox:latest; uses the project name berth-hot-syms.
# OUT=path writes the list elsewhere.
set -euo pipefail

BERTH=${1:-target/release/berth}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
OUT=${OUT:-$ROOT/link/hot-symbols.txt}
PROJECT=berth-hot-syms

# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
command -v valgrind >/dev/null || apt_install valgrind
BERTH=$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH")
[ -x "$BERTH" ] || die "no berth binary at $BERTH"
unset "${!COMPOSE_@}" 2>/dev/null || true

MAP=$(ls -t "$ROOT"/target/release/build/berth-*/out/berth.map 2>/dev/null | head -n 1 || true)
if [ "$(nm "$BERTH" 2>/dev/null | wc -l)" -eq 0 ]; then
    [ -n "$MAP" ] || die "$BERTH is stripped and there is no link map: build with cargo build --release first"
    [ "$MAP" -nt "$BERTH" ] || [ "$(stat -c %Y "$MAP")" -ge "$(( $(stat -c %Y "$BERTH") - 5 ))" ] \
        || die "the link map $MAP is older than $BERTH"
fi

DIR=$(mktemp -d /tmp/berth-hot.XXXXXX)
cleanup() {
    (cd "$DIR/small" 2>/dev/null && "$BERTH" -p "$PROJECT" down -v -t 0 >/dev/null 2>&1) || true
    rm -rf "$DIR"
}
trap cleanup EXIT
mkdir -p "$DIR/big" "$DIR/small" "$DIR/cg"
python3 "$HERE/gen_compose.py" "$DIR/big" 200
cat >"$DIR/small/compose.yaml" <<'EOF'
services:
  a:
    image: busybox:latest
    command: ["sleep", "3600"]
    init: true
    stop_signal: SIGKILL
  b:
    image: busybox:latest
    command: ["sh", "-c", "echo hello; exec sleep 3600"]
    stop_signal: SIGKILL
    depends_on: [a]
    ports: ["127.0.0.1::80"]
  c:
    image: busybox:latest
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    environment:
      X: "1"
    volumes: [data:/data]
volumes:
  data:
EOF

run() {   # run LABEL DIR ARGS...: one command under callgrind
    local label=$1 dir=$2; shift 2
    n=$((n + 1))
    say "callgrind: berth $*"
    local out
    out="$DIR/cg/$(printf %02d $n)-$label"
    (cd "$dir" && valgrind --tool=callgrind --demangle=no --compress-strings=no \
        --compress-pos=no --dump-instr=yes --callgrind-out-file="$out.out" \
        "$BERTH" "$@" >/dev/null 2>"$out.log" </dev/null) \
        || die "berth $* failed under valgrind (see $DIR/cg)"
}
n=0
# A model validated once is not validated again (see src/load/schema_cache.rs):
# the runs below see warm verdicts, as most commands do, and one last run
# with none adds the validator's functions after everything else.
export XDG_CACHE_HOME="$DIR/cache"
(cd "$DIR/small" && "$BERTH" config -q && cd "$DIR/big" && "$BERTH" config -q) \
    || die "berth config failed on the generated projects"
# The labels version, config and ps name the runs bench/footprint.sh measures.
run version "$DIR/small" version
run help "$DIR/small" --help
run other "$DIR/small" -p "$PROJECT" ps
run other "$DIR/big" config
run config "$DIR/big" config --format json
run other "$DIR/small" -p "$PROJECT" up -d
run ps "$DIR/small" -p "$PROJECT" ps
run other "$DIR/small" -p "$PROJECT" up -d
run other "$DIR/small" -p "$PROJECT" logs
run other "$DIR/small" -p "$PROJECT" down
XDG_CACHE_HOME="$DIR/cold" run other "$DIR/big" config -q

python3 - "$BERTH" "${MAP:-}" "$OUT" "$DIR"/cg/*.out <<'PY'
import bisect, itertools, re, subprocess, sys

binary, map_path, out, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

# Every function of the binary: from its symbols, or else from the link map's
# input sections (.text.<symbol>, one per function).
starts, sizes, names = [], [], []
syms = subprocess.run(["nm", "-S", binary], capture_output=True, text=True).stdout
for line in syms.splitlines():
    p = line.split()
    if len(p) == 4 and p[2] in "tTwW":
        starts.append(int(p[0], 16)); sizes.append(int(p[1], 16)); names.append(p[3])
if not starts:
    section = re.compile(r"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+.*:\(\.text\.(.+)\)$")
    for line in open(map_path):
        m = section.match(line)
        if m and int(m.group(2), 16):
            name = re.sub(r"^(unlikely|hot|startup|exit|split)\.", "", m.group(3))
            starts.append(int(m.group(1), 16)); sizes.append(int(m.group(2), 16))
            names.append(name)
order = sorted(range(len(starts)), key=starts.__getitem__)
starts, sizes, names = ([xs[i] for i in order] for xs in (starts, sizes, names))

# Every instruction run in the binary (callgrind --dump-instr=yes writes its
# address first on each cost line) names the function that holds it.
def functions(run):
    ob, found = "", {}
    for line in open(run):
        if line.startswith("ob="):
            ob = line[3:].strip()
            continue
        if ob != binary or not line.startswith("0x"):
            continue
        addr = int(line.split(None, 1)[0], 16)
        i = bisect.bisect_right(starts, addr) - 1
        if i >= 0 and addr < starts[i] + sizes[i]:
            found.setdefault(i, None)
    return list(found)

# First seen over all runs, and which measured command runs each function.
MEASURED = ("version", "config", "ps")
first_seen, users = {}, {}
for run in runs:
    label = run.rsplit("-", 1)[1].removesuffix(".out")
    for i in functions(run):
        first_seen.setdefault(i, len(first_seen))
        if label in MEASURED:
            users.setdefault(i, set()).add(label)

# The kernel maps code in 64 KiB blocks around each page touched, so a
# command costs the span of code its functions are spread over. Functions
# are grouped by the measured commands that run them, and the groups are
# put in the order where the three spans add up least (each command's
# functions then lie together); what none of them runs comes last.
groups = {}
for i in first_seen:
    groups.setdefault(frozenset(users.get(i, ())), []).append(i)
rest = groups.pop(frozenset(), [])
weight = {g: sum(sizes[i] for i in fs) for g, fs in groups.items()}
def spread(order):
    total = 0
    for command in MEASURED:
        at = [k for k, g in enumerate(order) if command in g]
        total += sum(weight[g] for g in order[at[0]:at[-1] + 1]) if at else 0
    return total
best = min(itertools.permutations(groups), key=spread)
hot = [names[i] for g in best for i in groups[g]] + [names[i] for i in rest]
hot = list(dict.fromkeys(hot))
with open(out, "w") as f:
    f.write("".join(n + "\n" for n in hot))
print(f"{len(hot)} functions written to {out}", file=sys.stderr)
PY
