// Drives /playground in headless Chromium. Usage: node playground-browser-test.js BASE OUTDIR
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { launchChromium } = require('./lib/chromium');

const [base, outDir] = process.argv.slice(2);
const origin = new URL(base).origin;

async function graphql(token, query, variables = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

async function main() {
  const browser = await launchChromium();
  const failures = [];
  let page;
  const pageErrors = [];
  const consoleLines = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    // Every request must go to the server itself; anything else is refused and recorded.
    const foreign = [];
    await context.route(
      (url) => url.origin !== origin,
      (route) => {
        foreign.push(route.request().url());
        return route.abort('internetdisconnected');
      },
    );
    const requested = [];
    context.on('request', (request) => requested.push(request.url()));
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
    page.on('response', async (response) => {
      if (response.status() >= 400) {
        const body = await response.text().catch(() => '');
        consoleLines.push(`HTTP ${response.status()} ${response.url()}: ${body.slice(0, 300)}`);
        consoleLines.push(`  request: ${(response.request().postData() || '').slice(0, 300)}`);
      }
    });

    await page.goto(`${base}/playground`, { waitUntil: 'load' });
    await page.waitForSelector('.graphiql-execute-button', { timeout: 60000 });
    const token = await page.inputValue('input[name=token]');
    assert.ok(token.split('.').length === 3, 'demo mode pre-fills a token');
    await page.waitForFunction(
      () => document.querySelector('.graphiql-query-editor')?.textContent.includes('LatestSales'),
      null,
      { timeout: 60000 },
    );
    // The schema arrives (the docs explorer and completion need it).
    await page.waitForFunction(
      () => !document.querySelector('.graphiql-execute-button')?.disabled,
      null,
      { timeout: 60000 },
    );

    // Run the first operation: the result pane shows the newest order from the database.
    const first = await graphql(
      token,
      '{ salesOrders(first: 1) { edges { node { orderNumber branch { name } items { skuName } } } } }',
    );
    const newest = first.data.salesOrders.edges[0].node;
    const expected = [newest.orderNumber, newest.items[0].skuName];
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(
      (texts) => {
        // Monaco renders spaces as no-break spaces.
        const shown = (document.querySelector('.graphiql-response')?.textContent ?? '').replace(
          /\u00a0/g,
          ' ',
        );
        return texts.every((text) => shown.includes(text));
      },
      expected,
      { timeout: 60000 },
    );
    const result = await page.textContent('.graphiql-response');
    assert.ok(result.includes('"items"'), 'the orders come with their items');
    await page.screenshot({ path: path.join(outDir, 'playground.png') });
    console.log(`  first operation ran: the result shows order ${newest.orderNumber} of ${newest.branch.name}`);

    // A token without the PII scope, fetched with the token panel's client credentials: the
    // PII card's errors are explained in words.
    await page.fill('input[name=client_id]', 'demo-no-pii');
    await page.fill('input[name=client_secret]', 'pgs_demo_no_pii_secret');
    await page.click('.pg-credentials button[type=submit]');
    await page.waitForFunction(
      () => document.querySelector('[data-testid=token-info]')?.textContent.includes('demo-no-pii'),
      null,
      { timeout: 30000 },
    );
    const scopes = await page.textContent('[data-testid=token-info]');
    assert.ok(!scopes.includes('read:customers:pii'), scopes);
    await page.locator('.graphiql-tab').nth(3).click();
    await page.waitForFunction(
      () => document.querySelector('.graphiql-query-editor')?.textContent.includes('CustomerCard'),
      null,
      { timeout: 30000 },
    );
    // GraphiQL learns the new tab's operation name after a short debounce.
    await page.waitForTimeout(1500);
    await page.click('.graphiql-execute-button');
    await page.waitForSelector('.pg-errors', { timeout: 30000 });
    const explained = await page.textContent('.pg-errors');
    assert.ok(explained.includes('insufficient_scope'), explained);
    assert.ok(explained.includes('needs the scope read:customers:pii'), explained);
    assert.ok(!/\bat \S+ \(|\.rs:\d+|panicked|stack backtrace/.test(explained), 'no stack trace');
    await page.screenshot({ path: path.join(outDir, 'playground-insufficient-scope.png') });
    console.log('  insufficient_scope is explained: ' + explained.slice(0, 160).replace(/\s+/g, ' '));

    assert.deepEqual(foreign, [], 'the page requested only its own server');
    assert.ok(requested.every((url) => url.startsWith(origin) || url.startsWith('data:')));
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
    console.log(`  ${requested.length} requests, all to ${origin}`);
  } catch (error) {
    failures.push(error);
    if (page) {
      await page.screenshot({ path: path.join(outDir, 'failure.png') }).catch(() => {});
    }
    console.error(`page errors: ${JSON.stringify(pageErrors)}`);
    console.error(`console:\n${consoleLines.slice(-20).join('\n')}`);
  } finally {
    await browser.close();
  }
  if (failures.length > 0) {
    console.error(failures[0]);
    process.exit(1);
  }
  console.log('playground browser test: passed');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
