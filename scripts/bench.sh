#!/usr/bin/env bash
# Accredit's benchmarks against this machine's limits (issue 7). Every figure
# is compared with a baseline measured by this script in the same run, so the
# ratios hold on a noisy, shared machine where absolute numbers drift.
#
# Usage:
#   scripts/bench.sh            full run (release build; ~15-25 min, most of it
#                               seeding 100,000 invoices through the API)
#   scripts/bench.sh --quick    seconds per scenario, tiny sizes; run by .ci/run
#                               so the harness never rots. It uses the DEBUG
#                               binary the test run already built (a cold
#                               release build alone takes minutes on CI), so its
#                               figures only prove the harness works.
#   --release                   with --quick: build and use the release binary anyway
#   --update-benchmarks-md      also put the new table into BENCHMARKS.md (between
#                               its bench:results markers)
#
# Knobs (environment): BENCH_SECONDS (per load scenario), BENCH_GROWTH_INVOICES,
# BENCH_POSTINGS, BENCH_PGBENCH_SCALE, BENCH_RENDER_COUNT, BENCH_IDLE_CONNECTIONS,
# BENCH_WEBHOOK_EVENTS (open invoices, so distinct events, for the webhook run),
# BENCH_PERF=1 (record `perf` profiles of the server during the purchase runs
# into target/bench/perf-*.txt; needs Debian linux-perf),
# BENCH_BINARY (use this accredit executable, build nothing),
# BENCH_ONLY (comma-separated scenarios to run, all when empty: render,
# sqlite_purchase, idle_conns, sqlite_growth, sqlite_trial_balance,
# pg_purchase, get_invoice, webhook, pg_trial_balance; a scenario's baseline
# runs with it).
#
# It installs what is missing (Debian: wrk, postgresql-contrib for pgbench;
# PyPI: ReportLab into a venv under target/bench/), starts its own durable
# PostgreSQL through scripts/lib/test-services.sh, runs every scenario and its
# baseline, prints the table and writes target/bench/results.md (the table
# BENCHMARKS.md embeds) and target/bench/results.json. Not a test: it fails
# only when a scenario cannot run, never because a goal is missed.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=scripts/lib/test-services.sh
source "$repo_root/scripts/lib/test-services.sh"

quick=0
force_release=0
update_doc=()
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        --release) force_release=1 ;;
        --update-benchmarks-md) update_doc=("$repo_root/BENCHMARKS.md") ;;
        -h | --help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: scripts/bench.sh [--quick [--release]] [--update-benchmarks-md]" >&2; exit 2 ;;
    esac
done

if ((quick)); then
    mode=quick
    secs="${BENCH_SECONDS:-3}"
    growth_n="${BENCH_GROWTH_INVOICES:-300}"
    postings_n="${BENCH_POSTINGS:-20000}"
    pg_scale="${BENCH_PGBENCH_SCALE:-2}"
    render_n="${BENCH_RENDER_COUNT:-30}"
    webhook_events="${BENCH_WEBHOOK_EVENTS:-200}"
    get_min_invoices=50
    backlog_wait_polls=20
else
    mode=full
    secs="${BENCH_SECONDS:-20}"
    growth_n="${BENCH_GROWTH_INVOICES:-100000}"
    postings_n="${BENCH_POSTINGS:-1000000}"
    pg_scale="${BENCH_PGBENCH_SCALE:-32}"
    render_n="${BENCH_RENDER_COUNT:-300}"
    webhook_events="${BENCH_WEBHOOK_EVENTS:-10000}"
    get_min_invoices=1000
    backlog_wait_polls=240
fi
idle_conns="${BENCH_IDLE_CONNECTIONS:-1000}"
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null || true

out_dir="$repo_root/target/bench"
lua_dir="$repo_root/scripts/bench"
helper=(python3 "$lua_dir/helper.py")
mkdir -p "$out_dir"
started=$SECONDS
log() { printf '==> [%3ds] %s\n' $((SECONDS - started)) "$*" >&2; }

# --- tools ---------------------------------------------------------------------

