#!/usr/bin/env python3
"""The measuring half of bench/push/run.sh. Standard library only.

For every backend (SQLite, and PostgreSQL when PG_URL is set) and every round, each case runs
against a fresh database and a fresh server process, the variants of a case one after the
other (so drifts of the machine hit them alike):

  bulk    POST /items/bulk with 500 new items per request
  single  POST /items with one new item and its own Idempotency-Key per request

each with the product's machinery (key guard, request log, idempotency: `full`) and without it
(`bare`); and `single` again with a request log whose queue is never read (`stalled`) or whose
writes all fail (`failing`). Results go to $OUT/results.json and a Markdown table on stdout.
"""

import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse

ENV = os.environ
HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = ENV["SERVER_BIN"]
OUT = ENV["OUT"]
ROUNDS = int(ENV.get("ROUNDS", "3"))
DURATION = ENV.get("DURATION", "10s")
THREADS = ENV.get("WRK_THREADS", "2")
PG_URL = ENV.get("PG_URL", "")
ONLY = [c for c in re.split(r"[ ,]+", ENV.get("CASES", "")) if c]
BULK = 500

# (case, variant, items per request, connections, server flags)
CASES = [
    ("bulk", "full", BULK, 4, []),
    ("bulk", "bare", BULK, 4, ["--bare"]),
    ("single", "full", 1, 8, []),
    ("single", "bare", 1, 8, ["--bare"]),
    ("single", "stalled", 1, 8, ["--log-sink", "stalled"]),
    ("single", "failing", 1, 8, ["--log-sink", "failing"]),
]


def log(*parts):
    print("[push-bench]", *parts, file=sys.stderr, flush=True)


def fresh_database(backend, name):
    if backend == "sqlite":
        path = os.path.join(OUT, name + ".db")
        return "sqlite://" + path
    subprocess.run(["psql", "-q", PG_URL, "-c", f'CREATE DATABASE "{name}"'], check=True)
    # Commits do not wait for the WAL to reach the disk: this machine's flush times vary by
    # a factor of two from run to run and would drown what is measured (every variant commits
    # once per request; the request log once a second).
    subprocess.run(["psql", "-q", PG_URL, "-c",
                    f'ALTER DATABASE "{name}" SET synchronous_commit = off'], check=True)
    parts = urllib.parse.urlsplit(PG_URL)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def start(database_url, flags, name):
    env = dict(ENV, RUST_LOG="warn", JWT_SECRET="bench-secret-bench-secret-bench-secret-0123")
    env.pop("DATABASE_URL", None)
    logfile = open(os.path.join(OUT, name + ".log"), "w")
    server = subprocess.Popen(
        [SERVER, "--database-url", database_url, "--bind", "127.0.0.1:0", *flags],
        stdout=subprocess.PIPE, stderr=logfile, env=env, text=True,
    )
    line = server.stdout.readline()
    if not line:
        server.wait()
        raise SystemExit(f"the server did not start; see {logfile.name}")
    return server, json.loads(line)


