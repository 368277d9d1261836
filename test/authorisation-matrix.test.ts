/**
 * The authorisation matrix: every route the app registers × every role × a record inside and outside the
 * role's scope → the expected outcome. The route list comes from the app itself (routeTable), so a new route
 * is covered automatically, and one with a parameter this test does not know fails until it is added here.
 *
 * The expectations are written out below, independently of src/auth/policy.ts, so a change to who may do
 * what shows up here as a deliberate edit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type Agent, type TestApp } from './helpers.ts';
import { routeTable } from '../src/auth/access.ts';
import { pgArray, queryRows } from '../src/db/client.ts';
import { demoAccounts } from '../src/db/seed/demo.ts';
import { createApiToken } from '../src/auth/service.ts';
import { Readable } from 'node:stream';
import { filesystemStorage, newStorageKey } from '../src/files/storage.ts';

/** One demo sign-in per role: the accredited demo learner is a second Learner, with the same grants as `learner`. */
type RoleKey = Exclude<keyof typeof demoAccounts, 'accreditedLearner'>;
const roleKeys = (Object.keys(demoAccounts) as (keyof typeof demoAccounts)[]).filter((k): k is RoleKey => k !== 'accreditedLearner');

/** What each demo role may do (the specification this test holds the code to). */
const expectedGrants: Record<RoleKey, readonly string[]> = {
  admin: ['council:list', 'council:view', 'council:edit', 'council:create', 'council:status', 'council:override-partner', 'council:assign-specialists',
    'council:email-domains', 'person:list', 'person:view', 'person:invite', 'person:manage', 'person:edit', 'person:subject-access', 'person:erase', 'audit:list', 'dashboard:aggregate', 'evaluation:read', 'settings:manage', 'retention:manage',
    'place:list', 'place:allocate', 'place-request:list', 'place-request:create', 'place-request:decide', 'cohort:list', 'cohort:manage', 'cohort:reschedule',
    'enrolment:list', 'enrolment:nominate', 'enrolment:any-email-domain', 'enrolment:any-open-period', 'enrolment:decide', 'enrolment:progress',
    'enrolment:withdraw-nomination', 'enrolment:correct-nomination', 'accreditation:renew', 'import:nominations', 'import:results', 'import:any-report',
    'network:view-any', 'network:manage-members', 'network:manage-resources', 'network:download-any', 'network:manage-events',
    'maturity:view', 'maturity:assess', 'maturity:moderate', 'maturity:programme', 'network:moderate-discussions', 'engagement:list', 'engagement:manage', 'engagement:work', 'contract:list', 'contract:edit',
    'improvement:list', 'improvement:verify', 'survey:manage', 'survey:results', 'fund:aggregate', 'fund:list', 'fund:manage',
    'report:read', 'report:generate', 'csf:manage'],
  partnerLp: ['council:list', 'council:view', 'council:edit', 'council:status', 'person:list', 'person:view', 'dashboard:aggregate', 'evaluation:read',
    'place:list', 'place-request:list', 'place-request:create', 'cohort:list', 'enrolment:list', 'enrolment:any-email-domain', 'enrolment:decide', 'enrolment:progress',
    'enrolment:withdraw-nomination', 'enrolment:correct-nomination', 'accreditation:renew', 'network:view-any', 'maturity:programme', 'maturity:view', 'engagement:list', 'contract:list', 'improvement:list', 'survey:results', 'fund:aggregate', 'fund:list', 'report:read'],
  partnerMhclg: ['council:list', 'council:view', 'council:edit', 'council:status', 'person:list', 'person:view', 'dashboard:aggregate', 'evaluation:read',
    'place:list', 'place-request:list', 'place-request:create', 'cohort:list', 'enrolment:list', 'enrolment:any-email-domain', 'enrolment:decide', 'enrolment:progress',
    'enrolment:withdraw-nomination', 'enrolment:correct-nomination', 'accreditation:renew', 'network:view-any', 'maturity:programme', 'maturity:view', 'engagement:list', 'contract:list', 'improvement:list', 'survey:results', 'fund:aggregate', 'fund:list', 'report:read'],
  specialist: ['council:list', 'council:view', 'person:list', 'person:view', 'enrolment:list', 'maturity:view', 'maturity:moderate', 'engagement:list', 'engagement:work', 'engagement:log-time', 'contract:list', 'improvement:list', 'improvement:verify'],
  sro: ['council:list', 'council:view', 'person:list', 'person:view', 'person:edit', 'place:list', 'enrolment:list', 'enrolment:nominate',
    'enrolment:withdraw-nomination', 'enrolment:correct-nomination', 'import:nominations', 'maturity:view', 'maturity:assess', 'engagement:list', 'engagement:sign-off', 'contract:list', 'contract:edit', 'improvement:list', 'improvement:record'],
  lead: ['council:list', 'council:view', 'person:list', 'person:view', 'person:edit', 'place:list', 'enrolment:list', 'enrolment:nominate',
    'enrolment:withdraw-nomination', 'enrolment:correct-nomination', 'import:nominations', 'maturity:view', 'maturity:assess', 'engagement:list', 'contract:list', 'contract:edit', 'improvement:list', 'improvement:record'],
  learner: ['journey:own'],
  funder: ['council:list', 'dashboard:aggregate', 'evaluation:read', 'place:list', 'maturity:programme', 'survey:results', 'fund:aggregate', 'report:read'],
};

