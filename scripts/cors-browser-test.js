// CORS per application, in headless Chromium and with plain HTTP requests.
// Usage: FULL_TOKEN=… NOPII_TOKEN=… node cors-browser-test.js BASE PAGE_PORT OTHER_PORT
// (scripts/cors-browser-test.sh sets everything up: http://127.0.0.1:PAGE_PORT is the only
// allowed origin of demo-full-access, demo-no-pii has none, OTHER_PORT is on nobody's list.)
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const { launchChromium } = require('./lib/chromium');

const [base, pagePort, otherPort] = process.argv.slice(2);
const allowedOrigin = `http://127.0.0.1:${pagePort}`;
const otherOrigin = `http://127.0.0.1:${otherPort}`;
const fullToken = process.env.FULL_TOKEN;
const noPiiToken = process.env.NOPII_TOKEN;

const QUERY =
  '{ viewer { application scopes } salesOrders(first: 2) { edges { node { orderNumber totalAmount } } } }';
const REST_PATH = '/api/partner/v1/sales?limit=2';

// ---------------------------------------------------------------------------------------------
// Results: one line per check, a summary at the end.

const results = [];

function record(ok, name, detail = '') {
  results.push({ ok, name, detail });
  console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? ` — ${detail}` : ''}`);
}

/** Runs one check: `fn` throws (an assertion) on failure, or returns a detail line. */
async function check(name, fn) {
  try {
    const detail = await fn();
    record(true, name, typeof detail === 'string' ? detail : '');
  } catch (error) {
    // An assertion's own message, without the "403 !== 204" diff node appends to it.
    const message = error instanceof assert.AssertionError ? error.message.split('\n')[0] : String(error);
    record(false, name, message);
  }
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP (outside the browser), so that any Origin header can be sent.

function request(method, path, headers = {}, body) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = http.request(url, { method, headers, timeout: 15000 }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 15 s`)));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

function preflight(path, origin, method) {
  return request('OPTIONS', path, {
    origin,
    'access-control-request-method': method,
    'access-control-request-headers': method === 'POST' ? 'authorization,content-type' : 'authorization',
  });
}

/** A comma-separated header as lower-case tokens. */
function tokens(value) {
  return String(value ?? '')
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean);
}

function showHeaders(headers) {
  const cors = Object.entries(headers)
    .filter(([name]) => name.startsWith('access-control-') || name === 'vary')
    .map(([name, value]) => `${name}: ${value}`);
  return cors.length ? cors.join('; ') : 'no CORS headers';
}

function assertAllowedPreflight(response, origin, method) {
  const h = response.headers;
  const where = `(status ${response.status}; ${showHeaders(h)})`;
  assert.equal(response.status, 204, `preflight answered ${response.status}, expected 204 ${where}`);
  assert.equal(h['access-control-allow-origin'], origin, `Access-Control-Allow-Origin ${where}`);
  assert.ok(tokens(h['access-control-allow-methods']).includes(method.toLowerCase()),
    `Access-Control-Allow-Methods lacks ${method} ${where}`);
  const allowHeaders = tokens(h['access-control-allow-headers']);
  assert.ok(allowHeaders.includes('authorization'), `Access-Control-Allow-Headers lacks authorization ${where}`);
  assert.ok(allowHeaders.includes('content-type'), `Access-Control-Allow-Headers lacks content-type ${where}`);
  assert.match(String(h['access-control-max-age'] ?? ''), /^[1-9]\d*$/, `Access-Control-Max-Age ${where}`);
  assert.ok(tokens(h.vary).includes('origin'), `Vary lacks Origin ${where}`);
  return showHeaders(h);
}

