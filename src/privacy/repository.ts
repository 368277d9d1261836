/**
 * All SQL of subject access and erasure. Reads are by one person's id only, so nothing about anyone else can reach
 * an export; erasure's writes all run in the caller's transaction.
 */
import { sql } from 'drizzle-orm';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';

type Row = Record<string, unknown>;

/** A timestamp column as ISO 8601 UTC text (a fixed column name, never input). */
const iso = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`);

/** The person as the export and erasure need them (erased people included, unlike the sign-in lookups). */
export async function findPerson(db: DbOrTx, id: string) {
  const [row] = await queryRows<{ id: string; name: string; email: string; jobTitle: string | null; roles: string[]; status: string; erasedAt: Date | null; erasedNumber: number | null }>(
    db,
    sql`select id, name, email, job_title as "jobTitle", roles, status, erased_at as "erasedAt", erased_number as "erasedNumber"
        from people where id = ${id}::uuid`,
  );
  return row ?? null;
}

/**
 * Every name and email address the person has had: the current ones and those their own audit events record
 * (corrections, email changes) and their email change links, so the export finds mail sent to an old address and
 * erasure scrubs them all.
 */
export async function identifiersOf(db: DbOrTx, id: string): Promise<{ names: string[]; emails: string[] }> {
  const rows = await queryRows<{ kind: 'name' | 'email'; value: string }>(
    db,
    sql`select 'name' as kind, name as value from people where id = ${id}::uuid
        union select 'email', email from people where id = ${id}::uuid
        union select 'email', email from one_time_tokens where person_id = ${id}::uuid and email is not null
        union select k.kind, j.v from audit_events a
          cross join lateral (values ('name'), ('email')) k(kind)
          cross join lateral (values (a.before ->> k.kind), (a.after ->> k.kind)) j(v)
          where a.record_type = 'person' and a.record_id = ${id} and j.v is not null`,
  );
  const pick = (kind: string) => [...new Set(rows.filter((r) => r.kind === kind && r.value.trim()).map((r) => r.value))];
  return { names: pick('name'), emails: pick('email') };
}

/**
 * Each kind of record held about the person, as rows: what the subject access export writes. Moments are read as
 * ISO 8601 UTC text and calendar dates as "YYYY-MM-DD", so both drivers give the files the same values.
 */
export async function subjectRecords(db: DbOrTx, id: string, emails: string[]) {
  const q = (query: ReturnType<typeof sql>) => queryRows<Row>(db, query);
  const lowerEmails = pgArray(emails.map((e) => e.toLowerCase()));
  /** An audit event (alias `a`) about the person or one of their own records. */
  const ownRecord = sql`((a.record_type = 'person' and a.record_id = ${id})
    or (a.record_type = 'enrolment' and a.record_id in (select id::text from enrolments where person_id = ${id}::uuid))
    or (a.record_type = 'accreditation' and a.record_id in (select id::text from accreditations where person_id = ${id}::uuid))
    or (a.record_type = 'cpd_record' and a.record_id in (select id::text from cpd_records where person_id = ${id}::uuid))
    or (a.record_type = 'api_token' and a.record_id in (select id::text from api_tokens where person_id = ${id}::uuid)))`;
  return {
    profile: await q(sql`select p.id, p.name, p.email, p.job_title as "jobTitle", o.name as organisation, p.roles, p.status,
        ${iso('p.created_at')} as "createdAt", ${iso('p.updated_at')} as "updatedAt", ${iso('p.locked_until')} as "lockedUntil", ${iso('p.erased_at')} as "erasedAt"
        from people p join organisations o on o.id = p.organisation_id where p.id = ${id}::uuid`),
    invitations_and_links: await q(sql`select purpose, email, ${iso('created_at')} as "createdAt", ${iso('expires_at')} as "expiresAt", ${iso('used_at')} as "usedAt"
        from one_time_tokens where person_id = ${id}::uuid order by created_at`),
    sessions: await q(sql`select ${iso('created_at')} as "createdAt", ${iso('expires_at')} as "expiresAt" from sessions where person_id = ${id}::uuid order by created_at`),
    api_tokens: await q(sql`select name as label, ${iso('created_at')} as "createdAt", ${iso('last_used_at')} as "lastUsedAt", ${iso('revoked_at')} as "revokedAt"
        from api_tokens where person_id = ${id}::uuid order by created_at`),
    enrolments: await q(sql`select e.id, o.name as council, e.level, e.period, e.status, c.name as cohort, e.attempts,
        e.role_description as "roleDescription", e.contracts, e.nominated_on::text as "nominatedOn", e.approved_on::text as "approvedOn",
        e.registered_on::text as "registeredOn", e.last_event_on::text as "lastEventOn"
        from enrolments e join organisations o on o.id = e.council_id left join cohorts c on c.id = e.cohort_id
        where e.person_id = ${id}::uuid order by e.nominated_on, e.id`),
    journey_events: await q(sql`select ev.enrolment_id as "enrolmentId", ev.type, ev.from_status as "fromStatus", ev.to_status as "toStatus",
        ev.occurred_on::text as "occurredOn", ev.reason, ev.certificate_number as "certificateNumber", ${iso('ev.recorded_at')} as "recordedAt"
        from enrolment_events ev join enrolments e on e.id = ev.enrolment_id
        where e.person_id = ${id}::uuid order by ev.recorded_at, ev.id`),
    accreditations: await q(sql`select level, awarded_on::text as "awardedOn", renewed_on::text as "renewedOn", certificate_number as "certificateNumber"
        from accreditations where person_id = ${id}::uuid order by awarded_on`),
    cpd: await q(sql`select activity_date::text as "activityDate", hours::float8 as hours, activity_type as "activityType", reflection, ${iso('created_at')} as "createdAt"
        from cpd_records where person_id = ${id}::uuid order by activity_date, created_at`),
    emails_sent: await q(sql`select to_email as "to", subject, body, status, ${iso('created_at')} as "createdAt", ${iso('sent_at')} as "sentAt"
        from notifications where lower(to_email) = any(${lowerEmails}::text[]) order by created_at, id`),
    place_requests: await q(sql`select o.name as council, r.level, r.period, r.places, r.reason, r.status, ${iso('r.requested_at')} as "requestedAt", ${iso('r.decided_at')} as "decidedAt"
        from place_requests r join organisations o on o.id = r.council_id where r.requested_by_id = ${id}::uuid order by r.requested_at`),
    // Networks they were added to by hand (membership from their records is computed, not held: src/networks).
    network_memberships: await q(sql`select network, role, ${iso('added_at')} as "addedAt" from network_members where person_id = ${id}::uuid order by added_at, network`),
    // Network resources they downloaded (or whose links they followed); a deleted resource shows without its title.
    resource_downloads: await q(sql`select r.title as resource, ${iso('d.downloaded_at')} as "downloadedAt" from network_resource_downloads d
        left join network_resources r on r.id = d.resource_id where d.person_id = ${id}::uuid order by d.downloaded_at, d.id`),
    network_event_registrations: await q(sql`select e.title as event, ${iso('e.starts_at')} as "startsAt", r.status, r.attended, r.walk_in as "walkIn",
        ${iso('r.registered_at')} as "registeredAt" from network_event_registrations r join network_events e on e.id = r.event_id
        where r.person_id = ${id}::uuid order by e.starts_at, e.id`),
    // Posts they wrote in network discussions (a deleted one has no text left), and the posts they reported.
    discussion_posts: await q(sql`select t.network, t.title as discussion, p.is_opening as "startedIt", p.body, ${iso('p.created_at')} as "postedAt",
        ${iso('p.edited_at')} as "editedAt", ${iso('p.deleted_at')} as "deletedAt", p.hidden_at is not null as hidden
        from network_posts p join network_threads t on t.id = p.thread_id where p.author_id = ${id}::uuid order by p.created_at, p.id`),
    discussion_reports: await q(sql`select t.title as discussion, r.reason, r.status, ${iso('r.created_at')} as "reportedAt"
        from network_post_reports r join network_posts p on p.id = r.post_id join network_threads t on t.id = p.thread_id
        where r.reporter_id = ${id}::uuid order by r.created_at, r.id`),
    // Improvements of their council that credit them as a learner (src/improvements).
    improvements_credited: await q(sql`select o.name as council, i.type, i.description, i.improved_on::text as "improvedOn", i.status
        from improvement_learners l join improvements i on i.id = l.improvement_id join organisations o on o.id = i.council_id
        where l.person_id = ${id}::uuid order by i.improved_on, i.id`),
    // Key contracts of their council they are named as the contract manager of (src/contracts).
    contracts_managed: await q(sql`select o.name as council, c.name as contract, c.supplier, c.start_date::text as "startDate", c.end_date::text as "endDate"
        from contracts c join organisations o on o.id = c.council_id where c.manager_id = ${id}::uuid order by c.end_date, c.id`),
    // Only when their calendar feed link was made: the secret itself is never kept.
    calendar_feed: await q(sql`select ${iso('created_at')} as "createdAt" from network_calendar_feeds where person_id = ${id}::uuid`),
    // Transformation support (src/engagements): engagements they lead or work on, the time they logged, the actions
    // they own, the notes they wrote on actions, and the plans and completions they signed off.
    engagements: await q(sql`select e.title as engagement, o.name as council, case when e.lead_specialist_id = ${id}::uuid then 'lead specialist' else 'specialist' end as role,
        e.start_date::text as "startDate", e.end_date::text as "endDate", e.status
        from engagements e join organisations o on o.id = e.council_id
        where e.lead_specialist_id = ${id}::uuid or exists (select 1 from engagement_specialists s where s.engagement_id = e.id and s.person_id = ${id}::uuid)
        order by e.start_date, e.id`),
    engagement_time: await q(sql`select e.title as engagement, t.work_date::text as date, t.minutes, t.activity, t.note
        from engagement_time_entries t join engagements e on e.id = t.engagement_id where t.person_id = ${id}::uuid order by t.work_date, t.id`),
    engagement_actions: await q(sql`select e.title as engagement, a.title as action, a.due_date::text as "dueDate", a.status, a.rag
        from engagement_actions a join engagements e on e.id = a.engagement_id where a.owner_id = ${id}::uuid order by a.due_date, a.id`),
    engagement_action_notes: await q(sql`select a.title as action, n.text, ${iso('n.written_at')} as "writtenAt"
        from engagement_action_notes n join engagement_actions a on a.id = n.action_id where n.author_id = ${id}::uuid order by n.written_at, n.id`),
    engagement_sign_offs: await q(sql`select title as engagement, 'action plan' as "signedOff", ${iso('plan_signed_off_at')} as "signedOffAt" from engagements where plan_signed_off_by_id = ${id}::uuid
        union all select title, 'completion', ${iso('completion_signed_off_at')} from engagements where completion_signed_off_by_id = ${id}::uuid
        order by 3, 1`),
    // Maturity assessments (src/maturity) they submitted for their council, and the scores they moderated.
    maturity_submissions: await q(sql`select o.name as council, m.kind, ${iso('m.submitted_at')} as "submittedAt"
        from maturity_assessments m join organisations o on o.id = m.council_id where m.submitted_by_id = ${id}::uuid order by m.submitted_at, m.id`),
    maturity_moderations: await q(sql`select o.name as council, ar.name as area, s.score as "councilScore", s.moderated_score as "moderatedScore", s.moderation_reason as reason,
        ${iso('s.moderated_at')} as "moderatedAt"
        from maturity_scores s join maturity_assessments m on m.id = s.assessment_id join organisations o on o.id = m.council_id join maturity_areas ar on ar.id = s.area_id
        where s.moderated_by_id = ${id}::uuid order by s.moderated_at, m.id, ar.position`),
    // Surveys they were sent (src/surveys): whether they answered; and their answers to surveys that are not
    // anonymous (an anonymous survey's answers carry no person, so they cannot be found, nor given here).
    survey_invitations: await q(sql`select s.title as survey, s.anonymous, ${iso('r.sent_at')} as "sentAt", ${iso('r.reminded_at')} as "remindedAt", r.answered
        from survey_recipients r join surveys s on s.id = r.survey_id where r.person_id = ${id}::uuid order by r.sent_at, s.id`),
    survey_answers: await q(sql`select s.title as survey, a.submitted_on::text as "submittedOn", a.answers
        from survey_responses a join surveys s on s.id = a.survey_id where a.person_id = ${id}::uuid order by a.submitted_on, a.id`),
    // Events by them, and about them or their own records. Who else acted is withheld, and so is what their own
    // actions on other people's records changed: the export is about one person.
    audit_events: await q(sql`select ${iso('a.occurred_at')} as "occurredAt", a.action, a.record_type as "recordType",
        case when ${ownRecord} then a.record_id end as "recordId",
        case when a.actor_id = ${id}::uuid then a.actor_label else 'Someone else' end as "actor",
        case when ${ownRecord} then a.before end as before, case when ${ownRecord} then a.after end as after,
        case when a.actor_id = ${id}::uuid then a.ip end as ip
        from audit_events a
        where a.actor_id = ${id}::uuid or ${ownRecord}
        order by a.occurred_at, a.id`),
  };
}

/** Programme admins who are active, other than the person: erasing the last one would leave nobody to run Pioneer. */
export async function otherActiveAdmins(db: DbOrTx, id: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from people where status = 'active' and erased_at is null and 'programme_admin' = any(roles) and id <> ${id}::uuid`,
  );
  return row.n;
}

