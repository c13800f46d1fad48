#!/usr/bin/env bash
# berth on Podman's Docker-compatible socket against podman-compose (Debian's
# package), on the same Podman: cold `up -d`, no-op `up -d`, `ps` and `down`
# of a stack of sleepers, median of ROUNDS (default 5) runs each.
#
#   bench/podman.sh target/release/berth [services]
#
# Starts its own `podman system service` on a temporary socket, with a
# containers.conf of its own (default_ulimits = [], which sandboxes without
# CAP_SYS_RESOURCE need), and builds a busybox image in Podman's store from
# the host's static busybox (nothing is pulled).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BERTH=$(realpath "${1:?usage: bench/podman.sh path/to/berth [services]}")
N=${2:-10}
ROUNDS=${ROUNDS:-5}
command -v podman >/dev/null 2>&1 || apt_install podman
command -v podman-compose >/dev/null 2>&1 || apt_install podman-compose

work=$(mktemp -d /tmp/bp-bench-podman.XXXXXX)
service_pid=
cleanup() {
    (cd "$work/stack" 2>/dev/null && podman-compose -p bpbenchpc down -t 0 >/dev/null 2>&1) || true
    (cd "$work/stack" 2>/dev/null && "$BERTH" -p bpbenchb down -t 0 >/dev/null 2>&1) || true
    # podman-compose 1.0.3 leaves its network behind.
    podman network rm -f bpbenchpc_default >/dev/null 2>&1 || true
    [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

export CONTAINERS_CONF=$work/containers.conf
printf '[containers]\ndefault_ulimits = []\n' >"$CONTAINERS_CONF"
export DOCKER_HOST=unix://$work/podman.sock
podman system service --time=0 "$DOCKER_HOST" >"$work/service.log" 2>&1 &
service_pid=$!
for _ in $(seq 100); do
    curl -sf --unix-socket "$work/podman.sock" http://podman/_ping >/dev/null 2>&1 && break
    sleep 0.1
done
curl -sf --unix-socket "$work/podman.sock" http://podman/_ping >/dev/null || die "podman system service did not answer"

if ! podman image exists busybox:latest; then
    mkdir -p "$work/image"
    cp "$(command -v busybox)" "$work/image/busybox"
    printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n' >"$work/image/Dockerfile"
    podman build -q -t busybox:latest "$work/image" >/dev/null
fi

mkdir -p "$work/stack"
{
    echo "services:"
    for i in $(seq "$N"); do
        printf '  s%s:\n    image: busybox\n    command: ["sh", "-c", "trap '"'"'exit 0'"'"' TERM; while :; do sleep 1 & wait; done"]\n' "$i"
    done
} >"$work/stack/compose.yaml"
cd "$work/stack"

# Milliseconds one command takes.
ms() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || say "failed: $*"
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A times
run_tool() {
    local tool=$1; shift
    local up noop ps down
    for _ in $(seq "$ROUNDS"); do
        up+=" $(ms "$@" up -d)"
        noop+=" $(ms "$@" up -d)"
        ps+=" $(ms "$@" ps)"
        down+=" $(ms "$@" down)"
    done
    for what in up noop ps down; do
        times[$tool.$what]=$(tr ' ' '\n' <<<"${!what}" | grep . | median)
    done
}
run_tool berth "$BERTH" -p bpbenchb --progress quiet
run_tool pc podman-compose -p bpbenchpc

say "podman $(podman --version | awk '{print $3}'), $(podman-compose version 2>/dev/null | awk '/podman-compose.*version/ {print; exit}'), $N services, median of $ROUNDS"
printf '| scenario | berth ms | podman-compose ms | berth/podman-compose |\n| --- | ---: | ---: | ---: |\n'
for what in up noop ps down; do
    case $what in
        up) label="cold \`up -d\`" ;;
        noop) label="no-op \`up -d\`" ;;
        ps) label="\`ps\`" ;;
        down) label="\`down\`" ;;
    esac
    b=${times[berth.$what]} p=${times[pc.$what]}
    printf '| %s | %s | %s | %s |\n' "$label" "$b" "$p" "$(awk -v b="$b" -v p="$p" 'BEGIN {printf "%.2f", (p > 0 ? b / p : 0)}')"
done
