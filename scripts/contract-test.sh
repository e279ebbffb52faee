#!/usr/bin/env bash
# Contract test: runs schemathesis (PyPI, pinned in scripts/lib/test-services.sh)
# against a live `accredit serve` on the embedded default (SQLite in a temp data
# dir, mail to files, no Stripe), once authenticated as an admin and once as a
# provider, with every check and the phases examples, coverage, fuzzing and
# stateful (OpenAPI links from each create to its reads). 0 failures passes.
#
# Usage:
#   scripts/contract-test.sh                 builds target/debug/accredit first
#   ACCREDIT_CONTRACT_BIN=PATH scripts/contract-test.sh   uses that binary
#   ACCREDIT_CONTRACT_MAX_TIME=SECONDS       time budget per role (default 45)
#   ACCREDIT_CONTRACT_ROLES="admin provider" roles to run (default both)
#   ACCREDIT_CONTRACT_KEEP=1                 keep the temp dir (server log, reports)
#
# Needs the venv of scripts/lib/test-services.sh (ensure_test_dependencies).
# tests/support/schemathesis_hooks.py gives each request a fresh Idempotency-Key
# (see its header); tests/support/schemathesis.toml counts 413/414 as refusals.
# scripts/test.sh runs this after the api suites (ACCREDIT_TEST_CONTRACT=0 skips).
#
# Last run (2026-11-22, 45 s per role, 67 operations): 0 failures as admin
# (2,160 cases) and as provider (3,018 cases). Operations whose 422 comes from a
# rule JSON Schema cannot state (catalogue codes in a body, dates relative to
# today, role-dependent fields, nothing to pay, accreditation eligibility and
# transitions) are listed, each with its rule, in tests/support/schemathesis.toml.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=scripts/lib/test-services.sh
source "$repo_root/scripts/lib/test-services.sh"

ensure_test_venv
venv="$(_ats_venv_dir)"
max_time="${ACCREDIT_CONTRACT_MAX_TIME:-45}"
read -r -a roles <<<"${ACCREDIT_CONTRACT_ROLES:-admin provider}"

bin="${ACCREDIT_CONTRACT_BIN:-}"
if [[ -z "$bin" ]]; then
    cargo build --quiet --bin accredit
    bin="${CARGO_TARGET_DIR:-$repo_root/target}/debug/accredit"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/accredit-contract.XXXXXX")"
server_pid=""
finish() {
    local rc=$?
    trap - EXIT INT TERM
    if _ats_alive "$server_pid"; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if ((rc != 0)) && [[ -f "$work/server.log" ]]; then
        printf -- '----- tail of %s -----\n' "$work/server.log" >&2
        tail -n 30 "$work/server.log" >&2
    fi
    if [[ "${ACCREDIT_CONTRACT_KEEP:-0}" == 1 ]]; then
        echo "==> kept $work" >&2
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

read -r port < <(_ats_free_ports 1)
base="http://127.0.0.1:$port"

# The service on its embedded default. The public and token rate limits are
# raised: schemathesis sends hundreds of requests a minute from one address, and
# a 429 on sign-up or login would turn its checks into noise.
service_env=(
    env -u ACCREDIT_DATABASE_URL -u ACCREDIT_CONTRACT_BIN -u ACCREDIT_CONTRACT_MAX_TIME -u ACCREDIT_CONTRACT_ROLES -u ACCREDIT_CONTRACT_KEEP -u ACCREDIT_STRIPE_SECRET_KEY -u ACCREDIT_SMTP_URL
    ACCREDIT_DATA_DIR="$work/data"
    ACCREDIT_BIND="127.0.0.1:$port"
    ACCREDIT_PUBLIC_RATE_LIMIT_PER_MINUTE=100000
    ACCREDIT_TOKEN_RATE_LIMIT_PER_MINUTE=100000
    ACCREDIT_TOKEN_IP_RATE_LIMIT_PER_MINUTE=100000
)
mkdir -p "$work/data"
"${service_env[@]}" "$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fs "$base/healthz" >/dev/null 2>&1 && break
    _ats_alive "$server_pid" || { echo "accredit serve exited" >&2; exit 1; }
    sleep 0.2
done
curl -fs "$base/healthz" >/dev/null || { echo "accredit serve did not answer on $base" >&2; exit 1; }

token() { # CREDENTIALS-JSON
    curl -fsS -X POST "$base/v1/auth/token" -d grant_type=client_credentials \
        -d "client_id=$(jq -r .client_id <<<"$1")" \
        -d "client_secret=$(jq -r .client_secret <<<"$1")" | jq -er .access_token
}
uuid() { cat /proc/sys/kernel/random/uuid; }

admin_token="$(token "$("${service_env[@]}" "$bin" clients create --role admin --name contract-admin)")"
provider_id="$(curl -fsS -X POST "$base/v1/providers" -H "Authorization: Bearer $admin_token" \
    -H "Idempotency-Key: $(uuid)" -H 'Content-Type: application/json' -d '{
      "kind": "education_center", "legal_name": "Contract Test Training GmbH",
      "email": "billing@contract.example", "country": "DE", "tax_id": "DE123456789",
      "billing_address": {"line1": "Hauptstraße 1", "city": "München", "postal_code": "80331"}}' | jq -er .id)"
provider_token="$(token "$(curl -fsS -X POST "$base/v1/providers/$provider_id/clients" \
    -H "Authorization: Bearer $admin_token" -H "Idempotency-Key: $(uuid)" \
    -H 'Content-Type: application/json' -d '{"name": "contract-provider"}')")"

failed=0
for role in "${roles[@]}"; do
    case "$role" in
        admin) tok="$admin_token" ;;
        provider) tok="$provider_token" ;;
        *) echo "unknown role '$role' (admin, provider)" >&2; exit 2 ;;
    esac
    printf '\n==> schemathesis as %s (max %ss)\n' "$role" "$max_time"
    # Tokens live 900 s by default, longer than one role's run.
    # Run from the temp dir: schemathesis keeps its replay store in ./.schemathesis.
    if ! (cd "$work" && export ACCREDIT_CONTRACT_TOKEN="$tok" \
        SCHEMATHESIS_HOOKS="$repo_root/tests/support/schemathesis_hooks.py" &&
        "$venv/bin/st" --no-color --config-file "$repo_root/tests/support/schemathesis.toml" run "$repo_root/openapi/openapi.json" -u "$base" \
        --checks all \
        --phases examples,coverage,fuzzing,stateful \
        --max-examples 30 --max-time "$max_time" --seed 1 \
        --workers 2 \
        --report junit --report-dir "$work/report-$role" \
        --warnings off \
        --generation-database none); then
        failed=1
    fi
done
exit "$failed"
