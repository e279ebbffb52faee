#!/usr/bin/env python3
"""Turns the measurements of one scripts/bench.sh run into the results table.

Usage: report.py MEASUREMENTS.jsonl OUT_DIR MODE [BENCHMARKS.md]
Reads one JSON object a line, each with a "key" (see scripts/bench.sh), writes
OUT_DIR/results.json and OUT_DIR/results.md (the Markdown BENCHMARKS.md embeds)
and prints the Markdown. Given BENCHMARKS.md, it also replaces the table between
its `<!-- bench:results:start -->` and `<!-- bench:results:end -->` markers. A missing measurement leaves its row "not measured".
"""

import json
import os
import platform
import subprocess
import sys
import time


def load(path):
    m = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                d = json.loads(line)
                m[d["key"]] = d
    return m


def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except Exception:  # noqa: BLE001 - best effort description
            return ""
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    disk = sh("df -h --output=source,fstype,size /tmp | tail -1")
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gb": round(mem_kb / 1048576, 1),
            "disk_tmp": " ".join(disk.split()), "kernel": platform.release()}


def goal_met(op, target, x):
    if x is None:
        return None
    return {">=": x >= target, "<=": x <= target, "<": x < target}[op]


def rows(m):
    out = []

    def g(key, field):
        return m.get(key, {}).get(field)

    def ratio(a, b):
        return a / b if a is not None and b else None

    def add(name, value, unit, baseline, baseline_text, r, op, target, goal_text,
            p50=None, p99=None, note="", key=None):
        failed = m.get(key, {}).get("non_2xx") if key else None
        if failed:
            note = f"{note}; " if note else ""
            note += f"{failed} of {m[key].get('requests')} requests answered non-2xx"
        checked = r if r is not None or op is None else None
        if unit == "MB":
            checked = value
        out.append({
            "scenario": name, "value": value, "unit": unit, "p50_ms": p50, "p99_ms": p99,
            "baseline": baseline, "baseline_text": baseline_text, "ratio": r,
            "goal": goal_text, "met": goal_met(op, target, checked), "note": note,
        })

    s1, raw = g("sqlite_purchase", "throughput"), g("sqlite_raw", "throughput")
    add("licence purchase, SQLite, c=8", s1, "req/s", raw,
        "raw SQLite WAL synchronous=FULL, 1 insert + 1 update per txn (txn/s)",
        ratio(s1, raw), ">=", 0.5, "≥ 0.5",
        g("sqlite_purchase", "p50_ms"), g("sqlite_purchase", "p99_ms"), key="sqlite_purchase")
    p50, p99 = g("sqlite_purchase", "p50_ms"), g("sqlite_purchase", "p99_ms")
    add("same, p99 ÷ p50 latency", None, "", None, "—", ratio(p99, p50), "<=", 10, "≤ 10",
        p50, p99)
    s2, tpcb = g("pg_purchase", "throughput"), g("pgbench_tpcb", "throughput")
    add("licence purchase, PostgreSQL (fsync on), c=32", s2, "req/s", tpcb,
        "pgbench TPC-B c=32, same cluster (tps)", ratio(s2, tpcb), ">=", 0.5, "≥ 0.5",
        g("pg_purchase", "p50_ms"), g("pg_purchase", "p99_ms"), key="pg_purchase")
    s3 = g("sqlite_purchase_grown", "throughput")
    n = g("sqlite_purchase_grown", "invoices")
    add(f"purchase rate after {n or 'N'} invoices ÷ on an empty database (SQLite, c=8)", s3,
        "req/s", s1, "the SQLite purchase row above (req/s)", ratio(s3, s1), ">=", 0.9, "≥ 0.9",
        g("sqlite_purchase_grown", "p50_ms"), g("sqlite_purchase_grown", "p99_ms"),
        key="sqlite_purchase_grown")
    s4 = g("pg_webhook", "throughput")
    add("signed Stripe webhook ingest (distinct payment_intent.succeeded), PostgreSQL, c=32",
        s4, "events/s", tpcb, "pgbench TPC-B c=32 (tps)", ratio(s4, tpcb), ">=", 0.7, "≥ 0.7",
        g("pg_webhook", "p50_ms"), g("pg_webhook", "p99_ms"),
        g("pg_webhook", "note") or "", key="pg_webhook")
    s5, sel = g("pg_get_invoice", "throughput"), g("pgbench_select", "throughput")
    add("authenticated GET /v1/invoices/{id}, PostgreSQL, c=64", s5, "req/s", sel,
        "pgbench -S c=64 (tps)", ratio(s5, sel), ">=", 0.5, "≥ 0.5",
        g("pg_get_invoice", "p50_ms"), g("pg_get_invoice", "p99_ms"), key="pg_get_invoice")
    s6, rl = g("render_accredit", "per_cpu_second"), g("render_reportlab", "per_cpu_second")
    add("invoice PDFs per second per core (render + SHA-256 + write)", s6, "PDF/s", rl,
        "ReportLab, same one-page 20-line layout (PDF/s per core)", ratio(s6, rl), ">=", 3,
        "≥ 3×")
    for db, label in (("pg", "PostgreSQL"), ("sqlite", "SQLite")):
        t, b = g(f"{db}_trial_balance", "mean_ms"), g(f"{db}_trial_balance_baseline", "mean_ms")
        postings = g(f"{db}_trial_balance", "postings")
        tool = "psql (pgbench -f, c=1)" if db == "pg" else "sqlite3 (Python sqlite3 module)"
        add(f"trial balance over {postings or 'N'} postings, {label} (mean ms, time ÷ baseline)",
            t, "ms", b, f"the same GROUP BY in {tool} (ms)", ratio(t, b), "<=", 1.25, "≤ 1.25×",
            g(f"{db}_trial_balance", "p50_ms"), g(f"{db}_trial_balance", "p99_ms"))
        rss = g(f"{db}_trial_balance", "rss_peak_kb")
        add(f"server RSS during the trial balance, {label}", rss / 1024 if rss else None, "MB",
            None, "—", None, "<", 100, "< 100 MB")
    for key, label, target in (("rss_idle", "idle", 60), ("rss_after_load", "after load", 120),
                               ("rss_idle_conns", "with 1,000 idle keep-alive connections", 150)):
        rss = g(key, "rss_kb")
        note = ""
        if key == "rss_idle_conns" and key in m:
            note = f"{m[key].get('connections')} connections held"
        add(f"server RSS {label} (SQLite)", rss / 1024 if rss else None, "MB", None, "—",
            None, "<", target, f"< {target} MB", note=note)
    return out


