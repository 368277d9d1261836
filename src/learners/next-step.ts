/**
 * "Your next step" on the learner's own page: for each live enrolment, what to do now, by when, and how — worded for
 * the learner. Deadlines, overdue, upkeep and the CPD year all come from the existing rules (journey.ts, upkeep.ts);
 * this module only says them. Pure, so every wording is unit-tested with exact dates.
 */
import { addDays, isActive, levelLabels } from '../enrolments/journey.ts';
import { formatDate } from '../web/format.ts';
import type { AccreditationView, EnrolmentView } from './service.ts';

/** A fact beside the next step, shown as a summary-list row. */
export type NextStepFact = { label: string; value: string };

export type NextStep = {
  /** What to do, in one sentence. */
  title: string;
  /** Why, or what happens after. */
  detail: string | null;
  facts: NextStepFact[];
  /** Whether the learner should be told how to book their assessment (provider contact and booking link). */
  howToBook: boolean;
  overdue: boolean;
};

/** The learner's CPD year as `cpdYearOf` gives it (their accreditation year, or the 12 months to today). */
export type CpdYear = { from: string; toExclusive: string; hours: number; needed: number; accredited: boolean };

export type NextStepFacts = {
  /** Who decides the council's nominations: its managing partner's name, or null when it has none yet. */
  decider: string | null;
  /** The day the current assessment was booked (the latest booking in the enrolment's history). */
  bookedOn: string | null;
  /** The accreditation this enrolment earned, with its upkeep, if accredited. */
  accreditation: AccreditationView | null;
  cpdYear: CpdYear;
};

const hoursText = (hours: number) => String(Math.round(hours * 100) / 100);
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Whether an enrolment still has a next step: a journey under way, or an accreditation to keep. */
export const isLive = (e: Pick<EnrolmentView, 'status'>) => isActive(e.status) || e.status === 'accredited';

function cpdFact(year: CpdYear): NextStepFact {
  const span = year.accredited ? `this CPD year (${formatDate(year.from)} to ${formatDate(addDays(year.toExclusive, -1))})` : 'in the last 12 months';
  return { label: 'CPD logged', value: `${hoursText(year.hours)} of ${plural(year.needed, 'hour', 'hours')} ${span}` };
}

function dueFact(e: EnrolmentView): NextStepFact[] {
  return e.dueOn ? [{ label: 'Assessment due', value: formatDate(e.dueOn) }] : [];
}

/** Keeping an accreditation: renew Foundation by its due date; log CPD in each Practitioner or Expert accreditation year. */
function keepingUp(e: EnrolmentView, a: AccreditationView | null, cpdYear: CpdYear): NextStep {
  const level = levelLabels[e.level];
  if (!a) return { title: `You are accredited at ${level} level.`, detail: null, facts: [cpdFact(cpdYear)], howToBook: false, overdue: false };
  const due = formatDate(a.dueOn);
  if (a.level === 'foundation') {
    const lapsed = a.status === 'lapsed';
    return {
      title: lapsed ? `Your Foundation renewal was due on ${due}. It is overdue: renew your accreditation now.` : `Renew your Foundation accreditation by ${due}.`,
      detail: 'Ask your programme contact how to renew. Foundation is renewed rather than kept up by CPD, but logging CPD counts towards the next levels.',
      facts: [{ label: 'Foundation renewal due', value: due }, cpdFact(cpdYear)],
      howToBook: false,
      overdue: lapsed,
    };
  }
  // Practitioner and Expert: the accreditation year this accreditation is in, and its hours (upkeep.ts).
  const yearEnds = formatDate(addDays(a.dueOn, -1));
  const hours = `${hoursText(a.hoursThisYear)} of ${plural(a.hoursNeeded, 'hour', 'hours')}`;
  const facts = [{ label: 'CPD logged', value: `${hours} this CPD year, which ends on ${yearEnds}` }];
  if (a.status === 'lapsed') {
    return {
      title: `Your ${level} accreditation has lapsed: last CPD year did not have the ${plural(a.hoursNeeded, 'hour', 'hours')} it needs.`,
      detail: 'Talk to your programme contact about keeping your accreditation, and keep logging your CPD.',
      facts,
      howToBook: false,
      overdue: true,
    };
  }
  const met = a.hoursThisYear >= a.hoursNeeded;
  return {
    title: met ? `You have logged the CPD this year needs. Keep logging CPD: your next CPD year starts on ${due}.` : `Log ${hoursText(a.hoursNeeded - a.hoursThisYear)} more hours of CPD by ${yearEnds}.`,
    detail: `${level} holders need ${plural(a.hoursNeeded, 'hour', 'hours')} of CPD in each year from the anniversary of their accreditation.`,
    facts,
    howToBook: false,
    overdue: false,
  };
}

