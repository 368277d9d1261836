import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { backends, openTestDatabase } from '../../test/helpers.ts';
import { queryRows, type Database } from './client.ts';
import { organisations, participations, people } from './schema.ts';
import { selectList } from './select-list.ts';

const sro = alias(people, 'sro');
/** A mix of what lists read: uuid, text, nullable text, a date in string mode, an integer, an expression, an aliased table's column. */
const fields = {
  id: organisations.id,
  name: organisations.name,
  region: organisations.region,
  onboardingDate: participations.onboardingDate,
  version: participations.version,
  named: sql<boolean>`${organisations.name} like '%Council%'`,
  sroName: sro.name,
};

describe.each(backends)('a raw select list (%s)', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(() => database.close());

  it('gives each row the same keys and values as Drizzle’s select builder', async () => {
    // One council onboarded, so a date is among the values compared.
    await queryRows(database.db, sql`update participations set onboarding_date = '2026-04-01', sro_person_id = null
      where council_id = (select council_id from participations order by council_id limit 1)`);
    const built = await database.db
      .select(fields)
      .from(organisations)
      .innerJoin(participations, eq(participations.councilId, organisations.id))
      .leftJoin(sro, eq(sro.id, participations.sroPersonId))
      .orderBy(organisations.id);
    const raw = await queryRows<(typeof built)[number]>(
      database.db,
      sql`select ${selectList(fields)} from ${organisations} join ${participations} on ${participations.councilId} = ${organisations.id}
          left join ${people} "sro" on ${sro.id} = ${participations.sroPersonId} order by ${organisations.id}`,
    );
    expect(built.length).toBeGreaterThan(300);
    expect(built.some((r) => r.onboardingDate === '2026-04-01')).toBe(true);
    expect(raw.map((r) => ({ ...r }))).toEqual(built);
  });

  it('refuses a column the builder would read as a Date, which a raw row would give as text', () => {
    expect(() => selectList({ id: people.id, createdAt: people.createdAt })).toThrow(/createdAt is read as a Date/);
  });
});
