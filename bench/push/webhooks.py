#!/usr/bin/env python3
"""The webhooks' half of bench/push/run.sh (`bench/push/run.sh webhooks`), PostgreSQL only.
Standard library only; the server, database and wrk helpers are measure.py's.

A receiver in this process (a threaded HTTP server on a loopback port) records when each
message arrives, by `webhook-id`, and checks its signature. The server (release build) has a
WMS subscription of its tenant to `order.allocated` pointing at it; orders pushed through the
API (with stock, so each allocates) are what produce the events.

  latency     200 orders one after the other: from the order's answer (its transaction has
              committed) to the arrival of its event
  throughput  10,000 orders in 100 bulk requests of 100 as fast as they go: deliveries per
              second from the first request to the last arrival; every event arrives, once
  hanging     the same 10,000 with a second subscription whose receiver never answers (each of
              its attempts waits out the 10 s timeout): the first one's deliveries per second
"""

import base64
import hashlib
import hmac
import json
import os
import statistics
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import documents
import measure

ROUNDS = measure.ROUNDS


class Receiver:
    def __init__(self):
        self.lock = threading.Lock()
        self.arrivals = {}      # webhook-id -> [arrival times]
        self.order_of = {}      # orderNo -> webhook-id
        self.secret = None
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK hold every answer for 40 ms, and the receiver is what is
            # measured.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if self.path.startswith("/hang"):
                    time.sleep(30)
                    return
                now = time.monotonic()
                message_id = self.headers.get("webhook-id", "")
                receiver.record(message_id, self.headers, body, now)
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def record(self, message_id, headers, body, now):
        ok = True
        if self.secret:
            key = base64.b64decode(self.secret.removeprefix("whsec_"))
            signed = f"{message_id}.{headers.get('webhook-timestamp', '')}.".encode() + body
            mac = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
            ok = any(hmac.compare_digest(mac, s) for s in headers.get("webhook-signature", "").split())
        order_no = json.loads(body)["data"].get("orderNo")
        with self.lock:
            self.arrivals.setdefault(message_id, []).append(now)
            self.order_of[order_no] = message_id
            if not ok:
                self.bad_signatures += 1

    def reset(self):
        with self.lock:
            self.arrivals.clear()
            self.order_of.clear()

    def count(self):
        with self.lock:
            return len(self.arrivals)


def burst(database_url):
    """10,000 `order.allocated` events written into the outbox in one statement, as 10,000
    commits would leave them: what the worker then drains is delivery alone."""
    import subprocess
    sql = (
        "INSERT INTO webhook_events (id, tenant_id, event_type, branch_id, payload, created_at, "
        "dispatched_at) SELECT gen_random_uuid(), t.tenant_id, 'order.allocated', NULL, "
        "'{\"event\":\"order.allocated\",\"timestamp\":\"2026-11-30T00:00:00.000Z\",' || "
        "'\"data\":{\"orderNo\":\"BURST-' || n || '\"}}', "
        "(extract(epoch from now()) * 1000)::bigint, NULL "
        "FROM generate_series(1, 10000) n, (SELECT tenant_id FROM webhook_subscriptions LIMIT 1) t"
    )
    subprocess.run(["psql", "-q", database_url, "-c", sql], check=True)


