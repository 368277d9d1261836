import path from 'node:path';
import { z } from 'zod';
import { parseWholeNumber } from './web/numbers.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Decimal digits only: z.coerce would read "0x10", "1e3" or " 5" as other numbers. */
const wholeNumber = z.string().transform((text, ctx) => {
  const n = parseWholeNumber(text);
  if (n === undefined) ctx.addIssue({ code: 'custom', message: 'must be a whole number written in digits' });
  return n ?? 0;
});
const positiveInt = wholeNumber.pipe(z.number().int().positive());

/** Where the phase banner's feedback link goes: an email address (mailto:) or a form on the web (https:). */
const feedbackUrl = z.string().refine(isFeedbackUrl, 'must be mailto: followed by an email address, or an https:// address');

function isFeedbackUrl(text: string): boolean {
  if (text.startsWith('mailto:')) {
    try {
      return z.email().safeParse(decodeURIComponent(text.slice('mailto:'.length).split('?')[0])).success;
    } catch {
      return false; // a broken %-escape
    }
  }
  return text.startsWith('https://') && z.url().safeParse(text).success;
}
const uuidPattern = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** Every environment variable the service reads, with its default. README's "Configuration" lists the same. */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: wholeNumber.pipe(z.number().int().min(0).max(65535)).default(3000),
  BASE_URL: z.url().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  DATA_DIR: z.string().default('./data'),
  DEMO: bool.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: bool.default(false),
  SESSION_TTL_HOURS: positiveInt.default(8),
  SIGN_IN_MAX_FAILURES: positiveInt.default(5),
  SIGN_IN_LOCK_MINUTES: positiveInt.default(15),
  SIGN_IN_RATE_PER_MINUTE: positiveInt.default(10),
  INVITE_TTL_HOURS: positiveInt.default(72),
  RESET_TTL_HOURS: positiveInt.default(2),
  EMAIL_CHANGE_TTL_HOURS: positiveInt.default(24),
  UNSUBSCRIBE_TTL_DAYS: positiveInt.default(90),
  SRO_NETWORK_INCLUDES_LEADS: bool.default(false),
  DISCUSSION_EDIT_MINUTES: positiveInt.pipe(z.number().max(1440)).default(30),
  REMINDER_CHECK_MINUTES: wholeNumber.pipe(z.number().int().min(0).max(1440)).default(60),
  RETENTION_CHECK_MINUTES: wholeNumber.pipe(z.number().int().min(0).max(1440)).default(60),
  SNAPSHOT_CHECK_MINUTES: wholeNumber.pipe(z.number().int().min(0).max(1440)).default(60),
  SURVEY_SCHEDULE_MINUTES: wholeNumber.pipe(z.number().int().min(0).max(1440)).default(60),
  VACUUM_CHECK_MINUTES: wholeNumber.pipe(z.number().int().min(0).max(1440)).default(60),
  BODY_LIMIT_BYTES: positiveInt.default(1_048_576),
  UPLOAD_MAX_BYTES: positiveInt.default(5 * 1024 * 1024),
  IMPORT_MAX_ROWS: positiveInt.default(25_000),
  RESOURCE_MAX_BYTES: positiveInt.default(20 * 1024 * 1024),
  RESOURCES_DIR: z.string().min(1).optional(),
  IMPORT_INTERRUPTED_AFTER_SECONDS: positiveInt.default(600),
  SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  API_RATE_PER_MINUTE: positiveInt.default(600),
  API_ANON_RATE_PER_MINUTE: positiveInt.default(60),
  OUTBOX_BATCH_SIZE: positiveInt.default(50),
  OUTBOX_BULK_PER_MINUTE: positiveInt.default(600),
  READ_CACHE_SECONDS: wholeNumber.pipe(z.number().int().min(0).max(3600)).default(30),
  HEAP_GROWING_PERCENT: wholeNumber.pipe(z.number().int().min(0).max(400)).default(50),
  PROGRAMME_CONTACT_EMAIL: z.email().default('cmpp@pioneer.example.gov.uk'),
  FEEDBACK_URL: feedbackUrl.optional(),
  DATA_CONTROLLER_NAME: z.string().trim().min(1).max(200).default('Local Partnerships'),
  DATA_CONTROLLER_EMAIL: z.email().optional(),
  MAIL_TRANSPORT: z.enum(['log', 'smtp', 'notify']).optional(),
  MAIL_TIMEOUT_SECONDS: positiveInt.default(10),
  // Secrets (SMTP_URL may carry a password, NOTIFY_API_KEY is one): the messages below never repeat the value.
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^/?#]/, { error: 'must start with smtp:// or smtps:// and name a host' })
    .optional(),
  MAIL_FROM: z.email({ error: 'must be an email address' }).optional(),
  MAIL_REPLY_TO: z.email({ error: 'must be an email address' }).optional(),
  NOTIFY_API_KEY: z
    .string()
    .regex(new RegExp(`^.+-${uuidPattern}-${uuidPattern}$`, 'i'), { error: 'must be a GOV.UK Notify API key (key name, service id, secret)' })
    .optional(),
  NOTIFY_TEMPLATE_ID: z.uuid({ error: 'must be a GOV.UK Notify template id' }).optional(),
  NOTIFY_TEMPLATE_IDS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string(), z.uuid(), { error: 'must map template names to GOV.UK Notify template ids, as {"invite": "<template id>"}' }))
    .optional(),
  NOTIFY_REPLY_TO_ID: z.uuid({ error: 'must be a GOV.UK Notify reply-to address id' }).optional(),
  NOTIFY_BASE_URL: z.url().default('https://api.notifications.service.gov.uk'),
});

