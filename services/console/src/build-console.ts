import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** One file of the built console, kept in memory with its gzip form. */
export interface ConsoleAsset {
  contentType: string;
  body: Buffer;
  gzipped: Buffer;
}

// From where the package is installed, so the path holds in the bundle `npm start` runs too.
const entry = join(
  dirname(createRequire(import.meta.url).resolve('@rapport/console')),
  'app/main.tsx',
);

const page = (title: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/app.css">
</head>
<body>
<div id="app"></div>
<script type="module" src="/console/app.js"></script>
</body>
</html>
`;

function asset(contentType: string, body: Buffer): ConsoleAsset {
  return { contentType, body, gzipped: gzipSync(body, { level: 9 }) };
}

/**
 * Bundles the console (TypeScript and TSX, Preact, Chart.js) with esbuild, minified, in
 * memory: the server builds it when it starts, so installing and starting is all it takes.
 * Returns the files by URL path.
 */
export async function buildConsole(): Promise<Map<string, ConsoleAsset>> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: '/console',
    entryNames: 'app',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const assets = new Map<string, ConsoleAsset>();
  assets.set('/', asset('text/html; charset=utf-8', Buffer.from(page('Rapport console'))));
  for (const file of result.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf('/'));
    const type = name.endsWith('.css')
      ? 'text/css; charset=utf-8'
      : 'text/javascript; charset=utf-8';
    assets.set(`/console${name}`, asset(type, Buffer.from(file.contents)));
  }
  return assets;
}
