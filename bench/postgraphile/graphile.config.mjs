// PostGraphile 5 as bench/run.sh runs it beside the gateway: the stock "amber" preset over the
// gateway's own PostgreSQL database, no authentication, no GraphiQL, no watch mode. Only the
// four tables of the compared query are exposed (see the smart tags below); mutations are the
// preset's and are not used.
//   PGL_DATABASE_URL  postgres://… of the gateway's database
//   PGL_PORT          port to listen on (127.0.0.1)
//   PGL_POOL_MAX      pooled connections (default 16, the gateway's default on PostgreSQL)
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { jsonPgSmartTags } from "postgraphile/utils";
import pg from "pg";

const EXPOSED = ["sales_orders", "sales_order_items", "customers", "branches"];

const pool = new pg.Pool({
  connectionString: process.env.PGL_DATABASE_URL,
  max: Number(process.env.PGL_POOL_MAX || 16),
});

// Every other table of the schema gets `@behavior -*`, so it is left out of the GraphQL schema
// (relations to it disappear with it).
const hidden = (await pool.query(
  `SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND NOT (table_name = ANY($1))`,
  [EXPOSED],
)).rows.map((row) => row.table_name);

const HideOtherTablesPlugin = jsonPgSmartTags({
  version: 1,
  config: {
    class: Object.fromEntries(hidden.map((name) => [name, { tags: { behavior: "-*" } }])),
  },
});

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [HideOtherTablesPlugin],
  pgServices: [makePgService({ pool, schemas: ["public"] })],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PGL_PORT || 5678),
    graphiql: false,
    watch: false,
  },
  grafast: { explain: false },
};

export default preset;