export type Config = {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  baseUrl: string;
  databaseUrl?: string;
  dataDir: string;
  demo: boolean;
  logLevel: string;
  trustProxy: boolean;
  secureCookies: boolean;
  sessionTtlHours: number;
  signInMaxFailures: number;
  signInLockMinutes: number;
  signInRatePerMinute: number;
  inviteTtlHours: number;
  resetTtlHours: number;
  /** How long a link confirming a new email address works. */
  emailChangeTtlHours: number;
  /** How long a reminder's unsubscribe link works. */
  unsubscribeTtlDays: number;
  /** Whether council leads belong to the SRO Network as well as SROs (src/networks). */
  sroNetworkIncludesLeads: boolean;
  /** How long after posting an author may edit a network discussion post. */
  discussionEditMinutes: number;
  /** How often the reminders job looks for reminders due (src/notifications/reminder-job.ts); 0: never (tests, or a separate scheduler running `pioneer reminders send`). */
  reminderCheckMinutes: number;
  /** How often each instance asks to run the day's retention run (src/privacy/retention-job.ts); 0: never (a scheduler runs `pioneer retention run`). */
  retentionCheckMinutes: number;
  /** How often each instance checks that this month's indicator snapshot was taken (src/evaluation/snapshots.ts); 0: never (a scheduler runs `pioneer evaluation snapshot`). */
  snapshotCheckMinutes: number;
  /** How often each instance sends the scheduled behaviour surveys that are due (src/surveys/schedule.ts); 0: never (a scheduler runs `pioneer surveys send-scheduled`). */
  surveyScheduleMinutes: number;
  /** How often the embedded database's tables are checked for the vacuum and analyze autovacuum would do (src/db/upkeep.ts); 0: never. PostgreSQL: not used (its autovacuum does it). */
  vacuumCheckMinutes: number;
  bodyLimitBytes: number;
  /** The largest spreadsheet upload (CSV or XLSX) accepted, and the most data rows it may carry. */
  uploadMaxBytes: number;
  importMaxRows: number;
  /** The largest file a network resource may be (src/networks), and the folder the files are kept in (DATA_DIR/resources unless RESOURCES_DIR). */
  resourceMaxBytes: number;
  resourcesDir: string;
  /**
   * A queued or running upload whose run has not been touched for this long was interrupted (its process stopped).
   * A threshold rather than "every unfinished run", because other instances sharing the database may be running theirs.
   */
  importInterruptedAfterSeconds: number;
  shutdownGraceMs: number;
  /**
   * API requests a minute: per token, and per client address for requests with a missing or bad token.
   * A token's budget (10 a second) lets an integration page through the whole register in seconds; the address
   * budget only has to cover a person trying the API by hand, and keeps token scans from loading the database.
   */
  apiRatePerMinute: number;
  apiAnonRatePerMinute: number;
  /**
   * The outbox sends at most `outboxBatchSize` emails a poll (every 5 seconds), personal mail first; bulk mail (an
   * upload's invitations and decisions) goes at most `outboxBulkPerMinute` a minute, steadily, whatever else is sent.
   */
  outboxBatchSize: number;
  outboxBulkPerMinute: number;
  /** How long what the list pages read but seldom changes (filter options, counts, list rules) may be kept: db/read-cache.ts. */
  readCacheSeconds: number;
  /**
   * How much the JavaScript heap may grow past what is live before a full collection (V8's --heap-growing-percent;
   * 0 leaves V8's own rule). Under list load V8's rule let the heap grow to ~450 MB of mostly garbage; 50 kept the
   * peak near 250 MB at about the same speed (docs/performance.md).
   */
  heapGrowingPercent: number;
  /** The programme team's mailbox: the accessibility statement's contact and the defaults of the two below. */
  programmeContactEmail: string;
  /** The phase banner's feedback link (mailto: or https:). */
  feedbackUrl: string;
  /** Who the privacy notice names as the data controller, and how to reach them about personal data. */
  dataControllerName: string;
  dataControllerEmail: string;
  /** Where email goes (docs/email.md): the log (development), an SMTP server or GOV.UK Notify. */
  mail: MailConfig;
};

