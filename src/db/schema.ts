// The one schema for PGlite and PostgreSQL. Change it, then `npm run db:generate -- --name what_changed`.
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  doublePrecision,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgSequence,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/** Raw bytes: Uint8Array on PGlite, Buffer (a Uint8Array) on pg. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Councils (from the register of UK local authorities) and programme partners. */
export const organisations = pgTable(
  'organisations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind', { enum: ['council', 'partner'] }).notNull(),
    /** mySociety local-authority-code for councils; a short code (LP, MHCLG, …) for partners. */
    code: text('code').notNull(),
    name: text('name').notNull(),
    gssCode: text('gss_code'),
    laType: text('la_type'),
    laTypeName: text('la_type_name'),
    region: text('region'),
    nation: text('nation'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('organisations_code_key').on(t.code),
    uniqueIndex('organisations_gss_code_key').on(t.gssCode),
    index('organisations_kind_name_idx').on(t.kind, t.name),
  ],
);

/** Every name an organisation has had (DLUHC → MHCLG), so history reads as it was. */
export const organisationNames = pgTable(
  'organisation_names',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id),
    name: text('name').notNull(),
    validFrom: date('valid_from', { mode: 'string' }),
    validTo: date('valid_to', { mode: 'string' }),
  },
  (t) => [index('organisation_names_org_idx').on(t.organisationId)],
);

/** A council's part in the programme: one row per council, `not_engaged` until it expresses interest. */
export const participations = pgTable(
  'participations',
  {
    councilId: uuid('council_id')
      .primaryKey()
      .references(() => organisations.id),
    status: text('status').notNull().default('not_engaged'),
    statusChangedAt: ts('status_changed_at'),
    onboardingDate: date('onboarding_date', { mode: 'string' }),
    managingPartnerId: uuid('managing_partner_id').references(() => organisations.id),
    managingPartnerReason: text('managing_partner_reason'),
    sroPersonId: uuid('sro_person_id'),
    leadPersonId: uuid('lead_person_id'),
    agreementSignedDate: date('agreement_signed_date', { mode: 'string' }),
    baselineBookedDate: date('baseline_booked_date', { mode: 'string' }),
    /** The email domains the council's SRO and lead may nominate and invite addresses on (exact domains, lower case). */
    emailDomains: text('email_domains').array().notNull().default(sql`'{}'::text[]`),
    /** Optimistic lock: an edit names the version it read; a stale one is refused. */
    version: integer('version').notNull().default(1),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('participations_status_idx').on(t.status), index('participations_partner_idx').on(t.managingPartnerId)],
);

/** Every move of a council's programme status, with who, when and why. */
export const participationStatusHistory = pgTable(
  'participation_status_history',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    councilId: uuid('council_id')
      .notNull()
      .references(() => organisations.id),
    fromStatus: text('from_status').notNull(),
    toStatus: text('to_status').notNull(),
    reason: text('reason'),
    changedById: uuid('changed_by_id'),
    changedAt: ts('changed_at').notNull(),
  },
  (t) => [index('participation_status_history_council_idx').on(t.councilId, t.changedAt)],
);

/** People: council officers and partner staff. Email is unique regardless of case. */
export const people = pgTable(
  'people',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    email: text('email').notNull(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id),
    jobTitle: text('job_title'),
    roles: text('roles').array().notNull().default(sql`'{}'::text[]`),
    status: text('status', { enum: ['invited', 'active', 'deactivated'] }).notNull().default('invited'),
    passwordHash: text('password_hash'),
    failedSignIns: integer('failed_sign_ins').notNull().default(0),
    lockedUntil: ts('locked_until'),
    /** When the person was erased (src/privacy): their name and email are then "Erased person N" placeholders. */
    erasedAt: ts('erased_at'),
    /** N in "Erased person N", from `erased_person_number_seq`. */
    erasedNumber: integer('erased_number'),
    /** When the person was last deactivated (null unless deactivated): retention anonymises them after a set period. */
    deactivatedAt: ts('deactivated_at'),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('people_erased_number_key').on(t.erasedNumber),
    uniqueIndex('people_email_lower_key').on(sql`lower(${t.email})`),
    index('people_organisation_idx').on(t.organisationId),
    index('people_name_idx').on(t.name),
    // The people list's default order (lower(name), id): a page's ids come from an index-only scan instead of sorting
    // everyone. `name` itself is in the key because PostgreSQL answers from the index only when every column the
    // query reads is in it, and an expression does not count as its column.
    index('people_lower_name_idx').on(sql`lower(${t.name})`, t.id, t.name),
  ],
);

/** Numbers the placeholders of erased people ("Erased person 417"), so no two share a name or email. */
export const erasedPersonNumbers = pgSequence('erased_person_number_seq', { startWith: 1 });

/** Which councils a commercial specialist is assigned to. */
export const specialistAssignments = pgTable(
  'specialist_assignments',
  {
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    councilId: uuid('council_id')
      .notNull()
      .references(() => organisations.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.personId, t.councilId] }), index('specialist_assignments_council_idx').on(t.councilId)],
);

/** Signed-in sessions, in the database so several app instances share them. The id is a hash of the cookie. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    csrfToken: text('csrf_token').notNull(),
    createdAt: createdAt(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('sessions_person_idx').on(t.personId)],
);

/** Personal access tokens for the API; only a hash is kept. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash_key').on(t.tokenHash), index('api_tokens_person_idx').on(t.personId)],
);

/** Single-use links: invitations and password resets. Only a hash of the link's token is kept. */
export const oneTimeTokens = pgTable(
  'one_time_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    purpose: text('purpose', { enum: ['invite', 'reset', 'email-change'] }).notNull(),
    tokenHash: text('token_hash').notNull(),
    /** For an email change: the new address the link confirms (the person's address changes only when it is opened). */
    email: text('email'),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('one_time_tokens_hash_key').on(t.tokenHash), index('one_time_tokens_person_idx').on(t.personId)],
);

/** Outbox of emails: written in the same transaction as the change that causes them, delivered afterwards. */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    toEmail: text('to_email').notNull(),
    template: text('template').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    /** pending → sending (claimed under a lease, sent outside any transaction) → sent, or back to pending / failed. */
    status: text('status', { enum: ['pending', 'sending', 'sent', 'failed'] }).notNull().default('pending'),
    /** 0: mail one person is waiting for (sign-in, password reset, a single invitation); 1: bulk (an upload's). Lower goes first. */
    priority: smallint('priority').notNull().default(0),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** While `sending`: the claim's own id and when it lapses; a lapsed claim (its sender stopped) is claimed again. */
    claimId: uuid('claim_id'),
    leaseExpiresAt: ts('lease_expires_at'),
    /** A reminder's one-click unsubscribe link (List-Unsubscribe header, Notify's one_click_unsubscribe_url). */
    unsubscribeUrl: text('unsubscribe_url'),
    createdAt: createdAt(),
    sentAt: ts('sent_at'),
  },
  (t) => [index('notifications_status_idx').on(t.status, t.priority, t.createdAt)],
);

/**
 * Reminders sent (src/notifications/reminders.ts): one row per person, kind and occurrence (an enrolment's due date,
 * an accreditation's renewal date, a CPD year), so the daily job sends each once however often it runs. The row
 * also holds the hash of the reminder's unsubscribe link.
 */
export const remindersSent = pgTable(
  'reminders_sent',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    kind: text('kind', { enum: ['assessment-due', 'cpd-shortfall', 'foundation-renewal', 'network-digest'] }).notNull(),
    occurrence: text('occurrence').notNull(),
    unsubscribeTokenHash: text('unsubscribe_token_hash').notNull(),
    sentAt: ts('sent_at').notNull(),
  },
  (t) => [
    uniqueIndex('reminders_sent_once_key').on(t.personId, t.kind, t.occurrence),
    uniqueIndex('reminders_sent_token_key').on(t.unsubscribeTokenHash),
  ],
);

