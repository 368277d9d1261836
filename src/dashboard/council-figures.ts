/**
 * A council's own dashboard (issue 13 item 5): its SRO's view of how the council is doing on the programme, in
 * figures: learners by stage and accreditations by level, funded places, maturity against the baseline,
 * improvements and their verified value, transformation support days, and network participation. Each section comes
 * from the feature that owns the figures (one definition each) and is shown only to those whose role may see that
 * feature (the council page's rule), so the dashboard gives nobody more than the pages it summarises.
 * Counts of the council's own records are exact: the people who see them see the records themselves.
 */
import { sql } from 'drizzle-orm';
import { can, councilScope, type Actor } from '../auth/policy.ts';
import type { Clock } from '../clock.ts';
import { queryRows, type Db } from '../db/client.ts';
import { getCouncil, councilLearnerFigures } from '../councils/service.ts';
import { councilChange, signed } from '../maturity/service.ts';
import { listImprovements } from '../improvements/repository.ts';
import { improvementStatuses, improvementStatusLabels } from '../improvements/rules.ts';
import { councilEngagements } from '../engagements/service.ts';
import { daysText } from '../engagements/rules.ts';
import { participation, type MembershipRules } from '../networks/service.ts';
import { networkKeys, networkNames } from '../networks/networks.ts';
import { levels, levelLabels } from '../enrolments/journey.ts';
import { moneyText, poundsText } from '../contracts/rules.ts';
import { todayIso } from '../clock.ts';
import { formatDate } from '../web/format.ts';
import { barChartSvg } from './bar-chart.ts';

/** One figure of the dashboard, as the page's tables and the download's lines give it. */
export type CouncilFigure = { section: string; figure: string; value: string; number: number | null };

async function accreditationsByLevel(db: Db, councilId: string, today: string) {
  const rows = await queryRows<{ level: string; n: number }>(
    db,
    sql`select a.level, count(*)::int as n from accreditations a join enrolments e on e.id = a.enrolment_id
        where e.council_id = ${councilId}::uuid and a.awarded_on <= ${today}::date group by a.level`,
  );
  return levels.map((level) => ({ level, label: levelLabels[level], n: rows.find((r) => r.level === level)?.n ?? 0 }));
}

const count = (n: number) => n.toLocaleString('en-GB');

/** The sections of the council's dashboard this actor sees: those of the features whose pages their role may open. */
export function councilSections(actor: Actor) {
  return {
    learners: can(actor, 'enrolment:list'),
    places: can(actor, 'place:list'),
    maturity: can(actor, 'maturity:view'),
    improvements: can(actor, 'improvement:list'),
    engagements: can(actor, 'engagement:list'),
  };
}

export type CouncilSections = ReturnType<typeof councilSections>;

/** Everything the council's dashboard shows to this actor, as at today; 404 for a council outside their scope. */
export async function councilDashboard(db: Db, clock: Clock, actor: Actor, councilId: string, rules: MembershipRules) {
  const scope = councilScope(actor);
  const council = await getCouncil(db, scope, councilId);
  const today = todayIso(clock);
  const show = councilSections(actor);
  const figures: CouncilFigure[] = [];
  const add = (section: string, figure: string, n: number | null, value = n === null ? 'None' : count(n)) => figures.push({ section, figure, value, number: n });

  const journey = show.learners || show.places ? await councilLearnerFigures(db, clock, council.id, { places: show.places, enrolments: show.learners }) : null;
  const accreditations = show.learners ? await accreditationsByLevel(db, council.id, today) : null;
  if (journey?.enrolments) {
    for (const r of journey.enrolments.byStatus) add('Learners', `Enrolments: ${r.label.toLowerCase()}`, r.enrolments);
    add('Learners', 'Enrolments in all', journey.enrolments.total);
    add('Learners', 'Enrolments overdue', journey.enrolments.overdue);
  }
  for (const a of accreditations ?? []) add('Learners', `Accreditations awarded: ${a.label}`, a.n);
  for (const p of journey?.places ?? []) {
    add('Funded places', `${p.label} places allocated in ${journey!.period}`, p.allocated);
    add('Funded places', `${p.label} places taken in ${journey!.period}`, p.taken);
  }

  const change = show.maturity ? await councilChange(db, council.id) : null;
  const improvedAreas = change ? change.areas.filter((a) => a.change !== null && a.change > 0).length : null;
  if (show.maturity) {
    add('Maturity', 'Areas improved by at least one level since the baseline', improvedAreas);
  }

  if (show.improvements) {
    const byStatus = await Promise.all(
      improvementStatuses.map(async (status) => {
        const { total, totals } = await listImprovements(db, scope, { councilId: council.id, status }, { sort: 'date', order: 'desc' }, { limit: 0, offset: 0 });
        return { status, label: improvementStatusLabels[status], n: total, totals };
      }),
    );
    const verified = byStatus.find((s) => s.status === 'verified')!.totals;
    for (const s of byStatus) add('Improvements', `Improvements ${s.label.toLowerCase()}`, s.n);
    add('Improvements', 'Verified value, cashable (£)', Number(poundsText(verified.cashablePence)), moneyText(verified.cashablePence));
    add('Improvements', 'Verified value, non-cashable (£)', Number(poundsText(verified.nonCashablePence)), moneyText(verified.nonCashablePence));
  }

  if (show.engagements) {
    const rows = await councilEngagements(db, { clock }, scope, council.id);
    const planned = daysText(rows.reduce((n, e) => n + e.plannedMinutes, 0));
    const used = daysText(rows.reduce((n, e) => n + e.usedMinutes, 0));
    add('Transformation support', 'Engagements', rows.length);
    add('Transformation support', 'Days planned', Number(planned), planned);
    add('Transformation support', 'Days used', Number(used), used);
    add('Transformation support', 'Actions overdue', rows.reduce((n, e) => n + e.overdueActions, 0));
  }

  // Participation by the council's own members: the networks' facilitator figures, the council's row of each.
  const networks = [];
  for (const key of networkKeys) {
    const { rows } = await participation(db, key, rules, clock.now(), council.id);
    const mine = rows.find((r) => r.organisationId === council.id) ?? { members: 0, activeMembers: 0, eventsAttended: 0, downloads: 0 };
    networks.push({ key, name: networkNames[key] });
    add(networkNames[key], 'Members', mine.members);
    add(networkNames[key], 'Members active in the last 90 days', mine.activeMembers);
    add(networkNames[key], 'Event attendances', mine.eventsAttended);
    add(networkNames[key], 'Resource downloads', mine.downloads);
  }

  const asAtText = formatDate(today);
  return {
    council,
    asAt: today,
    asAtText,
    figures,
    accreditationsChart: accreditations
      ? barChartSvg({
          id: 'accreditations-chart',
          title: `Accreditations awarded to learners of ${council.name} by level, as at ${asAtText}`,
          description: 'The figures are in the table beside the chart.',
          bars: accreditations.map((a) => ({ label: a.label, value: a.n })),
        })
      : null,
    change: change && { ...change, areas: change.areas.map((a) => ({ ...a, changeText: signed(a.change) })) },
    improvedAreas,
    networks,
    show,
  };
}
