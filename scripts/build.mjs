#!/usr/bin/env node
/**
 * `npm start`'s first step: the service's TypeScript bundled into one ES module, dist/main.mjs, that plain `node`
 * runs (ADR 0014). Running through tsx kept a second V8 isolate for its loader and every module's transpiled source
 * and source map: ~80 MB of the process's memory, idle. Packages stay in node_modules (`packages: 'external'`).
 *
 * Written beside and renamed into place, so a service starting while another build runs (two `npm start`s at once,
 * as the tests do) never loads half a file. Plain JavaScript, so it needs nothing but esbuild to run.
 */
import fs from 'node:fs';
import process from 'node:process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'dist/main.mjs');

const result = await build({
  entryPoints: [path.join(root, 'src/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  sourcesContent: false,
  write: false,
  logLevel: 'warning',
});

fs.mkdirSync(path.dirname(outfile), { recursive: true });
// The embedded database's thread runs from a file of its own, plain JavaScript, beside the bundle (ADR 0023).
const worker = { path: path.join(root, 'dist/pglite-worker.mjs'), contents: fs.readFileSync(path.join(root, 'src/db/pglite-worker.mjs')) };
const files = [...result.outputFiles, worker];
for (const file of files) {
  const temporary = `${file.path}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, file.contents);
  fs.renameSync(temporary, file.path);
}
