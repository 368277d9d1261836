import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { registerCsvPath } from '../db/seed/reference.ts';
import { exportCouncils, importRegister } from './cli.ts';

describe.each(backends)('councils CLI (%s)', (backend) => {
  let t: TestApp;
  let dir: string;
  const ctx = () => ({ actor: null, systemLabel: 'pioneer CLI', clock: t.clock });
  beforeAll(async () => {
    t = await createTestApp({ backend });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pioneer-councils-cli-'));
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await t?.close();
  });

  it('exports every council as CSV, with SRO names, to the file asked for', async () => {
    const out = path.join(dir, 'all.csv');
    expect(await exportCouncils(t.db, ctx(), 'csv', out)).toBe(`Wrote 317 councils to ${out}.`);
    const rows: string[][] = parse(fs.readFileSync(out, 'utf8').replace(/^\uFEFF/, ''));
    expect(rows).toHaveLength(318);
    expect(rows[0].at(-1)).toBe('SRO');
  });

  it('exports as XLSX', async () => {
    const out = path.join(dir, 'all.xlsx');
    await exportCouncils(t.db, ctx(), 'xlsx', out);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    expect(workbook.worksheets[0].rowCount).toBe(318);
  });

  it('reloads the register idempotently, reporting the counts, and writes no council whose details are unchanged', async () => {
    const versions = () => queryRows<{ code: string; v: string }>(t.db, sql`select code, xmin::text as v from organisations order by code`);
    const before = await versions();
    expect(await importRegister(t.db, ctx())).toContain('317 English councils in the file, 0 new, 0 changed, 317 unchanged.');
    const [audit] = await queryRows<{ after: unknown }>(t.db, sql`select after from audit_events where action = 'register.imported'`);
    expect(audit.after).toEqual({ inFile: 317, added: 0, changed: 0 });
    // No row was rewritten (a rewritten row has a new xmin): a start-up reload leaves nothing for vacuum.
    expect(await versions()).toEqual(before);
  });

  it('updates a council whose details changed in the file, and only that one', async () => {
    const file = path.join(dir, 'renamed.csv');
    const lines = fs.readFileSync(registerCsvPath, 'utf8').trimEnd().split('\n');
    fs.writeFileSync(file, lines.map((l) => (l.startsWith('BIR,') ? l.replace('Birmingham City Council', 'Birmingham City Council (renamed)') : l)).join('\n'));
    expect(await importRegister(t.db, ctx(), file)).toContain('317 English councils in the file, 0 new, 1 changed, 316 unchanged.');
    const [row] = await queryRows<{ name: string }>(t.db, sql`select name from organisations where code = 'BIR'`);
    expect(row.name).toBe('Birmingham City Council (renamed)');
    expect(await importRegister(t.db, ctx())).toContain('0 new, 1 changed, 316 unchanged.');
  });

  it('adds councils that are new in a file', async () => {
    const file = path.join(dir, 'register.csv');
    const lines = fs.readFileSync(registerCsvPath, 'utf8').trimEnd().split('\n');
    const birmingham = lines.find((l) => l.startsWith('BIR,'))!;
    fs.writeFileSync(file, [...lines, birmingham.replace(/^BIR,/, 'ZZQ,').replace('E08000025', 'E06000998').replace('Birmingham City Council', 'Zedshire Council')].join('\n'));
    expect(await importRegister(t.db, ctx(), file)).toContain('318 English councils in the file, 1 new, 0 changed, 317 unchanged.');
    const [row] = await queryRows<{ status: string }>(t.db, sql`
      select p.status from organisations o join participations p on p.council_id = o.id where o.code = 'ZZQ'`);
    expect(row.status).toBe('not_engaged');
  });

  it('refuses a file with no English councils, or no file, changing nothing', async () => {
    const file = path.join(dir, 'empty.csv');
    fs.writeFileSync(file, 'local-authority-code,official-name\n');
    await expect(importRegister(t.db, ctx(), file)).rejects.toThrow('has no current English councils');
    await expect(importRegister(t.db, ctx(), path.join(dir, 'missing.csv'))).rejects.toThrow('There is no file at');
  });
});
