import { formatCount } from '../web/format.ts';
import { eq, inArray } from 'drizzle-orm';
import { settings } from '../db/schema.ts';
import type { Db, DbOrTx } from '../db/client.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { todayIso } from '../clock.ts';
import { ConflictError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { assessmentBookingSchema, managingPartnerRuleSchema, numberSettingsSchema, programmePeriodsSchema } from './schemas.ts';
import * as repo from './repository.ts';
import type { JourneyRules } from '../enrolments/journey.ts';
import type { UpkeepRules } from '../learners/upkeep.ts';
import type { AttentionRules } from '../enrolments/attention.ts';
import type { ContractThresholds } from '../contracts/rules.ts';

/**
 * Programme rules that are not public, as settings with defaults (product.md: "never a constant buried in code").
 * A row in `settings` (the value stored as JSON) overrides the default; admins change them on the Settings page.
 */
export const settingDefaults = {
  /** Councils onboarded before this date stay with MHCLG (formerly DLUHC); later ones go to Local Partnerships. */
  managingPartnerCutover: '2023-07-01',
  /** The partner code for councils onboarded before the cut-over, and after it. */
  managingPartnerBefore: 'MHCLG',
  managingPartnerAfter: 'LP',
  /** Assessments a learner may sit on one enrolment: the first attempt and the resits. */
  maxAssessmentAttempts: 3,
  /** Months from registration with the training provider by which the assessment is due (later: overdue). */
  assessmentDeadlineMonths: 12,
  /** Days after registration within which a withdrawal gives the funded place back; later, the place is spent. */
  placeReleaseDays: 28,
  /** Years after which a Foundation accreditation must be renewed. */
  foundationRenewalYears: 2,
  /** CPD hours a Practitioner or Expert holder needs in each accreditation year. */
  cpdHoursPerYear: 30,
  /** Days before a renewal or CPD deadline when the accreditation shows as "due soon". */
  upkeepDueSoonDays: 60,
  /** The first financial year nominations and funded places may be for (the programme began in November 2021). */
  firstPeriod: '2021-22',
  /** The last open financial year; blank means the year after the current one, so the window moves with the calendar. */
  lastPeriod: '',
  /** How learners reach the assessment provider (a name, email address or phone number); blank: ask the programme contact. */
  assessmentProviderContact: '',
  /** The https address where learners book their assessment; blank: no link is shown. */
  assessmentBookingUrl: '',
  /** Days a nomination may wait for a decision before it needs attention. */
  decisionWaitDays: 28,
  /** Days an approved learner may wait to be registered with the training provider before it needs attention. */
  registrationWaitDays: 60,
  /** Days a registered learner may wait to start learning before it needs attention. */
  learningStartWaitDays: 60,
  /** Days a booked assessment may wait for its result before it needs attention. */
  resultWaitDays: 60,
  /** Days before an assessment is due when the learner is reminded (src/notifications/reminders.ts). */
  assessmentReminderDays: 30,
  /** Months before a CPD year ends when a holder short of its hours is reminded. */
  cpdReminderMonths: 2,
  /** Days before a Foundation accreditation's renewal is due when its holder is reminded. */
  foundationReminderDays: 60,
  /** Days an invitation may wait to be accepted before the invited person's details are removed (src/privacy/retention.ts). */
  invitationRetentionDays: 90,
  /** Months the audit log keeps the IP address of each event. */
  auditIpRetentionMonths: 12,
  /**
   * Months a person may stay deactivated before they are anonymised as an erasure does. Two years: a Foundation
   * accreditation is renewed every 2 years and CPD is reviewed yearly, so someone returning within a renewal cycle
   * (parental leave, a secondment, a move to another council) is still known; after that their figures are kept
   * under the placeholder and nothing needs their name.
   */
  deactivatedRetentionMonths: 24,
  /** The share of an engagement's planned days (in %) from which its page warns that the plan is nearly used (src/engagements). */
  engagementNearPlanPercent: 90,
  /** Key contracts worth more than this (in whole pounds) carry the Procurement Act 2023 s.52 KPI duties (src/contracts). */
  procurementActThresholdPounds: 5_000_000,
  /** Key contracts ending within this many months are flagged to plan their re-procurement (issue 12). */
  reprocurementWindowMonths: 18,
  /**
   * The share (in %) of the verified improvements' value the return on investment credits to the programme (Phillips'
   * isolation of the programme's effect): councils would have made some of them anyway (src/reports/roi.ts).
   */
  roiAttributionPercent: 50,
} as const;

export type SettingKey = keyof typeof settingDefaults;
type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T;
/** A setting's type: the default's, widened (a stored cut-over is any date, not only the default's). */
export type SettingValue<K extends SettingKey> = Widen<(typeof settingDefaults)[K]>;

/** Reads one setting, falling back to its default (also when a stored value is not of the default's type). */
export async function getSetting<K extends SettingKey>(db: DbOrTx, key: K): Promise<SettingValue<K>> {
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, key));
  return effective(key, row?.value);
}