/** Reminder kinds a person has switched off (preferences page or an unsubscribe link); no row: they are sent. */
export const reminderOptOuts = pgTable(
  'reminder_opt_outs',
  {
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    kind: text('kind', { enum: ['assessment-due', 'cpd-shortfall', 'foundation-renewal', 'network-digest'] }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.personId, t.kind] })],
);

/** Programme rules that are not public (cut-over dates, limits): settings with defaults, not constants. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  updatedById: uuid('updated_by_id'),
});

/**
 * Runs of the retention rules (src/privacy/retention.ts). The daily job claims its UK day by inserting the day's
 * `daily` row (unique), so however many instances look, one runs it; a claim whose run stopped before finishing is
 * taken over after a lease. Runs started from the admin page are `manual` and never stop the day's run.
 */
export const retentionRuns = pgTable(
  'retention_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    runOn: date('run_on', { mode: 'string' }).notNull(),
    trigger: text('trigger', { enum: ['daily', 'manual'] }).notNull(),
    claimId: uuid('claim_id').notNull(),
    startedAt: ts('started_at').notNull(),
    finishedAt: ts('finished_at'),
    /** How many of each kind the run removed: counts only, never who. */
    counts: jsonb('counts'),
  },
  (t) => [
    uniqueIndex('retention_runs_daily_key').on(t.runOn).where(sql`${t.trigger} = 'daily'`),
    index('retention_runs_started_idx').on(t.startedAt),
  ],
);

/** Who did what to which record, when, from where, before and after. Append-only (a trigger refuses changes). */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    occurredAt: ts('occurred_at').notNull(),
    actorId: uuid('actor_id'),
    actorLabel: text('actor_label').notNull(),
    action: text('action').notNull(),
    recordType: text('record_type').notNull(),
    recordId: text('record_id').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
    requestId: text('request_id'),
    ip: text('ip'),
  },
  (t) => [
    index('audit_events_record_idx').on(t.recordType, t.recordId),
    index('audit_events_actor_idx').on(t.actorId),
    index('audit_events_occurred_idx').on(t.occurredAt),
    // The log filtered by action, newest (or oldest) first, and its count: without it a rare action read every event.
    index('audit_events_action_occurred_idx').on(t.action, t.occurredAt, t.id),
  ],
);

/**
 * Funded places per council, level and period (financial year "2024-25"). `taken` and `released` are counters kept
 * by the same statements that approve and withdraw enrolments, so "never more approvals than places" is a single
 * conditional UPDATE that the database serialises (see src/places/repository.ts).
 */
export const fundedPlaces = pgTable(
  'funded_places',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    councilId: uuid('council_id')
      .notNull()
      .references(() => organisations.id),
    level: text('level').notNull(),
    period: text('period').notNull(),
    places: integer('places').notNull(),
    /** Places held by approved enrolments, including those spent by a late withdrawal. */
    taken: integer('taken').notNull().default(0),
    /** Places given back by withdrawals before the cut-off (they count towards remaining again). */
    released: integer('released').notNull().default(0),
    version: integer('version').notNull().default(1),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('funded_places_council_level_period_key').on(t.councilId, t.level, t.period),
    index('funded_places_period_idx').on(t.period, t.level),
    check('funded_places_taken_within_places', sql`${t.taken} >= 0 and ${t.taken} <= ${t.places}`),
  ],
);

/**
 * A managing partner's (or admin's) request for more funded places for a council, level and period, waiting for an
 * admin to grant it (the allocation grows by `places`) or refuse it (with a note). At most one waits per allocation.
 */
export const placeRequests = pgTable(
  'place_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    councilId: uuid('council_id')
      .notNull()
      .references(() => organisations.id),
    level: text('level').notNull(),
    period: text('period').notNull(),
    places: integer('places').notNull(),
    reason: text('reason').notNull(),
    status: text('status', { enum: ['requested', 'granted', 'refused'] }).notNull().default('requested'),
    requestedById: uuid('requested_by_id').references(() => people.id),
    requestedAt: ts('requested_at').notNull().defaultNow(),
    decidedById: uuid('decided_by_id').references(() => people.id),
    decidedAt: ts('decided_at'),
    decisionNote: text('decision_note'),
  },
  (t) => [
    index('place_requests_status_idx').on(t.status, t.requestedAt),
    uniqueIndex('place_requests_one_waiting_key').on(t.councilId, t.level, t.period).where(sql`${t.status} = 'requested'`),
    check('place_requests_places_positive', sql`${t.places} > 0`),
    check('place_requests_status_known', sql`${t.status} in ('requested', 'granted', 'refused')`),
  ],
);

/** An intake on one level: start date, workshop dates and a capacity enforced like funded places. */
export const cohorts = pgTable(
  'cohorts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    level: text('level').notNull(),
    name: text('name').notNull(),
    startDate: date('start_date', { mode: 'string' }).notNull(),
    /** The last day of delivery; with the start date it gives the cohort's life (upcoming, running, finished). */
    endDate: date('end_date', { mode: 'string' }).notNull(),
    workshopDates: date('workshop_dates', { mode: 'string' }).array().notNull().default(sql`'{}'::date[]`),
    capacity: integer('capacity').notNull(),
    /** Learners placed in the cohort (kept by the statement that places them, like funded places' `taken`). */
    placed: integer('placed').notNull().default(0),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('cohorts_name_lower_key').on(sql`lower(${t.name})`),
    index('cohorts_level_start_idx').on(t.level, t.startDate),
    check('cohorts_placed_within_capacity', sql`${t.placed} >= 0 and ${t.placed} <= ${t.capacity}`),
    check('cohorts_end_not_before_start', sql`${t.endDate} >= ${t.startDate}`),
  ],
);

/** A learner on a level: the journey from nomination to accreditation (rules in src/enrolments/journey.ts). */
export const enrolments = pgTable(
  'enrolments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    /**
     * The person's name, copied so the learners list can sort and page by it from this table's own index instead of
     * joining and sorting every enrolment. Kept by triggers (migration 0010): filled on insert when left blank, and
     * rewritten whenever the person's name changes — no code path can let it drift.
     */
    personName: text('person_name').notNull().default(''),
    councilId: uuid('council_id')
      .notNull()
      .references(() => organisations.id),
    level: text('level').notNull(),
    period: text('period').notNull(),
    status: text('status').notNull(),
    /** The status a deferred enrolment returns to when it is resumed. */
    resumeStatus: text('resume_status'),
    cohortId: uuid('cohort_id').references(() => cohorts.id),
    /** Assessments sat (passed or not). */
    attempts: integer('attempts').notNull().default(0),
    /** The officer's role and the contracts they manage, as the nominating council described them. */
    roleDescription: text('role_description'),
    contracts: text('contracts'),
    /** none → taken on approval → released (withdrawn before the cut-off); a late withdrawal leaves it taken (spent). */
    placeState: text('place_state').notNull().default('none'),
    nominatedById: uuid('nominated_by_id'),
    nominatedOn: date('nominated_on', { mode: 'string' }).notNull(),
    approvedOn: date('approved_on', { mode: 'string' }),
    registeredOn: date('registered_on', { mode: 'string' }),
    lastEventOn: date('last_event_on', { mode: 'string' }).notNull(),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    // One active enrolment per person and level: a declined or withdrawn one may be followed by a new nomination, and
    // so may an accredited one once its accreditation has lapsed (the service refuses a level still held).
    uniqueIndex('enrolments_person_level_active_key')
      .on(t.personId, t.level)
      .where(sql`${t.status} not in ('declined', 'withdrawn', 'accredited')`),
    index('enrolments_council_status_idx').on(t.councilId, t.status),
    index('enrolments_status_registered_idx').on(t.status, t.registeredOn),
    // "Needs attention": how long an enrolment has been at its status (src/enrolments/attention.ts).
    index('enrolments_status_last_event_idx').on(t.status, t.lastEventOn),
    index('enrolments_person_name_idx').on(t.personName, t.id),
    // The learners list's common filters (level, then status) and its status counts, which group by status and
    // count the overdue by registration date within a level: one index range instead of the whole table.
    index('enrolments_level_status_idx').on(t.level, t.status, t.registeredOn),
    // A level and status filtered list in its default order (the person's name), paged deep: the page's ids read
    // straight from one index range instead of walking every enrolment by name and filtering (7.7 → 1.2 ms at page 20).
    index('enrolments_level_status_name_idx').on(t.level, t.status, t.personName, t.id),
    index('enrolments_cohort_idx').on(t.cohortId),
    index('enrolments_person_idx').on(t.personId),
    // The period filters offer the periods that hold data: a few index probes (src/enrolments/repository.ts).
    index('enrolments_period_idx').on(t.period),
  ],
);

