import type { Config } from '../config.ts';
import type { Db, DbOrTx } from '../db/client.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { hashSecret, newSecret } from '../auth/secrets.ts';
import { todayIso, type Clock } from '../clock.ts';
import { startPeriodic } from '../periodic.ts';
import { enqueueEmail } from '../notifications/outbox.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { fieldErrors } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import * as repo from './repository.ts';
import { answerMaxLength, scheduleSchema, scheduleStopSchema, sendSchema, surveySchema, type Question, type SurveyStatus } from './schemas.ts';
import { addMonths } from '../enrolments/journey.ts';

export type { SurveyRow } from './repository.ts';
export const listSurveys = repo.listSurveys;
export const eventOptions = repo.eventOptions;

export async function surveyById(db: DbOrTx, id: string) {
  const survey = await repo.findSurvey(db, id);
  if (!survey) throw new NotFoundError();
  return survey;
}

/** The definition checked (every problem at once); the closing date may not be in the past by the clock. */
function checkDefinition(ctx: RequestContext, input: unknown) {
  const parsed = surveySchema.safeParse(input);
  const problems: FieldErrors = parsed.success ? {} : fieldErrors(parsed.error);
  if (parsed.success && parsed.data.closesOn < todayIso(ctx.clock)) problems.closesOn = 'The closing date must be today or in the future';
  if (!parsed.success || Object.keys(problems).length) throw new ValidationError(problems);
  const { version, questions, ...rest } = parsed.data;
  const keyed: Question[] = questions.map((q, i) => ({ key: `q${i + 1}`, ...q }));
  return { values: { ...rest, questions: keyed }, version };
}

const auditOf = (v: repo.SurveyValues) => ({ title: v.title, level: v.level, anonymous: v.anonymous, closesOn: v.closesOn, questions: v.questions.length });

export async function createSurvey(db: DbOrTx, ctx: RequestContext, input: unknown) {
  const { values } = checkDefinition(ctx, input);
  return db.transaction(async (tx) => {
    const id = await repo.insertSurvey(tx, values, ctx.actor!.personId, ctx.clock.now());
    await recordAudit(tx, ctx, { action: 'survey.created', recordType: 'survey', recordId: id, after: auditOf(values) });
    return id;
  });
}

export const notDraftMessage = 'The questions can only change while the survey is a draft: this one has been opened.';

/** Changes a draft over the version read: 409 once it is open or closed, or when someone else saved first. */
export async function updateSurvey(db: DbOrTx, ctx: RequestContext, id: string, input: unknown) {
  const survey = await surveyById(db, id);
  if (survey.status !== 'draft') throw new ConflictError(notDraftMessage);
  const { values, version } = checkDefinition(ctx, input);
  await db.transaction(async (tx) => {
    const saved = await repo.updateDraft(tx, id, version ?? survey.version, values, ctx.clock.now());
    if (!saved) throw new ConflictError('Someone else changed this survey while you were editing it. Check the details and save again.', 'version');
    await recordAudit(tx, ctx, { action: 'survey.updated', recordType: 'survey', recordId: id, before: auditOf(survey), after: auditOf(values) });
  });
}

const moves: Record<string, { from: SurveyStatus; to: SurveyStatus; action: string }> = {
  open: { from: 'draft', to: 'open', action: 'survey.opened' },
  close: { from: 'open', to: 'closed', action: 'survey.closed' },
};

/** The move (`open`, `close`) that takes a survey to a status. */
export const moveTo = (status: SurveyStatus) => Object.keys(moves).find((k) => moves[k].to === status) ?? '';

/**
 * Opens a draft (its closing date not passed) or closes an open survey, over the version read when `version` is given
 * (the API's); any other move, or a stale version, is a 409.
 */