/** Several settings in one query (lists read the journey rules on every page), each falling back to its default. */
async function getSettings<K extends SettingKey>(db: DbOrTx, keys: readonly K[]): Promise<{ [P in K]: SettingValue<P> }> {
  const stored = new Map((await db.select({ key: settings.key, value: settings.value }).from(settings).where(inArray(settings.key, [...keys]))).map((r) => [r.key, r.value]));
  return Object.fromEntries(keys.map((key) => [key, effective(key, stored.get(key))])) as { [P in K]: SettingValue<P> };
}

/** The journey rules the enrolment state machine applies, from settings. */
export async function journeyRules(db: DbOrTx): Promise<JourneyRules> {
  return (await learnerListRules(db)).journey;
}

/** The programme's first and last open period (blank: the year after the current one); see src/enrolments/periods.ts. */
export async function periodSettings(db: DbOrTx): Promise<{ firstPeriod: string; lastPeriod: string }> {
  return getSettings(db, periodKeys);
}

/**
 * Every rule a learners list applies, in one query (lists read them on every page): the journey's, how long an
 * enrolment may stay at each step before it needs attention, and the accreditation upkeep rules.
 */
export async function learnerListRules(db: DbOrTx): Promise<{ journey: JourneyRules; attention: AttentionRules; upkeep: UpkeepRules }> {
  const s = await getSettings(db, [
    'maxAssessmentAttempts',
    'assessmentDeadlineMonths',
    'placeReleaseDays',
    'decisionWaitDays',
    'registrationWaitDays',
    'learningStartWaitDays',
    'resultWaitDays',
    'foundationRenewalYears',
    'cpdHoursPerYear',
    'upkeepDueSoonDays',
  ]);
  return {
    journey: { maxAttempts: s.maxAssessmentAttempts, assessmentDeadlineMonths: s.assessmentDeadlineMonths, placeReleaseDays: s.placeReleaseDays },
    attention: {
      decisionDays: s.decisionWaitDays,
      registrationDays: s.registrationWaitDays,
      learningStartDays: s.learningStartWaitDays,
      resultDays: s.resultWaitDays,
      assessmentDeadlineMonths: s.assessmentDeadlineMonths,
    },
    upkeep: { foundationRenewalYears: s.foundationRenewalYears, cpdHoursPerYear: s.cpdHoursPerYear, dueSoonDays: s.upkeepDueSoonDays },
  };
}

/** The accreditation upkeep rules, from settings. */
export async function upkeepRules(db: DbOrTx): Promise<UpkeepRules> {
  return (await learnerListRules(db)).upkeep;
}

/**
 * How the Settings page names and shows each setting, and which form changes it. Number settings carry their unit
 * and the range the form accepts.
 */
export type SettingInfo = {
  label: string;
  kind: 'date' | 'partner' | 'number' | 'period' | 'text' | 'url';
  form: 'managing-partner' | 'learner-journey' | 'periods' | 'assessment-booking' | 'reminders' | 'retention' | 'engagements' | 'contracts' | 'return-on-investment';
  /** Number settings of the learner-journey form: the fieldset the form shows them in. */
  group?: 'journey' | 'upkeep' | 'attention';
  unit?: string;
  /** Number settings: the range the form accepts, and how its messages name the setting. */
  min?: number;
  max?: number;
  name?: string;
  enter?: string;
  hint?: string;
};
/** A "needs attention" limit: how many days an enrolment may stay at one step (src/enrolments/attention.ts). */
function waitSetting(label: string, what: string): SettingInfo {
  return {
    label,
    kind: 'number',
    unit: 'days',
    min: 1,
    max: 730,
    name: `Days ${what}`,
    enter: `the number of days ${what}`,
    hint: 'Longer, and the learner is shown as needing attention.',
    form: 'learner-journey',
    group: 'attention',
  };
}