def stop(server):
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wrk_start(port, key, batch, connections, prefix, duration):
    env = dict(ENV, PUSH_KEY=key, PUSH_BATCH=str(batch), PUSH_PREFIX=prefix)
    return subprocess.Popen(
        ["wrk", "-t", str(min(int(THREADS), connections)), "-c", str(connections), "-d", duration, "--timeout", "30s",
         "-s", os.path.join(HERE, "wrk.lua"), f"http://127.0.0.1:{port}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wrk_result(running):
    stdout, stderr = running.communicate()
    if running.returncode != 0:
        raise SystemExit("wrk failed:\n" + stdout + stderr)
    if "unexpected status" in stderr:
        raise SystemExit("unexpected answers:\n" + stderr)
    for line in stdout.splitlines():
        if line.startswith("WRKJSON "):
            result = json.loads(line[len("WRKJSON "):])
            if any(result["errors"].values()):
                raise SystemExit(f"errors in the run: {result['errors']}\n{stdout}")
            return result
    raise SystemExit("wrk printed no result:\n" + stdout + stderr)


def wrk(port, key, batch, connections, prefix, duration):
    return wrk_result(wrk_start(port, key, batch, connections, prefix, duration))


def cpu_seconds(pid):
    """User and system CPU time of the process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(backend):
    """Lets the writes of a run reach the disk before the next one starts, so that one run's
    write-back (the OS's, PostgreSQL's checkpoint) does not land in the next run."""
    subprocess.run(["sync"], check=False)
    if backend == "postgres":
        subprocess.run(["psql", "-q", PG_URL, "-c", "CHECKPOINT"], check=False)
    time.sleep(2)


def run_case(backend, round_no, case, variant, batch, connections, flags):
    name = f"{backend}-{case}-{variant}-{round_no}"
    database_url = fresh_database(backend, name.replace("-", "_"))
    server, info = start(database_url, flags, name)
    try:
        # A short warm-up on the same database (its own SKUs), then the measured run.
        wrk(info["port"], info["key"], batch, connections, name + "w", "2s")
        cpu_before = cpu_seconds(server.pid)
        result = wrk(info["port"], info["key"], batch, connections, name, DURATION)
        cpu = cpu_seconds(server.pid) - cpu_before
    finally:
        stop(server)
        settle(backend)
    return row_of(name, backend, round_no, case, variant, batch, connections, result, cpu)


def row_of(name, backend, round_no, case, variant, batch, connections, result, cpu):
    """One run's figures (logged as they come)."""
    seconds = result["duration_us"] / 1e6
    row = {
        "backend": backend, "round": round_no, "case": case, "variant": variant,
        "connections": connections, "requests": result["requests"],
        "rps": result["requests"] / seconds,
        "items_per_s": result["requests"] * batch / seconds,
        "p50_ms": result["latency_p50_us"] / 1000, "p99_ms": result["latency_p99_us"] / 1000,
        "cpu_us_per_item": cpu * 1e6 / max(1, result["requests"] * batch),
    }
    log(f"{name}: {row['rps']:.1f} req/s, {row['items_per_s']:.0f} items/s, "
        f"p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms, "
        f"{row['cpu_us_per_item']:.0f} µs CPU per item")
    return row


def run_side_by_side(backend, round_no, case, variants):
    """The variants of a case at the same time, each with its own server, database and wrk:
    whatever the machine does during the run (its speed drifted by a factor of two between
    runs on the machine these figures come from) it does to all of them, and the ratio of their
    throughputs is what the difference in their work costs."""
    running = []
    try:
        for variant, batch, connections, flags in variants:
            name = f"{backend}-{case}-{variant}-{round_no}-sbs"
            server, info = start(fresh_database(backend, name.replace("-", "_")), flags, name)
            running.append((variant, batch, connections, name, server, info))
        warm = [wrk_start(i["port"], i["key"], b, c, n + "w", "2s") for _, b, c, n, _, i in running]
        for w in warm:
            wrk_result(w)
        cpu_before = [cpu_seconds(server.pid) for *_, server, _ in running]
        measured = [wrk_start(i["port"], i["key"], b, c, n, DURATION) for _, b, c, n, _, i in running]
        results = [wrk_result(m) for m in measured]
        cpu = [cpu_seconds(server.pid) - before
               for (*_, server, _), before in zip(running, cpu_before)]
    finally:
        for *_, server, _ in running:
            stop(server)
        settle(backend)
    return [dict(row_of(name, backend, round_no, case, variant, batch, connections, result, seconds_cpu),
                 side_by_side=True)
            for (variant, batch, connections, name, _, _), result, seconds_cpu
            in zip(running, results, cpu)]


def pairs_reversed():
    """The cases grouped by request, each group's variants in reverse order."""
    groups = {}
    for row in CASES:
        groups.setdefault(row[0], []).append(row)
    return [list(reversed(rows)) for rows in groups.values()]


def main():
    backends = ([] if ENV.get("PG_ONLY") == "1" else ["sqlite"]) + (["postgres"] if PG_URL else [])
    rows = []
    if ENV.get("SIDE_BY_SIDE") == "1":
        for backend in backends:
            for round_no in range(1, ROUNDS + 1):
                for case in ["bulk", "single"]:
                    variants = [(v, b, c, f) for k, v, b, c, f in CASES
                                if k == case and v in ("full", "bare")
                                and (not ONLY or any(w in f"{k}-{v}" for w in ONLY))]
                    if len(variants) < 2:
                        continue
                    rows.extend(run_side_by_side(backend, round_no, case, variants))
                    with open(os.path.join(OUT, "results.json"), "w") as f:
                        json.dump(rows, f, indent=1)
        report_side_by_side(backends, rows)
        return
    for backend in backends:
        for round_no in range(1, ROUNDS + 1):
            # Every other round runs the variants of a case in the opposite order.
            cases = CASES if round_no % 2 else [c for pair in pairs_reversed() for c in pair]
            for case, variant, batch, connections, flags in cases:
                if ONLY and not any(word in f"{case}-{variant}" for word in ONLY):
                    continue
                rows.append(run_case(backend, round_no, case, variant, batch, connections, flags))
                with open(os.path.join(OUT, "results.json"), "w") as f:
                    json.dump(rows, f, indent=1)
    report(backends, rows)


def report(backends, rows):
    print("| backend | request | machinery | conn. | requests/s | items/s | p50 ms | p99 ms "
          "| gateway CPU µs/item | vs. bare: items/s | vs. bare: CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for backend in backends:
        for case, variant, batch, connections, _ in CASES:
            mine = [r for r in rows if (r["backend"], r["case"], r["variant"]) == (backend, case, variant)]
            if not mine:
                continue
            bare = [r for r in rows if (r["backend"], r["case"], r["variant"]) == (backend, case, "bare")]
            med = lambda rs, k: statistics.median(r[k] for r in rs)
            compare = bare and variant != "bare"
            versus = f"{(med(mine, 'rps') / med(bare, 'rps') - 1) * 100:+.1f}%" if compare else ""
            cpu_versus = (f"{(med(mine, 'cpu_us_per_item') / med(bare, 'cpu_us_per_item') - 1) * 100:+.1f}%"
                          if compare else "")
            request = "`POST /items/bulk` (500 new items)" if batch > 1 else "`POST /items` + Idempotency-Key"
            machinery = {
                "full": "guard, log, idempotency",
                "bare": "none",
                "stalled": "all; log queue never read",
                "failing": "all; log writes fail",
            }[variant]
            print(f"| {backend} | {request} | {machinery} | {connections} | {med(mine, 'rps'):.1f} "
                  f"| {med(mine, 'items_per_s'):.0f} | {med(mine, 'p50_ms'):.1f} | {med(mine, 'p99_ms'):.1f} "
                  f"| {med(mine, 'cpu_us_per_item'):.0f} | {versus} | {cpu_versus} |")
    print()
    print(f"(medians of {ROUNDS} rounds of {DURATION} each after a 2 s warm-up; every run on a fresh "
          "database and server process, the machine's writes flushed between runs, the variants' "
          "order reversed every other round; wrk with " + THREADS + " threads)")


def report_side_by_side(backends, rows):
    print("| backend | request | conn. each | full: requests/s | bare: requests/s "
          "| full vs. bare, each round | median | gateway CPU µs/item full / bare |")
    print("|---|---|---|---|---|---|---|---|")
    for backend in backends:
        for case in ["bulk", "single"]:
            full = {r["round"]: r for r in rows if (r["backend"], r["case"], r["variant"]) == (backend, case, "full")}
            bare = {r["round"]: r for r in rows if (r["backend"], r["case"], r["variant"]) == (backend, case, "bare")}
            rounds = sorted(set(full) & set(bare))
            if not rounds:
                continue
            ratios = [full[n]["items_per_s"] / bare[n]["items_per_s"] - 1 for n in rounds]
            med = lambda rs, k: statistics.median(r[k] for r in rs)
            request = "`POST /items/bulk` (500 new items)" if case == "bulk" else "`POST /items` + Idempotency-Key"
            each = ", ".join(f"{r * 100:+.1f}%" for r in ratios)
            print(f"| {backend} | {request} | {full[rounds[0]]['connections']} "
                  f"| {med(full.values(), 'rps'):.1f} | {med(bare.values(), 'rps'):.1f} | {each} "
                  f"| {statistics.median(ratios) * 100:+.1f}% "
                  f"| {med(full.values(), 'cpu_us_per_item'):.0f} / {med(bare.values(), 'cpu_us_per_item'):.0f} |")
    print()
    print(f"({ROUNDS} rounds of {DURATION} after a 2 s warm-up; in each the two variants ran at the "
          "same time, each with its own server, database and wrk (" + THREADS + " threads), so the "
          "machine's drifts hit both alike)")


if __name__ == "__main__":
    main()
