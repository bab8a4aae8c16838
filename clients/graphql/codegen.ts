// graphql-codegen configuration of scripts/client-checks.sh: the `client` preset over the
// operations a partner frontend writes (operations/*.graphql), with the scalar map README.md
// documents and `strictScalars`, so an unmapped custom scalar fails the generation.
//
// The schema is the committed schema.graphql, or the live schema by introspection when
// CODEGEN_SCHEMA_URL is set (with CODEGEN_TOKEN as the bearer token); the output goes to
// CODEGEN_OUT. Both generations must give the same code.
import type { CodegenConfig } from '@graphql-codegen/cli';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const url = process.env.CODEGEN_SCHEMA_URL;
const out = process.env.CODEGEN_OUT ?? path.join(root, 'target/client-checks/graphql/sdl');

const config: CodegenConfig = {
  schema: url
    ? [{ [url]: { headers: { Authorization: `Bearer ${process.env.CODEGEN_TOKEN ?? ''}` } } }]
    : path.join(root, 'schema.graphql'),
  documents: path.join(root, 'clients/graphql/operations/*.graphql'),
  ignoreNoDocuments: false,
  generates: {
    [`${out}/`]: {
      preset: 'client',
      config: {
        strictScalars: true,
        scalars: { Decimal: 'string', DateTime: 'string', Date: 'string', UUID: 'string' },
        useTypeImports: true,
      },
    },
  },
};

export default config;
