import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Where uploaded files (network resources, evidence files) are kept: a small interface so an S3-compatible store can stand in for the filesystem later.
 * Keys are chosen by Pioneer (`newStorageKey`), never derived from what a user called their file.
 */
export interface FileStorage {
  /** Stores the stream's bytes under the key; a failed or interrupted write leaves nothing behind under the key. */
  put(key: string, content: Readable): Promise<void>;
  /** The stored bytes, or null when there is nothing under the key. */
  get(key: string): Promise<Readable | null>;
  /** Removes the key's bytes; nothing under the key is not an error. */
  delete(key: string): Promise<void>;
}

const keyPattern = /^[0-9a-f]{2}\/[0-9a-f]{32}$/;

/** A fresh key: two hex characters as a folder (so no one folder holds every file) and 128 random bits. */
export function newStorageKey(): string {
  const id = crypto.randomBytes(16).toString('hex');
  return `${id.slice(0, 2)}/${id}`;
}

/**
 * Files in a folder (DATA_DIR/resources or RESOURCES_DIR). A write goes to `tmp/` first and is renamed into place once
 * complete, so a reader never sees half a file and a failed write leaves no file under its key. Only keys of
 * `newStorageKey`'s shape are accepted, so no key can reach outside the folder.
 */
export function filesystemStorage(root: string): FileStorage {
  const tmpDir = path.join(root, 'tmp');
  const pathOf = (key: string) => {
    if (!keyPattern.test(key)) throw new Error('Not a storage key');
    return path.join(root, key);
  };
  return {
    async put(key, content) {
      const target = pathOf(key);
      await fs.promises.mkdir(tmpDir, { recursive: true });
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      const tmp = path.join(tmpDir, `${crypto.randomBytes(12).toString('hex')}.part`);
      try {
        await pipeline(content, fs.createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
        await fs.promises.rename(tmp, target);
      } catch (err) {
        await fs.promises.rm(tmp, { force: true });
        throw err;
      }
    },
    async get(key) {
      const file = pathOf(key);
      try {
        const handle = await fs.promises.open(file, 'r');
        return handle.createReadStream();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async delete(key) {
      await fs.promises.rm(pathOf(key), { force: true });
    },
  };
}