/** Locks the person's row for the erasure, so two admins erasing at once cannot both go ahead. */
export async function lockPerson(tx: DbOrTx, id: string) {
  await queryRows(tx, sql`select id from people where id = ${id}::uuid for update`);
}

/** The placeholder's number, from a sequence so two erasures never share one. */
export async function nextErasedNumber(tx: DbOrTx): Promise<number> {
  const [row] = await queryRows<{ n: number }>(tx, sql`select nextval('erased_person_number_seq')::int as n`);
  return row.n;
}

const erasedText = '[erased]';

/**
 * Replaces the person's own data with the placeholder and ends every way in (sessions, API tokens, links, password),
 * keeping the rows the programme's figures rest on (enrolments, events, accreditations, CPD hours, and their status,
 * which the dashboard counts) attached to the same id. With no password, no usable link and an address that cannot
 * receive mail, nobody can sign in as the placeholder.
 */
export async function erasePersonRows(tx: DbOrTx, id: string, placeholder: { number: number; name: string; email: string }, now: Date) {
  await tx.execute(sql`update people set name = ${placeholder.name}, email = ${placeholder.email}, job_title = null, password_hash = null,
      failed_sign_ins = 0, locked_until = null, erased_at = ${now}, erased_number = ${placeholder.number},
      version = version + 1, updated_at = ${now} where id = ${id}::uuid`);
  await tx.execute(sql`delete from sessions where person_id = ${id}::uuid`);
  await tx.execute(sql`delete from network_calendar_feeds where person_id = ${id}::uuid`);
  await tx.execute(sql`update api_tokens set name = ${erasedText}, revoked_at = coalesce(revoked_at, ${now}) where person_id = ${id}::uuid`);
  await tx.execute(sql`update one_time_tokens set email = null, used_at = coalesce(used_at, ${now}) where person_id = ${id}::uuid`);
  // Free text written by or about them: CPD reflections, what the council said of their role, reasons they gave.
  await tx.execute(sql`update cpd_records set reflection = ${erasedText} where person_id = ${id}::uuid`);
  await tx.execute(sql`update enrolments set role_description = null, contracts = null where person_id = ${id}::uuid`);
  await tx.execute(sql`update enrolment_events set reason = null
      where reason is not null and (actor_id = ${id}::uuid or enrolment_id in (select id from enrolments where person_id = ${id}::uuid))`);
  await tx.execute(sql`update place_requests set reason = ${erasedText} where requested_by_id = ${id}::uuid`);
  // Their network discussion posts lose their text (shown as deleted, by a "Former member"), keeping the threads'
  // shape; the titles of threads they started stay, as the others' replies hang on them. Their reports keep no reason.
  await tx.execute(sql`update network_posts set body = '', deleted_at = coalesce(deleted_at, ${now}), version = version + 1 where author_id = ${id}::uuid`);
  await tx.execute(sql`update network_post_reports set reason = ${erasedText} where reporter_id = ${id}::uuid`);
  await tx.execute(sql`update place_requests set decision_note = ${erasedText} where decided_by_id = ${id}::uuid and decision_note is not null`);
  await tx.execute(sql`update participation_status_history set reason = null where changed_by_id = ${id}::uuid and reason is not null`);
  // Transformation support: the notes on time they logged and on actions, and their reasons for moderating a score.
  // The time, actions and moderated scores stay (the engagement's account and the council's maturity rest on them).
  await tx.execute(sql`update engagement_time_entries set note = null, version = version + 1 where person_id = ${id}::uuid and note is not null`);
  await tx.execute(sql`update engagement_action_notes set text = ${erasedText} where author_id = ${id}::uuid`);
  await tx.execute(sql`update maturity_scores set moderation_reason = ${erasedText} where moderated_by_id = ${id}::uuid and moderation_reason is not null`);
  // Survey answers (src/surveys) become anonymous: the counts stay, their free text goes; their links stop working.
  await tx.execute(sql`update survey_responses set person_id = null,
      answers = (select coalesce(jsonb_object_agg(k, v), '{}'::jsonb) from jsonb_each(answers) as e(k, v) where jsonb_typeof(v) <> 'string' or k in (
        select q->>'key' from surveys s, jsonb_array_elements(s.questions) q where s.id = survey_responses.survey_id and q->>'type' = 'single'))
      where person_id = ${id}::uuid`);
  await tx.execute(sql`update survey_recipients set token_hash = 'erased:' || id where person_id = ${id}::uuid`);
}