/**
 * How email leaves the service. `timeoutSeconds` bounds each step of one delivery (connecting, the server's answer):
 * the outbox sends a batch one email after another, so a mail server that hangs must not hold it up for minutes.
 */
export type MailConfig = { timeoutSeconds: number } & (
  | { transport: 'log' }
  | { transport: 'smtp'; smtpUrl: string; from: string; replyTo?: string }
  | { transport: 'notify'; apiKey: string; baseUrl: string; templateId: string; templateIds: Record<string, string>; replyToId?: string }
);

/** Thrown when the environment is invalid; the message lists every problem at once. */
export class ConfigError extends Error {}

/** Parses the environment once, failing fast with every problem listed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && e.DEMO) throw new ConfigError('Invalid configuration:\n  DEMO: demo data is never seeded in production');
  const mail = mailConfig(e, production);
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    baseUrl: e.BASE_URL ?? `http://localhost:${e.PORT}`,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    demo: e.DEMO ?? !production,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    secureCookies: production,
    sessionTtlHours: e.SESSION_TTL_HOURS,
    signInMaxFailures: e.SIGN_IN_MAX_FAILURES,
    signInLockMinutes: e.SIGN_IN_LOCK_MINUTES,
    signInRatePerMinute: e.SIGN_IN_RATE_PER_MINUTE,
    inviteTtlHours: e.INVITE_TTL_HOURS,
    resetTtlHours: e.RESET_TTL_HOURS,
    emailChangeTtlHours: e.EMAIL_CHANGE_TTL_HOURS,
    unsubscribeTtlDays: e.UNSUBSCRIBE_TTL_DAYS,
    sroNetworkIncludesLeads: e.SRO_NETWORK_INCLUDES_LEADS,
    discussionEditMinutes: e.DISCUSSION_EDIT_MINUTES,
    reminderCheckMinutes: e.REMINDER_CHECK_MINUTES,
    retentionCheckMinutes: e.RETENTION_CHECK_MINUTES,
    snapshotCheckMinutes: e.SNAPSHOT_CHECK_MINUTES,
    surveyScheduleMinutes: e.SURVEY_SCHEDULE_MINUTES,
    vacuumCheckMinutes: e.VACUUM_CHECK_MINUTES,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    uploadMaxBytes: e.UPLOAD_MAX_BYTES,
    importMaxRows: e.IMPORT_MAX_ROWS,
    resourceMaxBytes: e.RESOURCE_MAX_BYTES,
    resourcesDir: e.RESOURCES_DIR ?? path.join(e.DATA_DIR, 'resources'),
    importInterruptedAfterSeconds: e.IMPORT_INTERRUPTED_AFTER_SECONDS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    apiRatePerMinute: e.API_RATE_PER_MINUTE,
    apiAnonRatePerMinute: e.API_ANON_RATE_PER_MINUTE,
    outboxBatchSize: e.OUTBOX_BATCH_SIZE,
    outboxBulkPerMinute: e.OUTBOX_BULK_PER_MINUTE,
    readCacheSeconds: e.READ_CACHE_SECONDS,
    heapGrowingPercent: e.HEAP_GROWING_PERCENT,
    programmeContactEmail: e.PROGRAMME_CONTACT_EMAIL,
    feedbackUrl: e.FEEDBACK_URL ?? `mailto:${e.PROGRAMME_CONTACT_EMAIL}?subject=${encodeURIComponent('Feedback on Pioneer')}`,
    dataControllerName: e.DATA_CONTROLLER_NAME,
    dataControllerEmail: e.DATA_CONTROLLER_EMAIL ?? e.PROGRAMME_CONTACT_EMAIL,
    mail,
  };
}

/**
 * The chosen mail transport with the settings it needs, all missing ones listed at once. Production has no default:
 * starting without real delivery would queue every invitation and reset link and then fail each one, so it refuses
 * to start instead (MAIL_TRANSPORT=log stays possible there, as a deliberate choice, e.g. for a benchmark).
 */