ensure_bench_tools() {
    local missing=()
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    command -v pgbench >/dev/null 2>&1 || [[ -x /usr/lib/postgresql/15/bin/pgbench ]] \
        || missing+=(postgresql-contrib)
    command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
    if ((${#missing[@]})); then
        log "installing Debian packages: ${missing[*]}"
        local sudo=()
        [[ $EUID -ne 0 ]] && sudo=(sudo)
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
    fi
    command -v perf >/dev/null 2>&1 \
        || log "note: perf (Debian linux-perf) is not installed; it is only needed for profiles"
    bench_venv="$out_dir/venv"
    if ! "$bench_venv/bin/python" -c 'import reportlab' 2>/dev/null; then
        log "installing ReportLab into $bench_venv"
        python3 -m venv "$bench_venv"
        "$bench_venv/bin/python" -m pip install -q --disable-pip-version-check --no-input \
            "reportlab==4.4.4"
    fi
}

pgbench_bin() {
    if command -v pgbench >/dev/null 2>&1; then echo pgbench; else echo /usr/lib/postgresql/15/bin/pgbench; fi
}

# --- measurements --------------------------------------------------------------

measurements="$out_dir/measurements.jsonl"

# record KEY JSON [FIELD=NUMBER-OR-STRING ...]: append one measurement.
record() {
    local key="$1" json="$2"
    shift 2
    python3 - "$key" "$json" "$@" >>"$measurements" <<'PY'
import json, sys
d = json.loads(sys.argv[2])
d["key"] = sys.argv[1]
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    try:
        d[k] = json.loads(v)
    except ValueError:
        d[k] = v
print(json.dumps(d))
PY
}

# run_wrk LUA CONNECTIONS SECONDS [ENV=VALUE ...]: print wrk's BENCH_JSON object.
run_wrk() {
    local lua="$1" conns="$2" dur="$3" threads=2 out
    shift 3
    ((conns < threads)) && threads="$conns"
    out="$(env BENCH_LUA_DIR="$lua_dir" BENCH_KEY_PREFIX="bench-$RANDOM$RANDOM-$SECONDS" \
        BENCH_TOKEN="${token:-}" BENCH_THREADS="$threads" "$@" \
        wrk -t "$threads" -c "$conns" -d "${dur}s" --timeout 30s -s "$lua_dir/$lua" "$base_url" \
        2> >(tail -n 5 >&2))"
    grep -m1 '^BENCH_JSON ' <<<"$out" | cut -d' ' -f2-
}

# profiled NAME CMD...: run CMD; with BENCH_PERF=1, profile the server meanwhile.
profiled() {
    local name="$1" perf_pid=""
    shift
    local waits_pid=""
    if [[ "${BENCH_PERF:-0}" == 1 ]] && command -v perf >/dev/null 2>&1; then
        perf record -q -g -F 499 -p "$server_pid" -o "$work/perf-$name.data" >/dev/null 2>&1 &
        perf_pid=$!
    fi
    if [[ "${BENCH_PERF:-0}" == 1 && -n "${pg_root:-}" ]]; then
        # What the server's PostgreSQL sessions wait on, sampled every 50 ms.
        while :; do
            psql -X -At "$pg_root/accredit" -c "SELECT coalesce(wait_event_type || ':' || wait_event, state) FROM pg_stat_activity WHERE datname = 'accredit' AND pid <> pg_backend_pid()" 2>/dev/null
            sleep 0.05
        done >"$work/waits-$name.txt" &
        waits_pid=$!
    fi
    local b0 b1 out
    b0="$(busy_ms)"
    out="$("$@")"
    b1="$(busy_ms)"
    printf '%s\n' "$out"
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); ok=d.get("ok") or d.get("requests") or 0
if ok: print("==>   %s: machine CPU busy %.3f ms per 2xx response" % (sys.argv[2], (int(sys.argv[4]) - int(sys.argv[3])) / ok))' \
        "$out" "$name" "$b0" "$b1" >&2 2>/dev/null || true
    if [[ -n "$waits_pid" ]]; then
        kill "$waits_pid" 2>/dev/null || true
        wait "$waits_pid" 2>/dev/null || true
        sort "$work/waits-$name.txt" | uniq -c | sort -rn >"$out_dir/waits-$name.txt"
        log "PostgreSQL wait events: $out_dir/waits-$name.txt"
    fi
    if [[ -n "$perf_pid" ]]; then
        kill -INT "$perf_pid" 2>/dev/null || true
        wait "$perf_pid" 2>/dev/null || true
        perf report -i "$work/perf-$name.data" --stdio --no-children --percent-limit 1 \
            2>/dev/null | head -n 400 >"$out_dir/perf-$name.txt" || true
        log "profile: $out_dir/perf-$name.txt"
    fi
}

# want SCENARIO...: true when BENCH_ONLY is empty or names one of them.
want() {
    [[ -z "${BENCH_ONLY:-}" ]] && return 0
    local s
    for s in "$@"; do
        [[ ",${BENCH_ONLY// /}," == *",$s,"* ]] && return 0
    done
    return 1
}

# busy_ms: CPU time (all CPUs, user+system+irq, ms) the machine has spent busy.
busy_ms() {
    awk -v hz="$(getconf CLK_TCK)" '/^cpu / {print int(($2 + $3 + $4 + $7 + $8) * 1000 / hz)}' /proc/stat
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# --- the server ----------------------------------------------------------------

server_pid=""
base_url=""

# start_server NAME [ENV=VALUE ...]: serve from $work/NAME with the given environment.
start_server() {
    local name="$1" port i
    shift
    port="$(_ats_free_ports 1)"
    base_url="http://127.0.0.1:$port"
    mkdir -p "$work/$name"
    env -u ACCREDIT_TEST_POSTGRES_URL -u ACCREDIT_TEST_SERVICES_DIR \
        ACCREDIT_DATA_DIR="$work/$name" "$@" "$bin" serve --bind "127.0.0.1:$port" \
        >>"$work/$name.log" 2>&1 </dev/null &
    server_pid=$!
    for ((i = 0; i < 300; i++)); do
        curl -sf -o /dev/null "$base_url/healthz" && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "server $name did not start; its log:" >&2
    tail -n 30 "$work/$name.log" >&2
    return 1
}

stop_server() {
    [[ -n "$server_pid" ]] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# admin_client NAME [ENV=VALUE ...]: create admin credentials; set admin_id/admin_secret.
admin_client() {
    local name="$1" creds
    shift
    mkdir -p "$work/$name"
    creds="$(env -u ACCREDIT_TEST_POSTGRES_URL -u ACCREDIT_TEST_SERVICES_DIR ACCREDIT_DATA_DIR="$work/$name" "$@" "$bin" clients create --role admin --name bench)"
    admin_id="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_id"])' "$creds")"
    admin_secret="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_secret"])' "$creds")"
}

