# shellcheck shell=bash
#
# Throwaway services for Accredit's test suite: PostgreSQL 15, a Stripe test
# peer (localstripe behind tests/support/localstripe_wrapper.py) and an SMTP
# sink writing into a Maildir (aiosmtpd).
#
# Used by scripts/test.sh. A developer can also use it by hand:
#
#     source scripts/lib/test-services.sh
#     start_test_services          # installs what is missing, starts, exports
#     cargo test --test api foo    # ACCREDIT_TEST_* are now set in this shell
#     stop_test_services           # or just close the shell (see below)
#
# start_test_services exports:
#     ACCREDIT_TEST_POSTGRES_URL       postgres://postgres@127.0.0.1:PORT/postgres
#     ACCREDIT_TEST_STRIPE_API_BASE    http://127.0.0.1:PORT/ (trailing slash)
#     ACCREDIT_TEST_STRIPE_SECRET_KEY  sk_test_accredit
#     ACCREDIT_TEST_SMTP_URL           smtp://127.0.0.1:PORT
#     ACCREDIT_TEST_MAILDIR            Maildir the SMTP sink delivers into
#     ACCREDIT_TEST_SERVICES_DIR       temp dir with data and service logs
#
# Sourcing only defines functions and changes no shell options, so it is safe
# in an interactive shell. Processes started here are NOT stopped when an
# interactive shell exits unless you add `trap stop_test_services EXIT`.
#
# Knobs (environment):
#     ACCREDIT_TEST_STRIPE_WRAPPER  path of the Stripe peer script
#                                   (default tests/support/localstripe_wrapper.py)
#     ACCREDIT_TEST_PG_BINDIR       PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
#     ACCREDIT_TEST_PYTHON          interpreter used to create the venv (default python3)
#     ACCREDIT_TEST_SERVICE_TIMEOUT seconds to wait for each service (default 30)

_ats_repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Pinned Python test peers and tools (schemathesis: scripts/contract-test.sh).
# A missing or differently pinned package is installed into the existing venv.
ACCREDIT_TEST_PY_REQUIREMENTS=(
    "localstripe==1.15.10"
    "aiosmtpd==1.4.6"
    "schemathesis==4.32.5"
)
ACCREDIT_TEST_APT_PACKAGES=(poppler-utils qpdf chromium)   # chromium: tests/api/pages.rs
ACCREDIT_TEST_PG_USER_ROOT="accredit-test"   # system user for initdb when we are root

_ats_log() { printf '==> %s\n' "$*" >&2; }
_ats_err() { printf 'ERROR: %s\n' "$*" >&2; }

_ats_venv_dir() { printf '%s/.test-env/venv' "$_ats_repo_root"; }

# Print the tail of every service log in the services dir.
print_test_service_logs() {
    local dir="${ACCREDIT_TEST_SERVICES_DIR:-}" f
    [[ -n "$dir" && -d "$dir" ]] || return 0
    for f in "$dir"/postgres.log "$dir"/localstripe.log "$dir"/aiosmtpd.log; do
        [[ -f "$f" ]] || continue
        printf -- '----- tail of %s -----\n' "$f" >&2
        tail -n "${1:-40}" "$f" >&2
    done
}

# --- installation ----------------------------------------------------------

