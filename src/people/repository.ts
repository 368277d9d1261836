import { and, desc, eq, gt, isNull, sql, type SQL } from 'drizzle-orm';
import { oneTimeTokens, organisations, participations, people } from '../db/schema.ts';
import { queryRows, type Db, type DbOrTx } from '../db/client.ts';
import { batchStatement, exportBatchSize, queryArrays, readInBatches, type RowBatches } from '../db/batches.ts';
import type { PeopleScope, Role } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import { containsPattern } from '../db/search.ts';
import { keptTotal } from '../db/read-cache.ts';
import { pageClause, readFromNearerEnd } from '../db/paging.ts';

export type PersonStatus = (typeof people.status.enumValues)[number];

/** A person as lists, pages, exports and the API show them (never the password hash). */
export type PersonRow = {
  id: string;
  name: string;
  email: string;
  organisationId: string;
  organisationName: string;
  organisationKind: 'council' | 'partner';
  jobTitle: string | null;
  roles: Role[];
  status: PersonStatus;
  version: number;
  hasPassword: boolean;
  /** Erased (src/privacy): the name and email are an "Erased person N" placeholder's. */
  erased: boolean;
};

/** The filters a people list accepts (page and API alike). */
export type PeopleFilters = {
  q?: string;
  organisationId?: string;
  role?: Role;
  status?: PersonStatus;
  sort: 'name' | 'email' | 'organisation' | 'status';
  order: 'asc' | 'desc';
};

/** The people scope as a condition on the alias `p` (people). */
function peopleInScope(scope: PeopleScope): SQL {
  if (scope.kind === 'all') return sql`true`;
  if (scope.kind === 'self') return sql`p.id = ${scope.personId}::uuid`;
  return councilInScope(scope.councils, sql`p.organisation_id`);
}

function peopleWhere(scope: PeopleScope, f: Omit<PeopleFilters, 'sort' | 'order'>): SQL {
  const conditions = [peopleInScope(scope)];
  if (f.q) {
    const pattern = containsPattern(f.q);
    conditions.push(sql`(p.name ilike ${pattern} or p.email ilike ${pattern})`);
  }
  if (f.organisationId) conditions.push(sql`p.organisation_id = ${f.organisationId}::uuid`);
  if (f.role) conditions.push(sql`${f.role} = any(p.roles)`);
  if (f.status) conditions.push(sql`p.status = ${f.status}`);
  return sql.join(conditions, sql` and `);
}

const sortColumns: Record<PeopleFilters['sort'], SQL> = {
  name: sql`lower(p.name)`,
  email: sql`lower(p.email)`,
  organisation: sql`lower(o.name)`,
  status: sql`p.status`,
};

/** The list's order: the chosen sort, then the id so equal keys keep one order; `reversed`, all of it the other way. */
const peopleOrder = (filters: PeopleFilters, reversed = false) => {
  const down = (filters.order === 'desc') !== reversed;
  return sql`${sortColumns[filters.sort]} ${down ? sql`desc` : sql`asc`}, p.id${reversed ? sql` desc` : sql``}`;
};

/** A person's columns; `personFromArray` reads them in this order. */
const personColumns = sql`p.id, p.name, p.email, p.organisation_id as "organisationId", o.name as "organisationName",
  o.kind as "organisationKind", p.job_title as "jobTitle", p.roles, p.status, p.version, (p.password_hash is not null) as "hasPassword",
  (p.erased_at is not null) as "erased"`;

/**
 * One page of the people the scope allows, filtered and sorted, with the total. The page's ids are chosen from the
 * people table alone (the organisation's name joined only for that sort), so the default order walks the
 * (lower(name), id) index and a deep page skips index entries rather than joined rows; only those fifty are joined to
 * their organisations. The total is kept between changes (db/read-cache.ts): counting 20,000 people on every page
 * cost the database more than the page itself. Past the first page the count comes first: a page past the middle is
 * read from the list's end (db/paging.ts).
 */
export async function listPeople(
  db: DbOrTx,
  scope: PeopleScope,
  filters: PeopleFilters,
  page: { page: number; pageSize: number },
): Promise<{ rows: PersonRow[]; total: number }> {
  const where = peopleWhere(scope, filters);
  const counted = keptTotal(db, 'people', scope, filters, async () => {
    const [{ total }] = await queryRows<{ total: number }>(db, sql`select count(*)::int as total from people p where ${where}`);
    return total;
  });
  return readFromNearerEnd({ limit: page.pageSize, offset: (page.page - 1) * page.pageSize }, counted, (from) =>
    queryRows<PersonRow>(
      db,
      sql`select ${personColumns} from people p join organisations o on o.id = p.organisation_id
          where p.id in (select p.id from people p ${organisationJoin(filters)} where ${where}
                         order by ${peopleOrder(filters, from.reversed)}${pageClause(page.pageSize, from.offset)})
          order by ${peopleOrder(filters)}`,
    ),
  );
}

/** The organisations join that only the organisation sort needs. */
const organisationJoin = (filters: PeopleFilters) => (filters.sort === 'organisation' ? sql`join organisations o on o.id = p.organisation_id` : sql``);

/** A batch row of a people download as the driver gives it (an array in `personColumns`' order) made into an object literal. */
function personFromArray(r: unknown[]): PersonRow {
  const [id, name, email, organisationId, organisationName, organisationKind, jobTitle, roles, status, version, hasPassword, erased] = r as [
    string, string, string, string, string, PersonRow['organisationKind'], string | null, Role[], PersonStatus, number, boolean, boolean,
  ];
  return { id, name, email, organisationId, organisationName, organisationKind, jobTitle, roles, status, version, hasPassword, erased };
}