/** Routes anyone may open. Anything else found public is a mistake. */
const publicRoutes = new Set([
  'GET /', 'GET /sign-in', 'POST /sign-in', 'GET /forgot-password', 'POST /forgot-password', 'GET /set-password/:token',
  'POST /set-password/:token', 'GET /health', 'GET /api/v1/openapi.json', 'GET /api/docs', 'GET /about/data',
  'GET /signed-out', 'GET /accessibility', 'GET /privacy', 'GET /cookies', 'GET /confirm-email/:token', 'POST /confirm-email/:token',
  'GET /unsubscribe/:token', 'POST /unsubscribe/:token', 'GET /calendar-feeds/:file',
  'GET /survey-answers/:token', 'POST /survey-answers/:token',
]);

/** Route parameters this test knows how to fill, by the kind of record they name. */
type RecordKind = 'council' | 'person' | 'enrolment' | 'learner' | 'accreditation' | 'cohort' | 'token' | 'import' | 'cpd' | 'placeRequest' | 'network' | 'resource' | 'networkEvent' | 'assessment' | 'assessmentApi' | 'engagement' | 'contract' | 'improvement' | 'survey' | 'fund' | 'report' | 'csf' | 'indicator';
function recordKind(url: string): RecordKind | null {
  if (!url.includes(':')) return null;
  if (/^(\/api\/v1)?\/learners\/:id\/accreditations\/:accreditationId\b/.test(url)) return 'accreditation';
  // A maturity assessment, under its council's page or the API: the council's scope decides.
  if (url.startsWith('/councils/:id/maturity/:assessmentId')) return 'assessment';
  if (url.startsWith('/api/v1/maturity-assessments/:id')) return 'assessmentApi';
  if (/^(\/api\/v1)?\/councils\/:id\b/.test(url)) return 'council';
  if (/^(\/api\/v1)?\/people\/:id\b/.test(url)) return 'person';
  if (/^(\/api\/v1)?\/enrolments\/:id\b/.test(url)) return 'enrolment';
  if (/^(\/api\/v1)?\/learners\/:id\b/.test(url)) return 'learner';
  if (/^(\/api\/v1)?\/cohorts\/:id\b/.test(url)) return 'cohort';
  if (/^(\/places\/requests|\/api\/v1\/place-requests)\/:id\b/.test(url)) return 'placeRequest';
  if (/^(\/api\/v1)?\/engagements\/:id\b/.test(url)) return 'engagement';
  // A key contract (and its KPIs), on its own page or the API: its council's scope decides, as for the council's list.
  if (/^(\/api\/v1)?\/contracts\/:id\b/.test(url)) return 'contract';
  if (/^(\/api\/v1)?\/improvements\/:id\b/.test(url)) return 'improvement';
  if (/^(\/api\/v1)?\/funding\/:id\b/.test(url)) return 'fund';
  // An archived funder report (src/reports): the programme's, not a council's, so no scope; the action decides.
  if (/^(\/api\/v1)?\/reports\/:id\b/.test(url)) return 'report';
  if (url.startsWith('/api/v1/funds/:id')) return 'fund';
  // A critical success factor (the programme's, not a council's), and an indicator of the catalogue by its key.
  if (/^(\/evaluation|\/api\/v1)\/csfs\/:id\b/.test(url)) return 'csf';
  if (url === '/api/v1/indicators/:key/snapshots') return 'indicator';
  if (url.startsWith('/networks/:network')) return 'network';
  // A draft survey (src/surveys): not a council's record, so no scope; the action on the route decides.
  if (/^(\/api\/v1)?\/surveys\/:id\b/.test(url)) return 'survey';
  if (url.startsWith('/api/v1/network-resources/:id')) return 'resource';
  if (url.startsWith('/api/v1/network-events/:id')) return 'networkEvent';
  if (url.startsWith('/account/tokens/:id')) return 'token';
  if (url.startsWith('/my-journey/cpd/:entryId')) return 'cpd';
  if (/^(\/api\/v1)?\/imports\/:id\b/.test(url)) return 'import';
  throw new Error(`The authorisation matrix does not know the parameter in ${url}: add it to recordKind()`);
}

/**
 * Whether the role may use the route, and how it is refused otherwise (null: the usual 404 for records, 403 for
 * collections). A learner's record is open to those who may list enrolments and to the learner themself, whose
 * CPD log only they may add to: others who can see the record are refused with 403, the rest never learn it exists.
 */
