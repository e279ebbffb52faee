#!/usr/bin/env bash
# Accredit's test command: installs what the tests need (poppler-utils, qpdf,
# a Python venv in .test-env/ with localstripe and aiosmtpd), starts throwaway
# PostgreSQL 15 / Stripe peer / SMTP sink, runs the unit tests once, the
# `api` integration suite on SQLite and on PostgreSQL, then the OpenAPI contract
# test (scripts/contract-test.sh: schemathesis against a live service, as admin
# and as provider, 0 failures to pass), then stops everything.
# The contract test runs when no filter is given; ACCREDIT_TEST_CONTRACT=0 skips
# it, ACCREDIT_CONTRACT_MAX_TIME sets its budget per role (default 45 s).
#
# Usage:
#   scripts/test.sh [TESTNAME-FILTER / libtest args...]
#       e.g. scripts/test.sh licence        (args go after `--` to every cargo test)
#   ACCREDIT_TEST_DATABASES=sqlite scripts/test.sh     (or postgres; default both)
#   scripts/test.sh --services-only                     start services, print the
#                                                       env, wait for Ctrl-C
#   scripts/test.sh --services-only -- CMD [ARGS...]    run CMD with services up
#
# For an interactive shell: `source scripts/lib/test-services.sh;
# start_test_services` (see that file).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=scripts/lib/test-services.sh
source "$repo_root/scripts/lib/test-services.sh"

services_only=0
run_cmd=()
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
if [[ "${1:-}" == "--services-only" ]]; then
    services_only=1
    shift
    if [[ "${1:-}" == "--" ]]; then
        shift
        run_cmd=("$@")
    elif (($# > 0)); then
        echo "usage: scripts/test.sh --services-only [-- CMD ARGS...]" >&2
        exit 2
    fi
    set --
fi

databases="${ACCREDIT_TEST_DATABASES:-sqlite postgres}"
databases="${databases//,/ }"
read -r -a databases <<<"$databases"
for db in "${databases[@]}"; do
    case "$db" in
        sqlite | postgres) ;;
        *) echo "ACCREDIT_TEST_DATABASES: unknown backend '$db' (sqlite, postgres)" >&2; exit 2 ;;
    esac
done

summary=()
phase_start=0
phase() { phase_start=$SECONDS; printf '\n==> %s\n' "$*"; }
phase_done() { # STATUS NAME
    local line
    line="$(printf '%-28s %s (%ds)' "$2" "$1" $((SECONDS - phase_start)))"
    summary+=("$line")
    printf '==> %s\n' "$line"
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_test_services
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

phase "install test dependencies"
ensure_test_dependencies || { phase_done FAILED "install dependencies"; exit 1; }
phase_done ok "install dependencies"

phase "start PostgreSQL, Stripe peer, SMTP sink"
if ! start_test_services; then
    phase_done FAILED "start services"
    exit 1
fi
phase_done ok "start services"
print_test_service_env

if ((services_only)); then
    if ((${#run_cmd[@]})); then
        set +e
        "${run_cmd[@]}"
        rc=$?
        set -e
        exit "$rc"
    fi
    echo "services are up; Ctrl-C stops them"
    # `wait` (unlike a foreground sleep) lets the INT/TERM traps run at once.
    while true; do
        sleep 3600 &
        wait $! || true
    done
fi

failed=0
run_phase() { # NAME CMD...
    local name="$1"
    shift
    phase "$name: $*"
    if "$@"; then
        phase_done ok "$name"
    else
        phase_done FAILED "$name"
        failed=1
    fi
}

run_phase "unit tests" cargo test --no-fail-fast --lib --bins -- "$@"
for db in "${databases[@]}"; do
    run_phase "api tests ($db)" env ACCREDIT_TEST_DATABASE="$db" cargo test --test api -- "$@"
done
# The OpenAPI contract against a live service (SQLite, embedded default): every
# schemathesis check, phases examples, coverage, fuzzing and stateful. Skipped
# when a test filter is given (a partial run) or with ACCREDIT_TEST_CONTRACT=0.
if (($# == 0)) && [[ "${ACCREDIT_TEST_CONTRACT:-1}" == "1" ]]; then
    run_phase "contract (schemathesis)" scripts/contract-test.sh
fi

if ((failed)); then
    print_test_service_logs 40
fi
printf '\n==> summary\n'
printf '    %s\n' "${summary[@]}"
if ((failed)); then
    echo "==> FAILED"
    exit 1
fi
echo "==> all test runs passed"