export const settingInfo: Record<SettingKey, SettingInfo> = {
  managingPartnerCutover: { label: 'Managing partner cut-over date', kind: 'date', form: 'managing-partner' },
  managingPartnerBefore: { label: 'Managing partner before the cut-over', kind: 'partner', form: 'managing-partner' },
  managingPartnerAfter: { label: 'Managing partner from the cut-over', kind: 'partner', form: 'managing-partner' },
  maxAssessmentAttempts: {
    group: 'journey',
    label: 'Assessment attempts allowed',
    kind: 'number',
    unit: 'attempts',
    min: 1,
    max: 10,
    name: 'Assessment attempts',
    enter: 'the number of assessment attempts allowed',
    hint: 'The first attempt and the resits, on one enrolment.',
    form: 'learner-journey',
  },
  assessmentDeadlineMonths: {
    group: 'journey',
    label: 'Assessment due after registration',
    kind: 'number',
    unit: 'months',
    min: 1,
    max: 60,
    name: 'Months to the assessment deadline',
    enter: 'the number of months from registration to the assessment deadline',
    hint: 'Registered learners who have not sat the assessment by then are shown as overdue.',
    form: 'learner-journey',
  },
  placeReleaseDays: {
    group: 'journey',
    label: 'Withdrawal gives the place back within',
    kind: 'number',
    unit: 'days of registration',
    min: 0,
    max: 365,
    name: 'Days to give the place back',
    enter: 'the number of days after registration within which a withdrawal gives the place back',
    hint: 'A withdrawal before registration always gives the place back; a later one spends it.',
    form: 'learner-journey',
  },
  foundationRenewalYears: {
    group: 'upkeep',
    label: 'Foundation accreditation renewal',
    kind: 'number',
    unit: 'years',
    min: 1,
    max: 10,
    name: 'Years to Foundation renewal',
    enter: 'the number of years after which a Foundation accreditation is renewed',
    form: 'learner-journey',
  },
  cpdHoursPerYear: {
    group: 'upkeep',
    label: 'CPD needed each accreditation year',
    kind: 'number',
    unit: 'hours',
    min: 1,
    max: 200,
    name: 'CPD hours each year',
    enter: 'the CPD hours needed in each accreditation year',
    hint: 'For Practitioner and Expert holders.',
    form: 'learner-journey',
  },
  upkeepDueSoonDays: {
    group: 'upkeep',
    label: 'Accreditation shows as due soon',
    kind: 'number',
    unit: 'days before the deadline',
    min: 1,
    max: 365,
    name: 'Days before the deadline',
    enter: 'the number of days before a deadline when an accreditation shows as due soon',
    form: 'learner-journey',
  },
  decisionWaitDays: waitSetting('Nomination waiting for a decision', 'a nomination may wait for a decision'),
  registrationWaitDays: waitSetting('Approved, not registered with the training provider', 'an approved learner may wait to be registered'),
  learningStartWaitDays: waitSetting('Registered, learning not started', 'a registered learner may wait to start learning'),
  resultWaitDays: waitSetting('Assessment booked, no result', 'a booked assessment may wait for its result'),
  firstPeriod: { label: 'First programme period', kind: 'period', form: 'periods' },
  lastPeriod: { label: 'Last open period', kind: 'period', form: 'periods' },
  assessmentProviderContact: { label: 'Assessment provider contact', kind: 'text', form: 'assessment-booking' },
  assessmentBookingUrl: { label: 'Assessment booking link', kind: 'url', form: 'assessment-booking' },
  assessmentReminderDays: {
    label: 'Assessment due reminder',
    kind: 'number',
    unit: 'days before the assessment is due',
    min: 1,
    max: 180,
    name: 'Days before the assessment is due',
    enter: 'the number of days before the assessment is due when learners are reminded',
    form: 'reminders',
  },
  cpdReminderMonths: {
    label: 'CPD shortfall reminder',
    kind: 'number',
    unit: 'months before the CPD year ends',
    min: 1,
    max: 11,
    name: 'Months before the CPD year ends',
    enter: 'the number of months before the CPD year ends when holders short of hours are reminded',
    hint: 'Practitioner and Expert holders who have logged fewer hours than the year needs.',
    form: 'reminders',
  },
  foundationReminderDays: {
    label: 'Foundation renewal reminder',
    kind: 'number',
    unit: 'days before renewal is due',
    min: 1,
    max: 365,
    name: 'Days before renewal is due',
    enter: 'the number of days before a Foundation renewal is due when holders are reminded',
    form: 'reminders',
  },
  invitationRetentionDays: {
    label: 'Invitations not accepted are removed after',
    kind: 'number',
    unit: 'days',
    min: 1,
    max: 3650,
    name: 'Days to keep an invitation not accepted',
    enter: 'the number of days to keep an invitation that has not been accepted',
    hint: 'Counted from the latest invitation. Someone invited who never signed in and has nothing else held about them is then removed; a nominated learner stays, without the old link.',
    form: 'retention',
  },
  auditIpRetentionMonths: {
    label: 'IP addresses in the audit log are dropped after',
    kind: 'number',
    unit: 'months',
    min: 1,
    max: 120,
    name: 'Months to keep IP addresses in the audit log',
    enter: 'the number of months to keep IP addresses in the audit log',
    hint: 'The events stay; only the address each came from goes.',
    form: 'retention',
  },
  deactivatedRetentionMonths: {
    label: 'People deactivated are anonymised after',
    kind: 'number',
    unit: 'months',
    min: 1,
    max: 120,
    name: 'Months before a deactivated person is anonymised',
    enter: 'the number of months a person may stay deactivated before they are anonymised',
    hint: 'As an erasure does: their name, email address and what they wrote go; the programme’s figures stay under “Erased person N”.',
    form: 'retention',
  },
  engagementNearPlanPercent: {
    label: 'Engagement time warning from',
    kind: 'number',
    unit: '% of the planned days',
    min: 1,
    max: 100,
    name: 'Percentage of the planned days',
    enter: 'the percentage of the planned days from which an engagement warns',
    hint: 'An engagement’s page warns when the time logged reaches this share of its planned days, and again when it goes over them.',
    form: 'engagements',
  },
  procurementActThresholdPounds: {
    label: 'Procurement Act 2023 duties for contracts worth more than',
    kind: 'number',
    unit: 'pounds',
    min: 1,
    max: 1_000_000_000,
    name: 'Procurement Act threshold',
    enter: 'the total value in pounds above which a key contract carries the Procurement Act 2023 duties',
    hint: 'Whole pounds, without commas or a £ sign. A contract worth more than this is flagged for the KPI duties of section 52 (set, publish and assess at least yearly).',
    form: 'contracts',
  },
  reprocurementWindowMonths: {
    label: 'Plan re-procurement for contracts ending within',
    kind: 'number',
    unit: 'months',
    min: 1,
    max: 120,
    name: 'Months before a contract ends',
    enter: 'the number of months before a key contract ends when it is flagged to plan its re-procurement',
    form: 'contracts',
  },
  roiAttributionPercent: {
    label: 'Share of verified improvements credited to the programme',
    kind: 'number',
    unit: '% of their value',
    min: 0,
    max: 100,
    name: 'Attribution factor',
    enter: 'the percentage of the verified improvements’ value credited to the programme',
    hint: 'The return on investment counts this share of the value of verified improvements as the programme’s benefit: councils would have made some of them without it.',
    form: 'return-on-investment',
  },
};

