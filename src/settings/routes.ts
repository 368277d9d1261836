import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { ConflictError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { dateInputValue, errorView, joinDateParts } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import * as service from './service.ts';
import { currentPeriodWindow } from '../enrolments/periods.ts';

type Body = Record<string, string | undefined>;

/** The assessment-booking form (its path lives here: the learner's page only reads the settings). */
export const assessmentBookingPath = `${paths.settings()}/assessment-booking`;

const formPaths = {
  'managing-partner': paths.settingsManagingPartner(),
  'learner-journey': paths.settingsLearnerJourney(),
  periods: paths.settingsPeriods(),
  'assessment-booking': assessmentBookingPath,
} as const;

const flashes: Record<string, string> = {
  'managing-partner': 'Managing partner rule changed',
  'learner-journey': 'Learner journey rules changed',
  periods: 'Programme periods changed',
  'assessment-booking': 'Assessment booking details changed',
  unchanged: 'No changes were made',
};




/** The Settings pages: programme rules with defaults, changed by programme admins. */
export async function settingsRoutes(app: FastifyInstance, { db, clock }: RouteDeps) {
  app.get(paths.settings(), { config: { access: 'settings:manage' } }, async (request, reply) => {
    const done = (request.query as Record<string, unknown>).done;
    const rows = await service.listSettings(db);
    return reply.view('settings/views/list.njk', {
      title: 'Settings',
      rows: rows.map((r) => ({ ...r, changeHref: formPaths[r.form] })),
      flash: typeof done === 'string' ? flashes[done] : undefined,
    });
  });

  const showRuleForm = async (reply: FastifyReply, body: Body | null, fields?: FieldErrors, status = 400) => {
    const rule = await service.managingPartnerRule(db);
    const options = (selected: string | undefined) => rule.partners.map((p) => ({ value: p.code, text: p.name, selected: p.code === selected }));
    return reply.code(fields ? status : 200).view('settings/views/managing-partner.njk', {
      title: 'Change the managing partner rule',
      // Always the rule as it is now: after a stale save, sending again is a deliberate choice.
      read: service.ruleFingerprint(rule),
      cutover: dateInputValue(body, 'cutover', rule.cutover),
      beforeOptions: options(body ? body.partnerBefore : rule.partnerBefore),
      afterOptions: options(body ? body.partnerAfter : rule.partnerAfter),
      values: { reason: body?.reason },
      ...(fields ? errorView(fields, ['cutover']) : { errors: {} }),
    });
  };

  app.get(paths.settingsManagingPartner(), { config: { access: 'settings:manage' } }, (_request, reply) => showRuleForm(reply, null));

  app.post(paths.settingsManagingPartner(), { config: { access: 'settings:manage' } }, async (request: FastifyRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    let changed: service.SettingKey[];
    try {
      changed = await service.changeManagingPartnerRule(db, request.ctx(), {
        cutover: joinDateParts(body, 'cutover'),
        partnerBefore: body.partnerBefore,
        partnerAfter: body.partnerAfter,
        reason: body.reason,
      }, body.read);
    } catch (err) {
      if (err instanceof ValidationError) return showRuleForm(reply, body, err.fields);
      if (err instanceof ConflictError) return showRuleForm(reply, body, { _form: err.message }, 409);
      throw err;
    }
    return reply.redirect(`${paths.settings()}?done=${changed.length ? 'managing-partner' : 'unchanged'}`);
  });

  const showJourneyForm = async (reply: FastifyReply, body: Body | null, fields?: FieldErrors, status = 400) => {
    const current = await service.learnerJourneySettings(db);
    return reply.code(fields ? status : 200).view('settings/views/learner-journey.njk', {
      title: 'Change the learner journey rules',
      // Always the rules as they are now: after a stale save, sending again is a deliberate choice.
      read: service.settingsFingerprint(current.map((s) => s.value)),
      settings: current.map((s) => ({
        ...s,
        input: body ? (body[s.key] ?? '') : String(s.value),
        hintText: [s.hint, `From ${s.min} to ${s.max}. Default: ${service.withUnit(s.default, s.unit)}.`].filter(Boolean).join(' '),
        suffix: s.unit!.split(' ')[0],
      })),
      values: { reason: body?.reason },
      ...(fields ? errorView(fields) : { errors: {} }),
    });
  };

  app.get(paths.settingsLearnerJourney(), { config: { access: 'settings:manage' } }, (_request, reply) => showJourneyForm(reply, null));

  app.post(paths.settingsLearnerJourney(), { config: { access: 'settings:manage' } }, async (request: FastifyRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    let changed: service.SettingKey[];
    try {
      changed = await service.changeLearnerJourneyRules(db, request.ctx(), body, body.read);
    } catch (err) {
      if (err instanceof ValidationError) return showJourneyForm(reply, body, err.fields);
      if (err instanceof ConflictError) return showJourneyForm(reply, body, { _form: err.message }, 409);
      throw err;
    }
    return reply.redirect(`${paths.settings()}?done=${changed.length ? 'learner-journey' : 'unchanged'}`);
  });

  const showPeriodsForm = async (reply: FastifyReply, body: Body | null, fields?: FieldErrors, status = 400) => {
    const stored = await service.periodSettings(db);
    const window = await currentPeriodWindow(db, clock);
    return reply.code(fields ? status : 200).view('settings/views/periods.njk', {
      title: 'Change the programme periods',
      // Always the periods as they are now: after a stale save, sending again is a deliberate choice.
      read: service.settingsFingerprint([stored.firstPeriod, stored.lastPeriod]),
      window,
      values: body ?? { firstPeriod: stored.firstPeriod, lastPeriod: stored.lastPeriod },
      ...(fields ? errorView(fields) : { errors: {} }),
    });
  };

  app.get(paths.settingsPeriods(), { config: { access: 'settings:manage' } }, (_request, reply) => showPeriodsForm(reply, null));

  app.post(paths.settingsPeriods(), { config: { access: 'settings:manage' } }, async (request: FastifyRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    let changed: service.SettingKey[];
    try {
      changed = await service.changeProgrammePeriods(db, request.ctx(), body, body.read);
    } catch (err) {
      if (err instanceof ValidationError) return showPeriodsForm(reply, body, err.fields);
      if (err instanceof ConflictError) return showPeriodsForm(reply, body, { _form: err.message }, 409);
      throw err;
    }
    return reply.redirect(`${paths.settings()}?done=${changed.length ? 'periods' : 'unchanged'}`);
  });

  const showBookingForm = async (reply: FastifyReply, body: Body | null, fields?: FieldErrors, status = 400) => {
    const booking = await service.assessmentBooking(db);
    return reply.code(fields ? status : 200).view('settings/views/assessment-booking.njk', {
      title: 'Change how learners book their assessment',
      // Always the details as they are now: after a stale save, sending again is a deliberate choice.
      read: service.bookingFingerprint(booking),
      action: assessmentBookingPath,
      values: body ?? booking,
      ...(fields ? errorView(fields) : { errors: {} }),
    });
  };

  app.get(assessmentBookingPath, { config: { access: 'settings:manage' } }, (_request, reply) => showBookingForm(reply, null));

  app.post(assessmentBookingPath, { config: { access: 'settings:manage' } }, async (request: FastifyRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    let changed: service.SettingKey[];
    try {
      changed = await service.changeAssessmentBooking(db, request.ctx(), body, body.read);
    } catch (err) {
      if (err instanceof ValidationError) return showBookingForm(reply, body, err.fields);
      if (err instanceof ConflictError) return showBookingForm(reply, body, { _form: err.message }, 409);
      throw err;
    }
    return reply.redirect(`${paths.settings()}?done=${changed.length ? 'assessment-booking' : 'unchanged'}`);
  });
}
