// Runs the graphql-http server audits with the bearer token in $TOKEN; exits 1 on any failed
// MUST audit and prints every finding.
const { serverAudits } = require('graphql-http');

const url = process.argv[2];
const token = process.env.TOKEN;
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

(async () => {
  let mustFailures = 0;
  let total = 0;
  for (const audit of serverAudits({ url, fetchFn })) {
    total += 1;
    const result = await audit.fn();
    if (result.status !== 'ok') {
      console.log(`${result.status.toUpperCase()} ${audit.name}: ${result.reason}`);
      if (audit.name.startsWith('MUST') && result.status === 'error') mustFailures += 1;
    }
  }
  console.log(`graphql-http: ${total} audits, ${mustFailures} MUST failures`);
  process.exit(mustFailures ? 1 : 0);
})();