admin_token() { "${helper[@]}" token "$base_url" "$admin_id" "$admin_secret"; }

# Provider credentials (set once per server database) and a fresh token.
provider_token() {
    if [[ -z "${provider_creds:-}" ]]; then
        provider_creds="$("${helper[@]}" provider "$base_url" "$(admin_token)")"
    fi
    "${helper[@]}" token "$base_url" \
        "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_id"])' "$provider_creds")" \
        "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_secret"])' "$provider_creds")"
}

# seed_invoices TARGET COUNT-COMMAND...: purchase through the API (wrk, c=32) in
# chunks until COUNT-COMMAND prints at least TARGET; sets `have`.
seed_invoices() {
    local target="$1" chunk
    shift
    while :; do
        have="$("$@")"
        ((have >= target)) && break
        token="$(provider_token)"
        # Chunks of at most 60 s, sized from a rough rate; overshoot is small.
        chunk=$(((target - have) / 150 + 1))
        ((chunk > 60)) && chunk=60
        log "   $have of $target; purchasing for ${chunk}s"
        run_wrk purchase.lua 32 "$chunk" >/dev/null
    done
}

# trial_balance KEY POSTINGS: the report under wrk (c=1) with the server's peak RSS.
trial_balance() {
    local key="$1" postings="$2" sampler json
    token="$(admin_token)"
    "${helper[@]}" rss-sample "$server_pid" "$work/rss-peak" &
    sampler=$!
    json="$(run_wrk trial_balance.lua 1 "$secs")"
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    record "$key" "$json" "postings=$postings" "rss_peak_kb=$(cat "$work/rss-peak")"
}