/** The next step of one live enrolment (see `isLive`). */
export function nextStepOf(e: EnrolmentView, facts: NextStepFacts): NextStep {
  const plain = (title: string, detail: string | null, more: NextStepFact[] = []): NextStep => ({ title, detail, facts: more, howToBook: false, overdue: false });
  if (e.overdue) {
    return {
      title: `Your assessment was due on ${formatDate(e.dueOn)}. It is overdue: book your assessment now.`,
      detail: 'If you cannot take it soon, tell your programme contact why.',
      facts: [...dueFact(e), { label: 'Assessment attempts left', value: `${e.attemptsLeft} of ${e.maxAttempts}` }],
      howToBook: e.attemptsLeft > 0,
      overdue: true,
    };
  }
  switch (e.status) {
    case 'nominated':
      return plain(
        `Your council nominated you on ${formatDate(e.nominatedOn)}. You are waiting for ${facts.decider ?? 'the programme team'} to decide on your nomination.`,
        'You do not need to do anything yet. Once your nomination is approved, you register with the training provider.',
      );
    case 'approved':
      return plain(
        'Register with the training provider.',
        e.cohortName
          ? `Your place is in ${e.cohortName}${e.cohortStartDate ? `, which starts on ${formatDate(e.cohortStartDate)}` : ''}. Your assessment is due a set time after you register.`
          : 'You will be placed in a cohort. Your assessment is due a set time after you register.',
      );
    case 'registered': {
      const first = e.workshopDates?.[0];
      return plain(`Start your learning: join your cohort’s first workshop${first ? ` on ${formatDate(first)}` : ''}.`, 'Then book your assessment before it is due.', dueFact(e));
    }
    case 'in_learning':
      return { ...plain(e.dueOn ? `Book your assessment by ${formatDate(e.dueOn)}.` : 'Book your assessment.', null, dueFact(e)), howToBook: true };
    case 'not_passed':
      if (e.attemptsLeft === 0) return plain('You have used all your assessment attempts.', 'Talk to your programme contact about what happens next.');
      return {
        ...plain(
          `Book a resit${e.dueOn ? ` by ${formatDate(e.dueOn)}` : ''}: you have ${plural(e.attemptsLeft, 'attempt', 'attempts')} left.`,
          null,
          [...dueFact(e), { label: 'Assessment attempts left', value: `${e.attemptsLeft} of ${e.maxAttempts}` }],
        ),
        howToBook: true,
      };
    case 'assessment_booked':
      return plain(
        `Your assessment is booked${facts.bookedOn ? ` (booked on ${formatDate(facts.bookedOn)})` : ''}: sit your assessment.`,
        'Your result is recorded when the assessment provider confirms it, and shows here.',
        dueFact(e),
      );
    case 'deferred':
      return plain('Your enrolment is on hold.', 'Ask your programme contact to resume it when you are ready.');
    case 'accredited':
      return keepingUp(e, facts.accreditation, facts.cpdYear);
    case 'declined':
    case 'withdrawn':
      throw new Error(`A ${e.status} enrolment has no next step`);
  }
}