/** Every move of an enrolment: who, when (the day it happened and when it was recorded), why. */
export const enrolmentEvents = pgTable(
  'enrolment_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    enrolmentId: uuid('enrolment_id')
      .notNull()
      .references(() => enrolments.id),
    type: text('type').notNull(),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    occurredOn: date('occurred_on', { mode: 'string' }).notNull(),
    reason: text('reason'),
    certificateNumber: text('certificate_number'),
    cohortId: uuid('cohort_id'),
    actorId: uuid('actor_id'),
    recordedAt: ts('recorded_at').notNull(),
  },
  (t) => [index('enrolment_events_enrolment_idx').on(t.enrolmentId, t.recordedAt)],
);

/** An accreditation earned by passing an assessment. Certificate numbers are unique across the programme. */
export const accreditations = pgTable(
  'accreditations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    enrolmentId: uuid('enrolment_id')
      .notNull()
      .references(() => enrolments.id),
    level: text('level').notNull(),
    awardedOn: date('awarded_on', { mode: 'string' }).notNull(),
    /** Foundation holders re-accredit: the last renewal date (null until renewed). */
    renewedOn: date('renewed_on', { mode: 'string' }),
    certificateNumber: text('certificate_number').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('accreditations_certificate_key').on(sql`upper(${t.certificateNumber})`),
    uniqueIndex('accreditations_enrolment_key').on(t.enrolmentId),
    index('accreditations_person_idx').on(t.personId),
  ],
);

/** A learner's continuing professional development log. */
export const cpdRecords = pgTable(
  'cpd_records',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    activityDate: date('activity_date', { mode: 'string' }).notNull(),
    hours: numeric('hours', { precision: 5, scale: 2, mode: 'number' }).notNull(),
    activityType: text('activity_type').notNull(),
    reflection: text('reflection').notNull(),
    /** Set on the entry a network event's attendance added (src/networks/events): one per person and event. */
    networkEventId: uuid('network_event_id').references(() => networkEvents.id),
    createdAt: createdAt(),
  },
  (t) => [
    index('cpd_records_person_date_idx').on(t.personId, t.activityDate),
    uniqueIndex('cpd_records_network_event_key').on(t.personId, t.networkEventId).where(sql`network_event_id is not null`),
  ],
);

/**
 * One spreadsheet upload (nominations or results): what was sent, what came of it, and — for a refused upload —
 * the per-row errors and the rows themselves, so the uploader can download the error report after the page.
 */
export const importRuns = pgTable(
  'import_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind', { enum: ['nominations', 'results'] }).notNull(),
    uploadedById: uuid('uploaded_by_id').references(() => people.id),
    fileName: text('file_name'),
    /**
     * queued: accepted, waiting for the background job; running: being checked or written (see `phase`);
     * succeeded: written; failed: refused (file-level or row errors) or interrupted, nothing written.
     */
    status: text('status', { enum: ['queued', 'running', 'succeeded', 'failed'] }).notNull(),
    /** While running: reading, checking (with `processed` of `rowCount` rows) or writing. */
    phase: text('phase', { enum: ['reading', 'checking', 'writing'] }),
    processed: integer('processed').notNull().default(0),
    /** The uploaded file, kept only until the background job has finished with it. */
    upload: bytea('upload'),
    /** The file's format, once read (csv or xlsx). */
    format: text('format'),
    rowCount: integer('row_count').notNull().default(0),
    created: integer('created').notNull().default(0),
    unchanged: integer('unchanged').notNull().default(0),
    invited: integer('invited').notNull().default(0),
    /** [{row, column, message}] for a refused upload. */
    errors: jsonb('errors').notNull().default(sql`'[]'::jsonb`),
    /** The uploaded header and data rows as text (refused uploads only), for the downloadable error report. */
    reportRows: jsonb('report_rows'),
    createdAt: createdAt(),
    /** Touched as the job progresses: a queued or running upload not touched for a while was interrupted. */
    updatedAt: ts('updated_at').notNull().defaultNow(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    index('import_runs_uploaded_by_idx').on(t.uploadedById, t.createdAt),
    index('import_runs_unfinished_idx').on(t.updatedAt).where(sql`status in ('queued', 'running')`),
  ],
);

/**
 * People added to a network by hand (src/networks): programme staff and invited facilitators. Learners, SROs and
 * (by setting) council leads belong by their records instead, computed on each read, so nothing here ends with them.
 */
export const networkMembers = pgTable(
  'network_members',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    network: text('network', { enum: ['learners', 'sro'] }).notNull(),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    role: text('role', { enum: ['member', 'facilitator'] }).notNull(),
    addedById: uuid('added_by_id'),
    addedAt: ts('added_at').notNull(),
  },
  (t) => [
    uniqueIndex('network_members_network_person_key').on(t.network, t.personId),
    index('network_members_person_idx').on(t.personId),
    check('network_members_network_known', sql`${t.network} in ('learners', 'sro')`),
    check('network_members_role_known', sql`${t.role} in ('member', 'facilitator')`),
  ],
);

/**
 * The networks' resource library (docs/networks.md): case studies, toolkits, templates. Each is either a stored file
 * (its bytes behind the storage interface, src/files/storage.ts, under a key Pioneer chose) or an https link.
 * `search` (a generated tsvector over title, summary and tags, GIN-indexed) is added by the migration's own SQL, so
 * it is not declared here.
 */
export const networkResources = pgTable(
  'network_resources',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    title: text('title').notNull(),
    summary: text('summary').notNull(),
    type: text('type', { enum: ['case_study', 'toolkit', 'template', 'other'] }).notNull(),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    councilId: uuid('council_id').references(() => organisations.id),
    networks: text('networks').array().notNull(),
    storageKey: text('storage_key'),
    fileName: text('file_name'),
    contentType: text('content_type'),
    sizeBytes: integer('size_bytes'),
    sha256: text('sha256'),
    linkUrl: text('link_url'),
    createdById: uuid('created_by_id').references(() => people.id),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull(),
    downloadCount: integer('download_count').notNull().default(0),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    uniqueIndex('network_resources_storage_key').on(t.storageKey),
    // In the library's two orders, with the networks and tags after the order: a page filtered by network and tag
    // walks the index alone, checking each entry, and stops at the page, so a deep page of a tag costs the same
    // however large the library grows (the tags' GIN gathered and sorted every resource with the tag).
    index('network_resources_created_idx').on(t.createdAt.desc().nullsFirst(), t.id, t.networks, t.tags),
    index('network_resources_downloads_idx').on(t.downloadCount.desc().nullsFirst(), t.createdAt.desc().nullsFirst(), t.id, t.networks, t.tags),
    index('network_resources_tags_idx').using('gin', t.tags),
    index('network_resources_networks_idx').using('gin', t.networks),
    check('network_resources_type_known', sql`${t.type} in ('case_study', 'toolkit', 'template', 'other')`),
    check('network_resources_networks_known', sql`cardinality(${t.networks}) between 1 and 2 and ${t.networks} <@ array['learners', 'sro']::text[]`),
    // A file (every one of its columns) or an https link, never both, never neither.
    check(
      'network_resources_file_or_link',
      sql`(${t.linkUrl} is null and ${t.storageKey} is not null and ${t.fileName} is not null and ${t.contentType} is not null and ${t.sizeBytes} is not null and ${t.sha256} is not null)
        or (${t.linkUrl} is not null and ${t.linkUrl} like 'https://%' and ${t.storageKey} is null and ${t.fileName} is null and ${t.contentType} is null and ${t.sizeBytes} is null and ${t.sha256} is null)`,
    ),
  ],
);

