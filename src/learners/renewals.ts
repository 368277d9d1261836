/**
 * Recording that a Foundation accreditation was renewed. Foundation holders re-accredit every N years (the
 * renewal-years setting); upkeep.ts computes the due date from the last renewal, so recording one is all it takes
 * for the learner's page, the staff view and the API to show the new due date and status. Practitioner and Expert
 * holders are kept up by CPD instead and are never renewed.
 */
import { councilScope, learnerScope } from '../auth/policy.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { todayIso } from '../clock.ts';
import type { Db } from '../db/client.ts';
import { levelLabels, type Level } from '../enrolments/journey.ts';
import { upkeepRules } from '../settings/service.ts';
import { ConflictError, NotFoundError, ValidationError } from '../web/errors.ts';
import { formatDate } from '../web/format.ts';
import { parseOrThrow } from '../web/forms.ts';
import type { UpkeepRules } from './upkeep.ts';
import * as repo from './repository.ts';
import { renewalSchema } from './schemas.ts';
import { accreditationViews, actorOf, isUuid, type AccreditationView } from './service.ts';

/** Why a Practitioner or Expert accreditation has no renewal to record. */
const notRenewedMessage = (level: Level) =>
  `${levelLabels[level]} accreditations are not renewed: they are kept up by logging CPD hours each accreditation year. Only Foundation accreditations are renewed.`;

/**
 * The learner and one of their Foundation accreditations, if the actor may see the learner and the accreditation
 * was earned at a council in their scope (404 otherwise: malformed, unknown, someone else's, out of scope); 409 for
 * a Practitioner or Expert accreditation. Who may record a renewal at all is the policy's `accreditation:renew`,
 * which the routes declare.
 */
export async function authoriseRenewal(db: Db, ctx: RequestContext, personId: string, accreditationId: string) {
  const actor = actorOf(ctx);
  const learner = isUuid(personId) ? await repo.findLearner(db, learnerScope(actor), personId) : null;
  if (!learner) throw new NotFoundError('We could not find that learner.');
  const accreditation = isUuid(accreditationId) ? await repo.findAccreditation(db, councilScope(actor), personId, accreditationId) : null;
  if (!accreditation) throw new NotFoundError('We could not find that accreditation.');
  if (accreditation.level !== 'foundation') throw new ConflictError(notRenewedMessage(accreditation.level as Level));
  return { learner, accreditation };
}

/** An accreditation with its upkeep as of today. A renewal is for Foundation, whose upkeep needs no CPD. */
const withUpkeep = (ctx: RequestContext, accreditation: repo.AccreditationRow, rules: UpkeepRules): AccreditationView =>
  accreditationViews([accreditation], [], rules, todayIso(ctx.clock))[0];

/** What the renewal form shows: the learner, the Foundation accreditation with its current due date, and how many years a renewal lasts. */
export async function renewalTarget(db: Db, ctx: RequestContext, personId: string, accreditationId: string) {
  const { learner, accreditation } = await authoriseRenewal(db, ctx, personId, accreditationId);
  const rules = await upkeepRules(db);
  return { learner, accreditation: withUpkeep(ctx, accreditation, rules), renewalYears: rules.foundationRenewalYears };
}

/**
 * Records the day a Foundation accreditation was renewed, in one transaction with its `accreditation.renewed`
 * audit event. The date may not be in the future, before the programme began, before the award or before the last
 * renewal (a ValidationError). Recording the date already recorded changes nothing and writes no audit event, so a
 * repeated submission is harmless (`changed` is false). Two people renewing at once cannot move the date back: the
 * later date wins, and the one who lost with an earlier date is told so (a ConflictError on the date).
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
  if (date < accreditation.awardedOn) throw new ValidationError({ date: `Date renewed must be the same as or after the award date, ${formatDate(accreditation.awardedOn)}` });
  const changed = await db.transaction(async (tx) => {
    const renewed = await repo.renewForward(tx, accreditationId, date);
    if (renewed) {
      await recordAudit(tx, ctx, {
        action: 'accreditation.renewed',
        recordType: 'accreditation',
        recordId: accreditationId,
        before: { renewedOn: renewed.previous },
        after: { renewedOn: date },
      });
      return true;
    }
    // Nothing moved: the date is the one recorded already (a repeat), or an earlier one than the stored renewal —
    // read under the lock the UPDATE took, so a renewal someone else committed meanwhile is seen.
    const stored = (await repo.findAccreditation(tx, { kind: 'all' }, personId, accreditationId))?.renewedOn ?? null;
    if (stored === date) return false;
    if (stored === accreditation.renewedOn) {
      throw new ValidationError({ date: `Date renewed must be the same as or after the last renewal, ${formatDate(stored)}` });
    }
    throw new ConflictError(`Someone else recorded a later renewal, on ${formatDate(stored)}, while you were recording this one. Check the date and try again.`, 'date');
  });
  const rules = await upkeepRules(db);
  // Changed or not, the renewal on record is now `date`.
  return { accreditation: withUpkeep(ctx, { ...accreditation, renewedOn: date }, rules), changed };
}
