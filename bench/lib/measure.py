#!/usr/bin/env python3
"""The measuring half of bench/run.sh (which starts PostgreSQL, the gateway and PostGraphile
and passes their addresses in the environment). Standard library only.

  1. reads PostGraphile's schema by introspection and builds its queries from it;
  2. checks that both sides answer each compared request with the same orders;
  3. walks the cursors of REST /sales and of PostGraphile to the deep pages;
  4. counts SQL statements per request (pg_stat_statements);
  5. drives every case with wrk (HTTP) or pgbench (SQL floor): a warm-up, then ROUNDS rounds,
     each at every connection count, the cases of a row one after another (gateway,
     PostGraphile, SQL floor), so that slow drifts of the machine hit every side alike;
  6. walks the whole 30-day window at 200 per page on each side;
  7. samples resident memory of both servers (idle, peak, after load).

Everything goes to $OUT/results.json; bench/lib/report.py turns it into Markdown.
"""

import glob
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

ENV = os.environ
GW_BASE = ENV["GW_BASE"]
PGL_BASE = ENV["PGL_BASE"]
TOKEN = ENV["TOKEN"]
PG_URL = ENV["PG_URL"]
OUT = ENV["OUT"]
HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROUNDS = int(ENV.get("ROUNDS", "3"))
DURATION = int(ENV.get("DURATION", "10s").rstrip("s"))
WARMUP = int(ENV.get("WARMUP", "2s").rstrip("s"))
CONNECTIONS = [int(c) for c in ENV.get("CONNECTIONS", "8 32").split()]
THREADS = int(ENV.get("WRK_THREADS", "2"))
DEEP_PAGES = [int(p) for p in ENV.get("DEEP_PAGES", "500 2500").split()]
WALKS = ENV.get("WALKS", "1") != "0"
ONLY = [c for c in re.split(r"[ ,]+", ENV.get("CASES", "")) if c]
PIDS = {"gateway": int(ENV["GW_PID"]), "postgraphile": int(ENV["PGL_PID"])}
STATEMENT_SAMPLES = 10
SETTLE_BUSY = float(ENV.get("SETTLE_BUSY", "0.15"))  # CPU share below which the machine counts as quiet
SETTLE_LIMIT = 20.0  # seconds to wait for it
LIMIT = 50
WALK_LIMIT = 200

RESULTS = {"checks": [], "runs": [], "walks": [], "memory": {}, "statements": {}, "cases": {}}


def log(*parts):
    print("[bench]", *parts, file=sys.stderr, flush=True)


def save():
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(RESULTS, f, indent=1)


# ---------------------------------------------------------------------------------------------
# HTTP


