// Runs every operation of clients/graphql/operations against a live server and fails on any
// GraphQL error: codegen validates the documents against the schema, this proves the server
// runs them too (cost and depth limits, scopes). Variables come from each file's
// `# variables: {...}` line, where $TODAY, $FROM (29 days before today) and $NODE_ID (the id
// of the latest sales order) are replaced; `withPii` is set from the command line.
//
//   node clients/graphql/run-operations.mjs <graphql endpoint> <token> <withPii: true|false>
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [endpoint, token, withPiiArg] = process.argv.slice(2);
if (!endpoint || !token || !['true', 'false'].includes(withPiiArg ?? '')) {
  console.error('usage: run-operations.mjs <endpoint> <token> <true|false>');
  process.exit(2);
}
const withPii = withPiiArg === 'true';
const dir = join(dirname(fileURLToPath(import.meta.url)), 'operations');
const files = readdirSync(dir).filter((f) => f.endsWith('.graphql')).sort();
const sources = new Map(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));

// Fragment name → its definition file; an operation is sent with the fragments it spreads.
const fragments = new Map();
for (const [file, text] of sources) {
  for (const m of text.matchAll(/^fragment\s+(\w+)\s+on\b/gm)) fragments.set(m[1], file);
}
function withFragments(text) {
  const files = new Set();
  const pending = [text];
  while (pending.length) {
    for (const m of pending.pop().matchAll(/\.\.\.\s*(?!on\b)(\w+)/g)) {
      const file = fragments.get(m[1]);
      if (!file) throw new Error(`unknown fragment ${m[1]}`);
      if (!files.has(file)) {
        files.add(file);
        pending.push(sources.get(file));
      }
    }
  }
  return [text, ...[...files].map((f) => sources.get(f))].join('\n');
}

async function post(query, variables) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => null);
  return { status: response.status, body };
}

const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const latest = await post('{ salesOrders(first: 1) { edges { node { id } } } }', {});
const nodeId = latest.body?.data?.salesOrders?.edges?.[0]?.node?.id;
if (!nodeId) {
  console.error(`no sales order to take a node id from: ${JSON.stringify(latest)}`);
  process.exit(1);
}
const placeholders = { $TODAY: day(0), $FROM: day(-29), $NODE_ID: nodeId };

let failures = 0;
for (const [file, text] of sources) {
  if (!/^\s*(query|mutation|subscription)\b/m.test(text)) continue; // fragments only
  const line = text.match(/^#\s*variables:\s*(.*)$/m);
  if (!line) {
    console.error(`${file}: no "# variables: {...}" line`);
    failures++;
    continue;
  }
  const variables = JSON.parse(line[1].replace(/\$[A-Z_]+/g, (p) => placeholders[p] ?? p));
  if ('withPii' in variables) variables.withPii = withPii;
  const started = performance.now();
  const { status, body } = await post(withFragments(text), variables);
  const ms = Math.round(performance.now() - started);
  const errors = body?.errors ?? [];
  if (status !== 200 || errors.length || !body?.data) {
    failures++;
    console.error(`FAIL ${file} (HTTP ${status}, ${ms} ms): ${JSON.stringify(errors.length ? errors : body)}`);
  } else {
    const cost = body.extensions?.analyzer ? ` cost ${JSON.stringify(body.extensions.analyzer)}` : '';
    console.log(`ok   ${file} (${ms} ms${cost})`);
  }
}
process.exit(failures ? 1 : 0);