/** Mail to any of their addresses: the copy is emptied, and what was waiting is not sent. */
export async function scrubMailTo(tx: DbOrTx, emails: string[], placeholderEmail: string) {
  await tx.execute(sql`update notifications set to_email = ${placeholderEmail}, subject = ${erasedText}, body = ${erasedText},
      last_error = null, status = case when status = 'pending' then 'failed' else status end
      where lower(to_email) = any(${pgArray(emails.map((e) => e.toLowerCase()))}::text[])`);
}

/** Rows of a JSON-holding table that mention any of the texts (or the id): the candidates for scrubbing. */
const mentions = (column: ReturnType<typeof sql>, texts: string[]) =>
  sql`exists (select 1 from unnest(${pgArray(texts)}::text[]) t(x) where strpos(lower(${column}), lower(t.x)) > 0)`;

/** Mail to others that names the person (an SRO told of a nomination): each text is replaced in the copy. */
export async function mailNaming(tx: DbOrTx, texts: string[]) {
  return queryRows<{ id: string; subject: string; body: string }>(tx, sql`select id, subject, body from notifications where ${mentions(sql`subject || ' ' || body`, texts)}`);
}

export async function setMailText(tx: DbOrTx, id: string, subject: string, body: string) {
  await tx.execute(sql`update notifications set subject = ${subject}, body = ${body} where id = ${id}::uuid`);
}

