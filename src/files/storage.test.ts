import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesystemStorage, newStorageKey, type FileStorage } from './storage.ts';

describe('filesystem storage', () => {
  let root: string;
  let storage: FileStorage;
  const read = async (s: Readable) => {
    const chunks: Buffer[] = [];
    for await (const c of s) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  const filesUnder = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pioneer-storage-'));
    storage = filesystemStorage(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('keeps the bytes under a random key, gives them back, and deletes them', async () => {
    const key = newStorageKey();
    expect(key).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{32}$/);
    expect(newStorageKey()).not.toBe(key);
    await storage.put(key, Readable.from([Buffer.from('hello '), Buffer.from('world')]));
    expect((await read((await storage.get(key))!)).toString()).toBe('hello world');
    expect(filesUnder(root)).toEqual([path.join(root, key)]);
    await storage.delete(key);
    expect(await storage.get(key)).toBeNull();
    await storage.delete(key); // deleting nothing is not an error
  });

  it('leaves nothing behind when the stream fails half way', async () => {
    const key = newStorageKey();
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1024));
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(storage.put(key, failing)).rejects.toThrow('connection reset');
    expect(await storage.get(key)).toBeNull();
    expect(filesUnder(root)).toEqual([]);
  });

  it('refuses keys it did not make, so none reaches outside its folder', async () => {
    for (const key of ['../outside', 'aa/../../etc/passwd', '/etc/passwd', 'report.pdf', 'AA/' + '0'.repeat(32)]) {
      await expect(storage.put(key, Readable.from([Buffer.from('x')]))).rejects.toThrow('Not a storage key');
      await expect(storage.get(key)).rejects.toThrow('Not a storage key');
    }
  });
});
