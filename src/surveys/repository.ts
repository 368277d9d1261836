import { sql } from 'drizzle-orm';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import type { Question, SurveyLevel, SurveyStatus } from './schemas.ts';
import { pageClause } from '../db/paging.ts';

export type SurveyRow = {
  id: string;
  title: string;
  level: SurveyLevel;
  audience: string;
  anonymous: boolean;
  closesOn: string;
  status: SurveyStatus;
  questions: Question[];
  lastRemindedAt: Date | null;
  version: number;
  sent: number;
  answered: number;
  /** Sent by the periodic job this many months (3 to 6) after accreditation; null: by hand only. */
  scheduleMonths: number | null;
  scheduleIncludeSros: boolean;
  scheduleSetOn: string | null;
};

const surveyColumns = sql`s.id, s.title, s.level, s.audience, s.anonymous, to_char(s.closes_on, 'YYYY-MM-DD') as "closesOn", s.status, s.questions,
  s.last_reminded_at as "lastRemindedAt", s.version,
  s.schedule_months as "scheduleMonths", s.schedule_include_sros as "scheduleIncludeSros", to_char(s.schedule_set_on, 'YYYY-MM-DD') as "scheduleSetOn",
  (select count(*)::int from survey_recipients r where r.survey_id = s.id) as sent,
  (select count(*)::int from survey_recipients r where r.survey_id = s.id and r.answered) as answered`;

const fixDates = (r: SurveyRow) => ({ ...r, lastRemindedAt: r.lastRemindedAt ? new Date(r.lastRemindedAt) : null });

export type SurveyFilters = { level?: SurveyLevel; status?: SurveyStatus };
export const surveySortKeys = ['created', 'title', 'closesOn', 'status'] as const;
export type SurveySort = { sort: (typeof surveySortKeys)[number]; order: 'asc' | 'desc' };

const sortColumns: Record<SurveySort['sort'], ReturnType<typeof sql>> = {
  created: sql`s.created_at`,
  title: sql`lower(s.title)`,
  closesOn: sql`s.closes_on`,
  // Draft, open, closed: the order a survey goes through.
  status: sql`case s.status when 'draft' then 0 when 'open' then 1 else 2 end`,
};

/** A page of surveys (all of them with a null page) matching the filters, in the order asked; and how many match. */
export async function listSurveys(db: DbOrTx, filters: SurveyFilters = {}, order: SurveySort = { sort: 'created', order: 'desc' }, page: { page: number; pageSize: number } | null = null) {
  const where = sql`where true ${filters.level ? sql`and s.level = ${filters.level}` : sql``} ${filters.status ? sql`and s.status = ${filters.status}` : sql``}`;
  const dir = order.order === 'desc' ? sql`desc` : sql`asc`;
  const limit = page ? pageClause(page.pageSize, (page.page - 1) * page.pageSize) : sql``;
  const [rows, [{ total }]] = await Promise.all([
    queryRows<SurveyRow>(db, sql`select ${surveyColumns} from surveys s ${where} order by ${sortColumns[order.sort]} ${dir}, s.created_at desc, s.id ${limit}`),
    queryRows<{ total: number }>(db, sql`select count(*)::int as total from surveys s ${where}`),
  ]);
  return { rows: rows.map(fixDates), total };
}

export async function findSurvey(db: DbOrTx, id: string, lock = false) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const [row] = await queryRows<SurveyRow>(db, sql`select ${surveyColumns} from surveys s where s.id = ${id} ${lock ? sql`for update` : sql``}`);
  return row && fixDates(row);
}

export type SurveyValues = { title: string; level: SurveyLevel; audience: string; anonymous: boolean; closesOn: string; questions: Question[] };

