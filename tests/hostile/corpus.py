#!/usr/bin/env python3
"""The hostile corpus: every document and request of the hardening defects, and variants,
sent to a live server. Each case must be refused (or answered) with its expected status within
its time bound, and /healthz must answer within 1 s after every case.

    corpus.py BASE TOKEN [SERVER_PID]

Standard library only. Exits non-zero on the first failure, naming the case."""

import base64
import datetime
import json
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

BASE, TOKEN = sys.argv[1], sys.argv[2]
PID = int(sys.argv[3]) if len(sys.argv) > 3 else None
HOST, PORT = BASE.removeprefix("http://").split(":")
PORT = int(PORT)
GQL = "application/graphql-response+json"


def request(method, path, body=None, headers=None, token=TOKEN, timeout=30):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if isinstance(body, (dict, list)):
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, raw, hdrs = r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        status, raw, hdrs = e.code, e.read(), e.headers
    return status, raw, hdrs, time.monotonic() - started


def graphql(document, accept=GQL, token=TOKEN):
    return request("POST", "/graphql", {"query": document}, {"Accept": accept}, token)


def healthy():
    status, _, _, took = request("GET", "/healthz", token=None, timeout=1)
    assert status == 200 and took < 1.0, f"/healthz: {status} in {took:.2f}s"
    if PID is not None:
        with open(f"/proc/{PID}/status") as f:
            assert "State:" in f.read(), "the server process is gone"


def code_of(raw):
    body = json.loads(raw)
    if "errors" in body:
        return body["errors"][0]["extensions"]["code"]
    return body.get("error")


CASES = []


def case(name, bound=10.0):
    def register(fn):
        CASES.append((name, bound, fn))
        return fn
    return register


def refused(document, status=400, code="invalid_request", accept=GQL):
    s, raw, _, _ = graphql(document, accept)
    assert s == status, f"status {s}: {raw[:300]!r}"
    assert code_of(raw) == code, raw[:300]
    assert len(raw) < 4096, f"the answer echoes the document ({len(raw)} bytes)"


for term, label in [("\r", "CR"), ("\r\n", "CRLF"), ("\n", "LF")]:
    deep = "{ #x" + term + " salesOrders(first:1, filter:{branchIds:" + "[" * 2000 + '"a"' + "]" * 2000 + "}) { totalCount } }"
    aliases = "{ #x" + term + " " + " ".join(f"a{i}: viewer {{ plan }}" for i in range(200)) + " }"
    case(f"2,000-deep list behind a {label} comment")(lambda d=deep: refused(d))
    case(f"200 aliases behind a {label} comment")(lambda d=aliases: refused(d))
    case(f"brackets in a {label}-ended comment do not count")(
        lambda t=term: refused("{ #" + "[" * 5000 + t + " viewer { plan } " + "}" * 3))


def fan_out(n):
    doc = "{ viewer { ...F0 } } " + " ".join(
        f"fragment F{i} on Viewer {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n))
    return doc + f" fragment F{n} on Viewer {{ plan }}"


case("fragment fan-out, 40 levels")(lambda: refused(fan_out(40)))
case("fragment fan-out, 24 levels")(lambda: refused(fan_out(24)))
case("a fragment that spreads itself twice")(lambda: refused("{ __schema { ...A } } fragment A on __Schema { ...A ...A }"))
case("a fan-out ending in an unknown fragment")(lambda: refused(fan_out(40).replace("{ plan }", "{ ...Missing }")))
case("17 arguments on one field")(lambda: refused("{ viewer(" + ", ".join(f"a{i}: 1" for i in range(17)) + ") { plan } }"))
case("17 directives on one field")(lambda: refused("{ viewer " + "@include(if: true) " * 17 + "{ plan } }"))


@case("a variable of 300,000 values")
def _():
    body = {"query": "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", "variables": {"ids": [0] * 300_000}}
    s, raw, _, _ = request("POST", "/graphql", body, {"Accept": GQL})
    assert s == 400 and code_of(raw) == "invalid_request", (s, raw[:300])


@case("a variable used in many places")
def _():
    body = {"query": "query($ids: [ID!]!) { " + " ".join(f"n{i}: nodes(ids: $ids) {{ id }}" for i in range(40))
            + " }", "variables": {"ids": ["x"] * 100}}
    s, raw, _, _ = request("POST", "/graphql", body, {"Accept": GQL})
    assert s == 400 and code_of(raw) == "invalid_request", (s, raw[:300])


@case("a 1 MB body without a token is refused before it is read")
def _():
    body = json.dumps({"query": "{ viewer { plan } }", "v": [0] * 300_000}).encode()
    s, raw = raw_post("/graphql", body, "application/json", token=None)
    assert s == 401 and b"invalid_token" in raw, (s, raw[:200])


@case("a client that never reads its answers", bound=20)
def _():
    s = socket.create_connection((HOST, PORT))
    s.sendall(b"GET /playground/assets/playground.js HTTP/1.1\r\nHost: x\r\n\r\n" * 20)
    time.sleep(4)  # the write timeout is 2 s in CI
    healthy()
    s.settimeout(10)
    received = 0
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            received += len(chunk)
    except OSError:
        pass
    s.close()
    assert received < 20 * 5_000_000, f"the server kept writing: {received} bytes"


@case("two fan-outs at once while /healthz is polled", bound=15)
def _():
    errors = []

    def attack():
        try:
            refused(fan_out(40))
        except AssertionError as e:
            errors.append(e)

    threads = [threading.Thread(target=attack) for _ in range(2)]
    for t in threads:
        t.start()
    for _ in range(5):
        healthy()
    for t in threads:
        t.join()
    assert not errors, errors


@case("10 x 64 aliased salesSummary in one batch", bound=15)
def _():
    op = {"query": "{ " + " ".join(f"r{i}: salesSummary {{ currency }}" for i in range(64)) + " }"}
    s, raw, hdrs, _ = request("POST", "/graphql", [op] * 10, {"Accept": GQL})
    assert s == 200, s
    for answer in json.loads(raw):
        assert answer["errors"][0]["extensions"]["code"] == "invalid_request", answer


case("deep object value")(lambda: refused("{ salesOrders(filter: " + "{from: " * 2000 + '"x"' + "}" * 2000 + ") { totalCount } }"))
case("deep selection")(lambda: refused("{ viewer " + "{ rateLimit " * 100 + "}" * 100 + " }"))
case("10,000 aliases")(lambda: refused("{ " + " ".join(f"a{i}: viewer {{ plan }}" for i in range(10000)) + " }"))
case("deep variable type")(lambda: refused("query($v: " + "[" * 3000 + "Int" + "]" * 3000 + ") { viewer { plan } }"))
case("deep directive argument")(lambda: refused("{ viewer @include(if: " + "[" * 3000 + "true" + "]" * 3000 + ") { plan } }"))
case("introspection cycle")(lambda: refused("{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"))
case("parse error in a 63 KB document")(lambda: refused("{ " + "viewer " * 9000 + "!!! }"))
case("unterminated string")(lambda: refused('{ viewer(x: "abc) { plan } }'))
case("unbalanced brackets")(lambda: refused("{ viewer { plan ]"))
case("a refused document, application/json: 200 with errors")(
    lambda: refused("{ viewer " + "{ a " * 60 + "}" * 60 + " }", status=200, accept="application/json"))


@case("a batch of 1,000 operations")
def _():
    s, raw, _, _ = request("POST", "/graphql", [{"query": "{ viewer { plan } }"}] * 1000, {"Accept": GQL})
    assert s == 400 and code_of(raw) == "invalid_request", (s, raw[:200])


def raw_post(path, body, content_type, token=TOKEN):
    """POSTs over a plain socket and reads the answer even when the server answers before the
    body is sent in full (a 413 on the announced length) and closes its side."""
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n")
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    s = socket.create_connection((HOST, PORT))
    s.settimeout(10)
    try:
        s.sendall(head.encode() + b"\r\n" + body)
    except OSError:
        pass  # the server answered early and closed: read what it said
    answer = b""
    try:
        while chunk := s.recv(65536):
            answer += chunk
    except OSError:
        pass
    s.close()
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1]


