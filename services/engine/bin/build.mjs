#!/usr/bin/env node
// Bundles the engine's TypeScript sources, the workspace packages included, into one JavaScript
// file that `npm start` runs: no TypeScript is transpiled when the engine starts. Third-party
// packages (the store's native addon among them) stay in node_modules and load as they are.
// Usage: node services/engine/bin/build.mjs [outfile]   (default: services/engine/dist/rapport.js)
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const outfile = process.argv[2] ?? fileURLToPath(new URL('../dist/rapport.js', import.meta.url));

const result = await build({
  entryPoints: [fileURLToPath(new URL('../src/cli.ts', import.meta.url))],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  write: false,
  logLevel: 'warning',
  plugins: [
    {
      name: 'workspace-packages-only',
      setup(builder) {
        // Bare imports other than the workspace's own packages are left to node_modules.
        builder.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith('@rapport/') ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
});
// Written aside and renamed: an engine starting meanwhile reads the old file or the new one.
const [output] = result.outputFiles;
mkdirSync(dirname(outfile), { recursive: true });
const partial = `${outfile}.${process.pid}.partial`;
writeFileSync(partial, output.contents);
renameSync(partial, outfile);