class Client:
    """One keep-alive connection, reopened when the server has closed it."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        hdrs = {"Accept": "application/json"}
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
                self.conn.request(method, path, body=data, headers=hdrs)
                response = self.conn.getresponse()
                payload = response.read()
                return response.status, payload
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def json(self, method, path, body=None, headers=None):
        status, payload = self.request(method, path, body, headers)
        try:
            doc = json.loads(payload)
        except ValueError:
            doc = None
        if status != 200 or doc is None or (isinstance(doc, dict) and doc.get("errors")):
            raise SystemExit(f"{method} {path} answered {status}: {payload[:600]!r}")
        return doc


GW = Client(GW_BASE)
PGL = Client(PGL_BASE)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def gw_rest(path):
    return GW.json("GET", "/api/partner/v1" + path, headers=AUTH)


def gw_graphql(query, variables=None):
    return GW.json("POST", "/graphql", {"query": query, "variables": variables or {}}, AUTH)["data"]


def pgl_graphql(query, variables=None):
    return PGL.json("POST", "/graphql", {"query": query, "variables": variables or {}})["data"]


# ---------------------------------------------------------------------------------------------
# PostgreSQL


def psql(sql):
    out = subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", PG_URL, "-c", sql],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


# ---------------------------------------------------------------------------------------------
# Queries


GW_NESTED = ("{ salesOrders(first: %d) { edges { node { orderNumber totalAmount "
             "items { skuName quantity lineTotal } customer { name } branch { name } } } } }")
GW_NESTED_WALK = ("query($after: String) { salesOrders(first: %d, after: $after) { edges { node {"
                  " orderNumber totalAmount items { skuName quantity lineTotal } customer { name }"
                  " branch { name } } } pageInfo { hasNextPage endCursor } } }")
REST_TO_PGL = {
    "order_number": "orderNumber", "branch_id": "branchId", "customer_id": "customerId",
    "order_date": "orderDate", "status": "status", "order_type": "orderType",
    "subtotal": "subtotal", "discount_amount": "discountAmount", "tax_amount": "taxAmount",
    "service_charge_amount": "serviceChargeAmount", "total_amount": "totalAmount",
    "paid_amount": "paidAmount", "refunded_amount": "refundedAmount",
    "payment_status": "paymentStatus", "created_at": "createdAt", "updated_at": "updatedAt",
}


# The flat walk: the 17 fields of a REST order (the gateway's GraphQL names are PostGraphile's).
GW_FLAT_WALK = ("query($after: String) { salesOrders(first: %d, after: $after) { edges { node {"
                " uuid " + " ".join(REST_TO_PGL.values()) + " } } pageInfo { hasNextPage endCursor } } }")


def introspect_pgl():
    """Names PostGraphile gave the tables, relations and orderings, read from its schema."""
    type_ref = "type { name ofType { name ofType { name ofType { name } } } }"
    doc = pgl_graphql("""{
      query: __type(name: "Query") { fields { name args { name %s } } }
      order: __type(name: "SalesOrder") { fields { name args { name %s } } }
    }""" % (type_ref, type_ref))
    missing = []

    def need(kind, names, wanted):
        for name in wanted:
            if name not in names:
                missing.append(f"{kind} {name}")

    def named(ref):
        while ref.get("name") is None and ref.get("ofType"):
            ref = ref["ofType"]
        return ref.get("name")

    def args_of(fields, field):
        return {a["name"]: named(a["type"]) for f in fields if f["name"] == field for a in f["args"]}

    query_fields = doc["query"]["fields"]
    order_fields = (doc["order"] or {"fields": []})["fields"]
    need("Query field", [f["name"] for f in query_fields], ["allSalesOrders"])
    order_args = args_of(query_fields, "allSalesOrders")
    need("allSalesOrders argument", order_args, ["first", "after", "offset", "orderBy", "condition"])
    field_names = [f["name"] for f in order_fields]
    need("SalesOrder field", field_names,
         ["salesOrderItemsBySalesOrderId", "customerByCustomerId", "branchByBranchId",
          *REST_TO_PGL.values()])
    item_args = args_of(order_fields, "salesOrderItemsBySalesOrderId")
    need("salesOrderItemsBySalesOrderId argument", item_args, ["orderBy"])
    if missing:
        raise SystemExit("PostGraphile's schema lacks: " + ", ".join(missing))
    types = pgl_graphql("""{
      orderBy: __type(name: "%s") { enumValues { name } }
      itemsOrderBy: __type(name: "%s") { enumValues { name } }
      condition: __type(name: "%s") { inputFields { name } }
    }""" % (order_args["orderBy"], item_args["orderBy"], order_args["condition"]))
    id_field = "rowId" if "rowId" in field_names else "id"
    order_by = [v["name"] for v in types["orderBy"]["enumValues"]]
    need(f"{order_args['orderBy']} value", order_by, ["ORDER_DATE_DESC"])
    tie = next((v for v in ("ROW_ID_DESC", "ID_DESC", "PRIMARY_KEY_DESC") if v in order_by), None)
    if tie is None:
        missing.append(f"{order_args['orderBy']} value ROW_ID_DESC/ID_DESC/PRIMARY_KEY_DESC")
    items_order = [v["name"] for v in types["itemsOrderBy"]["enumValues"]]
    need(f"{item_args['orderBy']} value", items_order, ["LINE_NO_ASC"])
    need(f"{order_args['condition']} field", [f["name"] for f in types["condition"]["inputFields"]],
         ["tenantId"])
    if missing:
        raise SystemExit("PostGraphile's schema lacks: " + ", ".join(missing))
    exposed = sorted(f["name"] for f in query_fields if f["name"].startswith("all"))
    return {"id_field": id_field, "tie": tie, "exposed_connections": exposed,
            "order_by_type": order_args["orderBy"], "cursor_type": order_args["after"]}


def build_pgl_queries(names, tenant):
    order = f'orderBy: [ORDER_DATE_DESC, {names["tie"]}], condition: {{tenantId: "{tenant}"}}'
    nested = ("orderNumber totalAmount orderDate salesOrderItemsBySalesOrderId(orderBy: LINE_NO_ASC)"
              " { nodes { skuName quantity lineTotal } } customerByCustomerId { name }"
              " branchByBranchId { name }")
    flat = " ".join([names["id_field"], *REST_TO_PGL.values()])
    walk = "query($after: %s) " % names["cursor_type"]
    return {
        # the measured documents: the same selection as the gateway's, and nothing else
        "nested": lambda first: ("{ allSalesOrders(%s, first: %d) { nodes { orderNumber totalAmount"
                                 " salesOrderItemsBySalesOrderId(orderBy: LINE_NO_ASC) { nodes {"
                                 " skuName quantity lineTotal } } customerByCustomerId { name }"
                                 " branchByBranchId { name } } } }" % (order, first)),
        "flat": lambda first: "{ allSalesOrders(%s, first: %d) { nodes { %s } } }" % (order, first, flat),
        "flat_after": lambda first, cursor: ('{ allSalesOrders(%s, first: %d, after: "%s") { nodes { %s } } }'
                                             % (order, first, cursor, flat)),
        "flat_offset": lambda first, offset: ("{ allSalesOrders(%s, first: %d, offset: %d) { nodes { %s } } }"
                                              % (order, first, offset, flat)),
        # walks: the same plus the page info and orderDate (to stop at the window's start)
        "walk_flat": walk + "{ allSalesOrders(%s, first: %d, after: $after) { nodes { %s }"
                     " pageInfo { hasNextPage endCursor } } }" % (order, WALK_LIMIT, flat),
        "walk_nested": walk + "{ allSalesOrders(%s, first: %d, after: $after) { nodes { %s }"
                       " pageInfo { hasNextPage endCursor } } }" % (order, WALK_LIMIT, nested),
        "deep_walk": walk + "{ allSalesOrders(%s, first: %d, after: $after) { nodes {"
                     " orderNumber } pageInfo { hasNextPage endCursor } } }" % (order, LIMIT),
    }


# ---------------------------------------------------------------------------------------------
# Checks


def check(name, ok, detail):
    RESULTS["checks"].append({"check": name, "ok": bool(ok), "detail": detail})
    log(("ok    " if ok else "FAILED"), name, "-", detail)


def gw_nested_orders(first):
    edges = gw_graphql(GW_NESTED % first)["salesOrders"]["edges"]
    return [(e["node"]["orderNumber"], len(e["node"]["items"]), (e["node"]["customer"] or {}).get("name"),
             e["node"]["branch"]["name"]) for e in edges]


def pgl_nested_orders(query):
    nodes = pgl_graphql(query)["allSalesOrders"]["nodes"]
    return [(n["orderNumber"], len(n["salesOrderItemsBySalesOrderId"]["nodes"]),
             (n["customerByCustomerId"] or {}).get("name"), n["branchByBranchId"]["name"]) for n in nodes]


# ---------------------------------------------------------------------------------------------
# Walks


def walk_rest(limit, stop_after_page=None, want=()):
    """Follows next_cursor from the first page. Returns pages, orders and seconds, and for each
    page in `want` (and for the last page reached) the cursor that fetches it and its order
    numbers."""
    cursors, numbers, pages, orders = {}, {}, 0, 0
    cursor = None
    started = time.perf_counter()
    while True:
        path = f"/sales?limit={limit}" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        doc = gw_rest(path)
        pages += 1
        orders += len(doc["data"])
        if pages in want:
            cursors[pages] = cursor
            numbers[pages] = [o["order_number"] for o in doc["data"]]
        page_cursor, page_numbers = cursor, doc["data"]
        cursor = doc["pagination"].get("next_cursor")
        if not cursor or (stop_after_page and pages >= stop_after_page):
            break
    cursors[pages] = page_cursor
    numbers[pages] = [o["order_number"] for o in page_numbers]
    return {"pages": pages, "orders": orders, "seconds": time.perf_counter() - started,
            "cursors": cursors, "numbers": numbers, "complete": not cursor}


def walk_gw_graphql(document=None):
    """The gateway's GraphQL walk: with items, customer and branch, or `document` (flat)."""
    pages, orders, items, after = 0, 0, 0, None
    query = (document or GW_NESTED_WALK) % WALK_LIMIT
    started = time.perf_counter()
    while True:
        conn = gw_graphql(query, {"after": after})["salesOrders"]
        pages += 1
        orders += len(conn["edges"])
        items += sum(len(e["node"].get("items", ())) for e in conn["edges"])
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    return {"pages": pages, "orders": orders, "items": items, "seconds": time.perf_counter() - started}


