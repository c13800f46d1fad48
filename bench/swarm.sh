#!/usr/bin/env bash
# Times `berth stack deploy` against `docker stack deploy` on a single-node
# swarm of its own: a second dockerd beside the main one (which never joins
# a swarm), stopped and removed on exit.
#
#   bench/swarm.sh [BERTH_BINARY]            (default: target/release/berth)
#
# Environment: SERVICES (20). Prints, for a stack of SERVICES services: the
# time to converged (berth; docker with --detach=false), an unchanged
# redeploy (berth; docker with --detach=false and --detach=true), and the
# Version.Index of one service after the redeploys.
set -euo pipefail

BERTH=$(realpath "${1:-target/release/berth}")
SERVICES=${SERVICES:-20}
DIR=$(mktemp -d /tmp/berth-bench-swarm-XXXXXX)
SOCK="unix://$DIR/docker.sock"

cleanup() {
    if [ -f "$DIR/docker.pid" ]; then
        local pid
        pid=$(cat "$DIR/docker.pid")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    grep " $DIR" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l || true
    rm -rf "$DIR"
    ip link del "${BRIDGE:-berthbench0}" 2>/dev/null || true
}
trap cleanup EXIT

echo '{}' > "$DIR/daemon.json"
# A bridge of its own: with `--bridge none` a 20.10 dockerd deletes the host's
# docker0, which the main engine still uses.
BRIDGE=berthbench0
ip link show "$BRIDGE" >/dev/null 2>&1 || {
    ip link add "$BRIDGE" type bridge && ip addr add 10.213.98.1/24 dev "$BRIDGE" && ip link set "$BRIDGE" up
}
dockerd --config-file "$DIR/daemon.json" --data-root "$DIR/data" --exec-root "$DIR/exec" \
    -H "$SOCK" --pidfile "$DIR/docker.pid" --bridge "$BRIDGE" --iptables=false --ip-masq=false \
    > "$DIR/dockerd.log" 2>&1 &
for _ in $(seq 1 600); do DOCKER_HOST=$SOCK docker version >/dev/null 2>&1 && break; sleep 0.1; done
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DOCKER_HOST=$SOCK docker swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$PORT" >/dev/null
docker image inspect busybox:latest >/dev/null 2>&1 || { echo "build busybox:latest on the main engine first (the e2e harness does)" >&2; exit 1; }
docker save busybox:latest | DOCKER_HOST=$SOCK docker load -q >/dev/null

cd "$DIR"
{
    echo "version: '3.8'"
    echo "services:"
    for i in $(seq 1 "$SERVICES"); do
        printf "  s%d:\n    image: busybox:latest\n    command: [sleep, '100000']\n    stop_grace_period: 1s\n    environment:\n      N: '%d'\n" "$i" "$i"
    done
} > compose.yaml

export DOCKER_HOST=$SOCK
timed() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    printf '%8.2f s  %s\n' "$(echo "$end - $start" | bc)" "$*"
}
timed "$BERTH" stack deploy --resolve-image never bsbench1
timed "$BERTH" stack deploy --resolve-image never bsbench1
timed docker stack deploy --resolve-image never --detach=false -c compose.yaml bsbench2
timed docker stack deploy --resolve-image never --detach=false -c compose.yaml bsbench2
timed docker stack deploy --resolve-image never --detach=true -c compose.yaml bsbench2
docker service inspect bsbench1_s1 bsbench2_s1 --format '{{.Spec.Name}}: Version.Index {{.Version.Index}}'
