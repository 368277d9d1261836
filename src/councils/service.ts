import { cachedRead } from '../db/read-cache.ts';
import { releaseRegistrationsOfCouncil } from '../networks/events/service.ts';
import type { MembershipRules } from '../networks/service.ts';
import { isUniqueViolation, type Db, type DbOrTx } from '../db/client.ts';
import { can, councilScope, type Actor, type CouncilScope, type Role } from '../auth/policy.ts';
import { changedFields, recordAudit, type RequestContext } from '../audit/record.ts';
import { getSetting } from '../settings/service.ts';
import { todayIso, type Clock } from '../clock.ts';
import { ConflictError, NotFoundError, ValidationError } from '../web/errors.ts';
import { formatDate } from '../web/format.ts';
import { parseOrThrow } from '../web/forms.ts';
import { councilTypes, managingPartnerCodeFor, moveProblem, type ProgrammeStatus } from './rules.ts';
import {
  councilCreateSchema,
  emailDomainsEditSchema,
  participationEditSchema,
  partnerOverrideSchema,
  specialistAssignSchema,
  specialistRemoveSchema,
  specialistSetSchema,
  statusMoveSchema,
} from './schemas.ts';
import * as repo from './repository.ts';
import { placesByLevel } from '../dashboard/repository.ts';
import { statusCounts } from '../enrolments/queries.ts';
import { levelLabels, levels, periodOf, statuses as journeyStatuses, statusLabels as journeyStatusLabels } from '../enrolments/journey.ts';
import type { CouncilDetail, CouncilFilters, Participation } from './repository.ts';

export type { CouncilFilters } from './repository.ts';

/** Who is looking at councils: which ones, and whether they may see people's names (funders may not). */
export type Viewer = { scope: CouncilScope; personalData: boolean };

/** The viewer a signed-in person is; the policy module decides both parts. */
export function viewerOf(actor: Actor): Viewer {
  return { scope: councilScope(actor), personalData: can(actor, 'council:view') };
}

/** The CLI exports as an administrator would. */
export const systemViewer: Viewer = { scope: { kind: 'all' }, personalData: true };

export const staleMessage = 'Someone else changed this council since you opened the page. Check the latest details and try again.';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A council list page, or every match when `page` is null (exports). */
export async function listCouncils(db: Db, viewer: Viewer, filters: CouncilFilters, page: { page: number; pageSize: number } | null) {
  const { rows, total } = await repo.listCouncils(db, viewer.scope, filters, page && { limit: page.pageSize, offset: (page.page - 1) * page.pageSize });
  return { total, rows: rows.map((r) => ({ ...r, programmeStatus: r.programmeStatus as ProgrammeStatus, sroName: viewer.personalData ? r.sroName : null })) };
}
export type CouncilListRow = Awaited<ReturnType<typeof listCouncils>>['rows'][number];

/** One council in the viewer's scope; unknown, malformed and out-of-scope ids are all "not found". */
export async function getCouncil(db: DbOrTx, scope: CouncilScope, id: string): Promise<CouncilDetail & { programmeStatus: ProgrammeStatus }> {
  const council = uuidPattern.test(id) ? await repo.findCouncil(db, scope, id) : null;
  if (!council) throw new NotFoundError();
  return { ...council, programmeStatus: council.programmeStatus as ProgrammeStatus };
}

/** Everything the council page shows. */
export async function councilOverview(db: Db, scope: CouncilScope, id: string) {
  const council = await getCouncil(db, scope, id);
  const history = await repo.statusHistory(db, id);
  const members = await repo.councilPeople(db, id);
  const specialists = await repo.assignedSpecialists(db, id);
  return {
    council,
    specialists,
    history: history.map((h) => ({ ...h, fromStatus: h.fromStatus as ProgrammeStatus, toStatus: h.toStatus as ProgrammeStatus })),
    people: members.map((p) => ({ ...p, roles: p.roles as Role[] })),
    checklist: {
      agreementSigned: council.agreementSignedDate,
      sroNamed: council.sroName,
      baselineBooked: council.baselineBookedDate,
    },
  };
}

