#!/usr/bin/env python3
"""Small helpers for scripts/bench.sh (standard library only).

Subcommands (each prints one line, JSON unless said otherwise):
  token URL CLIENT_ID SECRET          access token (plain text)
  provider URL ADMIN_TOKEN            create a provider and a client for it
  sqlite-baseline DIR SECONDS         raw SQLite WAL synchronous=FULL txn/s
  sqlite-query DB SECONDS             trial-balance GROUP BY, mean ms per run
  idle-conns HOST PORT N PID          RSS of PID with N idle keep-alive connections
  sign-events SECRET IN OUT           signed payment_intent.succeeded events
  rss-sample PID OUT                  sample VmRSS every 0.1 s into OUT until killed
  seed-postings-sqlite DB N           add balanced postings until the ledger holds N
  count-sqlite DB TABLE               rows in TABLE (plain number)
"""

import asyncio
import hashlib
import hmac
import json
import os
import sqlite3
import sys
import time
import urllib.parse
import urllib.request
import uuid


def _post(url, body, headers):
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def token(url, client_id, secret):
    body = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    ).encode()
    r = _post(f"{url}/v1/auth/token", body, {"Content-Type": "application/x-www-form-urlencoded"})
    print(r["access_token"])


def provider(url, admin_token):
    h = {
        "Authorization": f"Bearer {admin_token}",
        "Content-Type": "application/json",
    }
    p = _post(
        f"{url}/v1/providers",
        json.dumps(
            {
                "kind": "education_center",
                "legal_name": "Bench Training GmbH",
                "email": f"billing+{uuid.uuid4().hex}@example.org",
                "country": "DE",
                "billing_address": {
                    "line1": "Unter den Linden 5",
                    "city": "Berlin",
                    "postal_code": "10117",
                },
                "tax_id": "DE123456789",
            }
        ).encode(),
        {**h, "Idempotency-Key": str(uuid.uuid4())},
    )
    # Only an accredited provider buys course-content licences: admit this one
    # by the bootstrap review (as the founding centres are), as the tests do.
    _post(
        f"{url}/v1/accreditations",
        json.dumps(
            {
                "kind": "education_center",
                "provider_id": p["id"],
                "statement": "Founding provider",
                "basis": "bootstrap_review",
                "case": "Admitted by the oversight committee's formal review",
                "facility": {
                    "address": "Unter den Linden 5, 10117 Berlin",
                    "capacity": 20,
                    "attestation": "We run a staffed training facility.",
                },
            }
        ).encode(),
        {**h, "Idempotency-Key": str(uuid.uuid4())},
    )
    c = _post(
        f"{url}/v1/providers/{p['id']}/clients",
        json.dumps({"name": "bench"}).encode(),
        {**h, "Idempotency-Key": str(uuid.uuid4())},
    )
    print(json.dumps({"provider_id": p["id"], "client_id": c["client_id"],
                      "client_secret": c["client_secret"]}))


def sqlite_baseline(directory, seconds):
    """One INSERT and one UPDATE per transaction, WAL, synchronous=FULL,
    one connection (SQLite has one writer at a time anyway)."""
    path = os.path.join(directory, "baseline.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE counters (id INTEGER PRIMARY KEY, next INTEGER NOT NULL)")
    db.execute("CREATE TABLE sales (id TEXT PRIMARY KEY, number INTEGER NOT NULL, "
               "amount_minor INTEGER NOT NULL, payload TEXT NOT NULL)")
    db.execute("INSERT INTO counters VALUES (1, 1)")
    n, payload = 0, "x" * 512
    start = time.perf_counter()
    end = start + seconds
    while time.perf_counter() < end:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO sales VALUES (?, ?, 25000, ?)", (uuid.uuid4().hex, n, payload))
        db.execute("UPDATE counters SET next = next + 1 WHERE id = 1")
        db.execute("COMMIT")
        n += 1
    elapsed = time.perf_counter() - start
    db.close()
    print(json.dumps({"transactions": n, "seconds": elapsed, "throughput": n / elapsed}))


TRIAL_BALANCE_SQL = ("SELECT account, currency, side, SUM(amount_minor) FROM ledger_postings "
                     "GROUP BY account, currency, side")


