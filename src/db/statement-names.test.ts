import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, openTestDatabase } from '../../test/helpers.ts';
import { queryRows, type Database } from './client.ts';
import { maxPerConnection, nameStatements, plannedEachTime } from './statement-names.ts';

// Only PostgreSQL connections are named (PGlite has one connection and no pool): these run when TEST_DATABASE_URL is set.
const postgres = backends.filter((b) => b === 'postgres');

type Prepared = { statement: string };
const preparedLike = (db: Database['db'], pattern: string) =>
  queryRows<Prepared>(db, sql`select statement from pg_prepared_statements where statement like ${pattern} and not from_sql`);

describe.each(postgres)('statements parsed once per connection (%s)', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(() => database.close());

  it('keeps one prepared statement for a query asked again with other values, and answers each with its own values', async () => {
    await database.db.transaction(async (tx) => {
      const names = [];
      for (const email of ['admin@pioneer.example.gov.uk', 'nobody@example.gov.uk', 'admin@pioneer.example.gov.uk']) {
        names.push((await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from people where email = ${email} /* once */`))[0].n);
      }
      expect(names).toEqual([1, 0, 1]);
      // The transaction holds one connection: the statement is prepared there once, under a name of its own.
      const prepared = await preparedLike(tx, '%/* once */%');
      expect(prepared).toHaveLength(1);
    });
  });

  it('leaves statements without parameters to the simple protocol, which runs several commands at once', async () => {
    await database.db.transaction(async (tx) => {
      await tx.execute(sql.raw('create temporary table two_commands (n int); insert into two_commands values (7) /* simple */'));
      const [row] = await queryRows<{ n: number }>(tx, sql`select n from two_commands`);
      expect(row.n).toBe(7);
      expect(await preparedLike(tx, '%/* simple */%')).toHaveLength(0);
    });
  });

  it('names a lone select without parameters too (a first page with its limit written in), and answers it each time', async () => {
    await database.db.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) {
        const rows = await queryRows<{ email: string }>(tx, sql`select email from people order by email limit 1 /* lone */`);
        expect(rows).toHaveLength(1);
      }
      await queryRows(tx, sql`with n as (select 1 as one) select one from n /* lone with */`);
      expect((await preparedLike(tx, '%/* lone%')).map((p) => p.statement).sort()).toEqual([
        'select email from people order by email limit 1 /* lone */',
        'with n as (select 1 as one) select one from n /* lone with */',
      ]);
      // Anything else without parameters stays unnamed: it may be several commands, or not worth keeping.
      await tx.execute(sql.raw('select 1 /* two */; select 2 /* two */'));
      await tx.execute(sql.raw('set local statement_timeout = 5000 /* setting */'));
      expect(await preparedLike(tx, '%/* two */%')).toHaveLength(0);
      expect(await preparedLike(tx, '%/* setting */%')).toHaveLength(0);
    });
  });

  it('sends a statement that starts with plannedEachTime unnamed, so it is planned for its values every time', async () => {
    await database.db.transaction(async (tx) => {
      for (const email of ['admin@pioneer.example.gov.uk', 'nobody@example.gov.uk']) {
        await queryRows(tx, sql`${sql.raw(plannedEachTime)}select count(*)::int as n from people where email = ${email} /* each time */`);
      }
      expect(await preparedLike(tx, '%/* each time */%')).toHaveLength(0);
    });
  });

  it('runs a statement again after it failed, on the same connection', async () => {
    await database.db.transaction(async (tx) => {
      await expect(tx.transaction((inner) => queryRows(inner, sql`select 1 / ${0}::int as q /* retried */`))).rejects.toThrow();
      const [row] = await queryRows<{ q: number }>(tx, sql`select 1 / ${1}::int as q /* retried */`);
      expect(row.q).toBe(1);
    });
  });

  it('stops naming a connection\'s statements past its limit, and still answers every one', async () => {
    const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await client.connect();
    try {
      nameStatements(client);
      const answers = [];
      for (let i = 0; i < maxPerConnection + 20; i++) {
        answers.push((await client.query({ text: `select $1::int + ${i} as n` }, [1])).rows[0].n);
      }
      expect(answers).toEqual(Array.from({ length: maxPerConnection + 20 }, (_, i) => i + 1));
      const { rows } = await client.query(`select count(*)::int as n from pg_prepared_statements where statement like 'select $1::int + %'`);
      expect(rows[0].n).toBe(maxPerConnection);
    } finally {
      await client.end();
    }
  });
});