/**
 * One council's learners and funded places in figures (counts only, no names), with the dashboard's queries scoped
 * to the council. `show` says which parts the viewer may see: funded places (`place:list`), enrolments
 * (`enrolment:list`). Places are this financial year's; enrolments are all the council's, by journey status, with
 * how many are overdue. The caller has already checked that the council is in the viewer's scope.
 */
export async function councilLearnerFigures(db: Db, clock: Clock, councilId: string, show: { places: boolean; enrolments: boolean }) {
  const today = todayIso(clock);
  const period = periodOf(today);
  const scope: CouncilScope = { kind: 'own', councilId };
  let places = null;
  if (show.places) {
    const rows = await placesByLevel(db, { scope, filters: {} }, period);
    places = levels.map((level) => {
      const row = rows.find((r) => r.level === level);
      const allocated = row?.places ?? 0;
      const taken = row?.taken ?? 0;
      return { level, label: levelLabels[level], allocated, taken, remaining: allocated - taken };
    });
  }
  let enrolments = null;
  if (show.enrolments) {
    const rows = await statusCounts(db, clock, scope);
    const byStatus = journeyStatuses.flatMap((status) => {
      const row = rows.find((r) => r.status === status);
      return row ? [{ status, label: journeyStatusLabels[status], enrolments: row.n, overdue: row.overdue }] : [];
    });
    const sum = (key: 'n' | 'overdue' | 'attention') => rows.reduce((n, r) => n + r[key], 0);
    enrolments = { byStatus, total: sum('n'), overdue: sum('overdue'), needsAttention: sum('attention') };
  }
  return { period, places, enrolments };
}

/** The people of a council who may be named as its SRO, and as its lead. */
export async function roleHolders(db: DbOrTx, councilId: string) {
  const members = (await repo.councilPeople(db, councilId)).filter((p) => p.status !== 'deactivated');
  return {
    sro: members.filter((p) => p.roles.includes('council_sro')),
    lead: members.filter((p) => p.roles.includes('council_lead')),
  };
}

/** The partners a council may be managed by (the rule's two, from settings). */
export async function managingPartnerChoices(db: DbOrTx) {
  const codes = [await getSetting(db, 'managingPartnerBefore'), await getSetting(db, 'managingPartnerAfter')];
  return repo.partnersByCode(db, codes);
}

/**
 * The list's filter options. The partner filter offers every partner that manages a council as well as the
 * rule's current two, so councils stay findable after an admin changes the rule to other partners.
 */
export function listFilterOptions(db: Db) {
  return cachedRead(db, 'councils.filters', async () => {
    const ruleCodes = [await getSetting(db, 'managingPartnerBefore'), await getSetting(db, 'managingPartnerAfter')];
    return { ...(await repo.filterOptions(db)), partners: await repo.managingPartners(db, ruleCodes) };
  });
}

/** Dates that record something that has happened cannot be later than today. */
function refuseFutureDates(clock: Clock, dates: Record<string, { value: string | null | undefined; label: string }>) {
  const today = todayIso(clock);
  const problems: Record<string, string> = {};
  for (const [field, { value, label }] of Object.entries(dates)) if (value && value > today) problems[field] = `${label} must be today or in the past`;
  if (Object.keys(problems).length) throw new ValidationError(problems);
}

/** The partner the rule gives a council onboarded on this date (settings decide the cut-over). */
async function partnerByRule(tx: DbOrTx, onboardingDate: string): Promise<string | null> {
  const code = managingPartnerCodeFor(
    onboardingDate,
    await getSetting(tx, 'managingPartnerCutover'),
    await getSetting(tx, 'managingPartnerBefore'),
    await getSetting(tx, 'managingPartnerAfter'),
  );
  const [found] = await repo.partnersByCode(tx, [code]);
  return found?.id ?? null;
}

/**
 * Sets the onboarding date, and with it the managing partner by rule, unless an admin has overridden the partner
 * (an override carries a reason, and a rule-given partner does not).
 */
async function onboardingChanges(tx: DbOrTx, current: Participation, onboardingDate: string): Promise<Partial<Participation>> {
  if (current.managingPartnerReason) return { onboardingDate };
  return { onboardingDate, managingPartnerId: await partnerByRule(tx, onboardingDate) };
}

