/**
 * The reminder emails (docs/email.md): an assessment due soon, a CPD year ending short of its hours, a Foundation
 * accreditation due for renewal. `sendDueReminders` works out, for today by the injected clock, who is inside each
 * reminder's window and has not switched that kind off, and queues one email per person per occurrence (an
 * enrolment's due date, a CPD year, an accreditation's renewal date). The occurrence is recorded in
 * `reminders_sent` under a unique key in the same transaction as the email, so running the job again the same day,
 * the next day, or in two processes at once never sends a reminder twice.
 */
import { sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import { todayIso, type Clock } from '../clock.ts';
import { pgArray, queryRows, type Db } from '../db/client.ts';
import { addDays, addMonths, assessmentDueOn, levelLabels, owingAssessment, type Level, type Status } from '../enrolments/journey.ts';
import { cpdYearOf, foundationRenewalDue } from '../learners/upkeep.ts';
import { journeyRules, reminderTiming, upkeepRules } from '../settings/service.ts';
import { hashSecret, newSecret } from '../auth/secrets.ts';
import { formatDate } from '../web/format.ts';
import { paths } from '../web/paths.ts';
import { enqueueEmail, type QueuedEmail } from './outbox.ts';
import { reminderLabels, type ReminderKind } from './reminder-kinds.ts';

/** One reminder to send: to whom, which occurrence (with `kind` and the person, the once-only key), and what it says. */
export type DueReminder = { kind: ReminderKind; personId: string; name: string; email: string; occurrence: string; subject: string; lines: string[] };

type Person = { person_id: string; name: string; email: string };

/** People who get reminders of a kind: not deactivated, and not opted out of it. */
const wantsReminders = (kind: ReminderKind) =>
  sql`p.status <> 'deactivated' and not exists (select 1 from reminder_opt_outs o where o.person_id = p.id and o.kind = ${kind})`;

/** Registered learners owing an assessment due within `days` (from `days` before the due date to the day itself). */
async function assessmentReminders(db: Db, today: string): Promise<DueReminder[]> {
  const [rules, timing] = await Promise.all([journeyRules(db), reminderTiming(db)]);
  const rows = await queryRows<Person & { id: string; level: string; status: Status; registered_on: string }>(
    db,
    sql`select e.id, e.level, e.status, e.registered_on::text as registered_on, p.id as person_id, p.name, p.email
        from enrolments e join people p on p.id = e.person_id
        where e.status = any(${pgArray([...owingAssessment])}::text[]) and e.registered_on is not null and ${wantsReminders('assessment-due')}`,
  );
  return rows.flatMap((r) => {
    const due = assessmentDueOn({ status: r.status, registeredOn: r.registered_on }, rules)!;
    if (today < addDays(due, -timing.assessmentReminderDays) || today > due) return [];
    const level = levelLabels[r.level as Level] ?? r.level;
    return [
      {
        kind: 'assessment-due' as const,
        personId: r.person_id,
        name: r.name,
        email: r.email,
        occurrence: `${r.id}:${due}`,
        subject: `Your ${level} assessment is due by ${formatDate(due)}`,
        lines: [
          `Your ${level} assessment for the Contract Management Pioneer Programme is due by ${formatDate(due)}, and you have not booked it yet.`,
          'Sign in to Pioneer to see how to book it.',
        ],
      },
    ];
  });
}

/** Rows by a key, in first-seen order (Map.groupBy arrives with Node 21; Node 20 is supported). */
function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

/** Practitioner and Expert holders short of the CPD hours their year needs, from `months` before the year ends. */
async function cpdReminders(db: Db, today: string): Promise<DueReminder[]> {
  const [rules, timing] = await Promise.all([upkeepRules(db), reminderTiming(db)]);
  const holders = await queryRows<Person & { level: string; awarded_on: string }>(
    db,
    sql`select p.id as person_id, p.name, p.email, a.level, a.awarded_on::text as awarded_on
        from accreditations a join people p on p.id = a.person_id
        where a.level <> 'foundation' and ${wantsReminders('cpd-shortfall')}`,
  );
  // The CPD year comes from the accreditations alone; only the holders whose year ends within the window have their
  // hours summed, by the database (reading every CPD entry at national scale took seconds of PGlite's one connection).
  const inWindow = [...groupBy(holders, (h) => h.person_id)].flatMap(([id, own]) => {
    const year = cpdYearOf(own.map((h) => ({ level: h.level as Level, awardedOn: h.awarded_on })), [], rules, today);
    return year.accredited && today >= addMonths(year.toExclusive, -timing.cpdReminderMonths) ? [{ id, own, year }] : [];
  });
  if (!inWindow.length) return [];
  const logged = await queryRows<{ person_id: string; hours: string }>(
    db,
    sql`select d.person_id, coalesce(sum(c.hours), 0)::text as hours
        from unnest(${pgArray(inWindow.map((h) => h.id))}::uuid[], ${pgArray(inWindow.map((h) => h.year.from))}::date[], ${pgArray(inWindow.map((h) => h.year.toExclusive))}::date[])
          as d(person_id, from_on, to_on)
        left join cpd_records c on c.person_id = d.person_id and c.activity_date >= d.from_on and c.activity_date < d.to_on
        group by d.person_id`,
  );
  const hoursOf = new Map(logged.map((r) => [r.person_id, Number(r.hours)]));
  return inWindow.flatMap(({ id, own, year: yearOnly }) => {
    const year = { ...yearOnly, hours: hoursOf.get(id) ?? 0 };
    if (year.hours >= year.needed) return [];
    const lastDay = addDays(year.toExclusive, -1);
    const { name, email } = own[0];
    return [
      {
        kind: 'cpd-shortfall' as const,
        personId: id,
        name,
        email,
        occurrence: year.from,
        subject: `Log your CPD hours by ${formatDate(lastDay)}`,
        lines: [
          `Your CPD year ends on ${formatDate(lastDay)}. You have logged ${year.hours} of the ${year.needed} hours it needs to keep your accreditation.`,
          'Sign in to Pioneer to log your CPD.',
        ],
      },
    ];
  });
}

/** Foundation holders whose renewal is due within `days` (from `days` before the due date to the day itself). */
async function renewalReminders(db: Db, today: string): Promise<DueReminder[]> {
  const [rules, timing] = await Promise.all([upkeepRules(db), reminderTiming(db)]);
  const rows = await queryRows<Person & { id: string; awarded_on: string; renewed_on: string | null }>(
    db,
    sql`select a.id, a.awarded_on::text as awarded_on, a.renewed_on::text as renewed_on, p.id as person_id, p.name, p.email
        from accreditations a join people p on p.id = a.person_id
        where a.level = 'foundation' and ${wantsReminders('foundation-renewal')}`,
  );
  return rows.flatMap((r) => {
    const due = foundationRenewalDue({ awardedOn: r.awarded_on, renewedOn: r.renewed_on }, rules);
    if (today < addDays(due, -timing.foundationReminderDays) || today > due) return [];
    return [
      {
        kind: 'foundation-renewal' as const,
        personId: r.person_id,
        name: r.name,
        email: r.email,
        occurrence: `${r.id}:${due}`,
        subject: `Renew your Foundation accreditation by ${formatDate(due)}`,
        lines: [
          `Your Foundation accreditation in contract management is due for renewal by ${formatDate(due)}. After that date it lapses.`,
          'Sign in to Pioneer to see your accreditation.',
        ],
      },
    ];
  });
}

/** Everyone due a reminder today, before checking which were sent already. */
export async function dueReminders(db: Db, today: string): Promise<DueReminder[]> {
  return (await Promise.all([assessmentReminders(db, today), cpdReminders(db, today), renewalReminders(db, today)])).flat();
}

/** The reminder's email: its lines, then the links to unsubscribe from this kind and to choose which to get. */
export function reminderEmail(config: Pick<Config, 'baseUrl'>, reminder: DueReminder, unsubscribeUrl: string) {
  return {
    to: reminder.email,
    template: `reminder-${reminder.kind}`,
    subject: reminder.subject,
    body: [
      `Dear ${reminder.name},`,
      ...reminder.lines.slice(0, -1),
      `${reminder.lines[reminder.lines.length - 1]}\n${config.baseUrl}${paths.myJourney()}`,
      `To stop “${reminderLabels[reminder.kind]}” reminders, open this link:\n${unsubscribeUrl}`,
      `To choose which reminders you get, sign in and go to:\n${config.baseUrl}${paths.accountNotifications()}`,
    ].join('\n\n'),
    unsubscribeUrl,
  };
}

/** The reminders among `due` not sent yet, read in one statement (each hourly check finds almost all sent already). */
async function notSentYet(db: Db, due: DueReminder[]): Promise<DueReminder[]> {
  if (!due.length) return due;
  const sent = await queryRows<{ person_id: string; kind: string; occurrence: string }>(
    db,
    sql`select r.person_id, r.kind, r.occurrence from reminders_sent r
        join unnest(${pgArray(due.map((d) => d.personId))}::uuid[], ${pgArray(due.map((d) => d.kind))}::text[], ${pgArray(due.map((d) => d.occurrence))}::text[])
          as d(person_id, kind, occurrence) on (r.person_id, r.kind, r.occurrence) = (d.person_id, d.kind, d.occurrence)`,
  );
  const key = (personId: string, kind: string, occurrence: string) => `${personId} ${kind} ${occurrence}`;
  const done = new Set(sent.map((r) => key(r.person_id, r.kind, r.occurrence)));
  return due.filter((d) => !done.has(key(d.personId, d.kind, d.occurrence)));
}

/**
 * Queues one email under its once-only key (person, kind, occurrence), in one transaction with its `reminders_sent`
 * row, which also holds the hash of the email's unsubscribe link: the unique key lets only one run queue it, even when
 * two instances check at once. `email` is given the unsubscribe link. Answers whether it was queued. The reminders
 * and the daily digest of network discussions (src/networks/discussions/digest.ts) both go through here.
 */
export async function queueOnce(
  db: Db,
  config: Pick<Config, 'baseUrl'>,
  clock: Clock,
  key: { personId: string; kind: ReminderKind; occurrence: string },
  email: (unsubscribeUrl: string) => QueuedEmail,
): Promise<boolean> {
  const token = newSecret();
  return db.transaction(async (tx) => {
    const [row] = await queryRows<{ id: string }>(
      tx,
      sql`insert into reminders_sent (person_id, kind, occurrence, unsubscribe_token_hash, sent_at)
          values (${key.personId}, ${key.kind}, ${key.occurrence}, ${hashSecret(token)}, ${clock.now().toISOString()}::timestamptz)
          on conflict (person_id, kind, occurrence) do nothing returning id`,
    );
    if (!row) return false;
    await enqueueEmail(tx, email(`${config.baseUrl}${paths.unsubscribe(token)}`), 'bulk');
    return true;
  });
}

/**
 * Queues today's reminders, each once (`queueOnce`); those already sent are left out first, so a check that finds
 * nothing new writes nothing. Returns how many were queued.
 */
export async function sendDueReminders(db: Db, config: Pick<Config, 'baseUrl'>, clock: Clock): Promise<number> {
  const today = todayIso(clock);
  let queued = 0;
  for (const reminder of await notSentYet(db, await dueReminders(db, today))) {
    if (await queueOnce(db, config, clock, reminder, (unsubscribeUrl) => reminderEmail(config, reminder, unsubscribeUrl))) queued++;
  }
  return queued;
}
