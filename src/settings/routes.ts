import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { dateInputValue, errorView, failureOf, joinDateParts, shownVersion, type FormFailure } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import * as service from './service.ts';
import { currentPeriodWindow } from '../enrolments/periods.ts';

type Body = Record<string, string | undefined>;


const formPaths = {
  'managing-partner': paths.settingsManagingPartner(),
  'learner-journey': paths.settingsLearnerJourney(),
  periods: paths.settingsPeriods(),
  'assessment-booking': paths.settingsAssessmentBooking(),
  reminders: paths.settingsReminders(),
  retention: paths.settingsRetention(),
  engagements: paths.settingsEngagements(),
  contracts: paths.settingsContracts(),
  'return-on-investment': paths.settingsRoi(),
} as const;

const flashes: Record<string, string> = {
  'managing-partner': 'Managing partner rule changed',
  'learner-journey': 'Learner journey rules changed',
  periods: 'Programme periods changed',
  'assessment-booking': 'Assessment booking details changed',
  reminders: 'Reminder timing changed',
  retention: 'Retention periods changed',
  engagements: 'Engagement settings changed',
  contracts: 'Key contract thresholds changed',
  'return-on-investment': 'Return on investment settings changed',
  unchanged: 'No changes were made',
};

type Form = keyof typeof formPaths;

/** The learner-journey form's fieldsets, in order; each shows the settings of its group. */
const journeyGroups = [
  { key: 'journey', legend: 'The journey to accreditation' },
  { key: 'attention', legend: 'When a learner needs attention', hint: 'How long a learner may stay at each step before the learners list, their council’s page and the partner’s councils list flag them. An assessment past its due date always needs attention.' },
  { key: 'upkeep', legend: 'Keeping an accreditation' },
];
type ShowForm = (reply: FastifyReply, body: Body | null, failure?: FormFailure) => Promise<unknown>;

/**
 * A settings form's two routes: GET shows it; POST saves through `change` (which returns the keys it changed) and goes
 * back to the list saying so, or shows the form again with its errors (400) or the stale-page message (409). The form
 * shown again carries (in `read`) what it was read at, so a corrected save is still refused if someone else changed
 * the settings meanwhile; after a stale save, the settings as they are now, so sending again is a deliberate choice.
 */