/** Every download of a resource (and click on a link): who and when, for the participation figures. */
export const networkResourceDownloads = pgTable(
  'network_resource_downloads',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Kept when the resource is deleted: the download still happened.
    resourceId: uuid('resource_id').references(() => networkResources.id, { onDelete: 'set null' }),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    downloadedAt: ts('downloaded_at').notNull(),
  },
  (t) => [index('network_resource_downloads_resource_idx').on(t.resourceId), index('network_resource_downloads_person_idx').on(t.personId, t.downloadedAt)],
);

/** No event lasts this long: see network_events_within_longest. */
export const longestEvent = sql`interval '2 days'`;

/**
 * Network events (src/networks/events): a workshop, webinar or meet-up for one or both networks. Times are instants
 * (timestamptz), entered and shown in Europe/London. `sequence` is the iCalendar SEQUENCE: it goes up with every
 * change a calendar should pick up (an edit, a cancellation), so feeds and downloaded files carry updates through.
 */
export const networkEvents = pgTable(
  'network_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    title: text('title').notNull(),
    description: text('description').notNull(),
    startsAt: ts('starts_at').notNull(),
    endsAt: ts('ends_at').notNull(),
    format: text('format', { enum: ['online', 'in_person', 'hybrid'] }).notNull(),
    location: text('location'),
    joiningUrl: text('joining_url'),
    capacity: integer('capacity').notNull(),
    /** Registration closes at this instant (the end of the deadline day in London); null: when the event starts. */
    registrationDeadline: ts('registration_deadline'),
    /** The networks whose members may register: one or both of learners, sro. */
    audience: text('audience').array().notNull(),
    /** Events created together as a series (monthly, weekly) share it. */
    seriesId: uuid('series_id'),
    status: text('status', { enum: ['scheduled', 'cancelled'] }).notNull().default('scheduled'),
    sequence: integer('sequence').notNull().default(0),
    createdById: uuid('created_by_id').references(() => people.id),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('network_events_starts_idx').on(t.startsAt),
    // Upcoming events (those not yet ended) are found by their end; walking the start index from the first event read every past one.
    index('network_events_ends_idx').on(t.endsAt),
    index('network_events_series_idx').on(t.seriesId),
    check('network_events_ends_after_start', sql`${t.endsAt} > ${t.startsAt}`),
    // An event is one date with a start and an end time (under 25 hours even on the day the clocks go back). The
    // bound lets the upcoming list begin its walk of the start index just before now (networks/events/repository.ts).
    check('network_events_within_longest', sql`${t.endsAt} < ${t.startsAt} + ${longestEvent}`),
    check('network_events_capacity_positive', sql`${t.capacity} > 0`),
    check('network_events_audience_known', sql`cardinality(${t.audience}) between 1 and 2 and ${t.audience} <@ array['learners', 'sro']::text[]`),
    check('network_events_format_known', sql`${t.format} in ('online', 'in_person', 'hybrid')`),
    check('network_events_status_known', sql`${t.status} in ('scheduled', 'cancelled')`),
  ],
);

/** The order people join an event's waitlist in: a new place in the queue each time, so ties cannot happen. */
export const networkEventWaitlistOrder = pgSequence('network_event_waitlist_seq', { startWith: 1 });

/**
 * A member's registration for an event: registered (has a place), waitlisted (queued by `waitlist_position`) or
 * cancelled. One row per person and event; registering again after cancelling reuses it. `attended` is recorded by a
 * facilitator after the event.
 */
export const networkEventRegistrations = pgTable(
  'network_event_registrations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => networkEvents.id),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    status: text('status', { enum: ['registered', 'waitlisted', 'cancelled'] }).notNull(),
    waitlistPosition: bigint('waitlist_position', { mode: 'number' }),
    attended: boolean('attended').notNull().default(false),
    walkIn: boolean('walk_in').notNull().default(false),
    registeredAt: ts('registered_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('network_event_registrations_event_person_key').on(t.eventId, t.personId),
    index('network_event_registrations_person_idx').on(t.personId),
    index('network_event_registrations_waitlist_idx').on(t.eventId, t.waitlistPosition).where(sql`status = 'waitlisted'`),
    // Each listed event's registered count (a page of 50 events counts 50 times): read from this index alone, where
    // the (event, person) key made it fetch and check every registration's row.
    index('network_event_registrations_registered_idx').on(t.eventId).where(sql`status = 'registered'`),
    check('network_event_registrations_status_known', sql`${t.status} in ('registered', 'waitlisted', 'cancelled')`),
    check('network_event_registrations_waitlist_position', sql`(${t.status} = 'waitlisted') = (${t.waitlistPosition} is not null)`),
  ],
);

/** A member's private calendar feed: the secret in its URL is stored only as a SHA-256 hash; deleting the row revokes it. */
export const networkCalendarFeeds = pgTable(
  'network_calendar_feeds',
  {
    personId: uuid('person_id')
      .primaryKey()
      .references(() => people.id),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('network_calendar_feeds_token_key').on(t.tokenHash)],
);

/**
 * Maturity frameworks (docs/maturity.md): a framework is areas grouped in blocks, each area with a descriptor for
 * each level 1–5. They are data, written on every start from src/maturity/framework.ts by their stable keys (so
 * action plans can link an area by its id or key and the ids never change).
 */
export const maturityFrameworks = pgTable(
  'maturity_frameworks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull(),
  },
  (t) => [uniqueIndex('maturity_frameworks_key').on(t.key)],
);

export const maturityBlocks = pgTable(
  'maturity_blocks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    frameworkId: uuid('framework_id')
      .notNull()
      .references(() => maturityFrameworks.id),
    key: text('key').notNull(),
    name: text('name').notNull(),
    position: integer('position').notNull(),
  },
  (t) => [uniqueIndex('maturity_blocks_framework_key').on(t.frameworkId, t.key)],
);

export const maturityAreas = pgTable(
  'maturity_areas',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    frameworkId: uuid('framework_id')
      .notNull()
      .references(() => maturityFrameworks.id),
    blockId: uuid('block_id')
      .notNull()
      .references(() => maturityBlocks.id),
    /** Stable across releases: other features (action plans) link to an area by it or by the id. */
    key: text('key').notNull(),
    name: text('name').notNull(),
    position: integer('position').notNull(),
    /** What each level 1–5 looks like, in order: exactly five sentences. */
    descriptors: text('descriptors').array().notNull(),
  },
  (t) => [uniqueIndex('maturity_areas_framework_key').on(t.frameworkId, t.key), check('maturity_areas_five_descriptors', sql`cardinality(${t.descriptors}) = 5`)],
);

/**
 * A council's maturity assessment: its baseline (one per council) or a follow-up, drafted then submitted; once
 * submitted it never changes except for a specialist's moderation of an area's score (kept beside the council's own).
 */
