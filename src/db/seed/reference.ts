import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../project-root.ts';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { pgArray, queryRows, type DbOrTx } from '../client.ts';

/** The shipped copy of mySociety's register (CC BY 4.0; see NOTICE). */
export const registerCsvPath = path.join(projectRoot, 'reference-data/uk-local-authorities/uk_local_authorities_current.csv');

export type CouncilRecord = { code: string; name: string; gssCode: string; laType: string; laTypeName: string; region: string; nation: string };

/** Types that are not councils in the programme's sense: combined authorities and the GLA. */
const excludedTypes = new Set(['COMB', 'SRA']);

/** The programme's universe: current English councils, leaving out combined authorities and the GLA (317). */
export function readEnglishCouncils(csvPath = registerCsvPath): CouncilRecord[] {
  const rows: Record<string, string>[] = parse(fs.readFileSync(csvPath), { columns: true, skip_empty_lines: true });
  return rows
    .filter((r) => r['nation'] === 'England' && r['current-authority'] === 'True' && !excludedTypes.has(r['local-authority-type']))
    .map((r) => ({
      code: r['local-authority-code'],
      name: r['official-name'],
      gssCode: r['gss-code'],
      laType: r['local-authority-type'],
      laTypeName: r['local-authority-type-name'],
      region: r['region'],
      nation: r['nation'],
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Programme partners, with the names they have had (oldest first). */
export const partners = [
  { code: 'LP', names: [{ name: 'Local Partnerships', from: null, to: null }] },
  {
    code: 'MHCLG',
    names: [
      { name: 'Department for Levelling Up, Housing and Communities', from: '2021-09-20', to: '2024-07-07' },
      { name: 'Ministry of Housing, Communities and Local Government', from: '2024-07-08', to: null },
    ],
  },
  { code: 'CCS', names: [{ name: 'Crown Commercial Service', from: null, to: null }] },
  { code: 'LGA', names: [{ name: 'Local Government Association', from: null, to: null }] },
  { code: 'GCF', names: [{ name: 'Cabinet Office – Government Commercial Function', from: null, to: null }] },
] as const;

/**
 * Loads the council register and the partners, idempotently: existing rows are updated in place, and only those
 * whose details changed, so it runs on every start and after the register is refreshed (`pioneer import register
 * --file`). Runs in production too. (Rewriting every organisation at every start left ~300 dead rows a start in a
 * table every list joins: after a dozen starts a scan of 322 councils read 5,000 rows.)
 */
export async function loadReferenceData(db: DbOrTx, csvPath = registerCsvPath): Promise<{ councils: number; written: number }> {
  const councils = readEnglishCouncils(csvPath);
  const cols = (k: keyof CouncilRecord) => councils.map((c) => c[k]);
  const written = await queryRows<{ code: string }>(
    db,
    sql`
    insert into organisations (kind, code, name, gss_code, la_type, la_type_name, region, nation)
    select 'council', * from unnest(${pgArray(cols('code'))}::text[], ${pgArray(cols('name'))}::text[], ${pgArray(cols('gssCode'))}::text[],
      ${pgArray(cols('laType'))}::text[], ${pgArray(cols('laTypeName'))}::text[], ${pgArray(cols('region'))}::text[], ${pgArray(cols('nation'))}::text[])
    on conflict (code) do update set name = excluded.name, gss_code = excluded.gss_code, la_type = excluded.la_type,
      la_type_name = excluded.la_type_name, region = excluded.region, nation = excluded.nation
    where (organisations.name, organisations.gss_code, organisations.la_type, organisations.la_type_name, organisations.region, organisations.nation)
      is distinct from (excluded.name, excluded.gss_code, excluded.la_type, excluded.la_type_name, excluded.region, excluded.nation)
    returning code`,
  );
  await db.execute(sql`
    insert into participations (council_id) select id from organisations where kind = 'council'
    on conflict (council_id) do nothing`);
  for (const p of partners) {
    const current = p.names[p.names.length - 1].name;
    await db.execute(sql`
      insert into organisations (kind, code, name) values ('partner', ${p.code}, ${current})
      on conflict (code) do update set name = excluded.name where organisations.name is distinct from excluded.name`);
    for (const n of p.names) {
      await db.execute(sql`
        insert into organisation_names (organisation_id, name, valid_from, valid_to)
        select o.id, ${n.name}, ${n.from}::date, ${n.to}::date from organisations o
        where o.code = ${p.code} and not exists (
          select 1 from organisation_names x where x.organisation_id = o.id and x.name = ${n.name})`);
    }
  }
  return { councils: councils.length, written: written.length };
}
