#!/usr/bin/env python3
"""Markdown for BENCHMARKS.md from a bench/run.sh results directory.

  python3 bench/lib/report.py OUT_DIR      # prints the section on stdout
"""

import json
import os
import statistics
import sys

ROWS = {
    "gql50": "50 orders + items + customer + branch",
    "gql200": "200 orders + items + customer + branch",
    "list50": "50 orders, flat: page 1",
}
SIDES = {
    "gateway": "gateway",
    "postgraphile": "PostGraphile",
    "postgraphile-offset": "PostGraphile, `offset`",
    "sql-statements": "SQL floor: the gateway's 4 statements (pgbench)",
    "sql-json": "SQL floor: 1 JSON statement (pgbench)",
}


def num(x):
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def spread(values):
    if not values:
        return "–"
    med = statistics.median(values)
    if len(values) == 1:
        return num(med)
    return f"{num(med)} ({num(min(values))}–{num(max(values))})"


def side_label(case, row):
    side = SIDES.get(case["side"], case["side"])
    if case["side"] == "gateway":
        side += " GraphQL" if row.startswith("gql") else " REST"
    elif case["side"] == "postgraphile" and row.startswith("page"):
        side += ", cursor `after`"
    return side


def row_label(row):
    if row in ROWS:
        return ROWS[row]
    if row.startswith("page"):
        return f"50 orders, flat: page {int(row[4:]):,}"
    return row