export const maturityAssessments = pgTable(
  'maturity_assessments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    councilId: uuid('council_id')
      .notNull()
      .references(() => organisations.id),
    frameworkId: uuid('framework_id')
      .notNull()
      .references(() => maturityFrameworks.id),
    kind: text('kind', { enum: ['baseline', 'follow_up'] }).notNull(),
    status: text('status', { enum: ['draft', 'submitted'] }).notNull().default('draft'),
    /** The submitted assessment a follow-up started from (its scores, evidence and targets were copied). */
    basedOnId: uuid('based_on_id'),
    createdById: uuid('created_by_id').references(() => people.id),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    submittedById: uuid('submitted_by_id').references(() => people.id),
    submittedAt: ts('submitted_at'),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    uniqueIndex('maturity_assessments_one_baseline').on(t.councilId).where(sql`${t.kind} = 'baseline'`),
    uniqueIndex('maturity_assessments_one_draft').on(t.councilId).where(sql`${t.status} = 'draft'`),
    index('maturity_assessments_council_idx').on(t.councilId, t.submittedAt),
    check('maturity_assessments_kind_known', sql`${t.kind} in ('baseline', 'follow_up')`),
    check('maturity_assessments_status_known', sql`${t.status} in ('draft', 'submitted')`),
    check('maturity_assessments_submitted', sql`(${t.status} = 'submitted') = (${t.submittedAt} is not null)`),
  ],
);

/** One area of an assessment: the council's score, evidence and target, and a specialist's moderated score. */
export const maturityScores = pgTable(
  'maturity_scores',
  {
    assessmentId: uuid('assessment_id')
      .notNull()
      .references(() => maturityAssessments.id),
    areaId: uuid('area_id')
      .notNull()
      .references(() => maturityAreas.id),
    score: smallint('score'),
    evidence: text('evidence'),
    target: smallint('target'),
    moderatedScore: smallint('moderated_score'),
    moderationReason: text('moderation_reason'),
    moderatedById: uuid('moderated_by_id').references(() => people.id),
    moderatedAt: ts('moderated_at'),
  },
  (t) => [
    primaryKey({ columns: [t.assessmentId, t.areaId] }),
    check('maturity_scores_score_range', sql`${t.score} between 1 and 5`),
    check('maturity_scores_target_range', sql`${t.target} between 1 and 5`),
    check('maturity_scores_moderated_range', sql`${t.moderatedScore} between 1 and 5`),
  ],
);

/**
 * A discussion thread in one network (src/networks/discussions): its title; the first post holds its opening text.
 * `last_activity_at` moves with each reply, for the list's "newest activity first"; a locked thread takes no replies.
 * `search` (a generated tsvector of the title, GIN-indexed; network_posts has one of the body) is added by migration
 * 0022's own SQL, so it is not declared here.
 */
export const networkThreads = pgTable(
  'network_threads',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    network: text('network', { enum: ['learners', 'sro'] }).notNull(),
    title: text('title').notNull(),
    authorId: uuid('author_id').references(() => people.id),
    lockedAt: ts('locked_at'),
    lockedById: uuid('locked_by_id').references(() => people.id),
    createdAt: createdAt(),
    lastActivityAt: ts('last_activity_at').notNull(),
  },
  (t) => [
    index('network_threads_activity_idx').on(t.network, t.lastActivityAt, t.id),
    check('network_threads_network_known', sql`${t.network} in ('learners', 'sro')`),
  ],
);

/**
 * A post in a thread (the first is the thread's opening text). Plain text, shown escaped with safe links. `version`
 * guards edits against a stale form; a deleted post keeps its row (the thread's shape) without its text; a hidden one
 * keeps its text for facilitators, with the reason.
 */
export const networkPosts = pgTable(
  'network_posts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    threadId: uuid('thread_id')
      .notNull()
      .references(() => networkThreads.id),
    authorId: uuid('author_id').references(() => people.id),
    body: text('body').notNull(),
    isOpening: boolean('is_opening').notNull().default(false),
    version: integer('version').notNull().default(1),
    createdAt: ts('created_at').notNull(),
    editedAt: ts('edited_at'),
    deletedAt: ts('deleted_at'),
    hiddenAt: ts('hidden_at'),
    hiddenById: uuid('hidden_by_id').references(() => people.id),
    hiddenReason: text('hidden_reason'),
  },
  (t) => [
    index('network_posts_thread_idx').on(t.threadId, t.createdAt, t.id),
    index('network_posts_created_idx').on(t.createdAt),
    index('network_posts_author_idx').on(t.authorId),
  ],
);

/** A member's report of a post: once per person and post; open until a facilitator dismisses it or hides the post. */
export const networkPostReports = pgTable(
  'network_post_reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    postId: uuid('post_id')
      .notNull()
      .references(() => networkPosts.id),
    reporterId: uuid('reporter_id')
      .notNull()
      .references(() => people.id),
    reason: text('reason').notNull(),
    status: text('status', { enum: ['open', 'dismissed', 'hidden'] }).notNull().default('open'),
    createdAt: ts('created_at').notNull(),
    resolvedById: uuid('resolved_by_id').references(() => people.id),
    resolvedAt: ts('resolved_at'),
  },
  (t) => [
    uniqueIndex('network_post_reports_once_key').on(t.postId, t.reporterId),
    index('network_post_reports_open_idx').on(t.status, t.createdAt),
    check('network_post_reports_status_known', sql`${t.status} in ('open', 'dismissed', 'hidden')`),
  ],
);

/**
 * Transformation engagements (src/engagements, issue 12): a commercial specialist's support for one council, with a
 * lead specialist (who must be assigned to the council), scope, objectives, dates and planned time. Time is kept in
 * whole minutes (a working day is 7.5 hours, 450 minutes), never as a float. Statuses: planned → active → closing →
 * closed, or paused (from planned or active) and back to active. The SRO signs off the action plan and, once every
 * action is done, its completion.
 */
export const engagements = pgTable(
  'engagements',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    councilId: uuid('council_id')
      .notNull()
      .references(() => organisations.id),
    title: text('title').notNull(),
    leadSpecialistId: uuid('lead_specialist_id')
      .notNull()
      .references(() => people.id),
    scope: text('scope').notNull(),
    objectives: text('objectives').notNull(),
    startDate: date('start_date', { mode: 'string' }).notNull(),
    endDate: date('end_date', { mode: 'string' }).notNull(),
    plannedMinutes: integer('planned_minutes').notNull(),
    status: text('status', { enum: ['planned', 'active', 'paused', 'closing', 'closed'] }).notNull().default('planned'),
    planSignedOffAt: ts('plan_signed_off_at'),
    planSignedOffById: uuid('plan_signed_off_by_id').references(() => people.id),
    completionSignedOffAt: ts('completion_signed_off_at'),
    completionSignedOffById: uuid('completion_signed_off_by_id').references(() => people.id),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('engagements_council_idx').on(t.councilId),
    index('engagements_lead_idx').on(t.leadSpecialistId),
    check('engagements_dates_ordered', sql`${t.endDate} >= ${t.startDate}`),
    check('engagements_planned_positive', sql`${t.plannedMinutes} > 0`),
    check('engagements_status_known', sql`${t.status} in ('planned', 'active', 'paused', 'closing', 'closed')`),
  ],
);

/** The other specialists on an engagement (the lead is on the engagement row). */
export const engagementSpecialists = pgTable(
  'engagement_specialists',
  {
    engagementId: uuid('engagement_id')
      .notNull()
      .references(() => engagements.id),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
  },
  (t) => [primaryKey({ columns: [t.engagementId, t.personId] }), index('engagement_specialists_person_idx').on(t.personId)],
);