def walk_pgl(query, cutoff_ms, want=(), item_field=None):
    """PostGraphile has no range condition without plugins: walk newest first and stop at the
    first order older than the window's start, counting only the orders inside it."""
    pages, orders, items, after = 0, 0, 0, None
    cursors, numbers = {}, {}
    started = time.perf_counter()
    while True:
        conn = pgl_graphql(query, {"after": after})["allSalesOrders"]
        pages += 1
        inside = [n for n in conn["nodes"] if "orderDate" not in n or int(n["orderDate"]) >= cutoff_ms]
        orders += len(inside)
        if item_field:
            items += sum(len(n[item_field]["nodes"]) for n in inside)
        if pages in want:
            cursors[pages] = after
            numbers[pages] = [n["orderNumber"] for n in conn["nodes"]]
        if len(inside) < len(conn["nodes"]) or not conn["pageInfo"]["hasNextPage"]:
            break
        if want and pages >= max(want):
            break
        after = conn["pageInfo"]["endCursor"]
    return {"pages": pages, "orders": orders, "items": items, "seconds": time.perf_counter() - started,
            "cursors": cursors, "numbers": numbers}


# ---------------------------------------------------------------------------------------------
# Statement counts and memory


def has_pg_stat_statements():
    try:
        return psql("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'") == "1"
    except subprocess.CalledProcessError:
        return False