/** How the Settings page shows a blank last open period. */
export const nextYearText = 'The year after the current one';
/** How the Settings page shows a blank text setting (the assessment provider's contact or booking link). */
export const notSetText = 'Not set';

/** A number with its unit, singular for 1: "3 attempts", "1 day of registration"; pounds as money, "£5,000,000". */
export function withUnit(value: number, unit: string | undefined): string {
  if (!unit) return String(value);
  // A sum of money reads as one: "£5,000,000", not "5000000 pounds".
  if (unit === 'pounds') return `£${formatCount(value)}`;
  return `${value} ${value === 1 ? unit.replace(/^(\w+?)s\b/, '$1') : unit}`;
}

const settingKeys = Object.keys(settingDefaults) as SettingKey[];
const ruleKeys = ['managingPartnerCutover', 'managingPartnerBefore', 'managingPartnerAfter'] as const satisfies readonly SettingKey[];
const periodKeys = ['firstPeriod', 'lastPeriod'] as const satisfies readonly SettingKey[];
const bookingKeys = ['assessmentProviderContact', 'assessmentBookingUrl'] as const satisfies readonly SettingKey[];
/** The learner-journey form's settings, in the order the form asks them. */
export const journeyKeys = settingKeys.filter((k) => settingInfo[k].form === 'learner-journey') as NumberSettingKey[];
/** The reminder-timing form's settings. */
export const reminderKeys = settingKeys.filter((k) => settingInfo[k].form === 'reminders') as NumberSettingKey[];
/** The retention periods' form's settings. */
export const retentionKeys = settingKeys.filter((k) => settingInfo[k].form === 'retention') as NumberSettingKey[];
/** The engagements form's settings. */
export const engagementKeys = settingKeys.filter((k) => settingInfo[k].form === 'engagements') as NumberSettingKey[];
/** The key contracts form's settings. */
export const contractKeys = settingKeys.filter((k) => settingInfo[k].form === 'contracts') as NumberSettingKey[];
/** The return on investment form's settings. */
export const roiKeys = settingKeys.filter((k) => settingInfo[k].form === 'return-on-investment') as NumberSettingKey[];
export type NumberSettingKey = {
  [K in SettingKey]: (typeof settingDefaults)[K] extends number ? K : never;
}[SettingKey];