export async function insertSurvey(tx: DbOrTx, v: SurveyValues, createdById: string, now: Date) {
  const [row] = await queryRows<{ id: string }>(
    tx,
    sql`insert into surveys (title, level, audience, anonymous, closes_on, questions, created_by_id, created_at, updated_at)
        values (${v.title}, ${v.level}, ${v.audience}, ${v.anonymous}, ${v.closesOn}, ${JSON.stringify(v.questions)}::jsonb, ${createdById}, ${now.toISOString()}, ${now.toISOString()})
        returning id`,
  );
  return row.id;
}

/** Saves a draft's definition over the version read; false when stale or no longer a draft. */
export async function updateDraft(tx: DbOrTx, id: string, version: number, v: SurveyValues, now: Date) {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update surveys set title = ${v.title}, level = ${v.level}, audience = ${v.audience}, anonymous = ${v.anonymous}, closes_on = ${v.closesOn},
          questions = ${JSON.stringify(v.questions)}::jsonb, version = version + 1, updated_at = ${now.toISOString()}
        where id = ${id} and version = ${version} and status = 'draft' returning id`,
  );
  return rows.length === 1;
}

/** Moves a survey from one status to another over the version read; false when someone changed it meanwhile. */
export async function setStatus(tx: DbOrTx, id: string, version: number, from: SurveyStatus, to: SurveyStatus, now: Date) {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update surveys set status = ${to}, version = version + 1, updated_at = ${now.toISOString()} where id = ${id} and version = ${version} and status = ${from} returning id`,
  );
  return rows.length === 1;
}

export type Recipient = { personId: string; name: string; email: string };

/** Everyone registered for an event (not cancelled, not waitlisted), or only those who attended. */
export function eventRecipients(db: DbOrTx, eventId: string, attendedOnly: boolean) {
  return queryRows<Recipient>(
    db,
    sql`select p.id as "personId", p.name, p.email from network_event_registrations r join people p on p.id = r.person_id
        where r.event_id = ${eventId} and p.status = 'active' and p.erased_at is null
          and ${attendedOnly ? sql`r.attended` : sql`r.status = 'registered'`}
        order by p.email`,
  );
}

/**
 * Learners accredited between two dates (inclusive), and, when asked, the SROs of their councils. With `notSent`,
 * only those not yet sent that survey (the scheduled sending, which runs often, so it does not make links to throw away).
 */
export function accreditedRecipients(db: DbOrTx, from: string, to: string, includeSros: boolean, notSent?: string) {
  const fresh = (person: ReturnType<typeof sql>) =>
    notSent ? sql`and not exists (select 1 from survey_recipients sr where sr.survey_id = ${notSent} and sr.person_id = ${person})` : sql``;
  return queryRows<Recipient>(
    db,
    sql`with learners as (
          select distinct p.id, p.name, p.email, e.council_id from accreditations a join enrolments e on e.id = a.enrolment_id join people p on p.id = a.person_id
          where a.awarded_on between ${from} and ${to} and p.status = 'active' and p.erased_at is null ${fresh(sql`p.id`)})
        select id as "personId", name, email from learners
        ${includeSros
          ? sql`union select p.id, p.name, p.email from people p where 'council_sro' = any(p.roles) and p.status = 'active' and p.erased_at is null
                  and p.organisation_id in (select council_id from learners) ${fresh(sql`p.id`)}`
          : sql``}
        order by email`,
  );
}

export function eventOptions(db: DbOrTx) {
  return queryRows<{ id: string; title: string; startsAt: string }>(
    db,
    sql`select id, title, starts_at as "startsAt" from network_events where status = 'scheduled' order by starts_at desc, id limit 200`,
  );
}

export async function eventExists(db: DbOrTx, id: string) {
  return (await queryRows(db, sql`select 1 from network_events where id = ${id}`)).length === 1;
}