def count_statements(case_id, send):
    psql("SELECT pg_stat_statements_reset()")
    for _ in range(STATEMENT_SAMPLES):
        send()
    time.sleep(0.3)
    rows = psql(
        "SELECT calls, regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements "
        "WHERE query NOT ILIKE '%pg_stat_statements%' ORDER BY calls DESC")
    total = 0
    lines = []
    for row in rows.splitlines():
        calls, _, text = row.partition("|")
        total += int(calls)
        lines.append(f"{calls:>5}  {text}")
    per_request = total / STATEMENT_SAMPLES
    RESULTS["statements"][case_id] = per_request
    with open(os.path.join(OUT, "statements.txt"), "a") as f:
        f.write(f"== {case_id}: {per_request:g} statements per request "
                f"({STATEMENT_SAMPLES} requests)\n" + "\n".join(lines) + "\n\n")
    log(f"{case_id}: {per_request:g} SQL statements per request")


def memory(label):
    for side, pid in PIDS.items():
        fields = {}
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in ("VmRSS", "VmHWM"):
                        fields[key] = int(value.split()[0]) // 1024  # MiB
        except FileNotFoundError:
            continue
        RESULTS["memory"].setdefault(side, {})[label] = fields
        log(f"memory {side} {label}: {fields}")