def fmt(x, digits=1):
    if x is None:
        return "—"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def markdown(rs, meta):
    lines = [
        f"Run: {meta['date']} · mode `{meta['mode']}` · commit `{meta['commit']}` · "
        f"{meta['machine']['nproc']} CPUs ({meta['machine']['cpu']}), "
        f"{meta['machine']['ram_gb']} GB RAM, kernel {meta['machine']['kernel']}, "
        f"disk {meta['machine']['disk_tmp']}",
        "",
        "| scenario | figure | p50 ms | p99 ms | baseline (same run) | ratio | goal | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rs:
        fig = f"{fmt(r['value'])} {r['unit']}".strip() if r["value"] is not None else "—"
        if r["value"] is None and r["ratio"] is None and r["unit"] != "":
            fig = "not measured"
        base = r["baseline_text"]
        if r["baseline"] is not None:
            base = f"{fmt(r['baseline'])} — {base}"
        met = {True: "yes", False: "**no**", None: "—"}[r["met"]]
        ratio = fmt(r["ratio"], 3) if r["ratio"] is not None else "—"
        note = f" ({r['note']})" if r.get("note") else ""
        lines.append(f"| {r['scenario']}{note} | {fig} | {fmt(r['p50_ms'], 2)} | "
                     f"{fmt(r['p99_ms'], 2)} | {base} | {ratio} | {r['goal']} | {met} |")
    return "\n".join(lines) + "\n"


def main():
    src, out_dir, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    m = load(src)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "mode": mode,
            "commit": commit, "machine": machine()}
    rs = rows(m)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({**meta, "rows": rs, "measurements": m}, f, indent=2)
    md = markdown(rs, meta)
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(md)
    print(md)
    if len(sys.argv) > 4:
        doc_path = sys.argv[4]
        with open(doc_path) as f:
            doc = f.read()
        start, end = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
        head, _, rest = doc.partition(start)
        _, _, tail = rest.partition(end)
        with open(doc_path, "w") as f:
            f.write(f"{head}{start}\n{md}{end}{tail}")


if __name__ == "__main__":
    main()
