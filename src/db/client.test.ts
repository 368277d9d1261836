import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DataDirLockedError, jsonArray, openDatabase, pgArray, ping, queryRows } from './client.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pioneer-lock-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the PGlite data folder', () => {
  it('refuses a second opener while the first holds it, naming the folder and the holder', async () => {
    const first = await openDatabase({ dataDir: dir });
    try {
      expect(await ping(first.db)).toBe(true);
      await expect(openDatabase({ dataDir: dir })).rejects.toBeInstanceOf(DataDirLockedError);
      // Another process gets the same answer (this is what a second `npm start` sees).
      const script = `import { openDatabase } from './src/db/client.ts';
        try { await openDatabase({ dataDir: ${JSON.stringify(dir)} }); console.log('opened'); } catch (e) { console.log(e.message); }`;
      const other = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(other.stdout).toContain('is in use by another Pioneer process');
      expect(other.stdout).not.toContain('opened');
    } finally {
      await first.close();
    }
  }, 90_000); // the second process loads tsx and PGlite: slow on a busy 2-core machine

  it('can be reopened once released, keeping its data, and takes over a lock left by a dead process', async () => {
    const a = await openDatabase({ dataDir: dir });
    await a.db.execute(sql`create table kept (n int)`);
    await a.db.execute(sql`insert into kept values (1)`);
    await a.close();
    fs.writeFileSync(path.join(dir, 'pioneer.lock'), '999999'); // a pid that is not running
    const b = await openDatabase({ dataDir: dir });
    try {
      const [row] = await queryRows<{ n: number }>(b.db, sql`select count(*)::int as n from kept`);
      expect(row.n).toBe(1);
    } finally {
      await b.close();
    }
  });
});

describe('bulk parameters', () => {
  it('carry awkward text and JSON through arrays unchanged, in order, with nulls kept', async () => {
    const database = await openDatabase({ dataDir: null });
    try {
      const texts = ['plain', 'O’Brien "quoted"', 'back\\slash', 'a,b{c}', '', 'NULL', 'Ynys Môn \\"', null, 'trailing\\'];
      const rows = await queryRows<{ t: string | null; n: number }>(database.db, sql`select t, n::int from unnest(${pgArray(texts)}::text[]) with ordinality as x(t, n)`);
      expect(rows.map((r) => r.t)).toEqual(texts);
      const values = [{ reason: 'He said "no"', path: 'C:\\x' }, null, [1, 'two'], 'text'];
      const json = await queryRows<{ v: unknown }>(database.db, sql`select v from jsonb_array_elements(${jsonArray(values)}) with ordinality as x(v, n) order by n`);
      expect(json.map((r) => r.v)).toEqual(values);
    } finally {
      await database.close();
    }
  });
});
