// The partner-gateway playground: GraphiQL with a token panel, the example operations as
// tabs, and a readable account of every error. Everything it loads comes from this server.
import './workers.js';
import { StrictMode, useCallback, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import './playground.css';

const config = JSON.parse(document.getElementById('playground-config').textContent);
const TOKEN_KEY = 'partner-gateway:token';

function today() {
  return new Date().toISOString().slice(0, 10);
}

// `$TODAY` in an operation's variables is today's UTC date.
function defaultTabs() {
  return config.operations.map((op) => ({
    query: op.query,
    variables: op.variables ? op.variables.replaceAll('$TODAY', today()) : undefined,
  }));
}

// The claims of a token, for display only (the server verifies it).
function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part));
  } catch {
    return null;
  }
}

function TokenPanel({ token, setToken }) {
  const [clientId, setClientId] = useState(config.demo ? config.demoClientId : '');
  const [secret, setSecret] = useState(config.demo ? config.demoClientSecret : '');
  const [status, setStatus] = useState(null);
  const info = token ? claims(token.trim()) : null;

  const fetchToken = async (event) => {
    event.preventDefault();
    setStatus({ kind: 'busy', text: 'Requesting a token…' });
    try {
      const response = await fetch(config.tokenPath, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId.trim(),
          client_secret: secret,
        }),
      });
      const body = await response.json();
      if (!response.ok) {
        setStatus({ kind: 'error', text: `${body.error}: ${body.message}` });
        return;
      }
      setToken(body.access_token);
      setStatus({ kind: 'ok', text: `Token for ${clientId.trim()}: ${body.scope}` });
    } catch (err) {
      setStatus({ kind: 'error', text: `The token endpoint did not answer: ${err.message}` });
    }
  };

  const expires = info && info.exp ? new Date(info.exp * 1000) : null;
  return (
    <section className="pg-token" aria-label="Access token">
      <label className="pg-field pg-field-wide">
        <span>Bearer token</span>
        <input
          name="token"
          value={token}
          spellCheck="false"
          autoComplete="off"
          placeholder="Paste an access token, or get one with client credentials →"
          onChange={(e) => setToken(e.target.value)}
        />
      </label>
      <form className="pg-credentials" onSubmit={fetchToken}>
        <label className="pg-field">
          <span>Client id</span>
          <input name="client_id" value={clientId} onChange={(e) => setClientId(e.target.value)} />
        </label>
        <label className="pg-field">
          <span>Client secret</span>
          <input
            name="client_secret"
            type="password"
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
          />
        </label>
        <button type="submit" disabled={!clientId || !secret}>
          Get token
        </button>
      </form>
      <p className="pg-token-info" data-testid="token-info">
        {info ? (
          <>
            Scopes: <code>{info.scope}</code>
            {info.branches ? <> · branches: {info.branches.length}</> : <> · all branches</>}
            {expires ? <> · expires {expires.toISOString().replace('.000', '')}</> : null}
          </>
        ) : token ? (
          'This does not look like a token issued by this server.'
        ) : (
          'No token: every request will be refused with invalid_token.'
        )}
        {status ? <span className={`pg-status pg-${status.kind}`}> {status.text}</span> : null}
      </p>
    </section>
  );
}

// What each error means, in words.
function explain(error, scopes) {
  const code = error.extensions?.code ?? error.error ?? 'error';
  const where = error.path ? error.path.join('.') : null;
  const needed = error.extensions?.required_scopes ?? [];
  switch (code) {
    case 'insufficient_scope':
      return {
        code,
        where,
        text: `${where ? `“${where}”` : 'This field'} needs the scope ${needed.join(', ')}. The field is null; the rest of the response is complete. ${
          scopes ? `Your token has: ${scopes}.` : ''
        } Ask for a token with that scope (client credentials with a wider scope).`,
      };
    case 'invalid_token':
      return { code, where, text: `${error.message}. Paste a token or get one with client credentials above.` };
    case 'access_denied':
      return { code, where, text: `${error.message}. This tenant's plan has no partner API access.` };
    case 'rate_limited':
      return { code, where, text: `${error.message}. Wait for the budget to refill (see viewer.rateLimit).` };
    case 'invalid_request': {
      const details = (error.extensions?.details ?? [])
        .map((d) => `${d.field}: ${d.message}`)
        .join('; ');
      return { code, where, text: details ? `${error.message} — ${details}` : error.message };
    }
    default:
      return { code, where, text: error.message };
  }
}

function ErrorPanel({ report, scopes }) {
  if (!report || report.errors.length === 0) {
    return null;
  }
  return (
    <section className="pg-errors" role="status" aria-label="What the errors mean">
      <strong>
        {report.errors.length === 1 ? 'One error' : `${report.errors.length} errors`} in the last
        response (HTTP {report.status}):
      </strong>
      <ul>
        {report.errors.map((error, i) => {
          const e = explain(error, scopes);
          return (
            <li key={i}>
              <code className="pg-code">{e.code}</code> {e.text}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

const TABS = defaultTabs();

function Playground() {
  const [token, setTokenState] = useState(
    () => (config.demo && config.token) || sessionStorage.getItem(TOKEN_KEY) || '',
  );
  const [report, setReport] = useState(null);
  const tokenRef = useRef(token);

  const setToken = useCallback((value) => {
    tokenRef.current = value;
    setTokenState(value);
    sessionStorage.setItem(TOKEN_KEY, value);
  }, []);

  // A new fetcher per token makes GraphiQL reload the schema: a token without
  // read:customers:pii sees a schema without the PII fields.
  const fetcher = useMemo(() => {
    const bearer = token.trim();
    return async (params, options) => {
      const headers = {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
      };
      if (bearer) {
        headers.authorization = `Bearer ${bearer}`;
      }
      Object.assign(headers, options?.headers ?? {});
      const response = await fetch(config.graphqlPath, {
        method: 'POST',
        headers,
        body: JSON.stringify(params),
      });
      let body;
      try {
        body = await response.json();
      } catch {
        body = { error: 'server_error', message: `HTTP ${response.status} without a JSON body` };
      }
      const isIntrospection = params.operationName === 'IntrospectionQuery';
      if (!isIntrospection || !response.ok) {
        const errors = Array.isArray(body.errors) ? body.errors : body.error ? [body] : [];
        setReport({ status: response.status, errors });
      }
      return body;
    };
  }, [token]);

  const scopes = claims(token.trim())?.scope;
  return (
    <div className="pg-layout">
      <header className="pg-header">
        <h1>
          partner-gateway <span>GraphQL playground</span>
        </h1>
        <nav>
          <a href="/">Home</a>
          <a href="/api/partner/v1/openapi.json">OpenAPI</a>
          <a href="/graphql?query=%7B__typename%7D">Endpoint</a>
        </nav>
      </header>
      <TokenPanel token={token} setToken={setToken} />
      <ErrorPanel report={report} scopes={scopes} />
      <main className="pg-graphiql">
        <GraphiQL
          fetcher={fetcher}
          defaultTabs={TABS}
          initialVariables={TABS[0]?.variables}
          defaultEditorToolsVisibility="variables"
          shouldPersistHeaders={false}
        />
      </main>
    </div>
  );
}

createRoot(document.getElementById('playground')).render(
  <StrictMode>
    <Playground />
  </StrictMode>,
);