/** Audit events by them, about them, or whose before/after names them. */
export async function auditEventsNaming(tx: DbOrTx, id: string, texts: string[]) {
  return queryRows<{ id: number; actorId: string | null; actorLabel: string; recordType: string; before: unknown; after: unknown }>(
    tx,
    sql`select id, actor_id as "actorId", actor_label as "actorLabel", record_type as "recordType", before, after from audit_events
        where actor_id = ${id}::uuid or (record_type = 'person' and record_id = ${id})
           or ${mentions(sql`coalesce(before::text, '') || ' ' || coalesce(after::text, '') || ' ' || actor_label`, texts)}`,
  );
}

/** Rewrites one audit event: allowed only inside erasure (the append-only trigger checks `pioneer.erasing`). */
export async function rewriteAuditEvent(tx: DbOrTx, e: { id: number; actorLabel: string; before: unknown; after: unknown; dropIp: boolean }) {
  await tx.execute(sql`select set_config('pioneer.erasing', 'on', true)`);
  await tx.execute(sql`update audit_events set actor_label = ${e.actorLabel}, before = ${JSON.stringify(e.before)}::jsonb, after = ${JSON.stringify(e.after)}::jsonb,
      ip = case when ${e.dropIp} then null else ip end where id = ${e.id}`);
}

/** Refused uploads keep their rows for the error report: any that name the person. */
export async function importRunsNaming(tx: DbOrTx, texts: string[]) {
  return queryRows<{ id: string; fileName: string | null; errors: unknown; reportRows: unknown }>(
    tx,
    sql`select id, file_name as "fileName", errors, report_rows as "reportRows" from import_runs
        where ${mentions(sql`coalesce(file_name, '') || ' ' || errors::text || ' ' || coalesce(report_rows::text, '')`, texts)}`,
  );
}

export async function setImportRunText(tx: DbOrTx, r: { id: string; fileName: string | null; errors: unknown; reportRows: unknown }) {
  await tx.execute(sql`update import_runs set file_name = ${r.fileName}, errors = ${JSON.stringify(r.errors)}::jsonb,
      report_rows = ${r.reportRows === null ? null : JSON.stringify(r.reportRows)}::jsonb where id = ${r.id}::uuid`);
}