def start(receiver, hanging):
    os.environ["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "true"
    flags = ["--webhook", receiver.url + "/ok"]
    if hanging:
        flags += ["--webhook", receiver.url + "/hang"]
    name = f"postgres-webhooks-{'hanging' if hanging else 'plain'}-{time.monotonic_ns()}"
    database_url = measure.fresh_database("postgres", name.replace("-", "_"))
    server, info = measure.start(database_url, flags, name)
    info["database_url"] = database_url
    receiver.secret = info["webhookSecrets"][0]
    documents.prepare(info, "orders-distinct")
    return server, info


def order(n):
    return {"warehouseCode": "WH-BENCH", "referenceNo": f"WB-{time.monotonic_ns()}-{n}",
            "lines": [{"lineNo": 1, "sku": f"D-{n % documents.SKUS}", "qtyOrdered": 1, "unitPrice": 10}]}


def latency(receiver):
    server, info = start(receiver, hanging=False)
    try:
        receiver.reset()
        waits = []
        for n in range(200):
            created = documents.call(info, "POST", "/orders", order(n))["data"]["orderNo"]
            answered = time.monotonic()
            deadline = answered + 10
            while time.monotonic() < deadline:
                with receiver.lock:
                    message_id = receiver.order_of.get(created)
                    arrived = receiver.arrivals.get(message_id, [None])[0] if message_id else None
                if arrived is not None:
                    waits.append((arrived - answered) * 1000)
                    break
                time.sleep(0.001)
            else:
                raise SystemExit(f"the event of {created} did not arrive")
    finally:
        measure.stop(server)
        measure.settle("postgres")
    waits.sort()
    return {"p50_ms": statistics.median(waits), "p99_ms": waits[int(len(waits) * 0.99) - 1],
            "max_ms": waits[-1]}


def wait_for_all(receiver, since):
    deadline = since + 300
    while receiver.count() < 10_000 and time.monotonic() < deadline:
        time.sleep(0.02)
    with receiver.lock:
        arrivals = dict(receiver.arrivals)
        bad = receiver.bad_signatures
    if len(arrivals) != 10_000:
        raise SystemExit(f"{len(arrivals)} of 10,000 events arrived")
    twice = sum(1 for times in arrivals.values() if len(times) > 1)
    last = max(times[0] for times in arrivals.values())
    return arrivals, twice, bad, last


def throughput(receiver, hanging):
    server, info = start(receiver, hanging)
    try:
        # Pushed orders: 100 bulk requests of 100.
        receiver.reset()
        began = time.monotonic()
        for batch in range(100):
            body = {"orders": [order(batch * 100 + i) for i in range(100)]}
            documents.call(info, "POST", "/orders/bulk", body)
        posted = time.monotonic()
        _, twice, bad, last = wait_for_all(receiver, posted)
        pushed = {"twice": twice, "bad_signatures": bad, "orders_per_s": 10_000 / (posted - began),
                  "deliveries_per_s": 10_000 / (last - began), "behind_s": last - posted}
        # A burst: 10,000 events at once.
        receiver.reset()
        began = time.monotonic()
        burst(info["database_url"])
        _, twice, bad, last = wait_for_all(receiver, began)
        drained = {"twice": twice, "bad_signatures": bad, "deliveries_per_s": 10_000 / (last - began)}
    finally:
        measure.stop(server)
        measure.settle("postgres")
    return {"pushed": pushed, "burst": drained}


def main():
    if not measure.PG_URL:
        raise SystemExit("PG_URL is not set (run through bench/push/run.sh webhooks)")
    receiver = Receiver()
    rows = []
    for round_no in range(1, ROUNDS + 1):
        row = {"round": round_no, "latency": latency(receiver),
               "plain": throughput(receiver, hanging=False),
               "hanging": throughput(receiver, hanging=True)}
        measure.log(json.dumps(row))
        rows.append(row)
        with open(os.path.join(measure.OUT, "webhooks.json"), "w") as f:
            json.dump(rows, f, indent=1)
    med = lambda f: statistics.median(f(r) for r in rows)
    print("| measure | median of rounds |")
    print("|---|---|")
    print(f"| commit → arrival, p50 (200 orders one at a time) | {med(lambda r: r['latency']['p50_ms']):.1f} ms |")
    print(f"| commit → arrival, p99 | {med(lambda r: r['latency']['p99_ms']):.1f} ms |")
    print(f"| 10,000 pushed orders (100 bulk requests): orders/s | {med(lambda r: r['plain']['pushed']['orders_per_s']):.0f} |")
    print(f"| … their 10,000 events: deliveries/s (first request to last arrival) | {med(lambda r: r['plain']['pushed']['deliveries_per_s']):.0f} |")
    print(f"| … the last arrival after the last request | {med(lambda r: r['plain']['pushed']['behind_s']):.2f} s |")
    print(f"| a burst of 10,000 events written at once: deliveries/s | {med(lambda r: r['plain']['burst']['deliveries_per_s']):.0f} |")
    print(f"| the same burst beside a subscriber that hangs (10,000 more, each attempt timing out): deliveries/s | {med(lambda r: r['hanging']['burst']['deliveries_per_s']):.0f} |")
    print(f"| pushed orders beside it: deliveries/s | {med(lambda r: r['hanging']['pushed']['deliveries_per_s']):.0f} |")
    bad = sum(r[k][m]["twice"] + r[k][m]["bad_signatures"] for r in rows for k in ("plain", "hanging") for m in ("pushed", "burst"))
    print(f"| events lost (a run stops on any), delivered twice or badly signed, all rounds | {bad} |")
    print()
    print(f"(PostgreSQL, {ROUNDS} rounds; every run on a fresh database and server; the receiver, in the "
          "measuring process, answers 200 at once; one subscription of the tenant to order.allocated, "
          "and for the hanging runs a second whose receiver never answers)")


if __name__ == "__main__":
    main()