function assertRefusedPreflight(response) {
  const where = `(status ${response.status}; ${showHeaders(response.headers)})`;
  assert.equal(response.status, 403, `preflight answered ${response.status}, expected 403 ${where}`);
  assert.equal(response.headers['access-control-allow-origin'], undefined,
    `a refused preflight carries Access-Control-Allow-Origin ${where}`);
  const others = Object.keys(response.headers).filter((name) => name.startsWith('access-control-'));
  assert.deepEqual(others, [], `a refused preflight carries CORS headers ${where}`);
  return `403, ${showHeaders(response.headers)}`;
}

async function serverChecks() {
  console.log(`server (plain HTTP with an Origin header, outside the browser):`);
  const graphqlBody = JSON.stringify({ query: QUERY });
  const auth = (token) => ({ authorization: `Bearer ${token}` });

  await check(`preflight POST /graphql from the allowed origin: 204 with CORS headers`, async () =>
    assertAllowedPreflight(await preflight('/graphql', allowedOrigin, 'POST'), allowedOrigin, 'POST'));
  await check(`preflight GET ${REST_PATH} from the allowed origin: 204 with CORS headers`, async () =>
    assertAllowedPreflight(await preflight(REST_PATH, allowedOrigin, 'GET'), allowedOrigin, 'GET'));
  await check(`preflight POST /graphql from the other origin: 403, no CORS headers`, async () =>
    assertRefusedPreflight(await preflight('/graphql', otherOrigin, 'POST')));
  await check(`preflight GET ${REST_PATH} from the other origin: 403, no CORS headers`, async () =>
    assertRefusedPreflight(await preflight(REST_PATH, otherOrigin, 'GET')));

  await check(`GET ${REST_PATH}, demo-full-access token, allowed origin: 200, origin echoed, headers exposed`,
    async () => {
      const response = await request('GET', REST_PATH, { origin: allowedOrigin, ...auth(fullToken) });
      const h = response.headers;
      const where = `(status ${response.status}; ${showHeaders(h)})`;
      assert.equal(response.status, 200, `answered ${response.status}, expected 200 ${where}: ${response.body.slice(0, 200)}`);
      assert.equal(h['access-control-allow-origin'], allowedOrigin, `Access-Control-Allow-Origin ${where}`);
      const exposed = tokens(h['access-control-expose-headers']);
      for (const name of ['x-ratelimit-remaining', 'x-request-id']) {
        assert.ok(exposed.includes(name), `Access-Control-Expose-Headers lacks ${name} ${where}`);
      }
      return showHeaders(h);
    });
  await check(`POST /graphql, demo-full-access token, allowed origin: 200, origin echoed`, async () => {
    const response = await request(
      'POST', '/graphql',
      { origin: allowedOrigin, 'content-type': 'application/json', ...auth(fullToken) },
      graphqlBody,
    );
    const where = `(status ${response.status}; ${showHeaders(response.headers)})`;
    assert.equal(response.status, 200, `answered ${response.status}, expected 200 ${where}: ${response.body.slice(0, 200)}`);
    assert.equal(response.headers['access-control-allow-origin'], allowedOrigin, `Access-Control-Allow-Origin ${where}`);
    assert.ok(JSON.parse(response.body).data?.salesOrders, `no data ${where}: ${response.body.slice(0, 200)}`);
    return showHeaders(response.headers);
  });

  for (const [label, method, path, headers, body] of [
    ['GET ' + REST_PATH, 'GET', REST_PATH, {}, undefined],
    ['POST /graphql', 'POST', '/graphql', { 'content-type': 'application/json' }, graphqlBody],
  ]) {
    await check(`${label}, demo-no-pii token (no origins), allowed origin: 403 origin not allowed`, async () => {
      const response = await request(method, path, { origin: allowedOrigin, ...headers, ...auth(noPiiToken) }, body);
      const where = `(status ${response.status}; ${showHeaders(response.headers)})`;
      assert.equal(response.status, 403, `answered ${response.status}, expected 403 ${where}: ${response.body.slice(0, 300)}`);
      assert.ok(/origin/i.test(response.body) &&
        /not (?:\w+ )?allowed|not on the .*allowed origins|may not|disallowed|not permitted|forbidden/i.test(response.body),
        `the body does not say the origin is not allowed: ${response.body.slice(0, 300)}`);
      assert.ok(!/ORD\d+/.test(response.body), `the refused request returned orders: ${response.body.slice(0, 300)}`);
      assert.notEqual(response.headers['access-control-allow-origin'], '*', `Access-Control-Allow-Origin is * ${where}`);
      return `403 ${response.body.slice(0, 200)}`;
    });
  }
  await check(`GET ${REST_PATH}, demo-full-access token, other origin: 403`, async () => {
    const response = await request('GET', REST_PATH, { origin: otherOrigin, ...auth(fullToken) });
    const where = `(status ${response.status}; ${showHeaders(response.headers)})`;
    assert.equal(response.status, 403, `answered ${response.status}, expected 403 ${where}: ${response.body.slice(0, 300)}`);
    assert.notEqual(response.headers['access-control-allow-origin'], otherOrigin, `the other origin is echoed ${where}`);
    return `403 ${response.body.slice(0, 200)}`;
  });
  await check(`GET ${REST_PATH} without Origin (a back end): 200 as before`, async () => {
    const response = await request('GET', REST_PATH, auth(noPiiToken));
    assert.equal(response.status, 200, `status ${response.status}: ${response.body.slice(0, 300)}`);
    assert.notEqual(response.headers['access-control-allow-origin'], '*', 'Access-Control-Allow-Origin is *');
    return `200, ${showHeaders(response.headers)}`;
  });
}

