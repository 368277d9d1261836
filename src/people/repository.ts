import { eq, sql } from 'drizzle-orm';
import { organisations, people } from '../db/schema.ts';
import type { DbOrTx } from '../db/client.ts';

export async function emailTaken(db: DbOrTx, email: string): Promise<boolean> {
  const [row] = await db.select({ id: people.id }).from(people).where(sql`lower(${people.email}) = lower(${email})`);
  return Boolean(row);
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
