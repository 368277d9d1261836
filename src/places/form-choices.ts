/**
 * The council, level and period questions shared by the allocate form and the request-places form: the councils in
 * the viewer's scope (with their GSS code), the three levels, and the open periods (today's period by default).
 */
import type { Actor } from '../auth/policy.ts';
import { councilScope } from '../auth/policy.ts';
import type { Clock } from '../clock.ts';
import type { DbOrTx } from '../db/client.ts';
import { levelLabels, levels } from '../enrolments/journey.ts';
import { currentPeriodWindow, openPeriods } from '../enrolments/periods.ts';
import { councilChoices } from './service.ts';

export async function placeFormChoices(db: DbOrTx, clock: Clock, actor: Actor, values: { councilId?: string; level?: string; period?: string }) {
  const councils = await councilChoices(db, councilScope(actor));
  const window = await currentPeriodWindow(db, clock);
  const period = values.period || window.current;
  return {
    councilItems: [
      { value: '', text: 'Choose a council' },
      ...councils.map((c) => ({ value: c.id, text: c.gssCode ? `${c.name} (${c.gssCode})` : c.name, selected: c.id === values.councilId })),
    ],
    levelItems: levels.map((l) => ({ value: l, text: levelLabels[l], checked: l === values.level })),
    periodItems: openPeriods(window).map((p) => ({ value: p, text: p, selected: p === period })),
  };
}