ensure_test_apt_packages() {
    local missing=() p status
    for p in "${ACCREDIT_TEST_APT_PACKAGES[@]}"; do
        status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
        [[ "$status" == "install ok installed" ]] || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return 0
    _ats_log "installing Debian packages: ${missing[*]}"
    local sudo=()
    if [[ $EUID -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            _ats_err "need root (or sudo) to install: ${missing[*]}"
            return 1
        fi
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null || return 1
}

# Print the pinned requirements the venv lacks (absent or another version).
_ats_venv_missing() {
    "$1/bin/python" - "${ACCREDIT_TEST_PY_REQUIREMENTS[@]}" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
for req in sys.argv[1:]:
    name, _, pinned = req.partition("==")
    try:
        if version(name) != pinned:
            print(req)
    except PackageNotFoundError:
        print(req)
PY
}

ensure_test_venv() {
    local venv missing
    venv="$(_ats_venv_dir)"
    if [[ -x "$venv/bin/python" ]] \
        && missing="$(_ats_venv_missing "$venv")" && [[ -z "$missing" ]] \
        && "$venv/bin/python" -c 'import localstripe, aiosmtpd, schemathesis' 2>/dev/null; then
        return 0
    fi
    if [[ ! -x "$venv/bin/python" ]]; then
        _ats_log "creating Python venv $venv"
        rm -rf "$venv"
        mkdir -p "$(dirname "$venv")" || return 1
        "${ACCREDIT_TEST_PYTHON:-python3}" -m venv "$venv" || return 1
    fi
    # Additive: a venv shared by several checkouts keeps what others installed.
    _ats_log "installing into $venv: ${ACCREDIT_TEST_PY_REQUIREMENTS[*]}"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input \
        "${ACCREDIT_TEST_PY_REQUIREMENTS[@]}" || return 1
}

ensure_test_dependencies() {
    ensure_test_apt_packages && ensure_test_venv
}

# --- helpers ---------------------------------------------------------------

# Print N distinct free TCP ports on 127.0.0.1 (all bound at once, then released).
_ats_free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

_ats_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

_ats_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# Run a command as the PostgreSQL owner (a system user when we are root).
_ats_as_pg() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u "$ACCREDIT_TEST_PG_USER_ROOT" -- "$@"
    else
        "$@"
    fi
}

_ats_ensure_pg_user() {
    [[ $EUID -eq 0 ]] || return 0
    id -u "$ACCREDIT_TEST_PG_USER_ROOT" >/dev/null 2>&1 && return 0
    _ats_log "creating system user $ACCREDIT_TEST_PG_USER_ROOT (initdb refuses root)"
    useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$ACCREDIT_TEST_PG_USER_ROOT" 2>/dev/null \
        || id -u "$ACCREDIT_TEST_PG_USER_ROOT" >/dev/null 2>&1   # lost a race: fine
}

# Start a command in the background, detached from job control; print its pid.
_ats_spawn() {
    local log="$1"; shift
    ( cd "$ACCREDIT_TEST_SERVICES_DIR" && exec "$@" </dev/null >>"$log" 2>&1 ) &
    printf '%s' "$!"
}

# --- start / stop ----------------------------------------------------------

_ats_start_postgres() {
    local port="$1" dir="$ACCREDIT_TEST_SERVICES_DIR" bindir
    bindir="${ACCREDIT_TEST_PG_BINDIR:-/usr/lib/postgresql/15/bin}"
    [[ -x "$bindir/initdb" ]] || { _ats_err "no PostgreSQL binaries in $bindir"; return 1; }
    _ats_ensure_pg_user || return 1
    mkdir -p "$dir/pg-socket" || return 1
    if [[ $EUID -eq 0 ]]; then
        chown "$ACCREDIT_TEST_PG_USER_ROOT" "$dir" "$dir/pg-socket" || return 1
    fi
    (cd "$dir" && _ats_as_pg "$bindir/initdb" -D "$dir/pgdata" -U postgres -A trust \
        -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1) \
        || { _ats_err "initdb failed"; cat "$dir/initdb.log" >&2; return 1; }
    (cd "$dir" && _ats_as_pg "$bindir/pg_ctl" -D "$dir/pgdata" -l "$dir/postgres.log" \
        -w -t "${ACCREDIT_TEST_SERVICE_TIMEOUT:-30}" \
        -o "-p $port -k $dir/pg-socket -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        start >"$dir/pg_ctl.log" 2>&1) \
        || { _ats_err "PostgreSQL did not start"; cat "$dir/pg_ctl.log" >&2; return 1; }
    _ATS_PG_STARTED=1
    export ACCREDIT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

_ats_start_stripe() {
    local port="$1" dir="$ACCREDIT_TEST_SERVICES_DIR" wrapper venv i
    venv="$(_ats_venv_dir)"
    wrapper="${ACCREDIT_TEST_STRIPE_WRAPPER:-$_ats_repo_root/tests/support/localstripe_wrapper.py}"
    [[ -f "$wrapper" ]] || { _ats_err "Stripe peer wrapper not found: $wrapper"; return 1; }
    _ATS_STRIPE_PID="$(_ats_spawn "$dir/localstripe.log" "$venv/bin/python" "$wrapper" --port "$port")"
    for ((i = 0; i < ${ACCREDIT_TEST_SERVICE_TIMEOUT:-30} * 5; i++)); do
        if curl -s -o /dev/null --max-time 2 -H 'Authorization: Bearer sk_test_x' \
            "http://127.0.0.1:$port/v1/customers"; then
            export ACCREDIT_TEST_STRIPE_API_BASE="http://127.0.0.1:$port/"
            export ACCREDIT_TEST_STRIPE_SECRET_KEY="sk_test_accredit"
            return 0
        fi
        _ats_alive "$_ATS_STRIPE_PID" || break
        sleep 0.2
    done
    _ats_err "Stripe peer did not answer on port $port"
    tail -n 40 "$dir/localstripe.log" >&2
    return 1
}

_ats_start_smtp() {
    local port="$1" dir="$ACCREDIT_TEST_SERVICES_DIR" venv i
    venv="$(_ats_venv_dir)"
    mkdir -p "$dir/maildir/cur" "$dir/maildir/new" "$dir/maildir/tmp" || return 1
    _ATS_SMTP_PID="$(_ats_spawn "$dir/aiosmtpd.log" "$venv/bin/python" -m aiosmtpd -n \
        -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$dir/maildir")"
    for ((i = 0; i < ${ACCREDIT_TEST_SERVICE_TIMEOUT:-30} * 10; i++)); do
        if _ats_port_open "$port"; then
            export ACCREDIT_TEST_SMTP_URL="smtp://127.0.0.1:$port"
            export ACCREDIT_TEST_MAILDIR="$dir/maildir"
            return 0
        fi
        _ats_alive "$_ATS_SMTP_PID" || break
        sleep 0.1
    done
    _ats_err "SMTP sink did not listen on port $port"
    tail -n 40 "$dir/aiosmtpd.log" >&2
    return 1
}

# Install what is missing, start all services, export ACCREDIT_TEST_*.
# On failure everything already started is stopped again.
start_test_services() {
    if [[ -n "${ACCREDIT_TEST_SERVICES_DIR:-}" && -d "${ACCREDIT_TEST_SERVICES_DIR:-}" ]]; then
        _ats_err "services already running in $ACCREDIT_TEST_SERVICES_DIR (stop_test_services first)"
        return 1
    fi
    ensure_test_dependencies || { _ats_err "installing test dependencies failed"; return 1; }
    local tmp ports pg_port stripe_port smtp_port
    if [[ $EUID -eq 0 ]]; then
        tmp="$(mktemp -d /tmp/accredit-test.XXXXXX)" || return 1  # reachable by the pg user
        chmod 755 "$tmp"
    else
        tmp="$(mktemp -d "${TMPDIR:-/tmp}/accredit-test.XXXXXX")" || return 1
    fi
    export ACCREDIT_TEST_SERVICES_DIR="$tmp"
    ports="$(_ats_free_ports 3)" || { stop_test_services; return 1; }
    read -r pg_port stripe_port smtp_port <<<"$ports"
    if _ats_start_postgres "$pg_port" && _ats_start_stripe "$stripe_port" \
        && _ats_start_smtp "$smtp_port"; then
        return 0
    fi
    stop_test_services
    return 1
}

# Stop the given pids: TERM all at once (they shut down in parallel), KILL
# whatever is still alive after 5 s.
_ats_kill() {
    local pid pids=() i
    for pid in "$@"; do
        _ats_alive "$pid" && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    done
    for ((i = 0; i < 50; i++)); do
        local alive=0
        for pid in "${pids[@]}"; do _ats_alive "$pid" && alive=1; done
        ((alive)) || return 0
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    return 0
}

# Stop everything start_test_services started and remove its temp dir.
# Idempotent; safe to call from an EXIT trap.
stop_test_services() {
    local dir="${ACCREDIT_TEST_SERVICES_DIR:-}" bindir
    bindir="${ACCREDIT_TEST_PG_BINDIR:-/usr/lib/postgresql/15/bin}"
    local peers=()
    _ats_alive "${_ATS_STRIPE_PID:-}" && kill -TERM "$_ATS_STRIPE_PID" 2>/dev/null && peers+=("$_ATS_STRIPE_PID")
    _ats_alive "${_ATS_SMTP_PID:-}" && kill -TERM "$_ATS_SMTP_PID" 2>/dev/null && peers+=("$_ATS_SMTP_PID")
    if [[ -n "${_ATS_PG_STARTED:-}" && -n "$dir" && -d "$dir/pgdata" ]]; then
        (cd "$dir" && _ats_as_pg "$bindir/pg_ctl" -D "$dir/pgdata" -m fast -w stop >/dev/null 2>&1) \
            || _ats_err "pg_ctl stop failed (data dir $dir/pgdata)"
    fi
    _ats_kill "${peers[@]}"
    if [[ -n "$dir" && -d "$dir" && "$dir" == */accredit-test.* ]]; then
        rm -rf "$dir"
    fi
    unset _ATS_PG_STARTED _ATS_STRIPE_PID _ATS_SMTP_PID ACCREDIT_TEST_SERVICES_DIR \
        ACCREDIT_TEST_POSTGRES_URL ACCREDIT_TEST_STRIPE_API_BASE ACCREDIT_TEST_STRIPE_SECRET_KEY \
        ACCREDIT_TEST_SMTP_URL ACCREDIT_TEST_MAILDIR
    return 0
}

# Print the exports, e.g. to paste into another shell.
print_test_service_env() {
    local v
    for v in ACCREDIT_TEST_POSTGRES_URL ACCREDIT_TEST_STRIPE_API_BASE ACCREDIT_TEST_STRIPE_SECRET_KEY \
        ACCREDIT_TEST_SMTP_URL ACCREDIT_TEST_MAILDIR ACCREDIT_TEST_SERVICES_DIR; do
        printf 'export %s=%q\n' "$v" "${!v:-}"
    done
}

# --- benchmarks (scripts/bench.sh) ------------------------------------------

# Start only PostgreSQL, durable (fsync, synchronous_commit and full_page_writes
# on, unlike the test cluster), for benchmarks whose baseline is pgbench on the
# same cluster. Same exports and cleanup as start_test_services
# (stop_test_services stops it).
start_bench_postgres() {
    if [[ -n "${ACCREDIT_TEST_SERVICES_DIR:-}" && -d "${ACCREDIT_TEST_SERVICES_DIR:-}" ]]; then
        _ats_err "services already running in $ACCREDIT_TEST_SERVICES_DIR (stop_test_services first)"
        return 1
    fi
    local tmp port
    tmp="$(mktemp -d /tmp/accredit-test.XXXXXX)" || return 1
    chmod 755 "$tmp"
    export ACCREDIT_TEST_SERVICES_DIR="$tmp"
    port="$(_ats_free_ports 1)" || { stop_test_services; return 1; }
    _ats_start_postgres "$port" || { stop_test_services; return 1; }
    # The test cluster runs with fsync off (command-line options, which
    # ALTER SYSTEM cannot override): restart the same data dir durable.
    local dir="$ACCREDIT_TEST_SERVICES_DIR" bindir="${ACCREDIT_TEST_PG_BINDIR:-/usr/lib/postgresql/15/bin}"
    if ! (cd "$dir" && _ats_as_pg "$bindir/pg_ctl" -D "$dir/pgdata" -m fast -w stop >/dev/null 2>&1 \
        && _ats_as_pg "$bindir/pg_ctl" -D "$dir/pgdata" -l "$dir/postgres.log" \
            -w -t "${ACCREDIT_TEST_SERVICE_TIMEOUT:-30}" \
            -o "-p $port -k $dir/pg-socket -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_connections=300" \
            start >"$dir/pg_ctl.log" 2>&1); then
        _ats_err "PostgreSQL did not restart durable"
        cat "$dir/pg_ctl.log" >&2
        stop_test_services
        return 1
    fi
    [[ "$(psql -X -At "$ACCREDIT_TEST_POSTGRES_URL" -c 'SHOW fsync')" == on ]] \
        || { _ats_err "fsync is still off"; stop_test_services; return 1; }
}
