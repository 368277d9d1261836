/**
 * Writes the OpenAPI document the service serves at /api/v1/openapi.json to a new temporary file and prints the
 * file's path, for `npm run lint:openapi` (Spectral). Operations register themselves while the app is built, so the
 * app is built (on an empty in-memory database that is never queried: the app is not started) to get them all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { openApiDocument } from '../src/api/openapi.ts';

const database = await openDatabase({ dataDir: null });
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const app = await buildApp({ config, db: database.db, logger: false });
try {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pioneer-openapi-')), 'openapi.json');
  fs.writeFileSync(file, JSON.stringify(openApiDocument(config.baseUrl), null, 2));
  console.log(file);
} finally {
  await app.close();
  await database.close();
}