/**
 * Who manages a council decides which partner's staff may see it, so only those who may override the partner
 * (programme admins) may change it by a new onboarding date too, and they say why when it moves from one partner to
 * another. Anyone else is refused before anything is written: their edit would hand the council out of their own
 * scope. `fields` names the form fields the messages belong to.
 */
async function checkPartnerChange(
  tx: DbOrTx,
  ctx: RequestContext,
  current: Participation,
  changes: Partial<Participation>,
  reason: string | null | undefined,
  fields: { date: string; reason: string },
) {
  if (changes.managingPartnerId === undefined || changes.managingPartnerId === current.managingPartnerId) return;
  if (!can(actorOf(ctx), 'council:override-partner')) {
    const cutover = formatDate(await getSetting(tx, 'managingPartnerCutover'));
    throw new ValidationError({ [fields.date]: `Only a programme admin can change the onboarding date across ${cutover}, because it changes who manages the council` });
  }
  if (current.managingPartnerId && !reason?.trim()) {
    throw new ValidationError({ [fields.reason]: 'Enter the reason for the change: the new onboarding date changes who manages the council' });
  }
}

function actorOf(ctx: RequestContext): Actor {
  if (!ctx.actor) throw new Error('A council change needs a signed-in actor');
  return ctx.actor;
}

/** Locks a council's participation for a change, refusing one out of scope (404) or read at an older version (409). */
async function lockForChange(tx: DbOrTx, ctx: RequestContext, id: string, version: number | undefined): Promise<Participation> {
  const current = uuidPattern.test(id) ? await repo.lockParticipation(tx, councilScope(actorOf(ctx)), id) : null;
  if (!current) throw new NotFoundError();
  if (version !== undefined && version !== current.version) throw new ConflictError(staleMessage, 'version');
  return current;
}

async function saveChanges(tx: DbOrTx, ctx: RequestContext, current: Participation, changes: Partial<Participation>) {
  const saved = await repo.updateParticipation(tx, current.councilId, current.version, changes, ctx.clock.now());
  if (!saved) throw new ConflictError(staleMessage, 'version');
  return saved;
}

/** Snapshot of a participation for the audit log, without bookkeeping columns. */
const auditable = (p: Participation) => ({
  status: p.status,
  onboardingDate: p.onboardingDate,
  managingPartnerId: p.managingPartnerId,
  managingPartnerReason: p.managingPartnerReason,
  sroPersonId: p.sroPersonId,
  leadPersonId: p.leadPersonId,
  agreementSignedDate: p.agreementSignedDate,
  baselineBookedDate: p.baselineBookedDate,
  emailDomains: p.emailDomains,
});

const domainsForAdmins = 'Only a programme admin can change the council’s email domains';

/**
 * Moves a council to another programme status: refuses an illegal move (409) or a missing reason (422),
 * records the move in the status history and the audit log, all in one transaction; moving away from active gives up
 * the event places of its people who leave the networks with it.
 */
export async function moveStatus(db: Db, ctx: RequestContext, id: string, input: unknown, leaving: { rules: MembershipRules; baseUrl: string }): Promise<void> {
  const data = parseOrThrow(statusMoveSchema, input);
  const onboardingDate = data.status === 'onboarding' ? data.onboardingDate : null;
  refuseFutureDates(ctx.clock, { onboardingDate: { value: onboardingDate, label: 'Onboarding date' } });
  await db.transaction(async (tx) => {
    const current = await lockForChange(tx, ctx, id, data.version);
    const from = current.status as ProgrammeStatus;
    const problem = moveProblem(from, data.status, data.reason, current.onboardingDate ?? onboardingDate);
    if (problem?.kind === 'input') throw new ValidationError({ [problem.field]: problem.message });
    if (problem) throw new ConflictError(problem.message, problem.field);
    const now = ctx.clock.now();
    const changes: Partial<Participation> = {
      status: data.status,
      statusChangedAt: now,
      ...(onboardingDate ? await onboardingChanges(tx, current, onboardingDate) : {}),
    };
    await checkPartnerChange(tx, ctx, current, changes, data.reason, { date: 'onboardingDate', reason: 'reason' });
    const saved = await saveChanges(tx, ctx, current, changes);
    await repo.insertStatusChange(tx, { councilId: id, fromStatus: from, toStatus: data.status, reason: data.reason || null, changedById: actorOf(ctx).personId, changedAt: now });
    const diff = changedFields(auditable(current), auditable(saved));
    await recordAudit(tx, ctx, { action: 'council.status_changed', recordType: 'council', recordId: id, before: diff.before, after: { ...diff.after, reason: data.reason || null } });
    // Network membership needs an active council: its people who no longer belong give up their places at coming events.
    if (data.status !== 'active') await releaseRegistrationsOfCouncil(tx, ctx, id, leaving.rules, leaving.baseUrl);
  });
}