/** The value a stored row gives a setting, or its default. */
function effective<K extends SettingKey>(key: K, stored: unknown): SettingValue<K> {
  const fallback = settingDefaults[key];
  return (typeof stored === typeof fallback ? stored : fallback) as SettingValue<K>;
}

/** Every setting with its current value, its default, and when and by whom it was last changed (null: never). */
export async function listSettings(db: Db) {
  const stored = new Map((await repo.storedSettings(db, settingKeys)).map((r) => [r.key, r]));
  const partnerNames = new Map((await repo.partnerOrganisations(db)).map((p) => [p.code, p.name]));
  return settingKeys.map((key) => {
    const row = stored.get(key);
    const value = effective(key, row?.value);
    const info = settingInfo[key];
    const name = (v: string | number) =>
      info.kind === 'partner' ? (partnerNames.get(String(v)) ?? String(v)) : info.kind === 'number' ? withUnit(Number(v), info.unit) : v !== '' ? v : info.kind === 'period' ? nextYearText : notSetText;
    return {
      key,
      ...info,
      value,
      default: settingDefaults[key],
      valueName: name(value),
      defaultName: name(settingDefaults[key]),
      updatedAt: row?.updatedAt ?? null,
      updatedByName: row ? (row.updatedByName ?? 'the system') : null,
    };
  });
}

/** The managing-partner rule as it stands, and the partner organisations that may be chosen. */
export async function managingPartnerRule(db: DbOrTx) {
  return {
    cutover: await getSetting(db, 'managingPartnerCutover'),
    partnerBefore: await getSetting(db, 'managingPartnerBefore'),
    partnerAfter: await getSetting(db, 'managingPartnerAfter'),
    partners: await repo.partnerOrganisations(db),
  };
}

/** What a form read, so a save can tell whether someone else changed its settings meanwhile (optimistic lock). */
export function settingsFingerprint(values: readonly unknown[]): string {
  return values.map((v) => String(v)).join('|');
}

/**
 * Saves a form's settings in one transaction: the stored rows are locked, a save from a page that read other values
 * than the stored ones is refused (ConflictError with `staleMessage`), and only the settings whose value changes are
 * written, each with an audit event (`settings.changed`, with the reason). Returns the keys that changed.
 */
async function saveSettings<K extends SettingKey>(
  db: Db,
  ctx: RequestContext,
  keys: readonly K[],
  wanted: Record<K, SettingValue<K>>,
  change: { reason: string; readFingerprint?: string; staleMessage: string },
): Promise<SettingKey[]> {
  return db.transaction(async (tx) => {
    const stored = new Map((await repo.lockSettings(tx, keys)).map((r) => [r.key, r.value]));
    const current = keys.map((key) => effective(key, stored.get(key)));
    if (change.readFingerprint !== undefined && change.readFingerprint !== settingsFingerprint(current)) throw new ConflictError(change.staleMessage, 'version');
    const changed: SettingKey[] = [];
    for (const [i, key] of keys.entries()) {
      const before = current[i];
      const after = wanted[key];
      if (before === after) continue;
      await repo.upsertSetting(tx, { key, value: after, updatedAt: ctx.clock.now(), updatedById: ctx.actor?.personId ?? null });
      await recordAudit(tx, ctx, { action: 'settings.changed', recordType: 'setting', recordId: key, before: { value: before }, after: { value: after, reason: change.reason } });
      changed.push(key);
    }
    return changed;
  });
}

