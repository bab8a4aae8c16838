#!/usr/bin/env python3
"""The documents' half of bench/push/run.sh (`bench/push/run.sh documents`), PostgreSQL only.
Standard library only; the server, database and wrk helpers are measure.py's.

One server and database per case, prepared through the push API itself (items in bulk, then
GRNs putting stock on them), then measured with wrk, every write with its own Idempotency-Key:

  orders-distinct  POST /orders, one line of one unit, each request naming one of 1,000 SKUs in
                   turn (8 requests in flight name 8 different SKUs)
  orders-hot       the same, every order on one SKU (its stock row is locked by each allocation
                   in turn: what row locks serialise)
  grn              POST /grn of 50 lines of one unit each, on the 1,000 SKUs in turn
  stock            GET /stock of one SKU held in 1,000 lots, one client (its latency) and 8
"""

import json
import os
import statistics
import sys
import urllib.request

import measure

ENV = os.environ
ROUNDS = measure.ROUNDS
DURATION = measure.DURATION
SKUS = 1000
BASE = "/api/v1/integration/v1"


def call(info, method, path, body=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{info['port']}{BASE}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"X-API-Key": info["key"], "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.load(answer)


def prepare(info, case):
    """Items and their stock, through the push API."""
    warehouse = info["warehouse"]
    if case == "stock":
        call(info, "POST", "/items", {"sku": "LOTS-0", "name": "Lots", "baseUomCode": "EA",
                                       "tracking": "lot"})
        for first in range(0, 1000, 500):
            call(info, "POST", "/grn", {"warehouseCode": warehouse, "lines": [
                {"sku": "LOTS-0", "qty": 10, "lotNo": f"L{n:04d}",
                 "expiryDate": f"2027-{n % 12 + 1:02d}-{n % 28 + 1:02d}"}
                for n in range(first, first + 500)]})
        stock = call(info, "GET", f"/stock?sku=LOTS-0&warehouseCode={warehouse}")["data"]
        if len(stock["stocks"]) != 1000:
            raise SystemExit(f"expected 1,000 lots, found {len(stock['stocks'])}")
        return
    prefix, count = ("HOT-", 1) if case == "orders-hot" else ("D-", SKUS)
    for first in range(0, count, 500):
        call(info, "POST", "/items/bulk", {"items": [
            {"sku": f"{prefix}{n}", "name": f"Item {n}", "baseUomCode": "EA"}
            for n in range(first, min(count, first + 500))]})
        if case != "grn":
            call(info, "POST", "/grn", {"warehouseCode": warehouse, "lines": [
                {"sku": f"{prefix}{n}", "qty": 100000000 if count == 1 else 1000000}
                for n in range(first, min(count, first + 500))]})


# (case, wrk environment, connections, what one request counts for)
CASES = [
    ("orders-distinct", {"PUSH_KIND": "orders", "PUSH_SKU_PREFIX": "D-", "PUSH_SKU_COUNT": str(SKUS)}, 8, 1),
    ("orders-hot", {"PUSH_KIND": "orders", "PUSH_SKU_PREFIX": "HOT-", "PUSH_SKU_COUNT": "1"}, 8, 1),
    ("grn", {"PUSH_KIND": "grn", "PUSH_BATCH": "50", "PUSH_SKU_PREFIX": "D-", "PUSH_SKU_COUNT": str(SKUS)}, 8, 50),
    ("stock", {"PUSH_KIND": "stock", "PUSH_SKU_PREFIX": "LOTS-"}, 1, 1),
    ("stock", {"PUSH_KIND": "stock", "PUSH_SKU_PREFIX": "LOTS-"}, 8, 1),
]


def run_case(round_no, case, extra, connections, per_request):
    name = f"postgres-{case}-{connections}-{round_no}"
    server, info = measure.start(measure.fresh_database("postgres", name.replace("-", "_")), [], name)
    try:
        prepare(info, case)
        os.environ.update(extra, PUSH_WAREHOUSE=info["warehouse"])
        batch = int(extra.get("PUSH_BATCH", "1"))
        measure.wrk(info["port"], info["key"], batch, connections, name + "w", "2s")
        cpu_before = measure.cpu_seconds(server.pid)
        result = measure.wrk(info["port"], info["key"], batch, connections, name, DURATION)
        cpu = measure.cpu_seconds(server.pid) - cpu_before
        if case.startswith("orders"):
            # The orders were allocated (the stock was there for all of them).
            sku = "HOT-0" if case == "orders-hot" else "D-1"
            stock = call(info, "GET", f"/stock?sku={sku}&warehouseCode={info['warehouse']}")
            allocated = stock["data"]["totalAllocated"]
            if allocated < (result["requests"] if case == "orders-hot" else 1):
                raise SystemExit(f"{name}: {sku} has {allocated} allocated")
    finally:
        for variable in extra:
            os.environ.pop(variable, None)
        measure.stop(server)
        measure.settle("postgres")
    seconds = result["duration_us"] / 1e6
    row = {
        "case": case, "round": round_no, "connections": connections,
        "rps": result["requests"] / seconds,
        "per_s": result["requests"] * per_request / seconds,
        "p50_ms": result["latency_p50_us"] / 1000, "p99_ms": result["latency_p99_us"] / 1000,
        "cpu_us_per_request": cpu * 1e6 / max(1, result["requests"]),
    }
    measure.log(f"{name}: {row['rps']:.1f} req/s, {row['per_s']:.0f}/s, p50 {row['p50_ms']:.1f} ms, "
                f"p99 {row['p99_ms']:.1f} ms, {row['cpu_us_per_request']:.0f} µs CPU per request")
    return row


def main():
    if not measure.PG_URL:
        raise SystemExit("PG_URL is not set (run through bench/push/run.sh documents)")
    rows = []
    for round_no in range(1, ROUNDS + 1):
        for case, extra, connections, per_request in CASES:
            if measure.ONLY and not any(word in case for word in measure.ONLY):
                continue
            rows.append(run_case(round_no, case, extra, connections, per_request))
            with open(os.path.join(measure.OUT, "documents.json"), "w") as f:
                json.dump(rows, f, indent=1)
    report(rows)


def report(rows):
    units = {"orders-distinct": "orders/s", "orders-hot": "orders/s", "grn": "lines/s",
             "stock": "inquiries/s"}
    what = {
        "orders-distinct": "`POST /orders`, 1 line, 1,000 SKUs in turn",
        "orders-hot": "`POST /orders`, 1 line, one SKU for all",
        "grn": "`POST /grn`, 50 lines",
        "stock": "`GET /stock`, one SKU in 1,000 lots",
    }
    print("| request | clients | requests/s | per second | p50 ms | p99 ms | gateway CPU µs/request |")
    print("|---|---|---|---|---|---|---|")
    seen = []
    for row in rows:
        if (row["case"], row["connections"]) not in seen:
            seen.append((row["case"], row["connections"]))
    for case, connections in seen:
        mine = [r for r in rows if (r["case"], r["connections"]) == (case, connections)]
        med = lambda k: statistics.median(r[k] for r in mine)
        print(f"| {what[case]} | {connections} | {med('rps'):.1f} | {med('per_s'):.0f} {units[case]} "
              f"| {med('p50_ms'):.1f} | {med('p99_ms'):.1f} | {med('cpu_us_per_request'):.0f} |")
    print()
    print(f"(PostgreSQL, medians of {ROUNDS} rounds of {DURATION} after a 2 s warm-up; a fresh "
          "database and server per run, its items and stock put there through the push API first)")


if __name__ == "__main__":
    main()
