import { eq } from 'drizzle-orm';
import { settings } from '../db/schema.ts';
import type { DbOrTx } from '../db/client.ts';

/**
 * Programme rules that are not public, as settings with defaults (product.md: "never a constant buried in code").
 * A row in `settings` overrides the default.
 */
export const settingDefaults = {
  /** Councils onboarded before this date stay with MHCLG (formerly DLUHC); later ones go to Local Partnerships. */
  managingPartnerCutover: '2023-07-01',
  /** The partner code for councils onboarded before the cut-over, and after it. */
  managingPartnerBefore: 'MHCLG',
  managingPartnerAfter: 'LP',
} as const;

export type SettingKey = keyof typeof settingDefaults;

/** Reads one setting, falling back to its default. */
export async function getSetting<K extends SettingKey>(db: DbOrTx, key: K): Promise<(typeof settingDefaults)[K]> {
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, key));
  return (row?.value as (typeof settingDefaults)[K] | undefined) ?? settingDefaults[key];
}