def main(out):
    results = json.load(open(os.path.join(out, "results.json")))
    meta = json.load(open(os.path.join(out, "meta.json")))
    conns = sorted({r["conns"] for r in results["runs"]})
    rounds = max((r["round"] for r in results["runs"]), default=0)
    p = print

    p("## Side by side with PostGraphile (harness)")
    p()
    p(f"`bench/run.sh` on {meta['date']}: {meta['machine']}. Versions: {meta['versions']}.")
    p()
    d = results["data"]
    p(f"Data: `seed --orders {meta['orders']:,}` on PostgreSQL ({d['orders']:,} orders, {d['items']:,} items; "
      f"{d['orders_in_window']:,} orders in the 30-day window of `/sales`). Seeding took "
      f"{meta['seed_pg']}. Every side reads the same throw-away PostgreSQL ({meta['pg_settings']}); "
      f"the gateway is the release build in demo mode ({meta['gateway_flags']}, token of `demo-full-access`); "
      f"PostGraphile {meta['postgraphile_version']} runs the stock amber preset with no authentication over the "
      f"four tables ({meta['postgraphile_settings']}). Load from `wrk` ({meta['wrk_threads']} threads) and "
      f"`pgbench -M prepared`, all on the same {meta['nproc']} cores as the servers and PostgreSQL.")
    p()
    for note in results.get("notes", []):
        p(note)
        p()
    p(f"Each cell: median of {rounds} round{'s' if rounds != 1 else ''} of {meta['duration']} "
      f"(min–max in brackets); the cases of a row run one after another within each round, so every "
      f"side sees the same drift of the machine; before each run the harness waits until the CPU is "
      f"quiet, so work a server still has queued from the previous case does not count. SQL statements per request counted with "
      f"`pg_stat_statements` over {10} sequential requests (transaction control included).")
    p()
    header = "| request | side | SQL / request |"
    rule = "|---|---|---|"
    for c in conns:
        header += f" req/s, {c} conn. | p99 ms, {c} conn. |"
        rule += "---|---|"
    p(header)
    p(rule)
    last_row = None
    left_out, all_noisy = 0, False
    for case_id, case in results["cases"].items():
        row = case["row"]
        runs = [r for r in results["runs"] if r["case"] == case_id]
        if not runs:
            continue
        stmts = results["statements"].get(case_id)
        line = (f"| {row_label(row) if row != last_row else ''} | {side_label(case, row)} | "
                f"{'' if stmts is None else f'{stmts:g}'} |")
        for c in conns:
            sel = [r for r in runs if r["conns"] == c]
            clean = [r for r in sel if not r.get("noisy")]
            mark = ""
            if clean and len(clean) < len(sel):
                mark = " *"
                left_out += len(sel) - len(clean)
                sel = clean
            elif not clean and sel:
                mark = " †"
                all_noisy = True
            err = sum(r["errors"] for r in sel)
            line += f" {spread([r['rps'] for r in sel])}{mark}{f' ({err} errors)' if err else ''} |"
            line += f" {spread([r['p99_ms'] for r in sel])}{mark} |"
        p(line)
        last_row = row
    p()
    if left_out:
        p(f"\\* {left_out} run{'s' if left_out != 1 else ''} of these cells started while something else was "
          "using the CPU (the harness waited 20 s for the machine to quiet down, in vain) and "
          f"{'are' if left_out != 1 else 'is'} left out; the cell is the median of the other rounds.")
        p()
    if all_noisy:
        p("† every run of this cell started while something else was using the CPU: treat it with care.")
        p()
    tie = results.get("postgraphile_schema", {}).get("tie", "ROW_ID_DESC")
    p("The GraphQL rows select `orderNumber totalAmount`, the items' `skuName quantity lineTotal`, the "
      "customer's and the branch's `name` (the gateway's `salesOrders(first: N)`; PostGraphile's "
      f"`allSalesOrders(orderBy: [ORDER_DATE_DESC, {tie}], condition: {{tenantId}}, first: N)` with "
      "`salesOrderItemsBySalesOrderId(orderBy: LINE_NO_ASC)`, `customerByCustomerId`, `branchByBranchId`). "
      "The flat rows return the 17 fields of a REST `/sales` order (PostGraphile: the same columns). Deep "
      "pages: REST with the `cursor` obtained by walking `next_cursor` from page 1; PostGraphile with the "
      "`after` cursor obtained the same way, and with `offset`. PostGraphile returns amounts and times as "
      "the stored integers (BigInt strings); the gateway formats decimals and ISO times. The gateway's "
      "statement counts include one per request that rereads the calling application and its tenant "
      "(suspension and plan take effect at once); the rest are its data statements, and "
      "`statements.txt` in the results directory has the SQL of every case.")
    p()
    if results["checks"]:
        p("Checks before measuring (every side answers with the same orders):")
        p()
        for c in results["checks"]:
            p(f"- {'✓' if c['ok'] else '✗ FAILED'} {c['check']}: {c['detail']}")
        p()
    if results["walks"]:
        p("Walking the whole 30-day window, 200 orders per page, one client, sequentially:")
        p()
        p("| walk | orders | requests | seconds | orders/s |")
        p("|---|---|---|---|---|")
        for w in results["walks"]:
            items = f" ({w['items']:,} items)" if w.get("items") else ""
            mark = " †" if w.get("noisy") else ""
            p(f"| {w['side']} | {w['orders']:,}{items} | {w['pages']:,} | {w['seconds']:.1f} | "
              f"{w['orders_per_s']:,.0f}{mark} |")
        p()
        if any(w.get("noisy") for w in results["walks"]):
            p("† started while something else was using the CPU.")
            p()
    mem = results["memory"]
    if mem:
        p("Resident memory (MiB, from `/proc/<pid>/status`):")
        p()
        p("| process | idle (after start) | peak (VmHWM) | after the load |")
        p("|---|---|---|---|")
        for side, label in (("gateway", "gateway"), ("postgraphile", f"PostGraphile (Node {meta['node_version']})")):
            m = mem.get(side, {})
            idle = m.get("idle", {}).get("VmRSS", "–")
            peak = m.get("end", {}).get("VmHWM", "–")
            after = m.get("after_load", {}).get("VmRSS", "–")
            p(f"| {label} | {idle} | {peak} | {after} |")
        p()
    if meta.get("seed_1m"):
        p(f"Seeding SQLite with 1,000,000 orders: {meta['seed_1m']}.")
        p()
    p(f"Reproduce (this run took {meta['elapsed_minutes']} minutes, building and installing excluded):")
    p()
    p("```sh")
    p(meta["command"])
    p("```")
    p()
    p("What the harness runs for each cell:")
    p()
    p("```sh")
    for line in meta["templates"]:
        p(line)
    p("```")


if __name__ == "__main__":
    main(sys.argv[1])
