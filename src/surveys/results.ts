/**
 * A survey's results: the response rate and, per question, the counts, with counts from 1 to 4 suppressed by the
 * dashboard's disclosure rule (src/dashboard/disclosure.ts, figures.ts) for everyone who reads them.
 */
import { suppressCells, type Group } from '../dashboard/disclosure.ts';
import { downloadValue, shownCount, suppressionThreshold, type Count } from '../dashboard/figures.ts';
import type { Question, QuestionType } from './schemas.ts';

export type QuestionResult = {
  key: string;
  number: number;
  text: string;
  type: QuestionType;
  answered: Count;
  rows: { label: string; count: Count }[];
  /** A scale's mean to one decimal place; null when a count of it is hidden (the mean could give it away). */
  mean: string | null;
  /** Free-text answers, for those who may read them, when 5 or more answered; null otherwise. */
  texts: string[] | null;
};

export type SurveyResults = { sent: number; answered: number; ratePercent: number | null; questions: QuestionResult[] };

const scaleLabels = ['1', '2', '3', '4', '5'];

/**
 * Counts every question's answers. A scale's and a single choice's counts add up to the number who answered the
 * question (a group for secondary suppression); a multiple choice's do not (one person may tick several), so its
 * counts are suppressed one by one. Free text is listed only when `showText` and at least 5 answered it.
 */
export function aggregate(questions: readonly Question[], responses: readonly { answers: Record<string, unknown> }[], rate: { sent: number; answered: number }, showText: boolean): SurveyResults {
  const values = new Map<string, number>();
  const groups: Group[] = [];
  const texts = new Map<string, string[]>();
  for (const q of questions) {
    const given = responses.map((r) => r.answers[q.key]).filter((a) => a !== undefined && a !== null);
    values.set(`${q.key}:total`, given.length);
    if (q.type === 'text') {
      texts.set(q.key, given.map(String));
      continue;
    }
    const labels = q.type === 'scale' ? scaleLabels : q.options;
    for (const label of labels) {
      const n = given.filter((a) => (Array.isArray(a) ? a.includes(label) : String(a) === label)).length;
      values.set(`${q.key}:${label}`, n);
    }
    if (q.type !== 'multiple') groups.push({ parts: labels.map((l) => `${q.key}:${l}`), total: `${q.key}:total` });
  }
  const hidden = suppressCells(values, groups, suppressionThreshold);
  const count = (key: string) => shownCount(values.get(key)!, hidden.get(key));
  return {
    sent: rate.sent,
    answered: rate.answered,
    ratePercent: rate.sent ? Math.round((rate.answered / rate.sent) * 1000) / 10 : null,
    questions: questions.map((q, i) => {
      const labels = q.type === 'scale' ? scaleLabels : q.type === 'text' ? [] : q.options;
      const total = values.get(`${q.key}:total`)!;
      const anyHidden = hidden.has(`${q.key}:total`) || labels.some((l) => hidden.has(`${q.key}:${l}`));
      const sum = q.type === 'scale' ? scaleLabels.reduce((s, l) => s + Number(l) * values.get(`${q.key}:${l}`)!, 0) : 0;
      return {
        key: q.key,
        number: i + 1,
        text: q.text,
        type: q.type,
        answered: count(`${q.key}:total`),
        rows: labels.map((label) => ({ label, count: count(`${q.key}:${label}`) })),
        mean: q.type === 'scale' && total > 0 && !anyHidden ? (sum / total).toFixed(1) : null,
        texts: q.type === 'text' && showText && total >= suppressionThreshold ? texts.get(q.key)! : null,
      };
    }),
  };
}

/** The results flattened for a download: one row per count (and per mean), suppressed counts as “<5” or “hidden”. */
export function resultRows(results: SurveyResults) {
  const rows: { question: string; answer: string; count: number | string }[] = [
    { question: 'Sent to', answer: '', count: results.sent },
    { question: 'Answered', answer: '', count: results.answered },
  ];
  for (const q of results.questions) {
    const question = `${q.number}. ${q.text}`;
    rows.push({ question, answer: 'Answered this question', count: downloadValue(q.answered) });
    for (const r of q.rows) rows.push({ question, answer: r.label, count: downloadValue(r.count) });
    if (q.type === 'scale') rows.push({ question, answer: 'Mean', count: q.mean ?? 'hidden' });
  }
  return rows;
}