function mailConfig(e: z.infer<typeof envSchema>, production: boolean): MailConfig {
  const transport = e.MAIL_TRANSPORT ?? (production ? undefined : 'log');
  const timeoutSeconds = e.MAIL_TIMEOUT_SECONDS;
  const missing = (names: Record<string, unknown>) => Object.keys(names).filter((name) => names[name] === undefined);
  const fail = (names: string[]) => {
    throw new ConfigError(`Invalid configuration:\n${names.map((name) => `  ${name}: required when MAIL_TRANSPORT is ${transport}`).join('\n')}`);
  };
  switch (transport) {
    case undefined:
      throw new ConfigError('Invalid configuration:\n  MAIL_TRANSPORT: required in production: smtp or notify (see docs/email.md)');
    case 'log':
      return { transport, timeoutSeconds };
    case 'smtp': {
      const { SMTP_URL: smtpUrl, MAIL_FROM: from } = e;
      if (smtpUrl === undefined || from === undefined) return fail(missing({ SMTP_URL: smtpUrl, MAIL_FROM: from }));
      return { transport, timeoutSeconds, smtpUrl, from, replyTo: e.MAIL_REPLY_TO };
    }
    case 'notify': {
      const { NOTIFY_API_KEY: apiKey, NOTIFY_TEMPLATE_ID: templateId } = e;
      if (apiKey === undefined || templateId === undefined) return fail(missing({ NOTIFY_API_KEY: apiKey, NOTIFY_TEMPLATE_ID: templateId }));
      return { transport, timeoutSeconds, apiKey, templateId, baseUrl: e.NOTIFY_BASE_URL, templateIds: e.NOTIFY_TEMPLATE_IDS ?? {}, replyToId: e.NOTIFY_REPLY_TO_ID };
    }
  }
}