function expectation(r: { method: string; url: string; access: string }, kind: RecordKind | null, role: RoleKey): { allowed: boolean; refusal: 403 | 404 | null } {
  if (kind === 'learner' && r.access === 'signed-in') {
    const staff = expectedGrants[role].includes('enrolment:list');
    if (r.method === 'POST' && r.url.endsWith('/cpd')) return { allowed: role === 'learner', refusal: staff ? 403 : 404 };
    return { allowed: staff || role === 'learner', refusal: 404 };
  }
  if (kind === 'network') {
    // Each role opens the network it could belong to (learners the Learners Network, everyone else the SRO Network):
    // members by their records (the demo learner and SRO; leads only when the setting says so, off in tests) and
    // programme staff see its home; only admins (and facilitators, none among the demo sign-ins) see the hand-added
    // list, refused with 403 to those who see the network and 404 to the rest; changes are admins' (404 for a person's
    // entry, 403 for the list).
    const sees = role === 'learner' || role === 'sro' || expectedGrants[role].includes('network:view-any');
    if (r.url === '/networks/:network') return { allowed: sees, refusal: 404 };
    // The resource library (a resource shared with both networks): those who see the network see it; its members
    // and admins download it; admins (and facilitators) add, edit, replace the file and delete. Those who see it are
    // refused with 403.
    if (r.url.startsWith('/networks/:network/resources')) {
      const manages = ['/new', '/edit', '/file', '/delete'].some((end) => r.url.endsWith(end)) || r.method === 'POST';
      if (manages) return { allowed: role === 'admin', refusal: sees ? 403 : 404 };
      if (r.url.endsWith('/download')) return { allowed: role === 'admin' || role === 'learner' || role === 'sro', refusal: sees ? 403 : 404 };
      return { allowed: sees, refusal: 404 };
    }
    // Discussions (a thread in each network, started by a hand-added member, with a report of its opening post): the
    // network's members and the admins take part, anyone else (partner staff too) gets 404; only the author edits or
    // deletes a post (403 to the others who take part); hiding, locking and the open reports are the admins' and
    // facilitators' (403 to members).
    if (r.url.startsWith('/networks/:network/discussions')) {
      const takesPart = role === 'learner' || role === 'sro' || role === 'admin';
      if (!takesPart) return { allowed: false, refusal: 404 };
      if (/\/posts\/:postId\/(edit|delete)$/.test(r.url)) return { allowed: false, refusal: 403 };
      if (/\/(hide|unhide|lock|reports|dismiss)$/.test(r.url)) return { allowed: role === 'admin', refusal: 403 };
      return { allowed: true, refusal: 404 };
    }
    // Events (one for both networks): anyone who sees the network sees its events and may try to register (programme
    // staff, who belong to neither network, are told so, not refused); only members have a registration to cancel;
    // adding, changing, cancelling, attendance and an event's register (download) are the facilitators' and admins'
    // (403 to others who see it). The events list's download goes with the list.
    if (r.url.startsWith('/networks/:network/events')) {
      const manages = /\/(new|edit|cancel|attendance|registrations\.(csv|xlsx))$/.test(r.url) || (r.method === 'POST' && r.url === '/networks/:network/events');
      if (manages) return { allowed: role === 'admin', refusal: sees ? 403 : 404 };
      if (r.url.endsWith('/cancel-registration')) return { allowed: role === 'learner' || role === 'sro', refusal: 404 };
      return { allowed: sees, refusal: 404 };
    }
    // The hand-added list and the participation figures (page and downloads) are the admins' and facilitators'.
    if (r.method === 'GET' && (r.url === '/networks/:network/members' || r.url.startsWith('/networks/:network/participation'))) {
      return { allowed: role === 'admin', refusal: sees ? 403 : 404 };
    }
    return { allowed: role === 'admin', refusal: r.url.includes(':personId') ? 404 : 403 };
  }
  if (kind === 'engagement') {
    // An engagement of the council, led by the demo specialist: those who see its council's engagements read it
    // (a write they may not make is 403); admins manage it; the specialist on it logs (and changes their own) time
    // and, with admins, keeps milestones and actions; the council's SRO signs off. Others never learn it exists.
    const sees = expectedGrants[role].includes('engagement:list');
    const refusal = sees ? 403 : 404;
    const u = r.url.replace(/^\/api\/v1/, '');
    const reads = ['/engagements/:id', '/engagements/:id/actions/:actionId', '/engagements/:id/actions', '/engagements/:id/time-entries', '/engagements/:id/milestones',
      '/engagements/:id/actions/:actionId/notes', '/engagements/:id/actions/:actionId/evidence', '/engagements/:id/actions/:actionId/evidence-files/:fileId',
      '/engagements/:id/actions/:actionId/evidence-files', '/engagements/:id/actions/:actionId/evidence-files/:fileId/download'];
    if (r.method === 'GET' && reads.includes(u)) return { allowed: sees, refusal: 404 };
    if (u === '/engagements/:id/edit' || u === '/engagements/:id/status' || (u === '/engagements/:id' && r.method === 'PUT')) return { allowed: role === 'admin', refusal };
    if (u.startsWith('/engagements/:id/time')) return { allowed: role === 'specialist', refusal };
    if (u === '/engagements/:id/sign-off' || u === '/engagements/:id/sign-offs') return { allowed: role === 'sro', refusal };
    return { allowed: role === 'admin' || role === 'specialist', refusal };
  }
  if (kind === 'improvement') {
    // A submitted improvement of the council: those who see its council's improvements read it (a change they may not
    // make is 403); its council's SRO and lead change it and add evidence; admins and the specialists assigned to
    // the council verify or query it. Others never learn it exists.
    const sees = expectedGrants[role].includes('improvement:list');
    const refusal = sees ? 403 : 404;
    const u = r.url.replace(/^\/api\/v1/, '');
    if (u === '/improvements/:id/review') return { allowed: role === 'admin' || role === 'specialist', refusal };
    const changesFiles = (u === '/improvements/:id/evidence-files' && r.method === 'POST') || (u.startsWith('/improvements/:id/evidence-files/:fileId') && (u.endsWith('/remove') || r.method === 'DELETE'));
    if (u === '/improvements/:id/edit' || u === '/improvements/:id/evidence' || changesFiles || r.method === 'PUT') return { allowed: role === 'sro' || role === 'lead', refusal };
    return { allowed: sees, refusal: 404 };
  }
  if (kind === 'resource') {
    // A resource shared with both networks, over the API: downloaded by members and admins, refused with 403 to
    // programme staff who see it, 404 to anyone else.
    const sees = role === 'learner' || role === 'sro' || expectedGrants[role].includes('network:view-any');
    return { allowed: role === 'admin' || role === 'learner' || role === 'sro', refusal: sees ? 403 : 404 };
  }
  if (r.url === '/api/v1/network-resources') {
    // The library's list: anyone who may see a network (its members, programme staff); 403 for everyone else.
    return { allowed: role === 'learner' || role === 'sro' || expectedGrants[role].includes('network:view-any'), refusal: 403 };
  }
  if (kind === 'networkEvent') {
    // The API's registrations, for the same event: those who see it may try (422 for staff, who belong to neither
    // network); only members have one to cancel; others never learn it exists.
    const sees = role === 'learner' || role === 'sro' || expectedGrants[role].includes('network:view-any');
    if (r.method === 'DELETE') return { allowed: role === 'learner' || role === 'sro', refusal: 404 };
    return { allowed: sees, refusal: 404 };
  }
  if (r.url === '/api/v1/funds/:id/spend' && r.method === 'GET') {
    // A fund's spend rows over the API: funders and observers, who read its figures, are refused with 403.
    return { allowed: expectedGrants[role].includes('fund:list'), refusal: expectedGrants[role].includes('fund:aggregate') ? 403 : 404 };
  }
  if (kind === 'survey' && r.url.startsWith('/api/v1/') && r.method !== 'GET') {
    // Changing, opening, closing, sending, reminding or scheduling a survey over the API: admins; those who read the
    // survey are refused with 403.
    return { allowed: expectedGrants[role].includes('survey:manage'), refusal: expectedGrants[role].includes('survey:results') ? 403 : 404 };
  }
  // The indicator catalogue is no secret: those who may not read the evaluation are refused (403), not told it is missing.
  if (kind === 'indicator') return { allowed: expectedGrants[role].includes(r.access), refusal: 403 };
  return { allowed: r.access === 'signed-in' || expectedGrants[role].includes(r.access), refusal: null };
}