/** Edits a council's participation details; the SRO and lead must be people of that council holding those roles. */
export async function editParticipation(db: Db, ctx: RequestContext, id: string, input: unknown): Promise<void> {
  const data = parseOrThrow(participationEditSchema, input);
  refuseFutureDates(ctx.clock, {
    onboardingDate: { value: data.onboardingDate, label: 'Onboarding date' },
    agreementSignedDate: { value: data.agreementSignedDate, label: 'Agreement signed date' },
  });
  await db.transaction(async (tx) => {
    const current = await lockForChange(tx, ctx, id, data.version);
    const holders = await roleHolders(tx, id);
    const problems: Record<string, string> = {};
    if (data.sroPersonId && !holders.sro.some((p) => p.id === data.sroPersonId)) problems.sroPersonId = 'Select an SRO from this council';
    if (data.leadPersonId && !holders.lead.some((p) => p.id === data.leadPersonId)) problems.leadPersonId = 'Select a council lead from this council';
    // An active or completed council got there with an onboarding date (moveProblem), so it cannot lose it.
    if (data.onboardingDate === null && current.onboardingDate && ['active', 'completed'].includes(current.status)) {
      problems.onboardingDate = 'Enter the onboarding date: an active or completed council must have one';
    }
    if (data.emailDomains && JSON.stringify(data.emailDomains) !== JSON.stringify(current.emailDomains) && !can(actorOf(ctx), 'council:email-domains')) {
      problems.emailDomains = domainsForAdmins;
    }
    if (Object.keys(problems).length) throw new ValidationError(problems);

    const changes: Partial<Participation> = {
      emailDomains: data.emailDomains,
      agreementSignedDate: data.agreementSignedDate,
      baselineBookedDate: data.baselineBookedDate,
      sroPersonId: data.sroPersonId,
      leadPersonId: data.leadPersonId,
      ...(data.onboardingDate && data.onboardingDate !== current.onboardingDate
        ? await onboardingChanges(tx, current, data.onboardingDate)
        : { onboardingDate: data.onboardingDate }),
    };
    await checkPartnerChange(tx, ctx, current, changes, data.partnerChangeReason, { date: 'onboardingDate', reason: 'partnerChangeReason' });
    const diff = changedFields(auditable(current), changes);
    if (!Object.keys(diff.after).length) return;
    await saveChanges(tx, ctx, current, diff.after);
    const reason = 'managingPartnerId' in diff.after ? { reason: data.partnerChangeReason?.trim() || null } : {};
    await recordAudit(tx, ctx, { action: 'council.participation_updated', recordType: 'council', recordId: id, before: diff.before, after: { ...diff.after, ...reason } });
  });
}

/**
 * Sets the email domains a council's SRO and lead may nominate and invite addresses on (admins, by route access);
 * the same list again changes nothing.
 */
export async function setEmailDomains(db: Db, ctx: RequestContext, id: string, input: unknown): Promise<void> {
  const data = parseOrThrow(emailDomainsEditSchema, input);
  if (!can(actorOf(ctx), 'council:email-domains')) throw new ValidationError({ emailDomains: domainsForAdmins });
  await db.transaction(async (tx) => {
    const current = await lockForChange(tx, ctx, id, data.version);
    const diff = changedFields(auditable(current), { emailDomains: data.emailDomains });
    if (!Object.keys(diff.after).length) return;
    await saveChanges(tx, ctx, current, diff.after);
    await recordAudit(tx, ctx, { action: 'council.email_domains_changed', recordType: 'council', recordId: id, ...diff });
  });
}