# --- run -----------------------------------------------------------------------

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_server
    stop_test_services
    [[ -n "${work:-}" && -d "$work" ]] && rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_bench_tools
ensure_test_apt_packages

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo_root/target}"
work="$(mktemp -d /tmp/accredit-bench.XXXXXX)"
chmod 755 "$work"
bin="$work/accredit"
if [[ -n "${BENCH_BINARY:-}" ]]; then
    cp "$BENCH_BINARY" "$bin"
    profile="given: $BENCH_BINARY"
elif ((quick && !force_release)); then
    log "cargo build --bin accredit (debug: --quick only proves the harness runs)"
    cargo build --quiet --bin accredit
    cp "$CARGO_TARGET_DIR/debug/accredit" "$bin"
    profile=debug
else
    log "cargo build --release --bin accredit"
    t0=$SECONDS
    cargo build --quiet --release --bin accredit
    log "release build took $((SECONDS - t0)) s"
    cp "$CARGO_TARGET_DIR/release/accredit" "$bin"
    profile=release
fi
: >"$measurements"
record build '{}' "profile=$profile" "mode=$mode"

# 6. Invoice PDFs per core (no server): ours, then ReportLab's same layout.
if want render; then
log "invoice PDFs: accredit bench render-invoices vs ReportLab ($render_n each)"
record render_accredit "$("$bin" bench render-invoices --count "$render_n" --json)"
record render_reportlab "$("$bench_venv/bin/python" "$lua_dir/reportlab_invoice.py" "$render_n" "$repo_root/invoices/fonts")"
fi

# --- SQLite (the embedded default), data dir on the same disk as the baseline ---
if want sqlite_purchase idle_conns sqlite_growth sqlite_trial_balance; then
if want sqlite_purchase sqlite_growth; then
log "SQLite baseline: raw WAL synchronous=FULL, 1 insert + 1 update per txn (${secs}s)"
mkdir -p "$work/sqlite-baseline"
record sqlite_raw "$("${helper[@]}" sqlite-baseline "$work/sqlite-baseline" "$secs")"
fi