// ---------------------------------------------------------------------------------------------
// The browser: pages served from two more loopback origins call the API with fetch().

function servePage(port, title) {
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,"></head>
<body><h1>${title}</h1><p>A partner front end at http://127.0.0.1:${port}; the API is ${base}.</p></body></html>`;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`page server on port ${port}: ${error.message}`)));
    server.listen(Number(port), '127.0.0.1', () => resolve(server));
  });
}

/** Runs in the page: both calls of a partner front end, every outcome reported, nothing thrown. */
async function callApiFromPage({ base, token, query, restPath }) {
  async function call(url, init) {
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15000) });
      const text = await response.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {}
      return {
        fetched: true,
        status: response.status,
        json,
        text: text.slice(0, 300),
        rateLimitRemaining: response.headers.get('x-ratelimit-remaining'),
        requestId: response.headers.get('x-request-id'),
      };
    } catch (error) {
      return { fetched: false, errorName: error.name, errorMessage: error.message };
    }
  }
  return {
    origin: location.origin,
    graphql: await call(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    }),
    rest: await call(`${base}${restPath}`, { headers: { authorization: `Bearer ${token}` } }),
  };
}

function outcome(result) {
  return result.fetched
    ? `status ${result.status}: ${result.text.slice(0, 160)}`
    : `rejected: ${result.errorName}: ${result.errorMessage}`;
}