export async function moveSurvey(db: DbOrTx, ctx: RequestContext, id: string, move: string, version?: number) {
  const survey = await surveyById(db, id);
  const m = moves[move];
  if (!m) throw new ValidationError({ move: 'Select open or close' });
  if (survey.status !== m.from) throw new ConflictError(`The survey is ${survey.status}, so it cannot be ${m.to === 'open' ? 'opened' : 'closed'}.`);
  if (m.to === 'open' && survey.closesOn < todayIso(ctx.clock)) throw new ConflictError('The closing date has passed: change it before opening the survey.');
  const stale = 'Someone else changed this survey: look again.';
  if (version !== undefined && version !== survey.version) throw new ConflictError(stale);
  await db.transaction(async (tx) => {
    if (!(await repo.setStatus(tx, id, survey.version, m.from, m.to, ctx.clock.now()))) throw new ConflictError(stale);
    await recordAudit(tx, ctx, { action: m.action, recordType: 'survey', recordId: id, before: { title: survey.title, status: m.from }, after: { title: survey.title, status: m.to } });
  });
}

/** Whether people can still answer: open, and its closing day not passed. */
export const acceptsAnswers = (survey: Pick<repo.SurveyRow, 'status' | 'closesOn'>, ctx: Pick<RequestContext, 'clock'>) =>
  survey.status === 'open' && survey.closesOn >= todayIso(ctx.clock);