admin_client sqlite
start_server sqlite
sleep 2
record rss_idle '{}' "rss_kb=$(rss_kb "$server_pid")"
token="$(provider_token)"
if want sqlite_purchase sqlite_growth; then
log "1. licence purchase on SQLite, c=8, ${secs}s"
record sqlite_purchase "$(profiled sqlite-purchase run_wrk purchase.lua 8 "$secs")"
record rss_after_load '{}' "rss_kb=$(rss_kb "$server_pid")"
fi
if want idle_conns; then
log "8. $idle_conns idle keep-alive connections"
record rss_idle_conns "$("${helper[@]}" idle-conns 127.0.0.1 "${base_url##*:}" "$idle_conns" "$server_pid")"
fi

sqlite_db="$work/sqlite/accredit.db"
if want sqlite_growth; then
log "3. seeding the SQLite database to $growth_n invoices through the API (wrk, c=32)"
seed_invoices "$growth_n" "${helper[@]}" count-sqlite "$sqlite_db" invoices
token="$(provider_token)"
log "3. licence purchase on SQLite after $have invoices, c=8, ${secs}s"
record sqlite_purchase_grown "$(run_wrk purchase.lua 8 "$secs")" "invoices=$have"
fi

if want sqlite_trial_balance; then
log "7. trial balance on SQLite over $postings_n postings (bulk SQL seed)"
seeded="$("${helper[@]}" seed-postings-sqlite "$sqlite_db" "$postings_n")"
postings="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["postings"])' "$seeded")"
trial_balance sqlite_trial_balance "$postings"
record sqlite_trial_balance_baseline "$("${helper[@]}" sqlite-query "$sqlite_db" "$secs")"
fi
stop_server
fi

# --- PostgreSQL (durable) -------------------------------------------------------
if want pg_purchase get_invoice webhook pg_trial_balance; then
log "starting PostgreSQL (fsync on) through scripts/lib/test-services.sh"
start_bench_postgres
pg_root="${ACCREDIT_TEST_POSTGRES_URL%/postgres}"
psql -q -X "$ACCREDIT_TEST_POSTGRES_URL" -c 'CREATE DATABASE accredit' -c 'CREATE DATABASE pgbench'
pgb="$(pgbench_bin)"
log "pgbench -i -s $pg_scale"
"$pgb" -i -q -s "$pg_scale" "$pg_root/pgbench" >"$work/pgbench-init.log" 2>&1
# pgbench_run KEY ARGS...: record pgbench's tps and average latency.
pgbench_run() {
    local key="$1" out tps lat b0 b1
    shift
    b0="$(busy_ms)"
    out="$("$pgb" -n -T "$secs" "$@" 2>&1)"
    b1="$(busy_ms)"
    tps="$(grep -m1 -oE 'tps = [0-9.]+' <<<"$out" | grep -oE '[0-9.]+$')"
    [[ -n "$tps" ]] && log "   $key: machine CPU busy $(python3 -c "print(round(($b1 - $b0) / ($tps * $secs), 3))") ms per transaction"
    lat="$(grep -m1 -oE 'latency average = [0-9.]+' <<<"$out" | grep -oE '[0-9.]+$')"
    [[ -n "$tps" ]] || { echo "$out" >&2; return 1; }
    record "$key" "{\"throughput\": $tps, \"mean_ms\": ${lat:-null}}"
}
if want pg_purchase webhook; then
log "baseline: pgbench TPC-B c=32 (${secs}s)"
pgbench_run pgbench_tpcb -c 32 -j 2 "$pg_root/pgbench"
fi
if want get_invoice; then
log "baseline: pgbench -S c=64 (${secs}s)"
pgbench_run pgbench_select -S -c 64 -j 2 "$pg_root/pgbench"
fi

pg_env=(ACCREDIT_DATABASE_URL="$pg_root/accredit")
admin_client pg "${pg_env[@]}"
provider_creds=""
start_server pg "${pg_env[@]}"
token="$(provider_token)"
if want pg_purchase; then
log "2. licence purchase on PostgreSQL, c=32, ${secs}s"
record pg_purchase "$(profiled pg-purchase run_wrk purchase.lua 32 "$secs")"
fi

if want get_invoice; then
seed_invoices "$get_min_invoices" psql -X -At "$pg_root/accredit" -c 'SELECT count(*) FROM invoices'
# The purchases above leave their PDFs to the outbox worker; a GET of an invoice
# whose PDF is not archived yet renders it (invoice_documents). Wait for the
# backlog so this row measures reading invoices, not rendering the last
# scenario's PDFs (at most 120 s, 10 s with --quick; what is left is logged).
for ((i = 0; i < backlog_wait_polls; i++)); do
    pending="$(psql -X -At "$pg_root/accredit" -c "SELECT count(*) FROM outbox WHERE status = 'pending'")"
    ((pending == 0)) && break
    sleep 0.5
done
log "   outbox backlog before the GET run: $pending pending jobs"
log "5. GET /v1/invoices/{id} on PostgreSQL, c=64, ${secs}s"
psql -X -At "$pg_root/accredit" -c 'SELECT id FROM invoices ORDER BY random() LIMIT 5000' >"$work/invoice-ids"
token="$(admin_token)"
record pg_get_invoice "$(profiled pg-get-invoice run_wrk get_invoice.lua 64 "$secs" BENCH_IDS_FILE="$work/invoice-ids")"
fi

if want webhook; then
log "4. signed Stripe webhooks on PostgreSQL, c=32: $webhook_events open invoices to pay"
token="$(provider_token)"
seed_invoices "$webhook_events" psql -X -At "$pg_root/accredit" -c "SELECT count(*) FROM invoices WHERE status = 'open'"
stop_server
# A PaymentIntent row per open invoice, as creating one through Stripe would
# leave (the sale path with Stripe on calls Stripe; the webhook path does not).
psql -q -X -v ON_ERROR_STOP=1 "$pg_root/accredit" -c "
    INSERT INTO payment_intents (id, invoice_id, client_secret, status, amount_minor, currency, created_at, updated_at)
    SELECT 'pi_bench_' || md5(i.id), i.id, NULL, 'requires_payment_method', i.total_minor - i.amount_paid_minor,
           i.currency, now(), now()
    FROM invoices i WHERE i.status = 'open'
      AND NOT EXISTS (SELECT 1 FROM payment_intents p WHERE p.invoice_id = i.id)"
start_server pg "${pg_env[@]}" ACCREDIT_STRIPE_SECRET_KEY=sk_test_bench \
    ACCREDIT_STRIPE_API_BASE="http://127.0.0.1:9/" ACCREDIT_STRIPE_WEBHOOK_SECRET=whsec_bench
psql -X -At -F $'\t' "$pg_root/accredit" -c "
    SELECT p.id, p.invoice_id, p.amount_minor, p.currency FROM payment_intents p
    WHERE NOT EXISTS (SELECT 1 FROM payments y WHERE y.stripe_payment_intent_id = p.id)
    ORDER BY random()" >"$work/intents"
events="$("${helper[@]}" sign-events whsec_bench "$work/intents" "$work/events")"
n_events="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["events"])' "$events")"
paid_before="$(psql -X -At "$pg_root/accredit" -c 'SELECT count(*) FROM payments')"
webhook="$(run_wrk webhook.lua 32 "$secs" BENCH_EVENTS_FILE="$work/events")"
paid_after="$(psql -X -At "$pg_root/accredit" -c 'SELECT count(*) FROM payments')"
note="$((paid_after - paid_before)) payments recorded from $n_events distinct events"
if python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["duplicates"] else 1)' "$webhook"; then
    note="$note; events ran out: duplicates excluded, so the rate is a lower bound"