describe.each(backends)('authorisation matrix (%s)', (backend) => {
  let t: TestApp;
  const agents = {} as Record<RoleKey, Agent>;
  const csrf = {} as Record<RoleKey, string>;
  const tokens = {} as Record<RoleKey, string>;
  /** For each role: a council inside its scope and one outside it (null when it sees all). */
  const scope = {} as Record<RoleKey, { inside: string; outside: string | null }>;
  const personIn: Record<string, string> = {};
  const enrolmentIn: Record<string, string> = {};
  const learnerIn: Record<string, string> = {};
  /** A Foundation accreditation (and its holder) of a learner of each council. */
  const accreditationIn: Record<string, { id: string; personId: string }> = {};
  let cohortId: string;
  /** A person added to a network by hand, for the routes that remove one (the admin's removal runs last). */
  let handAddedId: string;
  /** A file resource shared with both networks, and a second one for the admin's deletion. */
  let resourceId: string;
  let deletableResourceId: string;
  /** A future event for both networks, and another for the admin's cancellation (so the first stays open). */
  let eventId: string;
  let cancelledEventId: string;
  /** A discussion thread in each network, its opening post, and an open report of it. */
  const discussion = {} as Record<'learners' | 'sro', { threadId: string; postId: string; reportId: string }>;
  /** An engagement of each council (led by the demo specialist), with a time entry of theirs (and one to delete by page, one by API), a milestone and an action. */
  const engagementIn: Record<string, { id: string; entryId: string; deletableEntryId: string; apiDeletableEntryId: string; milestoneId: string; actionId: string }> = {};
  /** A key contract of each council, with a KPI. */
  const contractIn: Record<string, { id: string; kpiId: string; deletableKpiIds: Partial<Record<RoleKey, string>> }> = {};
  /** A submitted improvement of each council. */
  const improvementIn: Record<string, string> = {};
  /** An evidence file (stored, so it downloads) of each council's improvement and of its engagement's action. */
  const evidenceFileIn: Record<string, { improvement?: string; action?: string }> = {};
  /** Evidence files for each role to remove, by page and by API: the first role allowed to would otherwise leave the next a 404. */
  const removableFileIn: Record<string, Partial<Record<`${'improvement' | 'action'} ${'page' | 'api'} ${RoleKey}`, string>>> = {};
  /** A fund (funds are the programme's, not a council's: one serves every role). */
  let fundId: string;
  /** An archived funder report, with a table to download as CSV. */
  let archivedReportId: string;
  /** A spend item of the fund, for the routes that change or remove one (the forms' empty posts change nothing). */
  let fundSpendId: string;
  /** A demo critical success factor (the admin's empty edit and delete forms are refused, so it stays). */
  let csfId: string;
  /** A request for places waiting for a decision (only admins decide, so one request serves every role). */
  let placeRequestId: string;
  /** A draft survey with one question. */
  let surveyId: string;
  let ownLearnerId: string;
  /** A submitted maturity assessment (moderation's) and a draft (everything else's) of each council. */
  const assessmentIn: Record<string, { submitted: string; draft: string }> = {};
  /** A CPD entry of the demo learner's own log, and one of another learner's. */
  const cpdEntry = { own: '', other: '' };
  const missing = '00000000-0000-4000-8000-000000000000';

  beforeAll(async () => {
    // Every API route is called without a token from one address: more than the anonymous limit a minute allows
    // (the limit itself is src/api/contract.test.ts's).
    t = await createTestApp({ backend, config: { apiAnonRatePerMinute: 10_000 } });
    const one = async (q: ReturnType<typeof sql>) => (await queryRows<{ id: string }>(t.db, q))[0]?.id;
    const personOrg = async (email: string) =>
      one(sql`select organisation_id as id from people where email = ${email}`);
    // Councils with learners first (and with a Foundation holder, for the renewal routes), so learner, enrolment and
    // accreditation routes have a record to open inside and outside scope.
    const managedBy = async (code: string, not = false) =>
      one(sql`select p.council_id as id from participations p join organisations o on o.id = p.managing_partner_id
              where (o.code = ${code}) <> ${not}
              order by exists (select 1 from accreditations a join enrolments e on e.id = a.enrolment_id where e.council_id = p.council_id and a.level = 'foundation') desc,
                exists (select 1 from enrolments e where e.council_id = p.council_id) desc, p.council_id limit 1`);
    const sroCouncil = (await personOrg(demoAccounts.sro.email))!;
    const otherActive = (await one(sql`select council_id as id from participations where status = 'active' and council_id <> ${sroCouncil} order by council_id limit 1`))!;
    const assigned = (await one(sql`select council_id as id from specialist_assignments a join people p on p.id = a.person_id
              where p.email = ${demoAccounts.specialist.email} order by council_id limit 1`))!;
    const notAssigned = (await one(sql`select id from organisations o where kind = 'council' and not exists (
              select 1 from specialist_assignments a join people p on p.id = a.person_id
              where p.email = ${demoAccounts.specialist.email} and a.council_id = o.id)
              order by exists (select 1 from enrolments e where e.council_id = o.id) desc, id limit 1`))!;
    const lp = (await managedBy('LP'))!;
    const mhclg = (await managedBy('MHCLG'))!;
    Object.assign(scope, {
      admin: { inside: sroCouncil, outside: null },
      partnerLp: { inside: lp, outside: mhclg },
      partnerMhclg: { inside: mhclg, outside: lp },
      specialist: { inside: assigned, outside: notAssigned },
      sro: { inside: sroCouncil, outside: otherActive },
      lead: { inside: sroCouncil, outside: otherActive },
      learner: { inside: sroCouncil, outside: otherActive },
      funder: { inside: sroCouncil, outside: null },
    });
    // A person to stand for each council: a learner who is not a demo sign-in (mutations may touch them).
    const demoEmails: string[] = Object.values(demoAccounts).map((a) => a.email);
    for (const { inside, outside } of Object.values(scope)) {
      for (const council of [inside, outside]) {
        if (!council || personIn[council]) continue;
        const rows = await queryRows<{ id: string; email: string }>(t.db, sql`select id, email from people where organisation_id = ${council} order by email`);
        const pick = rows.find((p) => !demoEmails.includes(p.email)) ?? rows[0];
        personIn[council] = pick?.id ?? '00000000-0000-4000-8000-000000000000';
      }
    }
    // An enrolment, and a learner with one, to stand for each council; the learner's own record for the learner.
    for (const council of Object.keys(personIn)) {
      const [enrolment] = await queryRows<{ id: string; person_id: string }>(
        t.db,
        sql`select e.id, e.person_id from enrolments e join people p on p.id = e.person_id
            where e.council_id = ${council} and p.email <> ${demoAccounts.learner.email} order by e.id limit 1`,
      );
      enrolmentIn[council] = enrolment?.id ?? missing;
      learnerIn[council] = enrolment?.person_id ?? missing;
      const [accreditation] = await queryRows<{ id: string; personId: string }>(
        t.db,
        sql`select a.id, a.person_id as "personId" from accreditations a join people p on p.id = a.person_id
            where a.level = 'foundation' and p.organisation_id = ${council} and p.email <> ${demoAccounts.learner.email}
              and exists (select 1 from enrolments e where e.person_id = p.id and e.council_id = ${council})
            order by a.id limit 1`,
      );
      accreditationIn[council] = accreditation ?? { id: missing, personId: missing };
    }
    cohortId = (await one(sql`select id from cohorts order by start_date limit 1`)) ?? missing;
    // Not a demo sign-in: being added would let them see the network and change what the matrix expects.
    handAddedId = (await one(sql`select id from people where status = 'active' and email <> all(${pgArray(Object.values(demoAccounts).map((a) => a.email))}::text[]) order by id limit 1`))!;
    for (const network of ['learners', 'sro']) {
      await t.db.execute(sql`insert into network_members (network, person_id, role, added_at) values (${network}, ${handAddedId}, 'member', now())`);
    }
    const resourceFile = Buffer.from('%PDF-1.4\n%%EOF\n');
    for (const which of ['kept', 'deleted'] as const) {
      const key = `${which === 'kept' ? 'aa' : 'bb'}/${which === 'kept' ? 'a' : 'b'}${'0'.repeat(31)}`;
      fs.mkdirSync(path.join(t.config.resourcesDir, key.slice(0, 2)), { recursive: true });
      fs.writeFileSync(path.join(t.config.resourcesDir, key), resourceFile);
      const id = (await one(sql`insert into network_resources (title, summary, type, networks, storage_key, file_name, content_type, size_bytes, sha256, updated_at)
        values (${`For the matrix (${which})`}, 'A resource', 'toolkit', array['learners', 'sro']::text[], ${key}, 'matrix.pdf', 'application/pdf', ${resourceFile.length}, 'x', now()) returning id`))!;
      if (which === 'kept') resourceId = id;
      else deletableResourceId = id;
    }
    const newEvent = (title: string) =>
      one(sql`insert into network_events (title, description, starts_at, ends_at, format, joining_url, capacity, audience)
        values (${title}, 'For the matrix', '2027-02-01T18:00:00Z', '2027-02-01T19:00:00Z', 'online', 'https://meet.example.org/m', 50, array['learners', 'sro'])
        returning id`);
    eventId = (await newEvent('Matrix event'))!;
    cancelledEventId = (await newEvent('Matrix event to cancel'))!;
    for (const network of ['learners', 'sro'] as const) {
      const threadId = (await one(sql`insert into network_threads (network, title, author_id, last_activity_at) values (${network}, 'Matrix thread', ${handAddedId}, now()) returning id`))!;
      const postId = (await one(sql`insert into network_posts (thread_id, author_id, body, is_opening, created_at) values (${threadId}, ${handAddedId}, 'For the matrix', true, now()) returning id`))!;
      const reporter = network === 'learners' ? demoAccounts.learner.email : demoAccounts.sro.email;
      const reportId = (await one(sql`insert into network_post_reports (post_id, reporter_id, reason, created_at)
        values (${postId}, (select id from people where email = ${reporter}), 'For the matrix', now()) returning id`))!;
      discussion[network] = { threadId, postId, reportId };
    }
    csfId = (await one(sql`select id from csfs order by position limit 1`))!;
    fundId = (await one(sql`insert into funds (source, name, amount_pence, start_date, end_date) values ('DLUHC', 'Matrix fund', 100000, '2026-04-01', '2027-03-31') returning id`))!;
    const reportData = {
      title: 'Quarterly report to funders: 2026-Q3', quarter: '2026-Q3', quarterLabel: '1 July 2026 to 30 September 2026', quarterStart: '2026-07-01',
      quarterEnd: '2026-09-30', madeOn: '2026-11-26', madeOnText: '26 November 2026',
      sections: [{ id: 'headline', title: 'Headline figures', paragraphs: [], tables: [{ id: 'headline', title: 'Headline figures', columns: [{ header: 'Figure', kind: 'text' }, { header: 'Count', kind: 'count' }], rows: [['Councils taking part', 12]] }] }],
    };
    archivedReportId = (await one(sql`insert into reports (quarter, generated_at, data, pdf, xlsx) values ('2026-Q3', now(), ${JSON.stringify(reportData)}::jsonb, '\\x25504446'::bytea, '\\x504b'::bytea) returning id`))!;
    const fundLine = (await one(sql`insert into fund_budget_lines (fund_id, kind, name, budget_pence) values (${fundId}, 'evaluation', 'Evaluation', 100000) returning id`))!;
    fundSpendId = (await one(sql`insert into fund_spend (line_id, supplier, spent_on, amount_pence) values (${fundLine}, 'Matrix Ltd', '2026-05-01', 100) returning id`))!;
    placeRequestId = (await one(sql`insert into place_requests (council_id, level, period, places, reason)
      values (${sroCouncil}, 'expert', '2026-27', 1, 'For the matrix') returning id`))!;
    const demoSpecialist = (await one(sql`select id from people where email = ${demoAccounts.specialist.email}`))!;
    for (const council of new Set(Object.values(scope).flatMap((s) => [s.inside, s.outside]).filter((c): c is string => Boolean(c)))) {
      const id = (await one(sql`insert into engagements (council_id, title, lead_specialist_id, scope, objectives, start_date, end_date, planned_minutes, status)
        values (${council}, 'Matrix engagement', ${demoSpecialist}, 'Scope', 'Objectives', '2026-09-01', '2027-03-31', 4500, 'active') returning id`))!;
      const entry = () => one(sql`insert into engagement_time_entries (engagement_id, person_id, work_date, minutes, unit, activity)
        values (${id}, ${demoSpecialist}, '2026-11-02', 450, 'days', 'workshop') returning id`);
      const owner = (await one(sql`select id from people where organisation_id = ${council} order by email limit 1`))!;
      engagementIn[council] = {
        id,
        entryId: (await entry())!,
        deletableEntryId: (await entry())!,
        apiDeletableEntryId: (await entry())!,
        milestoneId: (await one(sql`insert into engagement_milestones (engagement_id, title, due_date) values (${id}, 'Matrix milestone', '2026-12-01') returning id`))!,
        actionId: (await one(sql`insert into engagement_actions (engagement_id, title, owner_id, due_date) values (${id}, 'Matrix action', ${owner}, '2026-12-01') returning id`))!,
      };
    }
    for (const council of Object.keys(engagementIn)) {
      const id = (await one(sql`insert into contracts (council_id, name, supplier, annual_value_pence, total_value_pence, start_date, end_date, tier)
        values (${council}, 'Matrix contract', 'Matrix Ltd', 100000, 300000, '2026-01-01', '2028-12-31', 'silver') returning id`))!;
      // A KPI of its own for each role to delete: the first role allowed to would otherwise leave the next a 404.
      const deletableKpiIds: Partial<Record<RoleKey, string>> = {};
      for (const r of roleKeys) deletableKpiIds[r] = (await one(sql`insert into contract_kpis (contract_id, name, target) values (${id}, ${`Matrix KPI for ${r} to delete`}, '90%') returning id`))!;
      contractIn[council] = { id, kpiId: (await one(sql`insert into contract_kpis (contract_id, name, target) values (${id}, 'Matrix KPI', '95%') returning id`))!, deletableKpiIds };
    }
    for (const council of new Set(Object.values(scope).flatMap((s) => [s.inside, s.outside]).filter((c): c is string => Boolean(c)))) {
      improvementIn[council] = (await one(sql`insert into improvements (council_id, type, description, improved_on, value_pence, cashable)
        values (${council}, 'savings', 'Matrix improvement', '2026-10-01', 125000, true) returning id`))!;
    }
    const storage = filesystemStorage(t.config.resourcesDir);
    const evidenceFile = async (owner: ReturnType<typeof sql>) => {
      const key = newStorageKey();
      await storage.put(key, Readable.from([Buffer.from('a,b\n1,2\n')]));
      return (await one(sql`insert into evidence_files (improvement_id, action_id, storage_key, file_name, content_type, size_bytes, sha256, added_at)
        values (${owner}, ${key}, 'matrix.csv', 'text/csv', 8, 'x', now()) returning id`))!;
    };
    for (const [council, id] of Object.entries(improvementIn)) evidenceFileIn[council] = { improvement: await evidenceFile(sql`${id}::uuid, null`) };
    for (const [council, e] of Object.entries(engagementIn)) (evidenceFileIn[council] ??= {}).action = await evidenceFile(sql`null, ${e.actionId}::uuid`);
    const removable = async (owner: ReturnType<typeof sql>) =>
      (await one(sql`insert into evidence_files (improvement_id, action_id, storage_key, file_name, content_type, size_bytes, sha256, added_at)
        values (${owner}, ${newStorageKey()}, 'remove-me.csv', 'text/csv', 8, 'x', now()) returning id`))!;
    for (const council of new Set([...Object.keys(improvementIn), ...Object.keys(engagementIn)])) {
      const files: (typeof removableFileIn)[string] = (removableFileIn[council] = {});
      for (const r of roleKeys) {
        for (const via of ['page', 'api'] as const) {
          if (improvementIn[council]) files[`improvement ${via} ${r}`] = await removable(sql`${improvementIn[council]}::uuid, null`);
          if (engagementIn[council]) files[`action ${via} ${r}`] = await removable(sql`null, ${engagementIn[council].actionId}::uuid`);
        }
      }
    }
    surveyId = (await one(sql`insert into surveys (title, level, audience, anonymous, closes_on, questions)
      values ('Matrix survey', 'reaction', 'Everyone', false, '2027-01-31', '[{"key":"q1","text":"How was it?","type":"scale","options":[],"required":true}]'::jsonb) returning id`))!;
    ownLearnerId = (await one(sql`select id from people where email = ${demoAccounts.learner.email}`))!;
    for (const council of Object.keys(personIn)) {
      const add = async (status: 'draft' | 'submitted') => {
        const id = (await one(sql`insert into maturity_assessments (council_id, framework_id, kind, status, created_at, updated_at, submitted_at)
          values (${council}, (select id from maturity_frameworks order by key limit 1), 'follow_up', ${status}, now(), now(), ${status === 'submitted' ? sql`now()` : null}) returning id`))!;
        await t.db.execute(sql`insert into maturity_scores (assessment_id, area_id, score, evidence, target) select ${id}, id, 3, 'For the matrix', 4 from maturity_areas`);
        return id;
      };
      assessmentIn[council] = { submitted: await add('submitted'), draft: await add('draft') };
    }
    const otherLearnerId = (await one(sql`select id from people where 'learner' = any(roles) and id <> ${ownLearnerId} order by id limit 1`))!;
    for (const [key, personId] of [['own', ownLearnerId], ['other', otherLearnerId]] as const) {
      cpdEntry[key] = (await one(sql`insert into cpd_records (person_id, activity_date, hours, activity_type, reflection)
        values (${personId}, '2026-10-01', 2, 'reading_or_research', 'For the matrix') returning id`))!;
    }
    for (const role of roleKeys) {
      agents[role] = await t.signIn(role);
      csrf[role] = await agents[role].csrf();
      const [person] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[role].email}`);
      tokens[role] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'matrix')).token;
    }
  });
  afterAll(async () => t?.close());

  /** The URL with its parameter filled by a record of the council (a learner opens their own learner record). */
  /** Does the route remove an evidence file (the confirmation's POST, or the API's DELETE)? */
  const removesFile = (url: string, method: string) => url.includes('/evidence-files/:fileId') && ((method === 'POST' && url.endsWith('/remove')) || method === 'DELETE');
  const fill = (url: string, kind: RecordKind | null, council: string, role?: RoleKey, where: 'inside' | 'outside' = 'inside', method = 'GET') => {
    if (kind === 'network') {
      // The admin's deletion succeeds, so it takes the second resource; everyone else's is refused before it deletes.
      const resource = url.endsWith('/delete') && method === 'POST' && role === 'admin' ? deletableResourceId : resourceId;
      const event = url.endsWith('/cancel') ? cancelledEventId : eventId;
      const network = role === 'learner' ? 'learners' : 'sro';
      return url
        .replace(':network', network)
        .replace(':threadId', discussion[network].threadId)
        .replace(':postId', discussion[network].postId)
        .replace(':reportId', discussion[network].reportId)
        .replace(':personId', handAddedId)
        .replace(':resourceId', resource)
        .replace(':eventId', event);
    }
    if (kind === 'assessment' || kind === 'assessmentApi') {
      // Moderation needs a submitted assessment; everything else opens the council's draft.
      const assessment = assessmentIn[council][/moderat/.test(url) ? 'submitted' : 'draft'];
      return kind === 'assessment' ? url.replace(':id', council).replace(':assessmentId', assessment) : url.replace(':id', assessment);
    }
    if (kind === 'engagement') {
      const e = engagementIn[council];
      return url
        .replace(':id', e.id)
        .replace(':entryId', url.endsWith('/delete') ? e.deletableEntryId : method === 'DELETE' ? e.apiDeletableEntryId : e.entryId)
        .replace(':milestoneId', e.milestoneId)
        .replace(':actionId', e.actionId)
        .replace(':fileId', removesFile(url, method) && role ? removableFileIn[council][`action ${method === 'DELETE' ? 'api' : 'page'} ${role}`]! : evidenceFileIn[council].action!);
    }
    if (kind === 'contract') {
      const c = contractIn[council];
      return url.replace(':id', c.id).replace(':kpiId', method === 'DELETE' && role ? c.deletableKpiIds[role]! : c.kpiId);
    }
    if (kind === 'improvement') {
      const file = removesFile(url, method) && role ? removableFileIn[council][`improvement ${method === 'DELETE' ? 'api' : 'page'} ${role}`]! : evidenceFileIn[council].improvement!;
      return url.replace(':id', improvementIn[council]).replace(':fileId', file);
    }
    if (kind === 'survey') return url.replace(':id', surveyId).replace(':format', 'csv');
    if (kind === 'report') return url.replace(':id', archivedReportId).replace(':table', 'headline');
    if (kind === 'fund') return url.replace(':id', fundId).replace(':spendId', fundSpendId);
    if (kind === 'csf') return url.replace(':id', csfId);
    if (kind === 'indicator') return url.replace(':key', 'learners_retained');
    if (kind === 'resource') return url.replace(':id', resourceId);
    if (kind === 'networkEvent') return url.replace(':id', eventId);
    if (kind === 'accreditation') return url.replace(':id', accreditationIn[council].personId).replace(':accreditationId', accreditationIn[council].id);
    if (kind === 'cpd') return url.replace(':entryId', role === 'learner' && where === 'inside' ? cpdEntry.own : cpdEntry.other);
    const id =
      kind === 'council' ? council
      : kind === 'person' ? personIn[council]
      : kind === 'enrolment' ? enrolmentIn[council]
      : kind === 'learner' ? (role === 'learner' && where === 'inside' ? ownLearnerId : learnerIn[council])
      : kind === 'cohort' ? cohortId
      : kind === 'placeRequest' ? placeRequestId
      : missing;
    return url.replace(':id', id);
  };

  async function call(role: RoleKey | null, method: string, url: string) {
    const api = url.startsWith('/api/');
    if (api) {
      return t.app.inject({
        method: method as 'GET',
        url,
        headers: role ? { authorization: `Bearer ${tokens[role]}` } : {},
        ...(method === 'GET' ? {} : { payload: {} }),
      });
    }
    if (!role) return t.app.inject({ method: method as 'GET', url });
    return method === 'GET' ? agents[role].get(url) : agents[role].submit(url, { _csrf: csrf[role] });
  }

  it('has an access rule on every route, and only the expected routes are public', () => {
    expect(routeTable.length).toBeGreaterThan(10);
    const actuallyPublic = routeTable.filter((r) => r.access === 'public').map((r) => `${r.method} ${r.url}`);
    for (const route of actuallyPublic) expect(publicRoutes, `${route} is public`).toContain(route);
  });

  it('sends anonymous visitors to sign in (pages) or answers 401 problem details (API)', async () => {
    for (const r of routeTable.filter((x) => x.access !== 'public')) {
      const kind = recordKind(r.url);
      const res = await call(null, r.method, fill(r.url, kind, scope.admin.inside));
      if (r.url.startsWith('/api/')) {
        expect(res.statusCode, `${r.method} ${r.url}`).toBe(401);
        expect(res.headers['content-type']).toContain('application/problem+json');
      } else if (r.method === 'GET') {
        expect(res.statusCode, `${r.method} ${r.url}`).toBe(302);
        expect(res.headers.location).toMatch(/^\/sign-in/);
      } else {
        // A form post with no session has no valid CSRF token either: refused before anything runs.
        expect([302, 403], `${r.method} ${r.url}`).toContain(res.statusCode);
      }
    }
  });

  it('answers every route × role × inside/outside scope as the policy says', async () => {
    const failures: string[] = [];
    // Signing out would end the sessions the rest of the matrix uses; the auth tests cover it.
    for (const r of routeTable.filter((x) => x.access !== 'public' && x.url !== '/sign-out')) {
      const kind = recordKind(r.url);
      for (const role of roleKeys) {
        const { allowed, refusal } = expectation(r, kind, role);
        const cases: { where: 'inside' | 'outside'; council: string }[] = [{ where: 'inside', council: scope[role].inside }];
        const scoped = kind === 'council' || kind === 'assessment' || kind === 'assessmentApi' || kind === 'person' || kind === 'enrolment' || kind === 'learner' || kind === 'accreditation' || kind === 'cpd' || kind === 'engagement' || kind === 'contract' || kind === 'improvement';
        if (scoped && scope[role].outside) cases.push({ where: 'outside', council: scope[role].outside! });
        for (const c of cases) {
          // Tokens and upload reports belong to the person who made them; covered by the auth and import tests.
          if (kind === 'token' || kind === 'import') continue;
          const url = fill(r.url, kind, c.council, role, c.where, r.method);
          const res = await call(role, r.method, url);
          const isRecord = kind !== null;
          let expected: string;
          let ok: boolean;
          if (!allowed) {
            expected = String(c.where === 'outside' ? 404 : (refusal ?? (isRecord ? 404 : 403)));
            ok = res.statusCode === Number(expected);
          } else if (c.where === 'outside') {
            expected = '404';
            ok = res.statusCode === 404;
          } else if (r.method === 'GET') {
            expected = '200';
            ok = res.statusCode === 200;
          } else {
            expected = 'not refused';
            ok = ![401, 403, 404].includes(res.statusCode) && res.statusCode < 500;
          }
          if (!ok) failures.push(`${role} ${r.method} ${r.url} (${c.where}): expected ${expected}, got ${res.statusCode}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 600_000); // about 110 s beside other suites on 2 cores (each route × role, reports generated as PDF and XLSX); loaded, far more
});