/** Time a specialist logged on an engagement: whole minutes, entered as days (450 minutes each) or hours. */
export const engagementTimeEntries = pgTable(
  'engagement_time_entries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    engagementId: uuid('engagement_id')
      .notNull()
      .references(() => engagements.id),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    workDate: date('work_date', { mode: 'string' }).notNull(),
    minutes: integer('minutes').notNull(),
    /** How the specialist entered it, so the edit form shows it back the same way. */
    unit: text('unit', { enum: ['days', 'hours'] }).notNull(),
    activity: text('activity', { enum: ['diagnostic', 'workshop', 'coaching', 'document_review', 'other'] }).notNull(),
    note: text('note'),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('engagement_time_entries_engagement_idx').on(t.engagementId, t.workDate),
    check('engagement_time_entries_minutes_range', sql`${t.minutes} > 0 and ${t.minutes} <= 1440`),
    check('engagement_time_entries_activity_known', sql`${t.activity} in ('diagnostic', 'workshop', 'coaching', 'document_review', 'other')`),
  ],
);

/** An engagement's milestones: a due date, and the day it was done. */
export const engagementMilestones = pgTable(
  'engagement_milestones',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    engagementId: uuid('engagement_id')
      .notNull()
      .references(() => engagements.id),
    title: text('title').notNull(),
    dueDate: date('due_date', { mode: 'string' }).notNull(),
    doneOn: date('done_on', { mode: 'string' }),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
  },
  (t) => [index('engagement_milestones_engagement_idx').on(t.engagementId, t.dueDate)],
);

/**
 * The actions of an engagement's action plan. `maturity_area_key` names an area of the maturity framework
 * (src/maturity, built separately): plain text with no foreign key until those tables exist.
 */
export const engagementActions = pgTable(
  'engagement_actions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    engagementId: uuid('engagement_id')
      .notNull()
      .references(() => engagements.id),
    title: text('title').notNull(),
    maturityAreaKey: text('maturity_area_key'),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => people.id),
    dueDate: date('due_date', { mode: 'string' }).notNull(),
    status: text('status', { enum: ['not_started', 'in_progress', 'done', 'blocked'] }).notNull().default('not_started'),
    rag: text('rag', { enum: ['red', 'amber', 'green'] }).notNull().default('green'),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('engagement_actions_engagement_idx').on(t.engagementId, t.dueDate),
    index('engagement_actions_owner_idx').on(t.ownerId),
    check('engagement_actions_status_known', sql`${t.status} in ('not_started', 'in_progress', 'done', 'blocked')`),
    check('engagement_actions_rag_known', sql`${t.rag} in ('red', 'amber', 'green')`),
  ],
);

/** An action's progress notes: append-only, with author and time. */
export const engagementActionNotes = pgTable(
  'engagement_action_notes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    actionId: uuid('action_id')
      .notNull()
      .references(() => engagementActions.id),
    authorId: uuid('author_id').references(() => people.id),
    text: text('text').notNull(),
    writtenAt: ts('written_at').notNull(),
  },
  (t) => [index('engagement_action_notes_action_idx').on(t.actionId, t.writtenAt)],
);

/** Evidence for an action: https links (files may follow, with the resource library's upload rules). */
export const engagementActionEvidence = pgTable(
  'engagement_action_evidence',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    actionId: uuid('action_id')
      .notNull()
      .references(() => engagementActions.id),
    title: text('title').notNull(),
    url: text('url').notNull(),
    addedById: uuid('added_by_id').references(() => people.id),
    addedAt: ts('added_at').notNull(),
  },
  (t) => [index('engagement_action_evidence_action_idx').on(t.actionId), check('engagement_action_evidence_https', sql`${t.url} like 'https://%'`)],
);

// ---- Key contracts (issue 12 item 6, src/contracts) ----

/**
 * A council's key contracts, so that improvements can point at real contracts. Money is whole pence (bigint: a
 * contract can be worth more than the £21m an integer of pence holds). The flags (Procurement Act 2023 duties,
 * re-procurement planning) are computed from these fields and the date, never stored.
 */
export const contracts = pgTable(
  'contracts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    councilId: uuid('council_id')
      .notNull()
      .references(() => organisations.id),
    name: text('name').notNull(),
    supplier: text('supplier').notNull(),
    annualValuePence: bigint('annual_value_pence', { mode: 'number' }).notNull(),
    totalValuePence: bigint('total_value_pence', { mode: 'number' }).notNull(),
    startDate: date('start_date', { mode: 'string' }).notNull(),
    endDate: date('end_date', { mode: 'string' }).notNull(),
    tier: text('tier', { enum: ['gold', 'silver', 'bronze'] }).notNull(),
    managerId: uuid('manager_id').references(() => people.id),
    hasPlan: boolean('has_plan').notNull().default(false),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('contracts_council_name_supplier_unique').on(t.councilId, sql`lower(${t.name})`, sql`lower(${t.supplier})`),
    index('contracts_council_end_idx').on(t.councilId, t.endDate),
    index('contracts_manager_idx').on(t.managerId),
    // The programme-wide list's default order (ending soonest, then name): a deep page's ids from the index instead
    // of sorting all 30,000 contracts by name within date.
    index('contracts_end_name_idx').on(t.endDate, t.name, t.id),
    // The list's search ("name or supplier contains …") answered from trigram indexes (pg_trgm, migration 0032)
    // rather than by reading every contract.
    index('contracts_name_trgm').using('gin', t.name.op('gin_trgm_ops')),
    index('contracts_supplier_trgm').using('gin', t.supplier.op('gin_trgm_ops')),
    check('contracts_tier_known', sql`${t.tier} in ('gold', 'silver', 'bronze')`),
    check('contracts_values_not_negative', sql`${t.annualValuePence} >= 0 and ${t.totalValuePence} >= 0`),
    check('contracts_dates_in_order', sql`${t.endDate} >= ${t.startDate}`),
  ],
);

/** A contract's KPIs, each with its latest assessment (rating, date, note) or none yet. */
export const contractKpis = pgTable(
  'contract_kpis',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    contractId: uuid('contract_id')
      .notNull()
      .references(() => contracts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    target: text('target').notNull(),
    rating: text('rating', { enum: ['good', 'approaching', 'requires_improvement', 'inadequate'] }),
    assessedOn: date('assessed_on', { mode: 'string' }),
    note: text('note'),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('contract_kpis_contract_idx').on(t.contractId, t.assessedOn),
    check('contract_kpis_rating_known', sql`${t.rating} is null or ${t.rating} in ('good', 'approaching', 'requires_improvement', 'inadequate')`),
    check('contract_kpis_assessed_together', sql`(${t.rating} is null) = (${t.assessedOn} is null)`),
  ],
);

// ---- The improvements register (src/improvements, issue 12 item 5) ----

/**
 * A demonstrable improvement a council records: submitted, then verified or queried by a specialist assigned to it
 * (or an admin); a queried one is changed and resubmitted by the council; a verified one is final. Money in whole
 * pence, `cashable` set exactly when there is a value. The same council, type, date and description twice is a
 * duplicate (the unique index), refused with 409. Linked contracts join here once src/contracts lands (docs/improvements.md).
 */
