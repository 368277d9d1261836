/**
 * Recording that a Foundation accreditation was renewed. Foundation holders re-accredit every N years (the
 * renewal-years setting); upkeep.ts computes the due date from the last renewal, so recording one is all it takes
 * for the learner's page, the staff view and the API to show the new due date and status. Practitioner and Expert
 * holders are kept up by CPD instead and are never renewed.
 */
import { z } from 'zod';
import { can, learnerScope, type Action, type Actor } from '../auth/policy.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { todayIso } from '../clock.ts';
import type { Db } from '../db/client.ts';
import { levelLabels, type Level } from '../enrolments/journey.ts';
import { upkeepRules } from '../settings/service.ts';
import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../web/errors.ts';
import { formatDate } from '../web/format.ts';
import { parseOrThrow } from '../web/forms.ts';
import type { UpkeepRules } from './upkeep.ts';
import * as learners from './repository.ts';
import * as repo from './renewal-repository.ts';
import { renewalSchema } from './schemas.ts';
import { accreditationViews, type AccreditationView } from './service.ts';

/**
 * Who may record a renewal: whoever may record the other steps of a learner's journey after approval (the
 * enrolments service's `actionFor`), that is programme admins and the managing partner's staff, each within their
 * council scope. A renewal is one more step of the same journey, so it needs no rule of its own.
 */
export const renewalAction = 'enrolment:progress' satisfies Action;

const isUuid = (id: string) => z.uuid().safeParse(id).success;

const actorOf = (ctx: RequestContext): Actor => {
  if (!ctx.actor) throw new UnauthenticatedError();
  return ctx.actor;
};

/** Why a Practitioner or Expert accreditation has no renewal to record. */
export const notRenewedMessage = (level: Level) =>
  `${levelLabels[level]} accreditations are not renewed: they are kept up by logging CPD hours each accreditation year. Only Foundation accreditations are renewed.`;

/**
 * The learner and one of their accreditations, if the actor may see the learner (404 when an id is malformed or
 * unknown, the accreditation is someone else's, or the learner is outside the actor's scope) and may record
 * renewals (403 otherwise; the routes' access rule refuses such roles earlier, with 404 for a record).
 */
export async function authoriseRenewal(db: Db, ctx: RequestContext, personId: string, accreditationId: string) {
  const actor = actorOf(ctx);
  const learner = isUuid(personId) ? await learners.findLearner(db, learnerScope(actor), personId) : null;
  if (!learner) throw new NotFoundError('We could not find that learner.');
  const accreditation = isUuid(accreditationId) ? await repo.findAccreditation(db, personId, accreditationId) : null;
  if (!accreditation) throw new NotFoundError('We could not find that accreditation.');
  if (!can(actor, renewalAction)) throw new ForbiddenError('You cannot record a renewal.');
  return { learner, accreditation };
}

/** An accreditation with its upkeep as of today. A renewal is for Foundation, whose upkeep needs no CPD. */
const withUpkeep = (ctx: RequestContext, accreditation: learners.AccreditationRow, rules: UpkeepRules): AccreditationView =>
  accreditationViews([accreditation], [], rules, todayIso(ctx.clock))[0];

/**
 * What the renewal form shows: the learner, the Foundation accreditation with its current due date, and how many
 * years a renewal lasts (409 for an accreditation of another level).
 */
export async function renewalTarget(db: Db, ctx: RequestContext, personId: string, accreditationId: string) {
  const { learner, accreditation } = await authoriseRenewal(db, ctx, personId, accreditationId);
  if (accreditation.level !== 'foundation') throw new ConflictError(notRenewedMessage(accreditation.level as Level));
  const rules = await upkeepRules(db);
  return { learner, accreditation: withUpkeep(ctx, accreditation, rules), renewalYears: rules.foundationRenewalYears };
}

/**
 * Records the day a Foundation accreditation was renewed, in one transaction with its `accreditation.renewed`
 * audit event. The date may not be in the future, before the programme began, before the award or before the last
 * renewal (a ValidationError). Recording the date already recorded changes nothing and writes no audit event, so a
 * repeated submission is harmless. Two people renewing at once cannot move the date back: the later date wins, and
 * the one who lost with an earlier date is told so (a ConflictError on the date).
 */
export async function recordRenewal(
  db: Db,
  ctx: RequestContext,
  personId: string,
  accreditationId: string,
  input: unknown,
): Promise<{ accreditation: AccreditationView; changed: boolean }> {
  const { accreditation } = await authoriseRenewal(db, ctx, personId, accreditationId);
  const { date } = parseOrThrow(renewalSchema(todayIso(ctx.clock)), input);
  if (accreditation.level !== 'foundation') throw new ConflictError(notRenewedMessage(accreditation.level as Level));
  const changed = await db.transaction(async (tx) => {
    const current = await repo.findAccreditation(tx, personId, accreditationId);
    if (!current) throw new NotFoundError('We could not find that accreditation.');
    if (date < current.awardedOn) throw new ValidationError({ date: `Date renewed must be the same as or after the award date, ${formatDate(current.awardedOn)}` });
    if (date === current.renewedOn) return false;
    if (current.renewedOn && date < current.renewedOn) {
      throw new ValidationError({ date: `Date renewed must be the same as or after the last renewal, ${formatDate(current.renewedOn)}` });
    }
    const renewed = await repo.renewForward(tx, accreditationId, date);
    if (!renewed) {
      // Someone else's renewal was committed between the read above and the update: the same date is this one
      // done already; a later one stands, and this earlier one must not replace it.
      const now = await repo.findAccreditation(tx, personId, accreditationId);
      if (now?.renewedOn === date) return false;
      throw new ConflictError(
        `Someone else recorded a later renewal, on ${formatDate(now?.renewedOn)}, while you were recording this one. Check the date and try again.`,
        'date',
      );
    }
    await recordAudit(tx, ctx, {
      action: 'accreditation.renewed',
      recordType: 'accreditation',
      recordId: accreditationId,
      before: { renewedOn: renewed.previous },
      after: { renewedOn: date },
    });
    return true;
  });
  const saved = await repo.findAccreditation(db, personId, accreditationId);
  return { accreditation: withUpkeep(ctx, saved!, await upkeepRules(db)), changed };
}
