import { eq } from 'drizzle-orm';
import { settings } from '../db/schema.ts';
import type { Db, DbOrTx } from '../db/client.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { todayIso } from '../clock.ts';
import { ConflictError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { managingPartnerRuleSchema } from './schemas.ts';
import * as repo from './repository.ts';
import type { JourneyRules } from '../enrolments/journey.ts';
import type { UpkeepRules } from '../learners/upkeep.ts';

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
} as const;

export type SettingKey = keyof typeof settingDefaults;
type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T;
/** A setting's type: the default's, widened (a stored cut-over is any date, not only the default's). */
export type SettingValue<K extends SettingKey> = Widen<(typeof settingDefaults)[K]>;

/** Reads one setting, falling back to its default (also when a stored value is not of the default's type). */
export async function getSetting<K extends SettingKey>(db: DbOrTx, key: K): Promise<SettingValue<K>> {
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, key));
  const fallback = settingDefaults[key];
  return (row && typeof row.value === typeof fallback ? row.value : fallback) as SettingValue<K>;
}

/** The journey rules the enrolment state machine applies, from settings. */
export async function journeyRules(db: DbOrTx): Promise<JourneyRules> {
  return {
    maxAttempts: await getSetting(db, 'maxAssessmentAttempts'),
    assessmentDeadlineMonths: await getSetting(db, 'assessmentDeadlineMonths'),
    placeReleaseDays: await getSetting(db, 'placeReleaseDays'),
  };
}

/** The accreditation upkeep rules, from settings. */
export async function upkeepRules(db: DbOrTx): Promise<UpkeepRules> {
  return {
    foundationRenewalYears: await getSetting(db, 'foundationRenewalYears'),
    cpdHoursPerYear: await getSetting(db, 'cpdHoursPerYear'),
    dueSoonDays: await getSetting(db, 'upkeepDueSoonDays'),
  };
}

/** How the Settings page names and shows each setting, and which form changes it. */
export const settingInfo: Record<SettingKey, { label: string; kind: 'date' | 'partner' | 'number'; unit?: string; form: 'managing-partner' | 'learner-journey' }> = {
  managingPartnerCutover: { label: 'Managing partner cut-over date', kind: 'date', form: 'managing-partner' },
  managingPartnerBefore: { label: 'Managing partner before the cut-over', kind: 'partner', form: 'managing-partner' },
  managingPartnerAfter: { label: 'Managing partner from the cut-over', kind: 'partner', form: 'managing-partner' },
  maxAssessmentAttempts: { label: 'Assessment attempts allowed', kind: 'number', unit: 'attempts', form: 'learner-journey' },
  assessmentDeadlineMonths: { label: 'Assessment due after registration', kind: 'number', unit: 'months', form: 'learner-journey' },
  placeReleaseDays: { label: 'Withdrawal gives the place back within', kind: 'number', unit: 'days of registration', form: 'learner-journey' },
  foundationRenewalYears: { label: 'Foundation accreditation renewal', kind: 'number', unit: 'years', form: 'learner-journey' },
  cpdHoursPerYear: { label: 'CPD needed each accreditation year', kind: 'number', unit: 'hours', form: 'learner-journey' },
  upkeepDueSoonDays: { label: 'Accreditation shows as due soon', kind: 'number', unit: 'days before the deadline', form: 'learner-journey' },
};

const settingKeys = Object.keys(settingDefaults) as SettingKey[];
const ruleKeys = ['managingPartnerCutover', 'managingPartnerBefore', 'managingPartnerAfter'] as const satisfies readonly SettingKey[];

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
    const partner = (code: string) => partnerNames.get(code) ?? code;
    return {
      key,
      ...settingInfo[key],
      value,
      default: settingDefaults[key],
      valueName: settingInfo[key].kind === 'partner' ? partner(String(value)) : value,
      defaultName: settingInfo[key].kind === 'partner' ? partner(String(settingDefaults[key])) : settingDefaults[key],
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

/**
 * Changes the managing-partner rule: the cut-over date and the partner on each side. Only the settings whose value
 * changes are written, each with an audit event (`settings.changed`, with the reason), in one transaction.
 * Councils are not touched: the rule is applied when a council's onboarding date is next recorded or changed.
 * Returns the keys that changed (none when the form was saved as it was).
 */
export const staleRuleMessage =
  'Someone else changed the managing partner rule since you opened this page. Check the current rule and try again.';

/** What the form read, so a save can tell whether someone else changed the rule meanwhile (optimistic lock). */
export function ruleFingerprint(rule: { cutover: string; partnerBefore: string; partnerAfter: string }): string {
  return [rule.cutover, rule.partnerBefore, rule.partnerAfter].join('|');
}

export async function changeManagingPartnerRule(db: Db, ctx: RequestContext, input: unknown, readFingerprint?: string): Promise<SettingKey[]> {
  const partners = await repo.partnerOrganisations(db);
  const schema = managingPartnerRuleSchema(
    todayIso(ctx.clock),
    partners.map((p) => p.code),
  );
  const data = parseOrThrow(schema, input);
  const wanted: Record<(typeof ruleKeys)[number], string> = {
    managingPartnerCutover: data.cutover,
    managingPartnerBefore: data.partnerBefore,
    managingPartnerAfter: data.partnerAfter,
  };
  return db.transaction(async (tx) => {
    const stored = new Map((await repo.lockSettings(tx, ruleKeys)).map((r) => [r.key, r.value]));
    const current = ruleFingerprint({
      cutover: effective('managingPartnerCutover', stored.get('managingPartnerCutover')),
      partnerBefore: effective('managingPartnerBefore', stored.get('managingPartnerBefore')),
      partnerAfter: effective('managingPartnerAfter', stored.get('managingPartnerAfter')),
    });
    if (readFingerprint !== undefined && readFingerprint !== current) throw new ConflictError(staleRuleMessage, 'version');
    const changed: SettingKey[] = [];
    for (const key of ruleKeys) {
      const before = effective(key, stored.get(key));
      const after = wanted[key];
      if (before === after) continue;
      await repo.upsertSetting(tx, { key, value: after, updatedAt: ctx.clock.now(), updatedById: ctx.actor?.personId ?? null });
      await recordAudit(tx, ctx, { action: 'settings.changed', recordType: 'setting', recordId: key, before: { value: before }, after: { value: after, reason: data.reason } });
      changed.push(key);
    }
    return changed;
  });
}