/**
 * Every person the scope allows that matches the filters, in the list's order, read `batchSize` at a time (exports),
 * each batch as arrays (`queryArrays`).
 */
export async function exportPeople(db: Db, scope: PeopleScope, filters: PeopleFilters, batchSize = exportBatchSize): Promise<RowBatches<PersonRow>> {
  const where = peopleWhere(scope, filters);
  const ids = await queryRows<{ id: string }>(db, sql`select p.id from people p ${organisationJoin(filters)} where ${where} order by ${peopleOrder(filters)}`);
  return readInBatches(ids.map((r) => r.id), batchSize, async (batch) => {
    const rows = await queryArrays(
      db,
      batchStatement({ columns: personColumns, table: sql`people`, alias: sql`p`, joins: sql`join organisations o on o.id = p.organisation_id`, where }, batch),
    );
    return rows.map(personFromArray);
  });
}

/** The person with this id if the scope allows them, else null. */
export async function findPersonInScope(db: DbOrTx, scope: PeopleScope, id: string): Promise<PersonRow | null> {
  const [row] = await queryRows<PersonRow>(
    db,
    sql`select ${personColumns} from people p join organisations o on o.id = p.organisation_id
        where p.id = ${id}::uuid and ${peopleInScope(scope)}`,
  );
  return row ?? null;
}

/** The organisations that have people in the scope: the options of the list's organisation filter. */
export async function organisationsWithPeople(db: DbOrTx, scope: PeopleScope) {
  return queryRows<{ id: string; name: string }>(
    db,
    sql`select o.id, o.name from organisations o
        where exists (select 1 from people p where p.organisation_id = o.id and ${peopleInScope(scope)})
        order by o.kind desc, o.name`,
  );
}

/** Every organisation a person can be invited into, partners first. */
export async function allOrganisations(db: DbOrTx) {
  return db
    .select({ id: organisations.id, name: organisations.name, kind: organisations.kind })
    .from(organisations)
    .orderBy(sql`${organisations.kind} desc`, organisations.name);
}

/** Whether anyone (but `exceptId`, when given) has this address, in any case. */
export async function emailTaken(db: DbOrTx, email: string, exceptId?: string): Promise<boolean> {
  const [row] = await db
    .select({ id: people.id })
    .from(people)
    .where(sql`lower(${people.email}) = lower(${email}) ${exceptId ? sql`and ${people.id} <> ${exceptId}` : sql``}`);
  return Boolean(row);
}

/** The email domains a council's addresses are on (empty when none are set or the organisation is no council). */
export async function emailDomainsOf(db: DbOrTx, organisationId: string): Promise<string[]> {
  const [row] = await db.select({ emailDomains: participations.emailDomains }).from(participations).where(eq(participations.councilId, organisationId));
  return row?.emailDomains ?? [];
}

/**
 * Changes a person's editable fields (name, job title, email; roles) if they are still at `version`; false when
 * someone changed them first. One optimistic update for every edit of a person.
 */
export async function updatePersonAt(
  db: DbOrTx,
  id: string,
  changes: Partial<{ name: string; jobTitle: string | null; email: string; roles: Role[] }>,
  version: number,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(people)
    .set({ ...changes, updatedAt: now, version: sql`${people.version} + 1` })
    .where(sql`${people.id} = ${id} and ${people.version} = ${version}`)
    .returning({ id: people.id });
  return rows.length === 1;
}

/** Sets a person's email address (a confirmed change). */
export async function setEmail(db: DbOrTx, id: string, email: string, now: Date) {
  await db
    .update(people)
    .set({ email, updatedAt: now, version: sql`${people.version} + 1` })
    .where(eq(people.id, id));
}

/** The address of the person's newest email change still waiting to be confirmed, or null. */
export async function pendingEmailChange(db: DbOrTx, personId: string, now: Date): Promise<string | null> {
  const [row] = await db
    .select({ email: oneTimeTokens.email })
    .from(oneTimeTokens)
    .where(
      and(
        eq(oneTimeTokens.personId, personId),
        eq(oneTimeTokens.purpose, 'email-change'),
        isNull(oneTimeTokens.usedAt),
        gt(oneTimeTokens.expiresAt, now),
      ),
    )
    .orderBy(desc(oneTimeTokens.createdAt))
    .limit(1);
  return row?.email ?? null;
}

export async function findOrganisation(db: DbOrTx, id: string) {
  const [row] = await db.select().from(organisations).where(eq(organisations.id, id));
  return row ?? null;
}

export async function findOrganisationByCode(db: DbOrTx, code: string) {
  const [row] = await db.select().from(organisations).where(eq(organisations.code, code));
  return row ?? null;
}

export async function insertPerson(db: DbOrTx, p: typeof people.$inferInsert) {
  const [row] = await db.insert(people).values(p).returning();
  return row;
}

export async function setStatus(db: DbOrTx, id: string, status: PersonStatus, now: Date) {
  await db
    .update(people)
    // The day of deactivation starts the retention period after which the person is anonymised (src/privacy/retention.ts).
    .set({ status, deactivatedAt: status === 'deactivated' ? now : null, updatedAt: now, version: sql`${people.version} + 1` })
    .where(eq(people.id, id));
}