# ---------------------------------------------------------------------------------------------
# Load


def run_wrk(case, conns, seconds):
    env = dict(ENV, WRK_METHOD=case["method"], WRK_BODY_FILE=case.get("body_file", ""),
               WRK_TOKEN=case.get("token", ""))
    cmd = ["wrk", "-t", str(min(THREADS, conns)), "-c", str(conns), "-d", f"{seconds}s",
           "--timeout", "30s", "-s", os.path.join(HERE, "wrk.lua"), case["url"]]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    line = next((l for l in out.stdout.splitlines() if l.startswith("WRKJSON ")), None)
    if out.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed for {case['id']}: {out.stdout}\n{out.stderr}")
    r = json.loads(line[len("WRKJSON "):])
    errors = sum(r["errors"].values())
    return {"rps": r["requests"] / (r["duration_us"] / 1e6), "p99_ms": r["latency_p99_us"] / 1000,
            "mean_ms": r["latency_mean_us"] / 1000, "requests": r["requests"], "errors": errors,
            "error_detail": r["errors"], "mib_per_s": r["bytes"] / (r["duration_us"] / 1e6) / 2**20}


def run_pgbench(case, conns, seconds, tag):
    url = urllib.parse.urlsplit(PG_URL)
    logdir = os.path.join(OUT, "pgbench")
    os.makedirs(logdir, exist_ok=True)
    prefix = os.path.join(logdir, tag)
    cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(conns), "-j", str(min(THREADS, conns)),
           "-T", str(seconds), "-f", case["script"], "-l", "--log-prefix", prefix,
           "-h", url.hostname, "-p", str(url.port), "-U", url.username or "postgres"]
    for key, value in case["vars"].items():
        cmd += ["-D", f"{key}={value}"]
    cmd.append(url.path.lstrip("/") or "postgres")
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=logdir)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    if out.returncode != 0 or not tps:
        raise SystemExit(f"pgbench failed for {case['id']}: {out.stdout}\n{out.stderr}")
    latencies = []
    for path in glob.glob(prefix + ".*"):
        with open(path) as f:
            latencies += [int(line.split()[2]) for line in f if line.strip()]
        os.remove(path)
    latencies.sort()
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] / 1000 if latencies else 0
    mean = sum(latencies) / len(latencies) / 1000 if latencies else 0
    return {"rps": float(tps.group(1)), "p99_ms": p99, "mean_ms": mean, "requests": len(latencies),
            "errors": int(failed.group(1)) if failed else 0}


def cpu_busy(interval=0.5):
    def sample():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, total
    idle1, total1 = sample()
    time.sleep(interval)
    idle2, total2 = sample()
    return 1 - (idle2 - idle1) / max(1, total2 - total1)


def settle(limit=None):
    """Waits until the machine is quiet: when wrk stops, a server may still be working through
    requests it had accepted (PostGraphile finishing slow `offset` queries, for one), and that
    work must not land in the next case's first seconds. True when it got quiet in time."""
    limit = SETTLE_LIMIT if limit is None else limit
    started = time.perf_counter()
    quiet = False
    while not quiet and time.perf_counter() - started < limit:
        quiet = cpu_busy() < SETTLE_BUSY
    waited = time.perf_counter() - started
    if not quiet:
        log(f"the machine did not settle in {limit:.0f} s: something else is using the CPU")
    elif waited > 2:
        log(f"waited {waited:.1f} s for the machine to settle")
    return quiet