fi
record pg_webhook "$webhook" "note=$note"
fi

if want pg_trial_balance; then
log "7. trial balance on PostgreSQL over $postings_n postings (bulk SQL seed)"
psql -q -X -v ON_ERROR_STOP=1 "$pg_root/accredit" -v n="$postings_n" <<'SQL'
SELECT GREATEST(0, (:n - count(*)) / 2) AS pairs FROM ledger_postings \gset
INSERT INTO ledger_transactions (id, occurred_at, description, source_type, source_id)
SELECT 'ltx_bench_' || g, now(), 'bench seed', 'bench', 'bench_' || g FROM generate_series(1, :pairs) g;
INSERT INTO ledger_postings (id, transaction_id, position, account, side, amount_minor, currency)
SELECT 'lp_bench_' || g || '_' || p, 'ltx_bench_' || g, p,
       CASE p WHEN 0 THEN 'receivables' ELSE 'deferred_revenue:course_licences' END,
       CASE p WHEN 0 THEN 'debit' ELSE 'credit' END, 1000 + g % 50000,
       CASE g % 3 WHEN 0 THEN 'EUR' ELSE 'USD' END
FROM generate_series(1, :pairs) g, (VALUES (0), (1)) v(p);
ANALYZE ledger_postings;
SQL
postings="$(psql -X -At "$pg_root/accredit" -c 'SELECT count(*) FROM ledger_postings')"
trial_balance pg_trial_balance "$postings"
echo "SELECT account, currency, side, SUM(amount_minor) FROM ledger_postings GROUP BY account, currency, side;" \
    >"$work/trial-balance.sql"
pgbench_run pg_trial_balance_baseline -c 1 -f "$work/trial-balance.sql" "$pg_root/accredit"
fi
stop_server
stop_test_services
fi

log "done in $((SECONDS - started)) s; results in $out_dir/results.{md,json}"
python3 "$lua_dir/report.py" "$measurements" "$out_dir" "$mode ($profile binary, ${secs}s per load scenario)" "${update_doc[@]}"
