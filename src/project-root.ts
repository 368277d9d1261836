import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's folder, where src/, reference-data/ and node_modules/ are. Worked out from this file, which sits one
 * folder down whether it runs as itself (src/project-root.ts, under tsx and the tests) or inside the bundle `npm start`
 * runs (dist/main.mjs, scripts/build.mjs): so files found from here are found either way.
 */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
