// Builds the playground into dist/: one script, one stylesheet and Monaco's three workers.
// No code splitting, fonts inlined, so the server embeds a fixed list of files.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

const common = {
  bundle: true,
  minify: true,
  legalComments: 'none',
  logLevel: 'info',
  target: ['chrome110', 'firefox115', 'safari16'],
  define: { 'process.env.NODE_ENV': '"production"' },
};

await rm('dist', { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { playground: 'src/main.jsx' },
  outdir: 'dist',
  format: 'iife',
  jsx: 'automatic',
  loader: { '.ttf': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl', '.svg': 'dataurl' },
});
await build({
  ...common,
  entryPoints: {
    'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
    'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
    'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
  },
  outdir: 'dist',
  format: 'iife',
});
