// Builds the dashboard into web/dist/dashboard (git-ignored), which the Go
// server serves at /dashboard/ (graph/dashboard.go):
//
//	node web/dashboard/build.mjs
//
// It bundles and minifies src/main.js with esbuild under content-hashed
// names, writes index.html naming them, and writes operations.json: every
// operation of src/operations.js as an Apollo persisted-query manifest (the
// SHA-256 of each document), which the server registers as trusted
// documents. It prints the bundle's size, raw and gzipped.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as operations from './src/operations.js';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'dashboard');
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const result = await build({
  entryPoints: [join(here, 'src', 'main.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  entryNames: '[name]-[hash]',
  outdir: out,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));

const page = (await readFile(join(here, 'index.html'), 'utf8')).replace('{{js}}', js).replace('{{css}}', css);
await writeFile(join(out, 'index.html'), page);

const manifest = {
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: Object.entries(operations).map(([name, body]) => ({
    id: createHash('sha256').update(body).digest('hex'),
    name,
    type: body.trimStart().split(/\s/)[0],
    body,
  })),
};
await writeFile(join(out, 'operations.json'), JSON.stringify(manifest, null, 2) + '\n');

let raw = 0;
let gz = 0;
for (const f of [js, css, 'index.html']) {
  const body = await readFile(join(out, f));
  raw += body.length;
  gz += gzipSync(body, { level: 9 }).length;
}
const kb = (n) => (n / 1024).toFixed(1) + ' KiB';
console.log(`dashboard: ${js}, ${css}, ${manifest.operations.length} operations; ${kb(raw)}, ${kb(gz)} gzipped`);
