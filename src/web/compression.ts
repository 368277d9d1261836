import zlib from 'node:zlib';

/** The encodings the service compresses responses with (@fastify/compress), best first. */
export const compression = { encodings: ['br', 'gzip'] as ('br' | 'gzip')[] };

/**
 * A download's compression (a route's `compress` option): brotli quality 2 and gzip level 3 instead of 4 and 6.
 * A download is compressed afresh for every request on the service's CPU, unlike the static files, compressed once
 * at their best; CSV is so repetitive that the low levels keep most of the saving. On a national learners CSV (9.4 MB):
 * brotli 77 → 43 ms for 0.89 → 1.02 MB, gzip 128 → 50 ms for 0.93 → 1.17 MB — the extra bytes cost about 20 ms
 * on a 100 Mbit/s line, less than the CPU saved, which a two-core server shares with the database and other users.
 */
export const downloadCompression = {
  ...compression,
  zlibOptions: { level: 3 },
  brotliOptions: { params: { [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT, [zlib.constants.BROTLI_PARAM_QUALITY]: 2 } },
};
