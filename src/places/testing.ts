/**
 * Test fixtures shared by the places and cohorts suites: actors, councils to work in, and approved enrolments
 * (nominated and approved through the real services, so places and seats are taken as in production).
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.ts';
import { loadActor } from '../auth/repository.ts';
import { councilScope } from '../auth/policy.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { nominate, recordEvent } from '../enrolments/service.ts';
import type { RequestContext } from '../audit/record.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { Clock } from '../clock.ts';
import { allocate } from './service.ts';
import { upsertSetting } from '../settings/repository.ts';

type Deps = { db: Db; config: Config; clock: Clock };

/** The request context of a demo account, as a signed-in request would carry it. */
export async function ctxOf(t: Deps, who: keyof typeof demoAccounts): Promise<RequestContext> {
  const [p] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`);
  const actor = await loadActor(t.db, p.id);
  return { actor, clock: t.clock };
}

/** Active councils other than the demo SRO's, in name order, with their managing partner's code. */
export async function activeCouncils(t: Deps, n: number, skip = 0) {
  return queryRows<{ id: string; name: string; gss_code: string; region: string; partner: string }>(
    t.db,
    sql`select o.id, o.name, o.gss_code, o.region, mp.code as partner
        from organisations o join participations p on p.council_id = o.id left join organisations mp on mp.id = p.managing_partner_id
        where p.status = 'active' and o.id <> (select organisation_id from people where email = ${demoAccounts.sro.email})
        order by o.name offset ${skip} limit ${n}`,
  );
}

export async function sroCouncil(t: Deps) {
  const [row] = await queryRows<{ id: string; name: string }>(
    t.db,
    sql`select o.id, o.name from organisations o where o.id = (select organisation_id from people where email = ${demoAccounts.sro.email})`,
  );
  return row;
}

/**
 * Opens the programme's periods up to `last` (the last open period setting, src/enrolments/periods.ts), so a suite
 * can allocate and nominate (as the programme team) in a financial year the demo data never uses.
 */
export async function openPeriodsUntil(t: Deps, last: string) {
  await upsertSetting(t.db, { key: 'lastPeriod', value: last, updatedAt: t.clock.now(), updatedById: null });
}

let serial = 0;

/** Nominates a new officer of the council (as an admin, outside its email domains) and (unless `approve` is false) approves them, taking a funded place. */
export async function enrol(t: Deps, councilId: string, level: string, period: string, opts: { approve?: boolean; tag?: string } = {}) {
  const admin = await ctxOf(t, 'admin');
  const scope = councilScope(admin.actor!);
  serial += 1;
  const email = `fixture.${opts.tag ?? 'learner'}.${process.pid}.${serial}.${Date.now()}@fixture.example.gov.uk`;
  const enrolment = await nominate(t.db, t.config, admin, scope, { councilId, level, period, person: { name: `Fixture Learner ${serial}`, email }, allowOutsideDomains: true });
  if (opts.approve === false) return enrolment;
  return recordEvent(t.db, admin, scope, enrolment.id, { type: 'approved', date: new Date(t.clock.now()).toISOString().slice(0, 10) });
}

/** Allocates places as the demo admin. */
export async function allocateAs(t: Deps, councilId: string, level: string, period: string, places: number) {
  const admin = await ctxOf(t, 'admin');
  return allocate(t.db, admin, councilScope(admin.actor!), { councilId, level, period, places });
}