function settingsForm(app: FastifyInstance, form: Form, show: ShowForm, change: (request: FastifyRequest, body: Body) => Promise<service.SettingKey[]>) {
  app.get(formPaths[form], { config: { access: 'settings:manage' } }, (_request, reply) => show(reply, null));
  app.post(formPaths[form], { config: { access: 'settings:manage' } }, async (request: FastifyRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    let changed: service.SettingKey[];
    try {
      changed = await change(request, body);
    } catch (err) {
      return show(reply, body, failureOf(err));
    }
    return reply.redirect(`${paths.settings()}?done=${changed.length ? form : 'unchanged'}`);
  });
}

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

  const showRuleForm = async (reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const rule = await service.managingPartnerRule(db);
    const options = (selected: string | undefined) => rule.partners.map((p) => ({ value: p.code, text: p.name, selected: p.code === selected }));
    return reply.code(failure?.status ?? 200).view('settings/views/managing-partner.njk', {
      title: 'Change the managing partner rule',
      read: shownVersion(body, failure, service.ruleFingerprint(rule), 'read'),
      cutover: dateInputValue(body, 'cutover', rule.cutover),
      beforeOptions: options(body ? body.partnerBefore : rule.partnerBefore),
      afterOptions: options(body ? body.partnerAfter : rule.partnerAfter),
      values: { reason: body?.reason },
      ...(failure ? errorView(failure.fields, ['cutover'], body) : { errors: {} }),
    });
  };

  settingsForm(app, 'managing-partner', showRuleForm, (request, body) =>
    service.changeManagingPartnerRule(
      db,
      request.ctx(),
      { cutover: joinDateParts(body, 'cutover'), partnerBefore: body.partnerBefore, partnerAfter: body.partnerAfter, reason: body.reason },
      body.read,
    ),
  );

  /** A form of number settings, each with its range and default in the hint. */
  const numberForm = (view: string, title: string, keys: readonly service.NumberSettingKey[], action?: string) => async (reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const current = await service.numberSettings(db, keys);
    return reply.code(failure?.status ?? 200).view(view, {
      title,
      action,
      read: shownVersion(body, failure, service.settingsFingerprint(current.map((s) => s.value)), 'read'),
      settings: current.map((s) => ({
        ...s,
        input: body ? (body[s.key] ?? '') : String(s.value),
        hintText: [s.hint, `From ${s.min} to ${s.max}. Default: ${service.withUnit(s.default, s.unit)}.`].filter(Boolean).join(' '),
        // Money has its £ before the box; other units follow it.
        ...(s.unit === 'pounds' ? { prefix: '£' } : { suffix: s.unit!.split(' ')[0] }),
        widthClass: s.max! >= 100_000 ? 'govuk-input--width-10' : undefined,
      })),
      groups: journeyGroups,
      values: { reason: body?.reason },
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  const showJourneyForm = numberForm('settings/views/learner-journey.njk', 'Change the learner journey rules', service.journeyKeys);
  settingsForm(app, 'learner-journey', showJourneyForm, (request, body) =>
    service.changeLearnerJourneyRules(db, request.ctx(), body, body.read),
  );

  const showPeriodsForm = async (reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const stored = await service.periodSettings(db);
    const window = await currentPeriodWindow(db, clock);
    return reply.code(failure?.status ?? 200).view('settings/views/periods.njk', {
      title: 'Change the programme periods',
      read: shownVersion(body, failure, service.settingsFingerprint([stored.firstPeriod, stored.lastPeriod]), 'read'),
      window,
      values: body ?? { firstPeriod: stored.firstPeriod, lastPeriod: stored.lastPeriod },
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  settingsForm(app, 'periods', showPeriodsForm, (request, body) =>
    service.changeProgrammePeriods(db, request.ctx(), body, body.read),
  );

  const showBookingForm = async (reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const booking = await service.assessmentBooking(db);
    return reply.code(failure?.status ?? 200).view('settings/views/assessment-booking.njk', {
      title: 'Change how learners book their assessment',
      read: shownVersion(body, failure, service.bookingFingerprint(booking), 'read'),
      action: paths.settingsAssessmentBooking(),
      values: body ?? booking,
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  settingsForm(app, 'assessment-booking', showBookingForm, (request, body) =>
    service.changeAssessmentBooking(db, request.ctx(), body, body.read),
  );

  const showRemindersForm = numberForm('settings/views/reminders.njk', 'Change when reminders are sent', service.reminderKeys, formPaths.reminders);
  settingsForm(app, 'reminders', showRemindersForm, (request, body) => service.changeReminderTiming(db, request.ctx(), body, body.read));

  const showRetentionForm = numberForm('settings/views/retention.njk', 'Change how long personal data is kept', service.retentionKeys, formPaths.retention);
  settingsForm(app, 'retention', showRetentionForm, (request, body) => service.changeRetentionPeriods(db, request.ctx(), body, body.read));

  const showEngagementsForm = numberForm('settings/views/engagements.njk', 'Change the engagement settings', service.engagementKeys, formPaths.engagements);
  settingsForm(app, 'engagements', showEngagementsForm, (request, body) => service.changeEngagementSettings(db, request.ctx(), body, body.read));

  const showContractsForm = numberForm('settings/views/contracts.njk', 'Change the key contract thresholds', service.contractKeys, formPaths.contracts);
  settingsForm(app, 'contracts', showContractsForm, (request, body) => service.changeContractSettings(db, request.ctx(), body, body.read));

  const showRoiForm = numberForm('settings/views/return-on-investment.njk', 'Change the return on investment settings', service.roiKeys, formPaths['return-on-investment']);
  settingsForm(app, 'return-on-investment', showRoiForm, (request, body) => service.changeRoiSettings(db, request.ctx(), body, body.read));
}
