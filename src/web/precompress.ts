import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Only text is worth compressing; fonts, images and source maps are copied as they are. */
const compressible = /\.(css|js)$/;

const made = new Map<string, Promise<string>>();

/**
 * A folder holding copies of `files` from `from`, each CSS and JS file beside its `.br` and `.gz` forms, so that
 * @fastify/static (`preCompressed`) serves the form a browser accepts without compressing on every request. The
 * folder is named by the files' contents, so it is made once per version (best compression, about a second) and
 * reused by later starts and by other processes (and made again at start-up if a temporary-files cleaner has
 * emptied it); it is written under a temporary name and renamed into place, so a reader never sees it half-made.
 */
export function precompressed(from: string, files: readonly string[]): Promise<string> {
  const key = `${from}\0${files.join('\0')}`;
  let folder = made.get(key);
  if (!folder) {
    folder = make(from, files);
    made.set(key, folder);
  }
  return folder;
}

async function make(from: string, files: readonly string[]): Promise<string> {
  const contents = await Promise.all(files.map((f) => fs.readFile(path.join(from, f))));
  const hash = crypto.createHash('sha256');
  files.forEach((f, i) => hash.update(f).update('\0').update(contents[i]));
  const folder = path.join(os.tmpdir(), `pioneer-static-${hash.digest('hex').slice(0, 16)}`);
  const expected = files.flatMap((f) => (compressible.test(f) ? [f, `${f}.br`, `${f}.gz`] : [f]));
  const complete = async () => (await Promise.all(expected.map((f) => exists(path.join(folder, f))))).every(Boolean);
  if (await complete()) return folder;
  // Cleaned out (a temporary-files cleaner may empty old folders): make it again.
  if (await exists(folder)) await fs.rm(folder, { recursive: true, force: true });
  const partial = await fs.mkdtemp(`${folder}-partial-`);
  await Promise.all(
    files.map(async (f, i) => {
      const target = path.join(partial, f);
      await fs.writeFile(target, contents[i]);
      if (!compressible.test(f)) return;
      const params = { [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: contents[i].length };
      await fs.writeFile(`${target}.br`, await brotli(contents[i], { params }));
      await fs.writeFile(`${target}.gz`, await gzip(contents[i], { level: zlib.constants.Z_BEST_COMPRESSION }));
    }),
  );
  try {
    await fs.rename(partial, folder);
  } catch (err) {
    // Another process made the same folder meanwhile: theirs has the same contents.
    await fs.rm(partial, { recursive: true, force: true });
    if (!(await complete())) throw err;
  }
  return folder;
}

const exists = (p: string) =>
  fs.access(p).then(
    () => true,
    () => false,
  );
