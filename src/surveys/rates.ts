/**
 * Response rates by survey for a period, for the quarterly report: per survey, how many were sent it in the period and
 * how many of them have answered, with the results' disclosure rule (src/dashboard/disclosure.ts, figures.ts).
 */
import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../db/client.ts';
import { suppressCells, type Group } from '../dashboard/disclosure.ts';
import { disclosureRule, shownCount, suppressionThreshold, type Count } from '../dashboard/figures.ts';
import { ValidationError } from '../web/errors.ts';
import type { SurveyLevel } from './schemas.ts';

export type SurveyRate = {
  surveyId: string;
  title: string;
  level: SurveyLevel;
  sent: Count;
  answered: Count;
  /** answered ÷ sent as a percentage to one decimal place; null when either count (or the unanswered) is hidden. */
  ratePercent: number | null;
};

export type ResponseRates = { from: string; to: string; disclosureRule: string; surveys: SurveyRate[]; total: Omit<SurveyRate, 'surveyId' | 'title' | 'level'> };

const isoDate = /^\d{4}-\d{2}-\d{2}$/;
const validDate = (s: string) => isoDate.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;

/**
 * Per survey sent to anyone in the period (its UK dates `from` to `to`, inclusive; by the day each person was first
 * sent it), how many were sent it then and how many of those have answered (by now: an anonymous survey keeps no
 * time of answering), and the rate; with the totals over the surveys. The counts form a table (answered + not answered
 * = sent per survey, and each column sums to its total), so counts from 1 to 4 are hidden and, as the results do, the
 * counts that would give a hidden one away (secondary suppression); a rate is shown only when its counts are. Surveys
 * in the order they were created. Dates that are not real "YYYY-MM-DD" dates, or `to` before `from`, are refused.
 */
export async function responseRates(db: DbOrTx, period: { from: string; to: string }): Promise<ResponseRates> {
  const { from, to } = period;
  const problems: Record<string, string> = {};
  if (!validDate(from)) problems.from = 'Enter the first date of the period as YYYY-MM-DD';
  if (!validDate(to)) problems.to = 'Enter the last date of the period as YYYY-MM-DD';
  else if (validDate(from) && to < from) problems.to = 'The last date must be the same as or after the first date';
  if (Object.keys(problems).length) throw new ValidationError(problems);

  const rows = await queryRows<{ surveyId: string; title: string; level: SurveyLevel; sent: number; answered: number }>(
    db,
    sql`select s.id as "surveyId", s.title, s.level, count(*)::int as sent, count(*) filter (where r.answered)::int as answered
        from survey_recipients r join surveys s on s.id = r.survey_id
        where r.sent_at >= (${from}::date::timestamp at time zone 'Europe/London') and r.sent_at < ((${to}::date + 1)::timestamp at time zone 'Europe/London')
        group by s.id, s.title, s.level, s.created_at
        order by s.created_at, s.id`,
  );

  const values = new Map<string, number>();
  const groups: Group[] = [];
  const column = (part: 'sent' | 'answered' | 'waiting') => ({ parts: rows.map((r) => `${r.surveyId}:${part}`), total: `total:${part}` });
  for (const key of [...rows.map((r) => r.surveyId), 'total']) {
    const r = key === 'total' ? { sent: rows.reduce((n, x) => n + x.sent, 0), answered: rows.reduce((n, x) => n + x.answered, 0) } : rows.find((x) => x.surveyId === key)!;
    values.set(`${key}:sent`, r.sent);
    values.set(`${key}:answered`, r.answered);
    values.set(`${key}:waiting`, r.sent - r.answered);
    groups.push({ parts: [`${key}:answered`, `${key}:waiting`], total: `${key}:sent` });
  }
  if (rows.length) groups.push(column('sent'), column('answered'), column('waiting'));
  const hidden = suppressCells(values, groups, suppressionThreshold);

  const rate = (key: string) => {
    const sent = values.get(`${key}:sent`)!;
    const shown = ['sent', 'answered', 'waiting'].every((part) => !hidden.has(`${key}:${part}`));
    return {
      sent: shownCount(sent, hidden.get(`${key}:sent`)),
      answered: shownCount(values.get(`${key}:answered`)!, hidden.get(`${key}:answered`)),
      ratePercent: shown && sent > 0 ? Math.round((values.get(`${key}:answered`)! / sent) * 1000) / 10 : null,
    };
  };
  return {
    from,
    to,
    disclosureRule,
    surveys: rows.map((r) => ({ surveyId: r.surveyId, title: r.title, level: r.level, ...rate(r.surveyId) })),
    total: rate('total'),
  };
}