/** Adds the recipients not yet sent the survey; gives back those added (a second send to a person adds nothing). */
export async function insertRecipients(tx: DbOrTx, surveyId: string, rows: readonly { personId: string; tokenHash: string }[], now: Date) {
  if (!rows.length) return [];
  return queryRows<{ personId: string }>(
    tx,
    sql`insert into survey_recipients (survey_id, person_id, token_hash, sent_at)
        select ${surveyId}, t.person, t.hash, ${now.toISOString()}
        from unnest(${pgArray(rows.map((r) => r.personId))}::uuid[], ${pgArray(rows.map((r) => r.tokenHash))}::text[]) as t(person, hash)
        on conflict (survey_id, person_id) do nothing
        returning person_id as "personId"`,
  );
}

/** Those sent the survey who have not answered, for a reminder. */
export function unanswered(tx: DbOrTx, surveyId: string) {
  return queryRows<Recipient & { id: string }>(
    tx,
    sql`select r.id, p.id as "personId", p.name, p.email from survey_recipients r join people p on p.id = r.person_id
        where r.survey_id = ${surveyId} and not r.answered and p.status = 'active' and p.erased_at is null order by p.email`,
  );
}

export async function replaceTokens(tx: DbOrTx, rows: readonly { id: string; tokenHash: string }[], now: Date) {
  if (!rows.length) return;
  await tx.execute(sql`update survey_recipients r set token_hash = t.hash, reminded_at = ${now.toISOString()}
    from unnest(${pgArray(rows.map((r) => r.id))}::uuid[], ${pgArray(rows.map((r) => r.tokenHash))}::text[]) as t(id, hash) where r.id = t.id`);
}

export async function markReminded(tx: DbOrTx, surveyId: string, now: Date) {
  await tx.execute(sql`update surveys set last_reminded_at = ${now.toISOString()} where id = ${surveyId}`);
}

export type LinkRow = { recipientId: string; personId: string; answered: boolean; surveyId: string };

export async function findLink(db: DbOrTx, tokenHash: string) {
  const [row] = await queryRows<LinkRow>(
    db,
    sql`select id as "recipientId", person_id as "personId", answered, survey_id as "surveyId" from survey_recipients where token_hash = ${tokenHash}`,
  );
  return row;
}

/** Marks the link answered; false when another request answered first (single use, even under a race). */
export async function markAnswered(tx: DbOrTx, recipientId: string) {
  const rows = await queryRows(tx, sql`update survey_recipients set answered = true where id = ${recipientId} and not answered returning id`);
  return rows.length === 1;
}

export async function insertResponse(tx: DbOrTx, surveyId: string, personId: string | null, submittedOn: string, answers: Record<string, unknown>) {
  const [row] = await queryRows<{ id: string }>(
    tx,
    sql`insert into survey_responses (survey_id, person_id, submitted_on, answers) values (${surveyId}, ${personId}, ${submittedOn}, ${JSON.stringify(answers)}::jsonb) returning id`,
  );
  return row.id;
}

export function responses(db: DbOrTx, surveyId: string) {
  return queryRows<{ answers: Record<string, unknown> }>(db, sql`select answers from survey_responses where survey_id = ${surveyId} order by submitted_on, id`);
}

// ---------------------------------------------------------------------------------------------- scheduled sending

/**
 * Sets (or, with null months, clears) an open behaviour survey's schedule over the version read, and moves the version
 * on; false when it is no longer open or someone changed it first.
 */
export async function setSchedule(tx: DbOrTx, id: string, version: number, months: number | null, includeSros: boolean, setOn: string | null, now: Date) {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update surveys set schedule_months = ${months}, schedule_include_sros = ${includeSros}, schedule_set_on = ${setOn},
          version = version + 1, updated_at = ${now.toISOString()}
        where id = ${id} and version = ${version} and status = 'open' and level = 'behaviour' returning id`,
  );
  return rows.length === 1;
}

/** The open surveys with a schedule whose closing day has not passed (`today`, UK). */
export function scheduledSurveyIds(db: DbOrTx, today: string) {
  return queryRows<{ id: string }>(
    db,
    sql`select id from surveys where schedule_months is not null and status = 'open' and closes_on >= ${today} order by created_at, id`,
  );
}
