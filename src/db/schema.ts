// The one schema for PGlite and PostgreSQL. Change it, then `npm run db:generate -- --name what_changed`.
import { sql } from 'drizzle-orm';
import {
  bigserial,

  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

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

/** People: council officers and partner staff. E-mail is unique regardless of case. */
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
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('people_email_lower_key').on(sql`lower(${t.email})`),
    index('people_organisation_idx').on(t.organisationId),
    index('people_name_idx').on(t.name),
  ],
);

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
    purpose: text('purpose', { enum: ['invite', 'reset'] }).notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('one_time_tokens_hash_key').on(t.tokenHash), index('one_time_tokens_person_idx').on(t.personId)],
);

/** Outbox of e-mails: written in the same transaction as the change that causes them, delivered afterwards. */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    toEmail: text('to_email').notNull(),
    template: text('template').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    status: text('status', { enum: ['pending', 'sent', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: ts('sent_at'),
  },
  (t) => [index('notifications_status_idx').on(t.status, t.createdAt)],
);

/** Programme rules that are not public (cut-over dates, limits): settings with defaults, not constants. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  updatedById: uuid('updated_by_id'),
});

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
  ],
);