export const improvements = pgTable(
  'improvements',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    councilId: uuid('council_id')
      .notNull()
      .references(() => organisations.id),
    type: text('type').notNull(),
    description: text('description').notNull(),
    /**
     * The description lower-cased, kept by the database, for the search: `ilike` lower-cases each row it checks, and
     * a search most improvements match checks thousands (2,037 rows for page 5 of "renewal": 15 ms with `ilike`,
     * 1.2 ms with `like` on this copy; migration 0044).
     */
    descriptionFolded: text('description_folded').generatedAlwaysAs(sql`lower(description)`),
    improvedOn: date('improved_on', { mode: 'string' }).notNull(),
    valuePence: bigint('value_pence', { mode: 'number' }),
    cashable: boolean('cashable'),
    status: text('status', { enum: ['submitted', 'verified', 'queried'] }).notNull().default('submitted'),
    reviewNote: text('review_note'),
    reviewedById: uuid('reviewed_by_id').references(() => people.id),
    reviewedAt: ts('reviewed_at'),
    recordedById: uuid('recorded_by_id').references(() => people.id),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('improvements_council_idx').on(t.councilId, t.improvedOn),
    index('improvements_status_idx').on(t.status),
    // The list's two main orders: newest first, and by value, largest first (those without a value last). A page's ids
    // walk the order's index instead of sorting every match; the filters' columns after the order let a filtered
    // page be checked from the index alone (page 40 of the verified cashable ones by value on PGlite: 3 ms reading
    // each improvement, 1.9 ms from the index; 10 ms sorting every match).
    index('improvements_date_idx').on(t.improvedOn.desc().nullsFirst(), t.id, t.status, t.cashable, t.type),
    index('improvements_value_idx').on(sql`(${t.valuePence} is null)`, t.valuePence.desc().nullsFirst(), t.improvedOn.desc().nullsFirst(), t.id, t.status, t.cashable, t.type),
    // The search ("description contains …") from a trigram index (pg_trgm, migrations 0032 and 0044).
    index('improvements_description_trgm').using('gin', t.descriptionFolded.op('gin_trgm_ops')),
    uniqueIndex('improvements_no_duplicates').on(t.councilId, t.type, t.improvedOn, sql`md5(${t.description})`),
    check('improvements_value_positive', sql`${t.valuePence} is null or ${t.valuePence} > 0`),
    check('improvements_cashable_with_value', sql`(${t.valuePence} is null) = (${t.cashable} is null)`),
    check('improvements_status_known', sql`${t.status} in ('submitted', 'verified', 'queried')`),
    check(
      'improvements_type_known',
      sql`${t.type} in ('contract_register', 'management_plans', 'kpis', 'savings', 'cost_avoidance', 'risk_mitigated', 'supplier_performance', 'other')`,
    ),
  ],
);

/** The council's learners an improvement credits (what they learned, applied). */
export const improvementLearners = pgTable(
  'improvement_learners',
  {
    improvementId: uuid('improvement_id')
      .notNull()
      .references(() => improvements.id),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
  },
  (t) => [primaryKey({ columns: [t.improvementId, t.personId] }), index('improvement_learners_person_idx').on(t.personId)],
);

/** Evidence for an improvement: https links (files may follow, with the resource library's upload rules). */
export const improvementEvidence = pgTable(
  'improvement_evidence',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    improvementId: uuid('improvement_id')
      .notNull()
      .references(() => improvements.id),
    title: text('title').notNull(),
    url: text('url').notNull(),
    addedById: uuid('added_by_id').references(() => people.id),
    addedAt: ts('added_at').notNull(),
  },
  (t) => [index('improvement_evidence_improvement_idx').on(t.improvementId), check('improvement_evidence_https', sql`${t.url} like 'https://%'`)],
);

// ---------------------------------------------------------------------------------------------- surveys (src/surveys)

/**
 * A survey along Kirkpatrick's levels: its questions (ordered, jsonb: `{ key, text, type, options, required }`) change
 * only while it is a draft; it is sent to recipients while open.
 */
export const surveys = pgTable(
  'surveys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    title: text('title').notNull(),
    level: text('level', { enum: ['reaction', 'behaviour', 'results'] }).notNull(),
    audience: text('audience').notNull(),
    anonymous: boolean('anonymous').notNull(),
    closesOn: date('closes_on', { mode: 'string' }).notNull(),
    status: text('status', { enum: ['draft', 'open', 'closed'] }).notNull().default('draft'),
    questions: jsonb('questions').notNull(),
    /** When reminders were last sent (at most one a day). */
    lastRemindedAt: ts('last_reminded_at'),
    version: integer('version').notNull().default(1),
    createdById: uuid('created_by_id').references(() => people.id),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    // --- scheduled behaviour surveys ---
    /** A behaviour survey sent by the periodic job N (3 to 6) months after accreditation; null: sent by hand only. */
    scheduleMonths: integer('schedule_months'),
    /** Whether the scheduled sending includes the learners' councils' SROs. */
    scheduleIncludeSros: boolean('schedule_include_sros').notNull().default(false),
    /** The UK day the schedule was set: learners still within six months of accreditation that day are covered. */
    scheduleSetOn: date('schedule_set_on', { mode: 'string' }),
  },
  (t) => [
    check('surveys_level_known', sql`${t.level} in ('reaction', 'behaviour', 'results')`),
    check('surveys_status_known', sql`${t.status} in ('draft', 'open', 'closed')`),
    check('surveys_schedule_months', sql`${t.scheduleMonths} is null or (${t.scheduleMonths} between 3 and 6 and ${t.level} = 'behaviour' and ${t.scheduleSetOn} is not null)`),
  ],
);

/**
 * A person a survey was sent to, with their single-use link (only its SHA-256 stored; a reminder replaces it). For an
 * anonymous survey only `answered` is kept: never when, and the answers carry no person.
 */
export const surveyRecipients = pgTable(
  'survey_recipients',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    surveyId: uuid('survey_id')
      .notNull()
      .references(() => surveys.id),
    personId: uuid('person_id')
      .notNull()
      .references(() => people.id),
    tokenHash: text('token_hash').notNull(),
    sentAt: ts('sent_at').notNull(),
    remindedAt: ts('reminded_at'),
    answered: boolean('answered').notNull().default(false),
  },
  (t) => [uniqueIndex('survey_recipients_survey_person_key').on(t.surveyId, t.personId), uniqueIndex('survey_recipients_token_key').on(t.tokenHash)],
);

/** One submitted set of answers (`{ [questionKey]: number | string | string[] }`); `person_id` null on an anonymous survey. */
export const surveyResponses = pgTable(
  'survey_responses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    surveyId: uuid('survey_id')
      .notNull()
      .references(() => surveys.id),
    personId: uuid('person_id').references(() => people.id),
    /** The day only, so an anonymous response cannot be matched to a recipient by its time. */
    submittedOn: date('submitted_on', { mode: 'string' }).notNull(),
    answers: jsonb('answers').notNull(),
  },
  (t) => [index('survey_responses_survey_idx').on(t.surveyId)],
);

// ---------------------------------------------------------------------------------------------- funding (src/funding)

/**
 * A fund the programme draws on (issue 13 item 1, src/funding): who gives it, how much (integer pence), its dates and
 * conditions. Its budget lines split the amount; spend is recorded against a line.
 */
export const funds = pgTable(
  'funds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    source: text('source').notNull(),
    name: text('name').notNull(),
    amountPence: bigint('amount_pence', { mode: 'number' }).notNull(),
    startDate: date('start_date', { mode: 'string' }).notNull(),
    endDate: date('end_date', { mode: 'string' }).notNull(),
    conditions: text('conditions').notNull().default(''),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('funds_name_key').on(t.name),
    check('funds_dates_ordered', sql`${t.endDate} >= ${t.startDate}`),
    check('funds_amount_not_negative', sql`${t.amountPence} >= 0`),
  ],
);