def sqlite_query(db_path, seconds):
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    db.execute(TRIAL_BALANCE_SQL).fetchall()  # warm the page cache
    times, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 3:
        t0 = time.perf_counter()
        db.execute(TRIAL_BALANCE_SQL).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(json.dumps({"runs": len(times), "mean_ms": sum(times) / len(times),
                      "p50_ms": times[len(times) // 2]}))


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def _idle_conns(host, port, n, pid):
    conns, failed = [], 0
    request = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n".encode()

    async def one():
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        return writer

    for i in range(0, n, 100):
        results = await asyncio.gather(*(one() for _ in range(min(100, n - i))),
                                       return_exceptions=True)
        for r in results:
            if isinstance(r, Exception):
                failed += 1
            else:
                conns.append(r)
    await asyncio.sleep(0.5)
    rss = rss_kb(pid)
    for w in conns:
        w.close()
    print(json.dumps({"connections": len(conns), "failed": failed, "rss_kb": rss}))


def sign_events(secret, src, dst):
    """IN: lines "intent_id<TAB>invoice_id<TAB>amount_minor<TAB>currency"."""
    now = int(time.time())
    n = 0
    with open(src) as fin, open(dst, "w") as fout:
        for line in fin:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4:
                continue
            intent, invoice, amount, currency = parts
            payload = json.dumps({
                "id": f"evt_bench_{uuid.uuid4().hex}",
                "object": "event",
                "type": "payment_intent.succeeded",
                "created": now,
                "livemode": False,
                "data": {"object": {
                    "id": intent, "object": "payment_intent", "status": "succeeded",
                    "amount": int(amount), "amount_received": int(amount),
                    "currency": currency.lower(), "metadata": {"invoice_id": invoice},
                }},
                "pending_webhooks": 1,
            }, separators=(",", ":"))
            mac = hmac.new(secret.encode(), f"{now}.{payload}".encode(), hashlib.sha256)
            fout.write(f"t={now},v1={mac.hexdigest()}\t{payload}\n")
            n += 1
    print(json.dumps({"events": n}))


def rss_sample(pid, out):
    peak = 0
    while True:
        try:
            peak = max(peak, rss_kb(pid))
        except OSError:
            break
        with open(out, "w") as f:
            f.write(str(peak))
        time.sleep(0.1)


def seed_postings_sqlite(db_path, target):
    """Bulk SQL, two postings (debit receivables, credit deferred revenue) per
    transaction, currencies mixed, until ledger_postings holds `target` rows."""
    db = sqlite3.connect(db_path, timeout=60, isolation_level=None)
    have = db.execute("SELECT count(*) FROM ledger_postings").fetchone()[0]
    pairs = max(0, (target - have) // 2)
    if pairs:
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "INSERT INTO ledger_transactions (id, occurred_at, description, source_type, source_id) "
            "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ?) "
            "SELECT 'ltx_bench_' || g, '2026-11-01 00:00:00', 'bench seed', 'bench', 'bench_' || g "
            "FROM s", (pairs,))
        db.execute(
            "INSERT INTO ledger_postings (id, transaction_id, position, account, side, amount_minor, currency) "
            "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ?) "
            "SELECT 'lp_bench_' || g || '_' || p, 'ltx_bench_' || g, p, "
            "CASE p WHEN 0 THEN 'receivables' ELSE 'deferred_revenue:course_licences' END, "
            "CASE p WHEN 0 THEN 'debit' ELSE 'credit' END, 1000 + g % 50000, "
            "CASE g % 3 WHEN 0 THEN 'EUR' ELSE 'USD' END "
            "FROM s, (SELECT 0 AS p UNION ALL SELECT 1)", (pairs,))
        db.execute("COMMIT")
    print(json.dumps({"had": have, "added": 2 * pairs,
                      "postings": db.execute("SELECT count(*) FROM ledger_postings").fetchone()[0]}))


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "token":
        token(*args)
    elif cmd == "provider":
        provider(*args)
    elif cmd == "sqlite-baseline":
        sqlite_baseline(args[0], float(args[1]))
    elif cmd == "sqlite-query":
        sqlite_query(args[0], float(args[1]))
    elif cmd == "idle-conns":
        asyncio.run(_idle_conns(args[0], int(args[1]), int(args[2]), int(args[3])))
    elif cmd == "sign-events":
        sign_events(*args)
    elif cmd == "seed-postings-sqlite":
        seed_postings_sqlite(args[0], int(args[1]))
    elif cmd == "count-sqlite":
        db = sqlite3.connect(f"file:{args[0]}?mode=ro", uri=True, timeout=30)
        print(db.execute(f"SELECT count(*) FROM {args[1]}").fetchone()[0])
    elif cmd == "rss-sample":
        rss_sample(int(args[0]), args[1])
    else:
        sys.exit(f"unknown subcommand {cmd}")


if __name__ == "__main__":
    main(sys.argv)