@case("a 2 MB body")
def _():
    body = json.dumps({"query": "{ viewer { plan } }", "v": "x" * 2_000_000}).encode()
    s, raw = raw_post("/graphql", body, "application/json")
    assert s == 413 and b"payload_too_large" in raw, (s, raw[:200])
    s, raw = raw_post("/oauth/token", b"grant_type=" + b"x" * 2_000_000,
                      "application/x-www-form-urlencoded", token=None)
    assert s == 413 and b"payload_too_large" in raw, (s, raw[:200])


@case("malformed ids")
def _():
    for doc, arg in [('{ customer(uuid: "not-a-uuid") { name } }', "uuid"), ('{ node(id: "garbage") { id } }', "id")]:
        s, raw, _, _ = graphql(doc)
        body = json.loads(raw)
        assert s == 200 and body["errors"][0]["extensions"]["code"] == "invalid_request", raw
        assert body["errors"][0]["extensions"]["details"][0]["field"] == arg, raw


@case("the /sales lookback by `to`")
def _():
    old = (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=40)).isoformat()
    s, raw, _, _ = request("GET", f"/api/partner/v1/sales?to={old}")
    assert s == 400 and json.loads(raw)["details"][0]["field"] == "to", raw
    s, raw, _, _ = graphql(f'{{ salesOrders(filter: {{to: "{old}"}}) {{ totalCount }} }}')
    assert json.loads(raw)["errors"][0]["extensions"]["code"] == "invalid_request", raw


@case("forged cursor and tokens")
def _():
    s, raw, _, _ = request("GET", "/api/partner/v1/sales?cursor=" + base64.urlsafe_b64encode(b'{"at":1}').decode())
    assert s == 400 and json.loads(raw)["details"][0]["field"] == "cursor", raw
    head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    for token in [head + "." + TOKEN.split(".")[1] + ".", TOKEN[:-2] + "xx", "x" * 10000]:
        s, raw, _, _ = graphql("{ viewer { plan } }", token=token)
        assert s == 401 and code_of(raw) == "invalid_token", (s, raw[:200])


@case("no token at /graphql: a GraphQL 401")
def _():
    s, raw, hdrs, _ = graphql("{ viewer { plan } }", token=None)
    assert s == 401 and code_of(raw) == "invalid_token" and hdrs["WWW-Authenticate"], raw


@case("300 stalled connections without a token", bound=20)
def _():
    socks = []
    for _ in range(300):
        s = socket.create_connection((HOST, PORT))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    healthy()
    # The header timeout (2 s in CI) closes every one of them.
    deadline = time.monotonic() + 15
    for s in socks:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            while s.recv(4096):
                pass
        except (socket.timeout, TimeoutError):
            raise AssertionError("a stalled connection stayed open")
        except OSError:
            pass
        s.close()


failed = 0
for name, bound, fn in CASES:
    started = time.monotonic()
    try:
        fn()
        took = time.monotonic() - started
        assert took < bound, f"took {took:.1f}s, bound {bound}s"
        healthy()
        print(f"ok    {took:6.2f}s  {name}")
    except Exception as e:  # noqa: BLE001 - report every failure by name
        failed += 1
        print(f"FAIL  {name}: {e}")
print(f"{len(CASES) - failed} of {len(CASES)} hostile cases passed")
sys.exit(1 if failed else 0)