/** A budget line of a fund: its kind, and for training places a level and unit cost, for support days a day rate. */
export const fundBudgetLines = pgTable(
  'fund_budget_lines',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    fundId: uuid('fund_id')
      .notNull()
      .references(() => funds.id),
    kind: text('kind', { enum: ['training_places', 'support_days', 'networks', 'evaluation', 'programme_management'] }).notNull(),
    name: text('name').notNull(),
    budgetPence: bigint('budget_pence', { mode: 'number' }).notNull(),
    level: text('level'),
    unitCostPence: bigint('unit_cost_pence', { mode: 'number' }),
    dayRatePence: bigint('day_rate_pence', { mode: 'number' }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('fund_budget_lines_name_key').on(t.fundId, t.name),
    // A fund's commitment of a kind (and level) is worked out once for the fund, so it has one line to show it on.
    uniqueIndex('fund_budget_lines_one_places_line_a_level').on(t.fundId, t.level).where(sql`${t.kind} = 'training_places'`),
    uniqueIndex('fund_budget_lines_one_support_days_line').on(t.fundId).where(sql`${t.kind} = 'support_days'`),
    check('fund_budget_lines_kind_known', sql`${t.kind} in ('training_places', 'support_days', 'networks', 'evaluation', 'programme_management')`),
    check('fund_budget_lines_budget_not_negative', sql`${t.budgetPence} >= 0`),
    check('fund_budget_lines_places_priced', sql`(${t.kind} = 'training_places') = (${t.level} is not null and ${t.unitCostPence} is not null)`),
    check('fund_budget_lines_days_priced', sql`(${t.kind} = 'support_days') = (${t.dayRatePence} is not null)`),
  ],
);

/** Actual spend against a budget line, entered or uploaded. */
export const fundSpend = pgTable(
  'fund_spend',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    lineId: uuid('line_id')
      .notNull()
      .references(() => fundBudgetLines.id),
    supplier: text('supplier').notNull(),
    spentOn: date('spent_on', { mode: 'string' }).notNull(),
    amountPence: bigint('amount_pence', { mode: 'number' }).notNull(),
    reference: text('reference').notNull().default(''),
    recordedById: uuid('recorded_by_id').references(() => people.id),
    createdAt: createdAt(),
    // ---- spend editing (issue 13 item 1, second slice): optimistic version of a spend item, and when it last changed
    version: integer('version').notNull().default(1),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    // ---- end of spend editing
  },
  (t) => [index('fund_spend_line_idx').on(t.lineId, t.spentOn), check('fund_spend_amount_positive', sql`${t.amountPence} > 0`)],
);

// ---- Reports (src/reports, issue 13 item 6): archived quarterly funder reports, immutable snapshots ----

/**
 * A generated quarterly funder report, kept as it was made: the figures (aggregates only, with the disclosure rule
 * applied) as JSON, and the PDF and XLSX bytes, so a download later is byte-identical. No route changes or deletes a
 * row, and a trigger (migration 0027) refuses UPDATE and DELETE.
 */
export const reports = pgTable(
  'reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The calendar quarter, "2026-Q3". */
    quarter: text('quarter').notNull(),
    generatedAt: ts('generated_at').notNull(),
    generatedById: uuid('generated_by_id').references(() => people.id),
    data: jsonb('data').notNull(),
    pdf: bytea('pdf').notNull(),
    xlsx: bytea('xlsx').notNull(),
  },
  (t) => [index('reports_generated_idx').on(t.generatedAt), check('reports_quarter_format', sql`${t.quarter} ~ '^[0-9]{4}-Q[1-4]$'`)],
);

// ---- Critical success factors and monthly indicator snapshots (issue 13 item 2, src/evaluation) ----

/** A critical success factor: what the programme must achieve, judged by indicators of the catalogue with targets. */
export const csfs = pgTable(
  'csfs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    /** Where it sits in the list (lowest first). */
    position: integer('position').notNull(),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('csfs_name_key').on(sql`lower(${t.name})`)],
);

/**
 * An indicator a CSF is judged by (a key of src/evaluation/catalogue.ts), its target and the amber threshold: green
 * at or beyond the target, amber at or beyond the threshold, red otherwise ("beyond" is above, or below when lower is
 * better). Money targets are in pence.
 */
export const csfIndicators = pgTable(
  'csf_indicators',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    csfId: uuid('csf_id')
      .notNull()
      .references(() => csfs.id, { onDelete: 'cascade' }),
    indicatorKey: text('indicator_key').notNull(),
    target: doublePrecision('target').notNull(),
    amber: doublePrecision('amber').notNull(),
    position: integer('position').notNull(),
  },
  (t) => [uniqueIndex('csf_indicators_key').on(t.csfId, t.indicatorKey)],
);

/**
 * Each indicator's value for the whole programme, once a month: the current month's is taken (and may be retaken)
 * during the month; a past month's is never changed. `value` null: nothing to measure yet.
 */
export const indicatorSnapshots = pgTable(
  'indicator_snapshots',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    indicatorKey: text('indicator_key').notNull(),
    /** The month, as its first day. */
    month: date('month', { mode: 'string' }).notNull(),
    value: doublePrecision('value'),
    /** The date the value is as at (the last day of a past month, or the day it was taken). */
    asOf: date('as_of', { mode: 'string' }).notNull(),
    computedAt: ts('computed_at').notNull(),
    /**
     * Whether the value's council parts (indicator_snapshot_parts) were written with it, so a narrower scope's trend
     * can be worked out for this month. False for snapshots taken before parts existed (ADR 0019).
     */
    councilParts: boolean('council_parts').notNull().default(false),
  },
  (t) => [uniqueIndex('indicator_snapshots_key_month').on(t.indicatorKey, t.month), check('indicator_snapshots_first_of_month', sql`extract(day from ${t.month}) = 1`)],
);

/**
 * A snapshot's value council by council, as the numerator and denominator it is worked out from (a count or sum has no
 * denominator: 0), so any set of councils' value that month is worked out from the sums of their parts (ADR 0019).
 * Councils with nothing to count are absent. Written and replaced with their snapshot, in its transaction.
 */
export const indicatorSnapshotParts = pgTable(
  'indicator_snapshot_parts',
  {
    snapshotId: uuid('snapshot_id')
      .notNull()
      .references(() => indicatorSnapshots.id, { onDelete: 'cascade' }),
    councilId: uuid('council_id')
      .notNull()
      .references(() => organisations.id),
    numerator: bigint('numerator', { mode: 'number' }).notNull(),
    denominator: bigint('denominator', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.snapshotId, t.councilId] })],
);

// ---- Improvements ↔ key contracts, and evidence files (issue 12; docs/improvements.md, docs/engagements.md) ----

/**
 * The key contracts an improvement points at (contracts of the same council, checked by the service). No cascade from
 * contracts: a contract that improvements point at cannot be deleted (src/contracts refuses it with a message listing
 * them), so a verified improvement never loses a link behind its council's back.
 */
export const improvementContracts = pgTable(
  'improvement_contracts',
  {
    improvementId: uuid('improvement_id')
      .notNull()
      .references(() => improvements.id),
    contractId: uuid('contract_id')
      .notNull()
      .references(() => contracts.id),
  },
  (t) => [primaryKey({ columns: [t.improvementId, t.contractId] }), index('improvement_contracts_contract_idx').on(t.contractId)],
);

/**
 * A file uploaded as evidence for an improvement or for an engagement's action (exactly one of the two), beside the
 * link evidence. The bytes sit behind the storage interface (src/files/storage.ts) under a key Pioneer chose; the type
 * is the one detected from the bytes (src/files/detect.ts), never the one the browser claimed.
 */
export const evidenceFiles = pgTable(
  'evidence_files',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    improvementId: uuid('improvement_id').references(() => improvements.id),
    actionId: uuid('action_id').references(() => engagementActions.id),
    storageKey: text('storage_key').notNull(),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    sha256: text('sha256').notNull(),
    addedById: uuid('added_by_id').references(() => people.id),
    addedAt: ts('added_at').notNull(),
  },
  (t) => [
    uniqueIndex('evidence_files_storage_key').on(t.storageKey),
    index('evidence_files_improvement_idx').on(t.improvementId),
    index('evidence_files_action_idx').on(t.actionId),
    index('evidence_files_added_by_idx').on(t.addedById),
    check('evidence_files_one_owner', sql`(${t.improvementId} is null) <> (${t.actionId} is null)`),
    check('evidence_files_size_positive', sql`${t.sizeBytes} > 0`),
  ],
);