export const staleRuleMessage =
  'Someone else changed the managing partner rule since you opened this page. Check the current rule and try again.';

/** What the managing-partner form read (its optimistic lock). */
export function ruleFingerprint(rule: { cutover: string; partnerBefore: string; partnerAfter: string }): string {
  return settingsFingerprint([rule.cutover, rule.partnerBefore, rule.partnerAfter]);
}

/**
 * Changes the managing-partner rule: the cut-over date and the partner on each side. Only the settings whose value
 * changes are written, each audited with the reason, in one transaction. Councils are not touched: the rule is
 * applied when a council's onboarding date is next recorded or changed. Returns the keys that changed (none when
 * the form was saved as it was).
 */
export async function changeManagingPartnerRule(db: Db, ctx: RequestContext, input: unknown, readFingerprint?: string): Promise<SettingKey[]> {
  const partners = await repo.partnerOrganisations(db);
  const schema = managingPartnerRuleSchema(
    todayIso(ctx.clock),
    partners.map((p) => p.code),
  );
  const data = parseOrThrow(schema, input);
  return saveSettings(
    db,
    ctx,
    ruleKeys,
    { managingPartnerCutover: data.cutover, managingPartnerBefore: data.partnerBefore, managingPartnerAfter: data.partnerAfter },
    { reason: data.reason, readFingerprint, staleMessage: staleRuleMessage },
  );
}

export const staleJourneyMessage =
  'Someone else changed the learner journey rules since you opened this page. Check the current rules and try again.';

/** A form's number settings as they stand, in the form's order. */
export async function numberSettings(db: DbOrTx, keys: readonly NumberSettingKey[]) {
  const stored = new Map((await repo.storedSettings(db, keys)).map((r) => [r.key, r.value]));
  return keys.map((key) => ({ key, ...settingInfo[key], value: effective(key, stored.get(key)), default: settingDefaults[key] }));
}

/** Changes a form's number settings, each checked against its range, audited with the reason. */
async function changeNumberSettings(db: Db, ctx: RequestContext, keys: readonly NumberSettingKey[], input: unknown, readFingerprint: string | undefined, staleMessage: string) {
  const fields = keys.map((key) => {
    const { name, enter, min, max } = settingInfo[key];
    return { key, name: name!, enter: enter!, min: min!, max: max! };
  });
  const data = parseOrThrow(numberSettingsSchema(fields), input);
  const wanted = Object.fromEntries(keys.map((key) => [key, data[key]])) as Record<NumberSettingKey, number>;
  return saveSettings(db, ctx, keys, wanted, { reason: data.reason, readFingerprint, staleMessage });
}

/** Changes the learner-journey rules (attempts, deadline, place release, renewal, CPD hours, due soon), audited with the reason. */
export const changeLearnerJourneyRules = (db: Db, ctx: RequestContext, input: unknown, readFingerprint?: string): Promise<SettingKey[]> =>
  changeNumberSettings(db, ctx, journeyKeys, input, readFingerprint, staleJourneyMessage);

export const staleRemindersMessage = 'Someone else changed when reminders are sent since you opened this page. Check the current values and try again.';

/** When the reminder emails go, from settings (src/notifications/reminders.ts). */
export async function reminderTiming(db: DbOrTx) {
  return getSettings(db, ['assessmentReminderDays', 'cpdReminderMonths', 'foundationReminderDays']);
}

/** Changes when reminder emails are sent, audited with the reason. */
export const changeReminderTiming = (db: Db, ctx: RequestContext, input: unknown, readFingerprint?: string): Promise<SettingKey[]> =>
  changeNumberSettings(db, ctx, reminderKeys, input, readFingerprint, staleRemindersMessage);

export const stalePeriodsMessage = 'Someone else changed the programme periods since you opened this page. Check the current periods and try again.';

/**
 * Changes the programme periods: the first period and the last open one (blank: the year after the current one),
 * audited with the reason. Periods already used keep their data; the window only decides what may be chosen next.
 */