/** Overrides or transfers a council's managing partner, with the reason kept beside it (admins only, by route access). */
export async function overrideManagingPartner(db: Db, ctx: RequestContext, id: string, input: unknown): Promise<void> {
  const data = parseOrThrow(partnerOverrideSchema, input);
  await db.transaction(async (tx) => {
    const choice = (await managingPartnerChoices(tx)).find((p) => p.code === data.partnerCode);
    if (!choice) throw new ValidationError({ partnerCode: 'Select the managing partner' });
    const current = await lockForChange(tx, ctx, id, data.version);
    const diff = changedFields(auditable(current), { managingPartnerId: choice.id, managingPartnerReason: data.reason });
    if (!Object.keys(diff.after).length) return;
    await saveChanges(tx, ctx, current, diff.after);
    await recordAudit(tx, ctx, { action: 'council.managing_partner_overridden', recordType: 'council', recordId: id, ...diff });
  });
}

/** Adds a council that the register does not have yet; a GSS or register code already in use is a 409. */
export async function createCouncil(db: Db, ctx: RequestContext, input: unknown): Promise<string> {
  const data = parseOrThrow(councilCreateSchema, input);
  const code = data.code ?? data.gssCode;
  try {
    return await db.transaction(async (tx) => {
      const taken = await repo.organisationCodeTaken(tx, data.gssCode, code);
      if (taken) throw new ConflictError(taken === 'gssCode' ? `An organisation already has the GSS code ${data.gssCode}` : `An organisation already has the code ${code}`, taken);
      const council = { code, gssCode: data.gssCode, name: data.name, laType: data.type, laTypeName: councilTypes[data.type], region: data.region };
      const id = await repo.insertCouncil(tx, council);
      await recordAudit(tx, ctx, { action: 'council.created', recordType: 'council', recordId: id, after: council });
      return id;
    });
  } catch (err) {
    // Two requests racing past the check meet the unique index instead.
    if (isUniqueViolation(err)) throw new ConflictError(`An organisation already has the GSS code ${data.gssCode} or the code ${code}`, 'gssCode');
    throw err;
  }
}


/** The commercial specialists assigned to a council in the viewer's scope (404 outside it). */
export async function councilSpecialists(db: Db, scope: CouncilScope, id: string) {
  const council = await getCouncil(db, scope, id);
  return { council, specialists: await repo.assignedSpecialists(db, id) };
}

/** Who may still be assigned to a council: active specialists not yet assigned to it. */
export async function specialistChoices(db: DbOrTx, councilId: string) {
  return repo.activeSpecialists(db, councilId, 'unassigned');
}

const notAssignableMessage = 'Select an active commercial specialist';
const notAssignedMessage = 'That person is not assigned to this council as a commercial specialist.';

/** The ids of a council's specialists, in a stable order for the audit log. */
const idsOf = (rows: { personId: string }[]) => rows.map((r) => r.personId).sort();

/** Which of these ids do not name an active person holding the specialist role. */
async function notAssignable(tx: DbOrTx, ids: readonly string[]): Promise<Set<string>> {
  const found = await repo.peopleForAssignment(tx, ids);
  const ok = new Set(found.filter((p) => p.status === 'active' && p.roles.includes('specialist')).map((p) => p.id));
  return new Set(ids.filter((id) => !ok.has(id)));
}

/**
 * Applies additions and removals to a council's specialists, one audit event per person, each listing the
 * specialist ids before and after it, all in the caller's transaction.
 */