function surveyEmail(config: Config, survey: repo.SurveyRow, person: repo.Recipient, token: string, reminder: boolean) {
  const link = `${config.baseUrl}${paths.surveyAnswer(token)}`;
  const closes = new Date(`${survey.closesOn}T12:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  return {
    to: person.email,
    template: reminder ? 'survey-reminder' : 'survey',
    subject: reminder ? `Reminder: ${survey.title}` : `Please answer: ${survey.title}`,
    body:
      `Dear ${person.name},\n\n${reminder ? 'You have not yet answered the survey' : 'Please answer the survey'} “${survey.title}” for the Contract Management Pioneer Programme.\n\n` +
      `Answer it here (no need to sign in):\n${link}\n\nThis link works once${reminder ? ' (any earlier link for this survey no longer works)' : ''}. The survey closes on ${closes}.` +
      (survey.anonymous ? '\n\nYour answers are anonymous: they are stored without your name.' : ''),
  };
}

/** Bulk mail, in one insert per batch, as invitations are. */
async function queueAll(tx: DbOrTx, emails: ReturnType<typeof surveyEmail>[]) {
  for (const e of emails) await enqueueEmail(tx, e, 'bulk');
}

/**
 * Sends an open survey to the people the record gives (an event's registrations or attendance; learners accredited
 * between two dates, with their councils' SROs): each new recipient gets a single-use link (only its SHA-256 stored).
 * Someone already sent it is not sent it again. Gives how many were chosen and how many were new.
 */
export async function sendSurvey(db: DbOrTx, config: Config, ctx: RequestContext, id: string, input: unknown) {
  const survey = await surveyById(db, id);
  const parsed = sendSchema.safeParse(input);
  const problems: FieldErrors = parsed.success ? {} : fieldErrors(parsed.error);
  if (parsed.success && parsed.data.source === 'event' && !(await repo.eventExists(db, parsed.data.eventId))) problems.eventId = 'Select an event from the list';
  if (parsed.success && parsed.data.source === 'accredited' && parsed.data.from > parsed.data.to) problems.to = 'The last date must be the same as or after the first date';
  if (!parsed.success || Object.keys(problems).length) throw new ValidationError(problems);
  if (!acceptsAnswers(survey, ctx)) throw new ConflictError('Only an open survey whose closing date has not passed can be sent.');
  const choice = parsed.data;
  const people = choice.source === 'event' ? await repo.eventRecipients(db, choice.eventId, choice.attendedOnly) : await repo.accreditedRecipients(db, choice.from, choice.to, choice.includeSros);
  return db.transaction(async (tx) => {
    const sent = await deliver(tx, config, ctx, survey, people);
    await recordAudit(tx, ctx, {
      action: 'survey.sent',
      recordType: 'survey',
      recordId: id,
      after: { title: survey.title, ...choice, chosen: people.length, sent },
    });
    return { chosen: people.length, sent };
  });
}

/**
 * Gives each person not yet sent the survey a single-use link (only its SHA-256 stored) and queues their email; gives
 * how many were new. The unique (survey, person) index decides who is new, so two sendings at once never send twice.
 */
async function deliver(tx: DbOrTx, config: Config, ctx: RequestContext, survey: repo.SurveyRow, people: readonly repo.Recipient[]) {
  const links = people.map((p) => ({ person: p, token: newSecret() }));
  const added = new Set((await repo.insertRecipients(tx, survey.id, links.map((l) => ({ personId: l.person.personId, tokenHash: hashSecret(l.token) })), ctx.clock.now())).map((r) => r.personId));
  const fresh = links.filter((l) => added.has(l.person.personId));
  await queueAll(tx, fresh.map((l) => surveyEmail(config, survey, l.person, l.token, false)));
  return fresh.length;
}

/** Reminds those who have not answered, with a fresh link each (the earlier one stops working); once a day at most. */
export async function remindSurvey(db: DbOrTx, config: Config, ctx: RequestContext, id: string) {
  const survey = await surveyById(db, id);
  if (!acceptsAnswers(survey, ctx)) throw new ConflictError('Only an open survey whose closing date has not passed can be reminded.');
  const today = todayIso(ctx.clock);
  if (survey.lastRemindedAt && todayIso({ now: () => survey.lastRemindedAt! }) === today) throw new ConflictError('A reminder was already sent today: send the next one tomorrow.');
  return db.transaction(async (tx) => {
    const waiting = await repo.unanswered(tx, id);
    const links = waiting.map((p) => ({ person: p, token: newSecret() }));
    await repo.replaceTokens(tx, links.map((l) => ({ id: l.person.id, tokenHash: hashSecret(l.token) })), ctx.clock.now());
    await repo.markReminded(tx, id, ctx.clock.now());
    await queueAll(tx, links.map((l) => surveyEmail(config, survey, l.person, l.token, true)));
    await recordAudit(tx, ctx, { action: 'survey.reminded', recordType: 'survey', recordId: id, after: { title: survey.title, reminded: links.length } });
    return links.length;
  });
}

// ---------------------------------------------------------------------------------------------- answering

export type OpenedLink =
  | { state: 'ready'; survey: repo.SurveyRow; link: repo.LinkRow }
  | { state: 'answered'; survey: repo.SurveyRow }
  | { state: 'closed'; survey: repo.SurveyRow };

/** The survey behind a link: an unknown token is a 404; answered and closed links say so. */
export async function openLink(db: DbOrTx, ctx: Pick<RequestContext, 'clock'>, token: string): Promise<OpenedLink> {
  const link = token.length <= 100 ? await repo.findLink(db, hashSecret(token)) : undefined;
  if (!link) throw new NotFoundError('This survey link is not right. Check it against the email, or ask the programme team for a new one.');
  const survey = await surveyById(db, link.surveyId);
  if (link.answered) return { state: 'answered', survey };
  if (!acceptsAnswers(survey, ctx)) return { state: 'closed', survey };
  return { state: 'ready', survey, link };
}

type AnswerBody = Record<string, string | string[] | undefined>;
const values = (v: unknown) => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []).filter((x): x is string => typeof x === 'string' && x !== '');

/** Each question's answer checked against its type and options; every problem at once, keyed by the question's key. */
export function checkAnswers(questions: readonly Question[], body: AnswerBody) {
  const problems: FieldErrors = {};
  const answers: Record<string, number | string | string[]> = {};
  for (const q of questions) {
    const given = values(body[q.key]);
    const n = questions.indexOf(q) + 1;
    if (q.type === 'text') {
      const text = (given[0] ?? '').trim();
      if (text.length > answerMaxLength) problems[q.key] = `Your answer to question ${n} must be ${answerMaxLength} characters or fewer`;
      else if (text) answers[q.key] = text;
      else if (q.required) problems[q.key] = `Enter your answer to question ${n}`;
      continue;
    }
    if (!given.length) {
      if (q.required) problems[q.key] = q.type === 'multiple' ? `Select at least one option for question ${n}` : `Select an answer to question ${n}`;
      continue;
    }
    if (q.type === 'scale') {
      const v = given[0];
      if (given.length > 1 || !/^[1-5]$/.test(v)) problems[q.key] = `Select a number from 1 to 5 for question ${n}`;
      else answers[q.key] = Number(v);
    } else if (q.type === 'single') {
      if (given.length > 1 || !q.options.includes(given[0])) problems[q.key] = `Select one of the options given for question ${n}`;
      else answers[q.key] = given[0];
    } else {
      const chosen = [...new Set(given)];
      if (chosen.some((c) => !q.options.includes(c))) problems[q.key] = `Select only the options given for question ${n}`;
      else answers[q.key] = q.options.filter((o) => chosen.includes(o));
    }
  }
  return { problems, answers };
}

/**
 * Records the answers through a link, once: the link is marked answered and the answers stored in one transaction
 * (a second submission, even a simultaneous one, is a 409). An anonymous survey's answers carry no person.
 */
export async function submitAnswers(db: DbOrTx, ctx: RequestContext, token: string, body: AnswerBody) {
  const opened = await openLink(db, ctx, token);
  if (opened.state === 'answered') throw new ConflictError('You have already answered this survey.');
  if (opened.state === 'closed') throw new ClosedSurveyError();
  const { survey, link } = opened;
  const { problems, answers } = checkAnswers(survey.questions, body);
  if (Object.keys(problems).length) throw new ValidationError(problems);
  await db.transaction(async (tx) => {
    if (!(await repo.markAnswered(tx, link.recipientId))) throw new ConflictError('You have already answered this survey.');
    const responseId = await repo.insertResponse(tx, survey.id, survey.anonymous ? null : link.personId, todayIso(ctx.clock), answers);
    // An anonymous answer's audit keeps neither the person nor the address it came from.
    await recordAudit(tx, { ...ctx, ip: survey.anonymous ? undefined : ctx.ip, systemLabel: survey.anonymous ? 'an anonymous respondent' : 'a survey respondent' }, {
      action: 'survey.answered',
      recordType: 'survey',
      recordId: survey.id,
      after: survey.anonymous ? { title: survey.title } : { title: survey.title, personId: link.personId, responseId },
    });
  });
  return survey;
}

/** The survey is closed or past its closing date: the link no longer takes answers. */
export class ClosedSurveyError extends Error {}

// ---------------------------------------------------------------------------------------------- scheduled sending

/** How the audit log names the periodic job when it sends a scheduled survey. */
export const scheduleJobLabel = 'the scheduled survey job';

/** The window of the behaviour level: a learner is covered while within this many months of accreditation. */
export const behaviourWindowMonths = 6;

export const notSchedulableMessage = 'Only an open behaviour survey whose closing date has not passed can be sent automatically.';

export const staleScheduleMessage = 'Someone else changed this survey since you read it. Check its schedule and try again.';

/**
 * Sets an open behaviour survey to send itself N (3 to 6) months after accreditation, with the SROs or not, over the
 * version read when `input` carries one. Bad input is refused (nothing written) before the state is checked.
 */
export async function scheduleSurvey(db: DbOrTx, ctx: RequestContext, id: string, input: unknown) {
  const survey = await surveyById(db, id);
  const parsed = scheduleSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
  const { months, includeSros, version } = parsed.data;
  await applySchedule(db, ctx, survey, months, includeSros, version);
}

/** Puts an open behaviour survey back to being sent by hand (over the `version` read, when given). */
export async function unscheduleSurvey(db: DbOrTx, ctx: RequestContext, id: string, input: unknown) {
  const survey = await surveyById(db, id);
  const parsed = scheduleStopSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
  await applySchedule(db, ctx, survey, null, false, parsed.data.version);
}

const schedulable = (survey: repo.SurveyRow, ctx: RequestContext) => survey.level === 'behaviour' && acceptsAnswers(survey, ctx);

/**
 * Writes the schedule (null months: none) and its audit event in one transaction. 409 for a survey that is not an
 * open behaviour survey, or whose version is no longer the one read (someone changed, opened or closed it meanwhile).
 */
async function applySchedule(db: DbOrTx, ctx: RequestContext, survey: repo.SurveyRow, months: number | null, includeSros: boolean, version: number | undefined) {
  if (!schedulable(survey, ctx)) throw new ConflictError(notSchedulableMessage);
  if (version !== undefined && version !== survey.version) throw new ConflictError(staleScheduleMessage, 'version');
  // Stopping a survey that has no schedule changes nothing, and records nothing.
  if (months === null && survey.scheduleMonths === null) return;
  await db.transaction(async (tx) => {
    const setOn = months === null ? null : todayIso(ctx.clock);
    if (!(await repo.setSchedule(tx, survey.id, survey.version, months, includeSros, setOn, ctx.clock.now()))) {
      const now = await repo.findSurvey(tx, survey.id);
      throw now && schedulable(now, ctx) ? new ConflictError(staleScheduleMessage, 'version') : new ConflictError(notSchedulableMessage);
    }
    await recordAudit(tx, ctx, {
      action: months === null ? 'survey.unscheduled' : 'survey.scheduled',
      recordType: 'survey',
      recordId: survey.id,
      before: { title: survey.title, months: survey.scheduleMonths, includeSros: survey.scheduleIncludeSros },
      after: { title: survey.title, months, includeSros },
    });
  });
}

/**
 * The learners a scheduled survey is due to (and their councils' SROs when chosen): accredited N months ago or
 * earlier by today's UK date, but no earlier than six months before the schedule was set (those still in the behaviour
 * window then; someone further back is sent by hand), and not yet sent it.
 */
function dueRecipients(tx: DbOrTx, survey: repo.SurveyRow, today: string) {
  const months = survey.scheduleMonths!;
  return repo.accreditedRecipients(tx, addMonths(survey.scheduleSetOn!, -behaviourWindowMonths), addMonths(today, -months), survey.scheduleIncludeSros, survey.id);
}

export type ScheduleRun = { surveyId: string; title: string; sent: number };

/**
 * One run of the scheduled sending: each open, scheduled survey whose closing day has not passed is sent to those now
 * due, with the same links and emails as sending by hand. Each survey in its own transaction, its row locked so that
 * two runs at once take turns (and the unique recipient index keeps anyone from being sent it twice). One audit event
 * per survey that sent anything, with the count, naming no one.
 */
export async function sendScheduledSurveys(db: Db, config: Config, ctx: RequestContext): Promise<ScheduleRun[]> {
  const today = todayIso(ctx.clock);
  const runs: ScheduleRun[] = [];
  for (const { id } of await repo.scheduledSurveyIds(db, today)) {
    const run = await db.transaction(async (tx) => {
      const survey = await repo.findSurvey(tx, id, true);
      // Closed, cleared or past its closing day since the list was read: nothing to send.
      if (!survey || survey.scheduleMonths === null || !acceptsAnswers(survey, ctx)) return null;
      const sent = await deliver(tx, config, ctx, survey, await dueRecipients(tx, survey, today));
      if (sent === 0) return null;
      await recordAudit(tx, ctx, {
        action: 'survey.sent_on_schedule',
        recordType: 'survey',
        recordId: id,
        after: { title: survey.title, months: survey.scheduleMonths, includeSros: survey.scheduleIncludeSros, sent },
      });
      return { surveyId: id, title: survey.title, sent };
    });
    if (run) runs.push(run);
  }
  return runs;
}

/**
 * Sends the scheduled surveys that are due every SURVEY_SCHEDULE_MINUTES (and once at start). Safe in several
 * instances at once (see `sendScheduledSurveys`). 0 minutes: not started (then run `pioneer surveys send-scheduled`
 * from a scheduler, at least daily).
 */
export function startSurveyScheduleJob(db: Db, config: Config, clock: Clock, onSent: (runs: ScheduleRun[]) => void, onError: (err: unknown) => void) {
  return startPeriodic(
    config.surveyScheduleMinutes,
    async () => {
      const runs = await sendScheduledSurveys(db, config, { actor: null, systemLabel: scheduleJobLabel, clock });
      if (runs.length) onSent(runs);
    },
    onError,
  );
}