export async function changeProgrammePeriods(db: Db, ctx: RequestContext, input: unknown, readFingerprint?: string): Promise<SettingKey[]> {
  const data = parseOrThrow(programmePeriodsSchema(todayIso(ctx.clock)), input);
  return saveSettings(db, ctx, periodKeys, { firstPeriod: data.firstPeriod, lastPeriod: data.lastPeriod }, { reason: data.reason, readFingerprint, staleMessage: stalePeriodsMessage });
}

/** How learners book their assessment: the provider's contact and the booking link, each blank when not set. */
export async function assessmentBooking(db: DbOrTx): Promise<{ contact: string; bookingUrl: string }> {
  const s = await getSettings(db, bookingKeys);
  return { contact: s.assessmentProviderContact, bookingUrl: s.assessmentBookingUrl };
}

export const staleBookingMessage =
  'Someone else changed how learners book their assessment since you opened this page. Check the current details and try again.';

/** What the assessment-booking form read (its optimistic lock). */
export function bookingFingerprint(booking: { contact: string; bookingUrl: string }): string {
  return settingsFingerprint([booking.contact, booking.bookingUrl]);
}

/**
 * Changes how learners book their assessment: the provider's contact and the booking link (blank, or an https
 * address), audited with the reason. Learners see the change on their next step at once.
 */
export async function changeAssessmentBooking(db: Db, ctx: RequestContext, input: unknown, readFingerprint?: string): Promise<SettingKey[]> {
  const data = parseOrThrow(assessmentBookingSchema, input);
  return saveSettings(
    db,
    ctx,
    bookingKeys,
    { assessmentProviderContact: data.contact, assessmentBookingUrl: data.bookingUrl },
    { reason: data.reason, readFingerprint, staleMessage: staleBookingMessage },
  );
}

export const staleRetentionMessage = 'Someone else changed the retention periods since you opened this page. Check the current periods and try again.';

/** How long each kind of personal data is kept, from settings (src/privacy/retention.ts, the privacy notice). */
export async function retentionSettings(db: DbOrTx) {
  return getSettings(db, ['invitationRetentionDays', 'auditIpRetentionMonths', 'deactivatedRetentionMonths']);
}
export type RetentionPeriods = Awaited<ReturnType<typeof retentionSettings>>;

/** Changes the retention periods, each a whole number of at least 1, audited with the reason. */
export const changeRetentionPeriods = (db: Db, ctx: RequestContext, input: unknown, readFingerprint?: string): Promise<SettingKey[]> =>
  changeNumberSettings(db, ctx, retentionKeys, input, readFingerprint, staleRetentionMessage);

export const staleEngagementsMessage = 'Someone else changed the engagement settings since you opened this page. Check the current settings and try again.';

/** Changes when an engagement warns that its planned days are nearly used, audited with the reason. */
export const changeEngagementSettings = (db: Db, ctx: RequestContext, input: unknown, readFingerprint?: string): Promise<SettingKey[]> =>
  changeNumberSettings(db, ctx, engagementKeys, input, readFingerprint, staleEngagementsMessage);

/** The thresholds the key contracts' flags turn on (src/contracts/rules.ts), from settings: the value in pence. */
export async function contractThresholds(db: DbOrTx): Promise<ContractThresholds> {
  const s = await getSettings(db, ['procurementActThresholdPounds', 'reprocurementWindowMonths']);
  return { procurementActThresholdPence: s.procurementActThresholdPounds * 100, reprocurementWindowMonths: s.reprocurementWindowMonths };
}

export const staleContractsMessage = 'Someone else changed the key contract thresholds since you opened this page. Check the current thresholds and try again.';

/** Changes the key contracts' thresholds (Procurement Act value, re-procurement window), audited with the reason. */
export const changeContractSettings = (db: Db, ctx: RequestContext, input: unknown, readFingerprint?: string): Promise<SettingKey[]> =>
  changeNumberSettings(db, ctx, contractKeys, input, readFingerprint, staleContractsMessage);

export const staleRoiMessage = 'Someone else changed the return on investment settings since you opened this page. Check the current settings and try again.';

/** Changes the attribution factor of the return on investment (src/reports/roi.ts), audited with the reason. */
export const changeRoiSettings = (db: Db, ctx: RequestContext, input: unknown, readFingerprint?: string): Promise<SettingKey[]> =>
  changeNumberSettings(db, ctx, roiKeys, input, readFingerprint, staleRoiMessage);