async function changeSpecialists(tx: DbOrTx, ctx: RequestContext, councilId: string, current: string[], add: string[], remove: string[]) {
  let before = current;
  await repo.deleteAssignments(tx, councilId, remove);
  for (const personId of remove) {
    const after = before.filter((id) => id !== personId);
    await recordAudit(tx, ctx, { action: 'council.specialist_removed', recordType: 'council', recordId: councilId, before: { specialistIds: before }, after: { specialistIds: after } });
    before = after;
  }
  await repo.insertAssignments(tx, councilId, add);
  for (const personId of add) {
    const after = [...before, personId].sort();
    await recordAudit(tx, ctx, { action: 'council.specialist_assigned', recordType: 'council', recordId: councilId, before: { specialistIds: before }, after: { specialistIds: after } });
    before = after;
  }
}

/**
 * Assigns a commercial specialist to a council (admins, by route access): the person must be active and hold
 * the specialist role (422), and not be assigned already (409). The council row is locked, so two admins
 * assigning at once are serialised.
 */
export async function assignSpecialist(db: Db, ctx: RequestContext, id: string, input: unknown): Promise<{ name: string }> {
  const data = parseOrThrow(specialistAssignSchema, input);
  const personId = data.personId.toLowerCase();
  try {
    return await db.transaction(async (tx) => {
      await lockForChange(tx, ctx, id, undefined);
      const current = idsOf(await repo.assignedSpecialists(tx, id));
      const [person] = await repo.peopleForAssignment(tx, [personId]);
      if (!person || person.status !== 'active' || !person.roles.includes('specialist')) throw new ValidationError({ personId: notAssignableMessage });
      if (current.includes(personId)) throw new ConflictError(`${person.name} is already assigned to this council`, 'personId');
      await changeSpecialists(tx, ctx, id, current, [personId], []);
      return { name: person.name };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError('That specialist is already assigned to this council', 'personId');
    throw err;
  }
}

/**
 * What the removal page shows: the council's specialists, and the one `personId` names (404 when that person
 * is not assigned to the council); null when no one is named yet.
 */
export async function removalChoice(db: Db, scope: CouncilScope, id: string, personId: string | null) {
  const { council, specialists } = await councilSpecialists(db, scope, id);
  if (personId === null) return { council, specialists, specialist: null };
  const specialist = specialists.find((s) => s.personId === personId.toLowerCase());
  if (!specialist) throw new NotFoundError(notAssignedMessage);
  return { council, specialists, specialist };
}

/** Removes a commercial specialist from a council; one who is not assigned is a 404 and nothing changes. */
export async function removeSpecialist(db: Db, ctx: RequestContext, id: string, input: unknown): Promise<{ name: string }> {
  const data = parseOrThrow(specialistRemoveSchema, input);
  const personId = data.personId.toLowerCase();
  return db.transaction(async (tx) => {
    await lockForChange(tx, ctx, id, undefined);
    const assigned = await repo.assignedSpecialists(tx, id);
    const specialist = assigned.find((s) => s.personId === personId);
    if (!specialist) throw new NotFoundError(notAssignedMessage);
    await changeSpecialists(tx, ctx, id, idsOf(assigned), [], [personId]);
    return { name: specialist.name };
  });
}

/**
 * Replaces the set of specialists assigned to a council (API). Everyone newly added must be an active
 * specialist (422 naming each bad entry); those already assigned may stay even if since deactivated.
 * Nothing changes, and nothing is audited, when the set is the same.
 */
export async function replaceSpecialists(db: Db, ctx: RequestContext, id: string, input: unknown): Promise<void> {
  const data = parseOrThrow(specialistSetSchema, input);
  const wanted = data.personIds.map((p) => p.toLowerCase());
  await db.transaction(async (tx) => {
    await lockForChange(tx, ctx, id, undefined);
    const current = idsOf(await repo.assignedSpecialists(tx, id));
    const add = wanted.filter((p) => !current.includes(p));
    const remove = current.filter((p) => !wanted.includes(p));
    const bad = await notAssignable(tx, add);
    if (bad.size) {
      const problems: Record<string, string> = {};
      wanted.forEach((p, i) => {
        if (bad.has(p)) problems[`personIds.${i}`] = `personIds[${i}] is not an active commercial specialist`;
      });
      throw new ValidationError(problems);
    }
    await changeSpecialists(tx, ctx, id, current, add.sort(), remove);
  });
}