async function browserChecks() {
  console.log('browser (headless Chromium):');
  const servers = [];
  let browser;
  try {
    servers.push(await servePage(pagePort, 'Allowed partner front end'));
    servers.push(await servePage(otherPort, 'Some other site'));
    record(true, 'page servers', `${allowedOrigin} and ${otherOrigin} serve a page`);

    browser = await launchChromium();
    record(true, 'browser launch', `Chromium ${browser.version()}`);

    // One fresh context per scenario: nothing (preflight cache included) carries over.
    async function runInPage(origin, token) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const consoleLines = [];
      const pageErrors = [];
      page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
      page.on('pageerror', (error) => pageErrors.push(error.message));
      try {
        const response = await page.goto(`${origin}/`, { waitUntil: 'load' });
        assert.equal(response?.status(), 200, `the page at ${origin} did not load`);
        const result = await page.evaluate(callApiFromPage, { base, token, query: QUERY, restPath: REST_PATH });
        assert.equal(result.origin, origin, 'the page runs at the expected origin');
        return { ...result, consoleLines, pageErrors };
      } finally {
        await context.close();
      }
    }
    // Chromium explains a blocked request on the console: the lines about this call's URL.
    const browserLog = (run, call) => {
      const url = call === 'graphql' ? `${base}/graphql` : `${base}${REST_PATH.split('?')[0]}`;
      const lines = run.consoleLines.filter((line) => line.includes(url) && /CORS|Access-Control|blocked/i.test(line));
      return lines.length ? ` | console: ${lines.slice(0, 2).join(' | ').slice(0, 400)}` : '';
    };

    // 1. The allowed origin with demo-full-access's token: data, and the exposed headers.
    let allowed;
    await check(`browser at ${allowedOrigin}: the page loads and runs both fetches`, async () => {
      allowed = await runInPage(allowedOrigin, fullToken);
      assert.deepEqual(allowed.pageErrors, [], 'uncaught errors in the page');
      return `graphql ${outcome(allowed.graphql).slice(0, 60)}…; rest ${outcome(allowed.rest).slice(0, 60)}…`;
    });
    let graphqlOrders = null;
    let restOrders = null;
    await check('allowed origin, demo-full-access: POST /graphql returns 2 orders', async () => {
      assert.ok(allowed, 'the page did not run');
      const r = allowed.graphql;
      assert.ok(r.fetched, `fetch failed in the browser: ${outcome(r)}${browserLog(allowed, 'graphql')}`);
      assert.equal(r.status, 200, outcome(r));
      assert.equal(r.json?.errors, undefined, `GraphQL errors: ${JSON.stringify(r.json?.errors)}`);
      const viewer = r.json?.data?.viewer;
      assert.ok(typeof viewer?.application === 'string' && viewer.application, `viewer: ${JSON.stringify(viewer)}`);
      assert.ok(viewer.scopes?.includes('read:sales'), `viewer scopes: ${JSON.stringify(viewer.scopes)}`);
      const edges = r.json.data.salesOrders?.edges ?? [];
      assert.equal(edges.length, 2, `salesOrders edges: ${JSON.stringify(edges)}`);
      graphqlOrders = edges.map(({ node }) => [node.orderNumber, node.totalAmount]);
      return `viewer ${viewer.application}; orders ${graphqlOrders.map(([n]) => n).join(', ')}`;
    });
    await check('allowed origin, demo-full-access: X-RateLimit-Remaining readable from JS (GraphQL)', async () => {
      assert.ok(allowed?.graphql.fetched, 'no GraphQL response');
      assert.match(String(allowed.graphql.rateLimitRemaining), /^\d+$/,
        `response.headers.get('x-ratelimit-remaining') = ${allowed.graphql.rateLimitRemaining}`);
      return `x-ratelimit-remaining ${allowed.graphql.rateLimitRemaining}`;
    });
    await check(`allowed origin, demo-full-access: GET ${REST_PATH} returns 2 orders`, async () => {
      assert.ok(allowed, 'the page did not run');
      const r = allowed.rest;
      assert.ok(r.fetched, `fetch failed in the browser: ${outcome(r)}${browserLog(allowed, 'rest')}`);
      assert.equal(r.status, 200, outcome(r));
      const data = r.json?.data ?? [];
      assert.equal(data.length, 2, `data: ${r.text}`);
      restOrders = data.map((order) => [order.order_number, order.total_amount]);
      return `orders ${restOrders.map(([n]) => n).join(', ')}`;
    });
    await check('allowed origin, demo-full-access: X-RateLimit-Remaining and X-Request-Id readable from JS (REST)',
      async () => {
        assert.ok(allowed?.rest.fetched, 'no REST response');
        assert.match(String(allowed.rest.rateLimitRemaining), /^\d+$/,
          `response.headers.get('x-ratelimit-remaining') = ${allowed.rest.rateLimitRemaining}`);
        assert.ok(allowed.rest.requestId, `response.headers.get('x-request-id') = ${allowed.rest.requestId}`);
        return `x-ratelimit-remaining ${allowed.rest.rateLimitRemaining}, x-request-id ${allowed.rest.requestId}`;
      });
    await check('allowed origin: GraphQL and REST return the same 2 orders', async () => {
      assert.ok(graphqlOrders && restOrders, 'one of the calls returned no orders');
      assert.deepEqual(restOrders, graphqlOrders, 'order numbers and totals differ between GraphQL and REST');
      return graphqlOrders.map(([number, total]) => `${number} ${total}`).join(', ');
    });

    // 2. An origin on nobody's list: the browser blocks both calls.
    let other;
    await check(`browser at ${otherOrigin}: the page loads and runs both fetches`, async () => {
      other = await runInPage(otherOrigin, fullToken);
      return 'ran';
    });
    for (const call of ['graphql', 'rest']) {
      await check(`other origin, demo-full-access: ${call} fetch is blocked (TypeError)`, async () => {
        assert.ok(other, 'the page did not run');
        const r = other[call];
        assert.ok(!r.fetched, `the browser let the page read the response: ${outcome(r)}`);
        assert.equal(r.errorName, 'TypeError', outcome(r));
        return `${outcome(r)}${browserLog(other, call)}`;
      });
    }

    // 3. The allowed origin with demo-no-pii's token: that application allows no origin.
    let noPii;
    await check(`browser at ${allowedOrigin} with the demo-no-pii token: the page runs both fetches`, async () => {
      noPii = await runInPage(allowedOrigin, noPiiToken);
      return 'ran';
    });
    for (const call of ['graphql', 'rest']) {
      await check(`allowed origin, demo-no-pii (no origins): ${call} fetch fails`, async () => {
        assert.ok(noPii, 'the page did not run');
        const r = noPii[call];
        if (r.fetched) {
          // Allowed too: the server's 403 readable (CORS headers on the refusal), but no data.
          assert.equal(r.status, 403, `the request went through: ${outcome(r)}`);
          assert.ok(!/ORD\d+/.test(r.text), `orders in the refusal: ${r.text}`);
          return `403 readable by the page: ${r.text.slice(0, 160)}`;
        }
        assert.equal(r.errorName, 'TypeError', outcome(r));
        return `${outcome(r)}${browserLog(noPii, call)}`;
      });
    }
  } catch (error) {
    record(false, 'browser checks stopped', error.stack || String(error));
  } finally {
    if (browser) await browser.close().catch(() => {});
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

// ---------------------------------------------------------------------------------------------

function setupResults() {
  if (!process.env.SETUP_CHECKS) return [];
  return fs
    .readFileSync(process.env.SETUP_CHECKS, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [status, name, detail] = line.split('\t');
      return { ok: status === 'PASS', name: `setup: ${name}`, detail };
    });
}

async function main() {
  assert.ok(base && pagePort && otherPort, 'usage: node cors-browser-test.js BASE PAGE_PORT OTHER_PORT');
  assert.ok(fullToken && noPiiToken, 'FULL_TOKEN and NOPII_TOKEN must be set');
  await serverChecks();
  await browserChecks();

  const all = [...setupResults(), ...results];
  const failed = all.filter((result) => !result.ok);
  console.log('');
  console.log(`summary: ${all.length - failed.length} passed, ${failed.length} failed`);
  for (const result of failed) {
    console.log(`  FAIL  ${result.name}${result.detail ? ` — ${result.detail}` : ''}`);
  }
  console.log(`cors browser test: ${failed.length === 0 ? 'PASSED' : 'FAILED'}`);
  process.exit(failed.length === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  console.log('cors browser test: FAILED');
  process.exit(1);
});