def measure(case, conns, seconds, tag):
    quiet = settle()
    started = time.strftime("%H:%M:%S", time.gmtime())
    if case["tool"] == "wrk":
        r = run_wrk(case, conns, seconds)
    else:
        r = run_pgbench(case, conns, seconds, tag)
    # When the machine never got quiet, something else (a build, another benchmark) was using
    # the CPU: the run is kept but flagged, and the report leaves it out when clean runs exist.
    r["noisy"] = not quiet
    r["started"] = started
    return r


def body_file(name, query):
    path = os.path.join(OUT, "bodies", name + ".json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"query": query}, f)
    return path


# ---------------------------------------------------------------------------------------------


def main():
    tenant = psql("SELECT tenant_id FROM sales_orders GROUP BY tenant_id ORDER BY count(*) DESC LIMIT 1")
    now_ms = int(time.time() * 1000)
    window_from = now_ms - 30 * 86_400_000
    RESULTS["data"] = {
        "tenant": tenant,
        "orders": int(psql("SELECT count(*) FROM sales_orders")),
        "items": int(psql("SELECT count(*) FROM sales_order_items")),
        "orders_in_window": int(psql(f"SELECT count(*) FROM sales_orders WHERE tenant_id = '{tenant}' "
                                     f"AND order_date >= {window_from} AND order_date <= {now_ms}")),
    }
    log("data:", RESULTS["data"])
    memory("idle")

    names = introspect_pgl()
    RESULTS["postgraphile_schema"] = names
    log("PostGraphile:", names)
    q = build_pgl_queries(names, tenant)

    # --- the first pages answer the same orders on every side
    for first in (50, 200):
        gw = gw_nested_orders(first)
        pgl = pgl_nested_orders(q["nested"](first))
        check(f"{first} orders with items, customer, branch: the same orders on both sides",
              len(gw) == len(pgl) == first and gw == pgl,
              f"gateway {len(gw)} orders / {sum(i for _, i, _, _ in gw)} items, PostGraphile {len(pgl)} orders"
              f" / {sum(i for _, i, _, _ in pgl)} items, identical order numbers, item counts, customer and"
              f" branch names: {'yes' if gw == pgl else 'NO'}")
    rest1 = gw_rest(f"/sales?limit={LIMIT}")["data"]
    flat1 = pgl_graphql(q["flat"](LIMIT))["allSalesOrders"]["nodes"]
    same_fields = all(str(r[k]) == str(n[v]) for r, n in zip(rest1, flat1)
                      for k, v in REST_TO_PGL.items() if k in ("order_number", "branch_id", "status"))
    check("REST /sales?limit=50 and PostGraphile's flat page: the same orders",
          len(rest1) == len(flat1) == LIMIT and same_fields,
          f"gateway {len(rest1)} orders with {len(rest1[0])} keys, PostGraphile {len(flat1)} orders with"
          f" {len(flat1[0])} fields; the same order numbers, branches and statuses in the same order:"
          f" {'yes' if same_fields else 'NO'}")

    # --- deep pages: walk the cursors of both sides
    log(f"walking REST /sales?limit={LIMIT} cursors to pages {DEEP_PAGES}")
    rest_walk = walk_rest(LIMIT, stop_after_page=max(DEEP_PAGES), want=set(DEEP_PAGES))
    deep = sorted({min(page, rest_walk["pages"]) for page in DEEP_PAGES})
    if deep != sorted(set(DEEP_PAGES)):
        log(f"the 30-day window holds only {rest_walk['pages']} pages of {LIMIT}: measuring pages {deep}")
    RESULTS["deep_pages"] = deep
    log(f"REST cursor walk: {rest_walk['pages']} pages in {rest_walk['seconds']:.1f} s")
    pgl_walk = walk_pgl(q["deep_walk"], 0, want=set(deep))
    log(f"PostGraphile cursor walk: {pgl_walk['pages']} pages in {pgl_walk['seconds']:.1f} s")
    for page in deep:
        a, b = rest_walk["numbers"][page], pgl_walk["numbers"].get(page, [])
        c = pgl_graphql(q["flat_offset"](LIMIT, (page - 1) * LIMIT))["allSalesOrders"]["nodes"]
        c = [n["orderNumber"] for n in c]
        # on the window's last page REST stops at the window's start; PostGraphile goes on
        same = bool(a) and a == b[:len(a)] == c[:len(a)]
        check(f"page {page} of {LIMIT}: the same orders through REST cursors, PostGraphile cursors and offset",
              same, f"{len(a)} / {len(b)} / {len(c)} orders, identical: {'yes' if same else 'NO'}")

    # --- the cases
    sql_ids = psql(
        f"WITH page AS (SELECT id, customer_id, branch_id FROM sales_orders WHERE tenant_id = '{tenant}' "
        f"AND order_date >= {window_from} AND order_date <= {now_ms} ORDER BY order_date DESC, id DESC LIMIT 50) "
        "SELECT array_agg(id), array_agg(DISTINCT customer_id) FILTER (WHERE customer_id IS NOT NULL), "
        "array_agg(DISTINCT branch_id) FROM page").split("|")
    sql_vars = {"tenant": tenant, "win_from": window_from, "win_to": now_ms + 86_400_000}
    gql = GW_BASE + "/graphql"
    pgl = PGL_BASE + "/graphql"
    rest = GW_BASE + "/api/partner/v1/sales?limit=50"
    cases = []

    def add(row, side, tool, **spec):
        case = {"id": f"{row}/{side}", "row": row, "side": side, "tool": tool, **spec}
        if not ONLY or any(o in case["id"] for o in ONLY):
            cases.append(case)

    add("gql50", "gateway", "wrk", method="POST", url=gql, token=TOKEN,
        body_file=body_file("gw-gql50", GW_NESTED % 50))
    add("gql50", "postgraphile", "wrk", method="POST", url=pgl, body_file=body_file("pgl-gql50", q["nested"](50)))
    add("gql50", "sql-statements", "pgbench", script=os.path.join(BENCH, "pgbench", "gateway-statements.sql"),
        vars=dict(sql_vars, order_ids=sql_ids[0], customer_ids=sql_ids[1], branch_ids=sql_ids[2]))
    add("gql50", "sql-json", "pgbench", script=os.path.join(BENCH, "pgbench", "one-statement.sql"), vars=sql_vars)
    add("gql200", "gateway", "wrk", method="POST", url=gql, token=TOKEN,
        body_file=body_file("gw-gql200", GW_NESTED % 200))
    add("gql200", "postgraphile", "wrk", method="POST", url=pgl,
        body_file=body_file("pgl-gql200", q["nested"](200)))
    add("list50", "gateway", "wrk", method="GET", url=rest, token=TOKEN)
    add("list50", "postgraphile", "wrk", method="POST", url=pgl, body_file=body_file("pgl-flat50", q["flat"](50)))
    for page in deep:
        cursor = rest_walk["cursors"][page]
        url = rest + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        add(f"page{page}", "gateway", "wrk", method="GET", url=url, token=TOKEN, page=page)
        after = pgl_walk["cursors"].get(page)
        query = q["flat_after"](LIMIT, after) if after else q["flat"](LIMIT)
        add(f"page{page}", "postgraphile", "wrk", method="POST", url=pgl, page=page,
            body_file=body_file(f"pgl-page{page}-cursor", query))
        add(f"page{page}", "postgraphile-offset", "wrk", method="POST", url=pgl, page=page,
            body_file=body_file(f"pgl-page{page}-offset", q["flat_offset"](LIMIT, (page - 1) * LIMIT)))
    RESULTS["cases"] = {c["id"]: {k: v for k, v in c.items() if k not in ("token", "vars")} for c in cases}

    # each measured request answers 200 with data and no errors
    for case in cases:
        if case["tool"] != "wrk":
            continue
        client = GW if case["side"] == "gateway" else PGL
        path = urllib.parse.urlsplit(case["url"])
        path = path.path + ("?" + path.query if path.query else "")
        body = json.load(open(case["body_file"])) if case.get("body_file") else None
        hdrs = AUTH if case["side"] == "gateway" else {}
        case["send"] = (lambda client=client, m=case["method"], p=path, b=body, h=hdrs:
                        client.json(m, p, b, h))
        case["send"]()

    if has_pg_stat_statements():
        for case in cases:
            if case["tool"] == "wrk":
                count_statements(case["id"], case["send"])
            else:
                RESULTS["statements"][case["id"]] = 4 if case["side"] == "sql-statements" else 1
    else:
        log("pg_stat_statements is not available: no statement counts")
    save()

    if WARMUP:
        log(f"warm-up: {WARMUP} s per case at {CONNECTIONS[0]} connections")
        for case in cases:
            measure(case, CONNECTIONS[0], WARMUP, f"warmup-{case['id'].replace('/', '-')}")
    for rnd in range(1, ROUNDS + 1):
        for conns in CONNECTIONS:
            for case in cases:
                r = measure(case, conns, DURATION, f"{case['id'].replace('/', '-')}-{conns}-{rnd}")
                r.update(case=case["id"], conns=conns, round=rnd)
                RESULTS["runs"].append(r)
                log(f"round {rnd}/{ROUNDS} {case['id']:<28} c={conns:<3} {r['rps']:9.1f} req/s  "
                    f"p99 {r['p99_ms']:8.1f} ms" + (f"  {r['errors']} ERRORS" if r["errors"] else ""))
                save()
    memory("after_load")

    if WALKS:
        log(f"walking the 30-day window at {WALK_LIMIT} per page on every side")
        cutoff = int(time.time() * 1000) - 30 * 86_400_000
        walks = [
            ("gateway REST /sales?limit=200", lambda: walk_rest(WALK_LIMIT)),
            ("PostGraphile, flat", lambda: walk_pgl(q["walk_flat"], cutoff)),
            ("gateway GraphQL salesOrders(first: 200), flat", lambda: walk_gw_graphql(GW_FLAT_WALK)),
            ("gateway GraphQL salesOrders(first: 200)", walk_gw_graphql),
            ("PostGraphile, with items, customer, branch",
             lambda: walk_pgl(q["walk_nested"], cutoff, item_field="salesOrderItemsBySalesOrderId")),
        ]
        for side, walk in walks:
            noisy = not settle()
            w = walk()
            RESULTS["walks"].append({"side": side, "noisy": noisy, **{
                k: w[k] for k in ("pages", "orders", "items", "seconds") if k in w}})
        for w in RESULTS["walks"]:
            w["orders_per_s"] = w["orders"] / w["seconds"]
            log(f"walk {w['side']}: {w['orders']} orders, {w['pages']} pages, {w['seconds']:.1f} s,"
                f" {w['orders_per_s']:.0f} orders/s")
        counts = {w["orders"] for w in RESULTS["walks"]}
        check("full walks: every side counted the same orders", max(counts) - min(counts) <= 5,
              ", ".join(f"{w['side']}: {w['orders']}" for w in RESULTS["walks"])
              + " (the window's start moves with the clock between walks)")
    memory("end")
    save()
    failed = [c for c in RESULTS["checks"] if not c["ok"]]
    errors = [r for r in RESULTS["runs"] if r["errors"]]
    if failed or errors:
        log(f"{len(failed)} failed checks, {len(errors)} runs with errors")
        sys.exit(1)


if __name__ == "__main__":
    main()
