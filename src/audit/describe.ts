/**
 * The audit log in English: one sentence per event saying who did what to which record ("Ann Admin changed the status
 * of Adur District Council from Interested to Onboarding"), with the records linked. Pure: the names of the records
 * come in a map read by the repository (recordNames) for the ids that `referencedRecords` asks for, so a page of
 * events costs one query. Every action the code writes has a sentence here (describe.test.ts checks the source);
 * an action without one still gets a readable sentence.
 */
import { roleLabels, type Role } from '../auth/policy.ts';
import { isNetworkKey, memberRoleLabels, networkNames, type MemberRole } from '../networks/networks.ts';
import { resourceTypeLabels, type ResourceType } from '../networks/resource-schemas.ts';
import { statusLabels as councilStatusLabels, type ProgrammeStatus } from '../councils/rules.ts';
import { eventTypes, levelLabels, statusLabels as journeyStatusLabels, type EventType, type Level, type Status } from '../enrolments/journey.ts';
import { personStatusLabels } from '../people/schemas.ts';
import { settingInfo, type SettingKey } from '../settings/service.ts';
import { formatDate, formatDateTime } from '../web/format.ts';
import { reminderKinds, reminderLabels, type ReminderKind } from '../notifications/reminder-kinds.ts';
import { paths } from '../web/paths.ts';
import { countsSummary } from '../privacy/retention-kinds.ts';
import {
  actionStatusLabels,
  activityLabels,
  daysText,
  engagementStatusLabels,
  minutesPerDay,
  ragLabels,
  type ActionStatus,
  type ActivityType,
  type EngagementStatus,
  type Rag,
} from '../engagements/rules.ts';
import { lineKindLabels, type LineKind } from '../funding/schemas.ts';
import { moneyText, ratingLabels, tierLabels, type Rating, type Tier } from '../contracts/rules.ts';
import { improvementTypeLabels, money, type ImprovementType } from '../improvements/rules.ts';
import { indicatorByKey } from '../evaluation/catalogue.ts';
import { formatValue } from '../evaluation/service.ts';
import { fileDescription } from '../files/upload.ts';

/** What an event holds that its sentence needs. */
export type DescribedEvent = {
  action: string;
  recordType: string;
  recordId: string;
  actorId: string | null;
  actorLabel: string;
  before: unknown;
  after: unknown;
};

/** The tables a sentence names records from. A council's record type is `council`; its row is an organisation. */
export type RecordKind = 'person' | 'organisation' | 'enrolment' | 'cohort' | 'funded_places' | 'accreditation' | 'cpd_record' | 'import_run' | 'api_token';

/** A record's name as the repository reads it, with what its link and its sentence need. */
export type NamedRecord = {
  kind: RecordKind;
  id: string;
  name: string;
  /** An organisation's kind (only councils have a page), an import's kind. */
  sort: string | null;
  /** An enrolment's, accreditation's or allocation's level. */
  level: string | null;
  period: string | null;
  /** Whose enrolment, accreditation, CPD entry or token; which council's allocation. */
  ownerId: string | null;
};

export type RecordNames = ReadonlyMap<string, NamedRecord>;
export const nameKey = (kind: RecordKind, id: string) => `${kind}:${id}`;

/** A piece of a sentence: text, or a record's name with a link to its page (null when it has none or is gone). */
export type Part = string | { text: string; href: string | null };
export type Description = { parts: Part[]; text: string };

/** A record type's table, where it differs from the record type. */
const kindOfType: Readonly<Record<string, RecordKind>> = { council: 'organisation' };
const recordKinds: readonly RecordKind[] = ['person', 'organisation', 'enrolment', 'cohort', 'funded_places', 'accreditation', 'cpd_record', 'import_run', 'api_token'];
const kindOf = (recordType: string): RecordKind | null => kindOfType[recordType] ?? (recordKinds.includes(recordType as RecordKind) ? (recordType as RecordKind) : null);

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const asObject = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const asIds = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

/** Fields of a snapshot that hold another record's id, so the sentence can name it. */
const referenceFields: Readonly<Record<string, RecordKind>> = {
  organisationId: 'organisation',
  councilId: 'organisation',
  managingPartnerId: 'organisation',
  sroPersonId: 'person',
  leadPersonId: 'person',
  specialistIds: 'person',
  personId: 'person',
  cohortId: 'cohort',
  leadSpecialistId: 'person',
  managerId: 'person',
};

const referenceFieldEntries = Object.entries(referenceFields);

/** Every record the events' sentences name (the records themselves and the ids in their snapshots), by table. */
export function referencedRecords(events: readonly DescribedEvent[]): Map<RecordKind, Set<string>> {
  const wanted = new Map<RecordKind, Set<string>>(recordKinds.map((k) => [k, new Set<string>()]));
  const want = (kind: RecordKind | null, id: string) => {
    if (kind && uuidPattern.test(id)) wanted.get(kind)!.add(id.toLowerCase());
  };
  for (const e of events) {
    want(kindOf(e.recordType), e.recordId);
    for (const snapshot of [asObject(e.before), asObject(e.after)]) {
      for (const [field, kind] of referenceFieldEntries) for (const id of asIds(snapshot[field])) want(kind, id);
    }
  }
  return wanted;
}

/** Where a named record's page is, for an admin (the only readers of the log); null when it has none. */
function hrefOf(r: NamedRecord): string | null {
  switch (r.kind) {
    case 'person':
      return paths.person(r.id);
    case 'organisation':
      return r.sort === 'council' ? paths.council(r.id) : null;
    case 'enrolment':
      return paths.enrolment(r.id);
    case 'cohort':
      return paths.cohort(r.id);
    case 'funded_places':
      return r.ownerId ? paths.council(r.ownerId) : null;
    case 'accreditation':
    case 'cpd_record':
      return r.ownerId ? paths.learner(r.ownerId) : null;
    case 'import_run':
      return paths.importRun(r.id);
    case 'api_token':
      return null;
  }
}

const networkName = (key: string) => (isNetworkKey(key) ? networkNames[key] : `network “${key}”`);
const networkList = (keys: unknown) => (Array.isArray(keys) && keys.length ? keys.map((k) => networkName(String(k))).join(' and ') : 'networks');
const resourceTypeLabel = (v: unknown) => resourceTypeLabels[v as ResourceType] ?? shown(v);
/** A resource's fields as its edit page names them. */
const resourceFields: Readonly<Record<string, string>> = {
  title: 'title',
  type: 'type',
  tags: 'tags',
  councilId: 'council',
  networks: 'shared with',
  linkUrl: 'link',
};
const level = (v: unknown) => levelLabels[v as Level] ?? String(v ?? '');
// An initialism ("KPIs introduced") keeps its capitals.
const lower = (s: string) => (/^[A-Z]{2}/.test(s) ? s : s.charAt(0).toLowerCase() + s.slice(1));
const isoDatePattern = /^\d{4}-\d{2}-\d{2}$/;

/** A snapshot's value as the pages write it: dates as "1 December 2026", lists with commas, nothing as "none". */
function shown(value: unknown): string {
  if (value === null || value === undefined || value === '' || (Array.isArray(value) && !value.length)) return 'none';
  if (Array.isArray(value)) return value.map(shown).join(', ');
  if (typeof value === 'string' && isoDatePattern.test(value)) return formatDate(value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

const plural = (n: unknown, one: string, many = `${one}s`) => `${shown(n)} ${Number(n) === 1 ? one : many}`;

/** Who acted, by name: "Ann Admin <ann@…>" is Ann Admin; the system's labels read as a sentence's subject. */
export function actorName(label: string): string {
  const named = /^(.*?)\s*<[^<>]*>$/.exec(label);
  if (named?.[1]) return named[1];
  const system: Record<string, string> = { anonymous: 'Someone', 'demo seed': 'The demo data loader', 'pioneer CLI': 'The Pioneer command line', system: 'Pioneer' };
  return system[label] ?? label;
}

type Helpers = {
  /** The actor, by name. */
  who: string;
  /** The event's own record, linked. */
  record: Part;
  /** Another record named in the event. */
  ref: (kind: RecordKind, id: unknown) => Part;
  named: (kind: RecordKind, id: unknown) => NamedRecord | undefined;
  /** The actor is the person the event is about ("their password"). */
  self: boolean;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
};

/** A sentence from a template whose values are text or linked records. */
function en(strings: TemplateStringsArray, ...values: Part[]): Part[] {
  const parts: Part[] = [];
  strings.forEach((s, i) => {
    if (s) parts.push(s);
    if (i < values.length && values[i] !== '') parts.push(values[i]);
  });
  return parts;
}

/** " from A to B" when the value was recorded before, " to B" when it was not. */
const fromTo = (before: unknown, after: unknown, label: (v: unknown) => string = shown) =>
  before === undefined || before === null ? ` to ${label(after)}` : ` from ${label(before)} to ${label(after)}`;

/** ": reason" when the event recorded one. */
/** A results upload whose approvals took budget lines over budget: how many, and whether the uploader confirmed it. */
const overBudgetUpload = (after: Record<string, unknown>) => {
  const lines = Array.isArray(after.budgetWarnings) ? after.budgetWarnings.length : 0;
  if (!lines) return '';
  return `, its approvals taking ${plural(lines, 'budget line')} over budget (${after.overBudgetConfirmed ? 'confirmed with “Upload anyway”' : 'sent over the API, which does not ask'})`;
};
const because = (reason: unknown) => (typeof reason === 'string' && reason.trim() ? ` (reason: ${reason.trim()})` : '');

/** The enrolment's level, from the record or, for an erased one, nowhere ("" then). */
const enrolmentLevel = (h: Helpers, e: DescribedEvent) => {
  const l = h.named('enrolment', e.recordId)?.level;
  return l ? `${level(l)} ` : '';
};

const councilStatus = (v: unknown) => councilStatusLabels[v as ProgrammeStatus] ?? shown(v);
const journeyStatus = (v: unknown) => journeyStatusLabels[v as Status] ?? shown(v);

/** What each journey event says, after the actor's name. */
const journeySentences: Record<EventType, (h: Helpers, lvl: string) => Part[]> = {
  approved: (h, lvl) => en`approved the ${lvl}nomination of ${h.record}`,
  declined: (h, lvl) => en`declined the ${lvl}nomination of ${h.record}${because(h.after.reason)}`,
  registered: (h, lvl) => en`recorded that ${h.record} registered with the training provider for ${lvl || 'their '}learning`,
  learning_started: (h, lvl) => en`recorded that ${h.record} started ${lvl}learning`,
  assessment_booked: (h, lvl) => en`recorded that ${h.record} booked ${lvl ? `the ${lvl}` : 'their '}assessment`,
  passed: (h, lvl) =>
    en`recorded that ${h.record} passed ${lvl ? `the ${lvl}` : 'their '}assessment${h.after.certificateNumber ? ` (certificate ${shown(h.after.certificateNumber)})` : ''}`,
  not_passed: (h, lvl) => en`recorded that ${h.record} did not pass ${lvl ? `the ${lvl}` : 'their '}assessment`,
  deferred: (h, lvl) => en`deferred the ${lvl}learning of ${h.record}${because(h.after.reason)}`,
  withdrawn: (h, lvl) => en`withdrew ${h.record} from ${lvl ? `${lvl}` : 'their '}learning${because(h.after.reason)}`,
  resumed: (h, lvl) => en`resumed the ${lvl}learning of ${h.record} after a deferral, back to ${lower(journeyStatus(h.after.status))}`,
};

const personStatus = (v: unknown) => personStatusLabels[v as keyof typeof personStatusLabels] ?? shown(v);
const roleList = (v: unknown) => (Array.isArray(v) && v.length ? v.map((r) => roleLabels[r as Role] ?? String(r)).join(', ') : 'no roles');

/** How the council page names its participation details, for "updated … of Adur District Council". */
const participationFields: Readonly<Record<string, string>> = {
  status: 'programme status',
  onboardingDate: 'onboarding date',
  managingPartnerId: 'managing partner',
  managingPartnerReason: 'reason for the managing partner',
  sroPersonId: 'SRO',
  leadPersonId: 'council lead',
  agreementSignedDate: 'agreement signed date',
  baselineBookedDate: 'baseline assessment date',
  emailDomains: 'email domains',
};

/** How the person and CPD pages name the fields a correction changes. */
const personFields: Readonly<Record<string, string>> = { name: 'name', jobTitle: 'job title', email: 'email address' };
const cpdFields: Readonly<Record<string, string>> = { date: 'date', hours: 'hours', activity: 'activity', reflection: 'reflection' };

const maturityKind = (v: unknown) => (v === 'baseline' ? 'baseline' : v === 'follow_up' ? 'follow-up' : shown(v));
/** ": Risk from 2 to 3; People to 4" for the areas whose score a draft's save changed ("" when only evidence or targets did). */
function scoreChanges(h: Helpers): string {
  const before = asObject(h.before.scores);
  const changed = Object.entries(asObject(h.after.scores)).filter(([area, v]) => before[area] !== v);
  return changed.length ? `: ${changed.map(([area, v]) => `${area}${fromTo(before[area], v)}`).join('; ')}` : '';
}

/** "name from A to B; job title from C to D" for the fields a snapshot changed (reflections are long: named, not quoted). */
function changeList(h: Helpers, labels: Readonly<Record<string, string>>): Part[] {
  const fields = Object.keys(h.after);
  if (!fields.length) return ['no details'];
  return fields.flatMap((field, i): Part[] => [
    i ? '; ' : '',
    field === 'reflection' ? 'the reflection' : `${labels[field] ?? field}${fromTo(h.before[field], h.after[field])}`,
  ]);
}

/** Names of people or organisations in a snapshot's field, linked, joined with "and". */
function refList(h: Helpers, kind: RecordKind, ids: string[]): Part[] {
  const parts: Part[] = [];
  ids.forEach((id, i) => {
    if (i) parts.push(i === ids.length - 1 ? ' and ' : ', ');
    parts.push(h.ref(kind, id));
  });
  return parts.length ? parts : ['nobody'];
}

function settingLabel(key: string): string {
  return settingInfo[key as SettingKey]?.label ?? key;
}

/** An event's start as the pages write it ("25 October 2026 at 6pm", UK time). */
const eventTime = (v: unknown) => (typeof v === 'string' ? formatDateTime(v) : shown(v));
const audienceNames = (v: unknown) => (Array.isArray(v) ? v.map((k) => networkName(String(k))).join(' and the ') : shown(v));
const eventFields: Readonly<Record<string, string>> = {
  title: 'title', description: 'description', startsAt: 'start', endsAt: 'end', format: 'format', location: 'location',
  joiningUrl: 'joining link', capacity: 'places', registrationDeadline: 'registration deadline', audience: 'audience',
};

/** "start from … to …; places from 20 to 30" for an event's changed fields (the title's own change included). */
function eventChanges(h: Helpers): Part[] {
  const fields = Object.keys(h.after).filter((f) => f !== 'title' || h.before.title !== h.after.title);
  if (!fields.length) return ['no details'];
  const label = (f: string) => (v: unknown) => (f === 'startsAt' || f === 'endsAt' || f === 'registrationDeadline' ? eventTime(v) : f === 'audience' ? audienceNames(v) : shown(v));
  return fields.flatMap((f, i): Part[] => [i ? '; ' : '', f === 'description' ? 'the description' : `${eventFields[f] ?? f}${fromTo(h.before[f], h.after[f], label(f))}`]);
}

const engagementStatus = (v: unknown) => engagementStatusLabels[v as EngagementStatus] ?? shown(v);
const activity = (v: unknown) => activityLabels[v as ActivityType] ?? shown(v);
/** Minutes as the engagement pages show them: "1.5 days". */
const daysOf = (minutes: unknown) => (typeof minutes === 'number' ? `${daysText(minutes)} ${minutes === minutesPerDay ? 'day' : 'days'}` : shown(minutes));
const engagementFields: Readonly<Record<string, string>> = {
  title: 'title', leadSpecialistId: 'lead specialist', specialistIds: 'other specialists', scope: 'scope', objectives: 'objectives',
  startDate: 'start date', endDate: 'end date', plannedMinutes: 'planned days',
};
/** "end date from … to …; planned days from 10 days to 12 days" (scope and objectives are long: named, not quoted). */
function engagementChanges(h: Helpers): Part[] {
  const fields = Object.keys(engagementFields).filter((f) => f in h.after && (f !== 'title' || h.before.title !== h.after.title));
  if (!fields.length) return ['no details'];
  const value = (f: string, v: unknown): Part[] =>
    f === 'leadSpecialistId' ? [h.ref('person', v)] : f === 'specialistIds' ? refList(h, 'person', asIds(v)) : f === 'plannedMinutes' ? [daysOf(v)] : [shown(v)];
  return fields.flatMap((f, i): Part[] =>
    f === 'scope' || f === 'objectives' ? [i ? '; ' : '', `the ${f}`] : [i ? '; ' : '', `${engagementFields[f]} from `, ...value(f, h.before[f]), ' to ', ...value(f, h.after[f])],
  );
}
const actionFields: Readonly<Record<string, string>> = { title: 'title', maturityAreaKey: 'maturity area', personId: 'owner', dueDate: 'due date', status: 'status', rag: 'RAG' };
function actionChanges(h: Helpers): Part[] {
  const fields = Object.keys(actionFields).filter((f) => f in h.after);
  if (!fields.length) return ['no details'];
  const value = (f: string, v: unknown): Part =>
    f === 'personId' ? h.ref('person', v) : f === 'status' ? (actionStatusLabels[v as ActionStatus] ?? shown(v)) : f === 'rag' ? (ragLabels[v as Rag] ?? shown(v)) : shown(v);
  return fields.flatMap((f, i): Part[] => [i ? '; ' : '', `${actionFields[f]} from `, value(f, h.before[f]), ' to ', value(f, h.after[f])]);
}

const contractFields: Readonly<Record<string, string>> = {
  name: 'name', supplier: 'supplier', annualValuePence: 'annual value', totalValuePence: 'total value', startDate: 'start date', endDate: 'end date',
  tier: 'tier', managerId: 'contract manager', hasPlan: 'contract management plan',
};
/** "total value from £4,000,000 to £6,000,000; tier from Silver to Gold" (money in pence, shown as the pages show it). */
function contractChanges(h: Helpers): Part[] {
  const fields = Object.keys(contractFields).filter((f) => f in h.after && (f !== 'name' || h.before.name !== h.after.name));
  if (!fields.length) return ['no details'];
  const value = (f: string, v: unknown): Part =>
    f === 'managerId' ? (v ? h.ref('person', v) : 'none')
    : f === 'annualValuePence' || f === 'totalValuePence' ? (typeof v === 'number' ? moneyText(v) : shown(v))
    : f === 'tier' ? (tierLabels[v as Tier] ?? shown(v))
    : f === 'hasPlan' ? (v ? 'in place' : 'not in place')
    : shown(v);
  return fields.flatMap((f, i): Part[] => [i ? '; ' : '', `${contractFields[f]} from `, value(f, h.before[f]), ' to ', value(f, h.after[f])]);
}
const contractOf = (h: Helpers, snapshot: Record<string, unknown>) => en`the key contract “${shown(snapshot.name)}” of ${h.ref('organisation', snapshot.councilId)}`;
const pence = (value: unknown) => (typeof value === 'number' ? moneyText(value) : shown(value));
/** A CSF's targets: "Learners retained (target 90.0%, amber from 80.0%); …", in each indicator's unit. */
function csfTargets(indicators: unknown): string {
  const list = Array.isArray(indicators) ? (indicators as Record<string, unknown>[]) : [];
  if (!list.length) return 'no indicators';
  return list
    .map((i) => {
      const indicator = indicatorByKey.get(String(i.key));
      if (!indicator) return shown(i.key);
      const v = (n: unknown) => (typeof n === 'number' ? formatValue(indicator, n) : shown(n));
      return `${indicator.name} (target ${v(i.target)}, amber from ${v(i.amber)})`;
    })
    .join('; ');
}
const monthText = (month: unknown) => (typeof month === 'string' && /^\d{4}-\d{2}$/.test(month) ? formatDate(`${month}-01`).replace(/^1 /, '') : shown(month));

const fromUpload = (h: Helpers) => (h.after.upload ? ' (from an upload)' : '');

/**
 * Each action the code writes, and what its sentence says after the actor's name (or, for the actions where the
 * record's person acted on their own before signing in, the whole sentence).
 */
/** An improvement as its sentences name it: “the first words of its description…” (its type). */
function improvementName(h: Helpers, snapshot: Record<string, unknown>, adjective = ''): Part[] {
  const text = shown(snapshot.description);
  const short = text.length > 60 ? `${text.slice(0, 60).trimEnd()}…` : text;
  return en`the ${adjective}improvement “${short}” (${lower(improvementType(snapshot.type))}) of ${h.ref('organisation', snapshot.councilId)}`;
}
const improvementType = (v: unknown) => improvementTypeLabels[v as ImprovementType] ?? shown(v);
/** A value as the pages show it: "£1,250.00 cashable", or "no financial value". */
const improvementValue = (pence: unknown, cashable: unknown) =>
  typeof pence === 'number' ? `${money(pence)} ${cashable ? 'cashable' : 'non-cashable'}` : 'no financial value';
const improvementFields: Readonly<Record<string, string>> = { type: 'the type', description: 'the description', date: 'the date', valuePence: 'the financial value', learnerIds: 'the learners credited', contractIds: 'the key contracts' };
/** “Highways” and “Waste”, or none: the contracts an improvement pointed at, by the names its snapshot kept. */
const contractNames = (v: unknown) => {
  const names = asIds(v).map((n) => `“${n}”`);
  return names.length ? names.join(', ').replace(/, ([^,]*)$/, ' and $1') : 'none';
};

/** An evidence file's kind and size as the pages list it ("PDF, 12 KB"). */
const evidenceFileKind = (snapshot: Record<string, unknown>) =>
  typeof snapshot.contentType === 'string' && typeof snapshot.sizeBytes === 'number' ? fileDescription({ contentType: snapshot.contentType, sizeBytes: snapshot.sizeBytes }) : 'a file';

function improvementChanges(h: Helpers): Part[] {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const fields = Object.keys(improvementFields).filter((f) => !same(h.before[f], h.after[f]) || (f === 'valuePence' && !same(h.before.cashable, h.after.cashable)));
  if (!fields.length) return ['no details'];
  return fields.flatMap((f, i): Part[] => {
    const sep = i ? '; ' : '';
    if (f === 'type') return [sep, `the type from ${lower(improvementType(h.before.type))} to ${lower(improvementType(h.after.type))}`];
    if (f === 'date') return [sep, `the date from ${shown(h.before.date)} to ${shown(h.after.date)}`];
    if (f === 'valuePence') return [sep, `the financial value from ${improvementValue(h.before.valuePence, h.before.cashable)} to ${improvementValue(h.after.valuePence, h.after.cashable)}`];
    if (f === 'contractIds') return [sep, `the key contracts from ${contractNames(h.before.contractNames)} to ${contractNames(h.after.contractNames)}`];
    return [sep, improvementFields[f]];
  });
}

const sentences: Record<string, (h: Helpers, e: DescribedEvent) => Part[]> = {
  'auth.sign_in': (h) => en`${h.record} signed in`,
  'auth.sign_in_failed': (h) => en`Someone tried to sign in as ${h.record} with a wrong password`,
  'auth.reset_requested': (h) => en`Someone asked for a password reset link for ${h.record}`,
  'auth.invitation_accepted': (h) => en`${h.record} accepted their invitation and created a password`,
  'auth.password_reset': (h) => en`${h.record} reset their password${h.after.revokedApiTokens ? ', which revoked their API tokens' : ''}`,
  'auth.password_changed': (h) =>
    h.self ? en`${h.who} changed their password${h.after.revokedApiTokens ? ', which revoked their API tokens' : ''}` : en`${h.who} changed the password of ${h.record}`,
  'token.created': (h, e) =>
    typeof h.after.personId === 'string' && h.after.personId !== e.actorId
      ? en`${h.who} created the API token “${shown(h.after.name)}” for ${h.ref('person', h.after.personId)}`
      : en`${h.who} created the API token “${shown(h.after.name)}”`,
  'token.revoked': (h) => en`${h.who} revoked the API token ${h.record}`,
  'person.invited': (h) => en`${h.who} invited ${h.record} of ${h.ref('organisation', h.after.organisationId)} as ${roleList(h.after.roles)}`,
  'person.roles_changed': (h) => en`${h.who} changed the roles of ${h.record} from ${roleList(h.before.roles)} to ${roleList(h.after.roles)}`,
  'person.deactivated': (h) => en`${h.who} deactivated ${h.record}`,
  'person.details_changed': (h) => [...en`${h.who} corrected the details of ${h.record}: `, ...changeList(h, personFields)],
  'person.email_change_requested': (h) =>
    en`${h.who} asked to change the email address of ${h.record} from ${shown(h.before.email)} to ${shown(h.after.email)} (waiting for the new address to confirm${h.after.emailDomainsOverridden ? ', outside the council’s email domains' : ''})`,
  // The person confirms from the link in their email, signed in or not: the sentence is about them.
  'person.email_changed': (h) => en`The email address of ${h.record} changed from ${shown(h.before.email)} to ${shown(h.after.email)}, confirmed from the new address`,
  'person.reactivated': (h) => en`${h.who} reactivated ${h.record}, who is now ${lower(personStatus(h.after.status))}`,
  'person.invitation_resent': (h) => en`${h.who} sent ${h.record} a new invitation`,
  // Subject access and erasure (src/privacy): the export names only whose data it was; erasure keeps its reason only.
  'person.data_exported': (h) =>
    h.self ? en`${h.who} downloaded everything Pioneer holds about them` : en`${h.who} downloaded everything Pioneer holds about ${h.record}`,
  'person.erased': (h) => en`${h.who} erased ${h.record}${because(h.after.reason)}`,
  // Retention (src/privacy/retention.ts): how many of each kind a run removed, never who.
  'retention.run': (h) =>
    en`${h.who} applied the retention rules${h.after.trigger === 'daily' ? ' (the daily run)' : ''}: ${lower(countsSummary(h.after.counts))}`,
  'enrolment.nominated': (h) =>
    en`${h.who} nominated ${h.record} of ${h.ref('organisation', h.after.councilId)} for ${level(h.after.level)} in ${shown(h.after.period)}${h.after.emailDomainsOverridden ? ', allowing an email address outside the council’s email domains' : ''}`,
  // Before a decision: the level, the period or both, as they changed.
  'enrolment.corrected': (h) => {
    const changed = [
      ...(h.before.level !== h.after.level ? [`the level from ${level(h.before.level)} to ${level(h.after.level)}`] : []),
      ...(h.before.period !== h.after.period ? [`the period${fromTo(h.before.period, h.after.period)}`] : []),
    ];
    return en`${h.who} corrected the nomination of ${h.record}: ${changed.join(' and ') || 'no change'}`;
  },
  'enrolment.placed_in_cohort': (h) =>
    h.before.cohortId
      ? en`${h.who} moved ${h.record} from the cohort ${h.ref('cohort', h.before.cohortId)} to ${h.ref('cohort', h.after.cohortId)}`
      : en`${h.who} placed ${h.record} in the cohort ${h.ref('cohort', h.after.cohortId)}`,
  ...Object.fromEntries(
    eventTypes.map((type) => [
      `enrolment.${type}`,
      (h: Helpers, e: DescribedEvent) => [h.who, ' ', ...journeySentences[type](h, enrolmentLevel(h, e))],
    ]),
  ),
  'cohort.created': (h) =>
    en`${h.who} created the ${level(h.after.level)} cohort ${h.record}, starting ${shown(h.after.startDate)}, with ${plural(h.after.capacity, 'seat')}`,
  'cohort.capacity_changed': (h) => en`${h.who} changed the capacity of the cohort ${h.record}${fromTo(h.before.capacity, h.after.capacity)}`,
  'cohort.dates_changed': (h) => {
    // Only the dates that moved; workshop dates are listed on the cohort's page.
    const changed = [['start', 'startDate'], ['end', 'endDate']]
      .filter(([, key]) => h.before[key] !== h.after[key])
      .map(([word, key]) => `${word}${fromTo(h.before[key], h.after[key])}`);
    return en`${h.who} changed the dates of the cohort ${h.record}${changed.length ? `: ${changed.join('; ')}` : ' (its workshop dates)'}`;
  },
  'network.member-added': (h, e) =>
    en`${h.who} added ${h.ref('person', h.after.personId)} to the ${networkName(e.recordId)} as a ${lower(memberRoleLabels[h.after.role as MemberRole] ?? shown(h.after.role))}`,
  'network.member-removed': (h, e) =>
    en`${h.who} removed ${h.ref('person', h.before.personId)} (${lower(memberRoleLabels[h.before.role as MemberRole] ?? shown(h.before.role))}) from the ${networkName(e.recordId)}`,
  'network-resource.created': (h) =>
    en`${h.who} added the ${lower(resourceTypeLabel(h.after.type))} “${shown(h.after.title)}” to the resource library of the ${networkList(h.after.networks)}`,
  'network-resource.updated': (h) => {
    const value = (field: string, v: unknown): Part =>
      field === 'councilId' ? (v ? h.ref('organisation', v) : 'none') : field === 'type' ? resourceTypeLabel(v) : field === 'networks' ? networkList(v) : shown(v);
    // In the edit page's order (a jsonb snapshot keeps its keys in its own order); the title is always kept, for naming.
    const changes = Object.keys(resourceFields)
      .filter((field) => field in h.after && (field !== 'title' || h.before.title !== h.after.title))
      .flatMap((field, i): Part[] => [i ? '; ' : ': ', `${resourceFields[field] ?? field} from `, value(field, h.before[field]), ' to ', value(field, h.after[field])]);
    return [...en`${h.who} edited the resource “${shown(h.after.title)}”`, ...(changes.length ? changes : [' (nothing changed)'])];
  },
  'network-resource.file-replaced': (h) =>
    en`${h.who} replaced the file of the resource “${shown(h.after.title)}”: ${shown(h.before.fileName)} with ${shown(h.after.fileName)}`,
  'network-resource.deleted': (h) =>
    en`${h.who} deleted the ${lower(resourceTypeLabel(h.before.type))} “${shown(h.before.title)}” from the resource library of the ${networkList(h.before.networks)}`,
  'network_event.created': (h) =>
    en`${h.who} added the event “${shown(h.after.title)}” on ${eventTime(h.after.startsAt)} for the ${audienceNames(h.after.audience)}${h.after.seriesId ? ' (one of a series)' : ''}`,
  'network_event.changed': (h) => [...en`${h.who} changed the event “${shown(h.before.title)}”: `, ...eventChanges(h)],
  'network_event.cancelled': (h) => en`${h.who} cancelled the event “${shown(h.before.title)}”`,
  'network_event.registered': (h) => en`${h.ref('person', h.after.personId)} registered for the event “${shown(h.after.title)}”`,
  'network_event.waitlisted': (h) => en`${h.ref('person', h.after.personId)} joined the waitlist of the event “${shown(h.after.title)}”`,
  'network_event.promoted': (h) => en`${h.ref('person', h.after.personId)} was given a place at the event “${shown(h.after.title)}” from its waitlist`,
  'network_event.registration_cancelled': (h) =>
    en`${h.ref('person', h.before.personId)} cancelled their ${h.before.status === 'waitlisted' ? 'place on the waitlist' : 'registration'} for the event “${shown(h.before.title)}”`,
  'network_event.registration_released': (h) =>
    en`${h.ref('person', h.before.personId)}’s ${h.before.status === 'waitlisted' ? 'place on the waitlist' : 'registration'} for the event “${shown(h.before.title)}” was given up, as they can no longer take part`,
  'network_event.walk_in': (h) => en`${h.who} added ${h.ref('person', h.after.personId)} to the event “${shown(h.after.title)}” as a walk-in`,
  'network_event.attended': (h) =>
    en`${h.who} recorded that ${h.ref('person', h.after.personId)} attended the event “${shown(h.after.title)}”${h.after.cpdHours ? ` (${plural(h.after.cpdHours, 'hour')} added to their CPD log)` : ''}`,
  'network_event.attendance_removed': (h) =>
    en`${h.who} corrected the attendance of the event “${shown(h.after.title)}”: ${h.ref('person', h.after.personId)} did not attend${h.after.cpdHours ? ` (${plural(h.after.cpdHours, 'hour')} taken out of their CPD log)` : ''}`,
  'calendar_feed.created': (h) => en`${h.who} made a calendar feed link`,
  'calendar_feed.regenerated': (h) => en`${h.who} made a new calendar feed link (the old one stopped working)`,
  'calendar_feed.revoked': (h) => en`${h.who} turned off their calendar feed link`,
  'network_thread.started': (h) => en`${h.who} started the discussion “${shown(h.after.title)}” in the ${networkName(String(h.after.network))}`,
  'network_thread.locked': (h) => en`${h.who} locked the discussion “${shown(h.after.title)}”: no new replies`,
  'network_thread.retitled': (h) => en`${h.who} renamed the discussion “${shown(h.before.title)}” to “${shown(h.after.title)}”`,
  'network_thread.unlocked': (h) => en`${h.who} unlocked the discussion “${shown(h.after.title)}”`,
  'network_post.replied': (h) => en`${h.who} replied in the discussion “${shown(h.after.title)}”`,
  'network_post.edited': (h) => en`${h.who} edited their post in the discussion “${shown(h.after.title)}”`,
  'network_post.deleted': (h) => en`${h.who} deleted their post in the discussion “${shown(h.before.title)}”`,
  'network_post.hidden': (h) =>
    en`${h.who} hid a post by ${h.after.personId ? h.ref('person', h.after.personId) : 'a former member'} in the discussion “${shown(h.after.title)}” (reason: ${shown(h.after.reason)})${h.after.reportsClosed ? `, closing ${plural(h.after.reportsClosed, 'open report')}` : ''}`,
  'network_post.unhidden': (h) =>
    en`${h.who} showed again a post by ${h.before.personId ? h.ref('person', h.before.personId) : 'a former member'} in the discussion “${shown(h.before.title)}”`,
  'network_post.reported': (h) =>
    en`${h.who} reported a post by ${h.after.personId ? h.ref('person', h.after.personId) : 'a former member'} in the discussion “${shown(h.after.title)}” (reason: ${shown(h.after.reason)})`,
  'network_post.report_dismissed': (h) => en`${h.who} dismissed a report of a post in the discussion “${shown(h.after.title)}” (it said: ${shown(h.after.reason)})`,
  'places.allocated': (h) =>
    en`${h.who} set the ${level(h.after.level)} places of ${h.ref('organisation', h.after.councilId)} for ${shown(h.after.period)}${fromTo(h.before.places, h.after.places)}`,
  'place_request.created': (h) =>
    en`${h.who} asked for ${plural(h.after.places, `more ${level(h.after.level)} place`)} for ${h.ref('organisation', h.after.councilId)} in ${shown(h.after.period)} (reason: ${shown(h.after.reason)})`,
  'place_request.granted': (h) =>
    en`${h.who} granted a request for ${plural(h.after.places, `${level(h.after.level)} place`)} for ${h.ref('organisation', h.after.councilId)} in ${shown(h.after.period)}`,
  'place_request.refused': (h) =>
    en`${h.who} refused a request for ${plural(h.after.places, `${level(h.after.level)} place`)} for ${h.ref('organisation', h.after.councilId)} in ${shown(h.after.period)}${because(h.after.note)}`,
  'accreditation.renewed': (h, e) =>
    en`${h.who} recorded that ${h.ref('person', h.named('accreditation', e.recordId)?.ownerId)} renewed their ${level(h.named('accreditation', e.recordId)?.level)} accreditation on ${shown(h.after.renewedOn)}`,
  'cpd.changed': (h) => [...en`${h.who} changed a CPD entry: `, ...changeList(h, cpdFields)],
  'cpd.deleted': (h) => en`${h.who} deleted the CPD entry of ${shown(h.before.date)} (${plural(h.before.hours, 'hour')}, ${shown(h.before.activity)})`,
  'cpd.logged': (h) =>
    h.self || h.after.personId === undefined
      ? en`${h.who} logged ${plural(h.after.hours, 'hour')} of CPD (${shown(h.after.activity)}) on ${shown(h.after.date)}`
      : en`${h.who} logged ${plural(h.after.hours, 'hour')} of CPD (${shown(h.after.activity)}) on ${shown(h.after.date)} for ${h.ref('person', h.after.personId)}`,
  'council.created': (h) => en`${h.who} added the council ${h.record}`,
  'council.status_changed': (h) => [
    ...en`${h.who} changed the status of ${h.record}${fromTo(h.before.status, h.after.status, councilStatus)}`,
    // Onboarding sets the onboarding date, which may hand the council to the other managing partner.
    ...(h.after.onboardingDate ? [`, onboarding on ${shown(h.after.onboardingDate)}`] : []),
    ...(h.after.managingPartnerId ? en`, managed by ${h.ref('organisation', h.after.managingPartnerId)}` : []),
    because(h.after.reason),
  ],
  'council.participation_updated': (h) => {
    const changes = Object.keys(h.after)
      .filter((f) => f !== 'reason')
      .flatMap((field, i): Part[] => {
        const kind = referenceFields[field];
        const value = (v: unknown): Part => (kind && v ? h.ref(kind, v) : shown(v));
        return [i ? '; ' : '', `${participationFields[field] ?? field} from `, value(h.before[field]), ' to ', value(h.after[field])];
      });
    return [...en`${h.who} updated ${h.record}: `, ...(changes.length ? changes : ['no details']), ...en`${because(h.after.reason)}`];
  },
  'council.email_domains_changed': (h) => en`${h.who} changed the email domains of ${h.record}${fromTo(h.before.emailDomains ?? [], h.after.emailDomains)}`,
  'council.managing_partner_overridden': (h) =>
    h.after.managingPartnerId
      ? [
          ...en`${h.who} changed the managing partner of ${h.record} `,
          ...(h.before.managingPartnerId ? en`from ${h.ref('organisation', h.before.managingPartnerId)} ` : []),
          ...en`to ${h.ref('organisation', h.after.managingPartnerId)}${because(h.after.managingPartnerReason)}`,
        ]
      : en`${h.who} changed the reason for the managing partner of ${h.record}${because(h.after.managingPartnerReason)}`,
  'council.specialist_assigned': (h) => {
    const added = asIds(h.after.specialistIds).filter((id) => !asIds(h.before.specialistIds).includes(id));
    return [...en`${h.who} assigned `, ...refList(h, 'person', added), ...en` to ${h.record}`];
  },
  'council.specialist_removed': (h) => {
    const removed = asIds(h.before.specialistIds).filter((id) => !asIds(h.after.specialistIds).includes(id));
    return [...en`${h.who} removed `, ...refList(h, 'person', removed), ...en` from ${h.record}`];
  },
  'register.imported': (h, e) => en`${h.who} imported the council register from ${e.recordId}`,
  'import.nominations': (h) =>
    en`${h.who} uploaded ${plural(h.after.rows, 'row')} of nominations in ${h.record}: ${shown(h.after.created)} created, ${shown(h.after.invited)} invited, ${shown(h.after.unchanged)} unchanged`,
  'import.results': (h) =>
    en`${h.who} uploaded ${plural(h.after.rows, 'row')} of results in ${h.record}: ${shown(h.after.created)} recorded, ${shown(h.after.unchanged)} unchanged${overBudgetUpload(h.after)}`,
  'settings.changed': (h, e) => en`${h.who} changed the setting “${settingLabel(e.recordId)}”${fromTo(h.before.value, h.after.value)}${because(h.after.reason)}`,
  'notifications.preferences_changed': (h) => {
    const off = (v: unknown) => new Set(Array.isArray(v) ? v : []);
    const [before, after] = [off(h.before.remindersOff), off(h.after.remindersOff)];
    const changes = [
      ...reminderKinds.filter((k) => after.has(k) && !before.has(k)).map((k) => `switched off “${reminderLabels[k]}” reminders`),
      ...reminderKinds.filter((k) => before.has(k) && !after.has(k)).map((k) => `switched on “${reminderLabels[k]}” reminders`),
    ];
    const subject = h.self ? en`${h.who}` : en`${h.who}, for ${h.record},`;
    return [...subject, ` ${changes.length ? changes.join(' and ') : 'saved their reminder choices unchanged'}`];
  },
  'notifications.unsubscribed': (h) =>
    en`${h.record} stopped “${reminderLabels[h.after.kind as ReminderKind] ?? shown(h.after.kind)}” reminders with the unsubscribe link in a reminder email`,
  'maturity.started': (h) =>
    en`${h.who} started the ${maturityKind(h.after.kind)} maturity assessment of ${h.ref('organisation', h.after.councilId)}${h.after.basedOnId ? ', from its last submitted assessment' : ''}`,
  'maturity.draft_saved': (h) => [
    ...en`${h.who} saved the draft ${maturityKind(h.after.kind)} maturity assessment of ${h.ref('organisation', h.after.councilId)}`,
    scoreChanges(h),
  ],
  'maturity.submitted': (h) => en`${h.who} submitted the ${maturityKind(h.after.kind)} maturity assessment of ${h.ref('organisation', h.after.councilId)}`,
  'maturity.moderated': (h) =>
    en`${h.who} moderated the score for ${shown(h.after.area)} in the maturity assessment of ${h.ref('organisation', h.after.councilId)}${fromTo(h.before.score, h.after.score)} (the council’s own score, kept: ${shown(h.after.ownScore)})${because(h.after.reason)}`,
  // Transformation engagements (src/engagements): each sentence names the engagement and its council.
  'engagement.created': (h) =>
    en`${h.who} opened the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)}, led by ${h.ref('person', h.after.leadSpecialistId)}, from ${shown(h.after.startDate)} to ${shown(h.after.endDate)} (${daysOf(h.after.plannedMinutes)} planned)`,
  'engagement.updated': (h) => [...en`${h.who} changed the engagement “${shown(h.before.title)}” with ${h.ref('organisation', h.after.councilId)}: `, ...engagementChanges(h)],
  'engagement.status_changed': (h) =>
    en`${h.who} moved the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)}${fromTo(h.before.status, h.after.status, engagementStatus)}`,
  'engagement.time_logged': (h) =>
    en`${h.who} logged ${daysOf(h.after.minutes)} of ${lower(activity(h.after.activity))} on ${shown(h.after.date)} on the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)}`,
  'engagement.time_changed': (h) =>
    en`${h.who} changed their time entry on the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)} from ${daysOf(h.before.minutes)} on ${shown(h.before.date)} to ${daysOf(h.after.minutes)} of ${lower(activity(h.after.activity))} on ${shown(h.after.date)}`,
  'engagement.time_deleted': (h) =>
    en`${h.who} deleted their time entry of ${daysOf(h.before.minutes)} on ${shown(h.before.date)} from the engagement “${shown(h.before.title)}” with ${h.ref('organisation', h.before.councilId)}`,
  'engagement.milestone_added': (h) =>
    en`${h.who} added the milestone “${shown(h.after.milestone)}”, due ${shown(h.after.dueDate)}, to the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)}`,
  'engagement.milestone_changed': (h) =>
    en`${h.who} changed the milestone “${shown(h.before.milestone)}” of the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)} to “${shown(h.after.milestone)}”, due ${shown(h.after.dueDate)}`,
  'engagement.milestone_done': (h) =>
    h.after.doneOn
      ? en`${h.who} marked the milestone “${shown(h.after.milestone)}” of the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)} done`
      : en`${h.who} marked the milestone “${shown(h.after.milestone)}” of the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)} not done`,
  'engagement.action_added': (h) =>
    en`${h.who} added the action “${shown(h.after.action)}”, owned by ${h.ref('person', h.after.personId)} and due ${shown(h.after.dueDate)}, to the plan of the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)}`,
  'engagement.action_changed': (h) => [...en`${h.who} changed the action “${shown(h.before.action)}” of the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)}: `, ...actionChanges(h)],
  'engagement.action_note_added': (h) =>
    en`${h.who} added a progress note to the action “${shown(h.after.action)}” of the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)}`,
  'engagement.action_evidence_added': (h) =>
    en`${h.who} added the evidence “${shown(h.after.evidence)}” (${shown(h.after.url)}) to the action “${shown(h.after.action)}” of the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)}`,
  'engagement.action_evidence_file_added': (h) =>
    en`${h.who} added the file “${shown(h.after.fileName)}” (${evidenceFileKind(h.after)}) as evidence to the action “${shown(h.after.action)}” of the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)}`,
  'engagement.action_evidence_file_removed': (h) =>
    en`${h.who} removed the evidence file “${shown(h.before.fileName)}” (${evidenceFileKind(h.before)}) from the action “${shown(h.before.action)}” of the engagement “${shown(h.before.title)}” with ${h.ref('organisation', h.before.councilId)}`,
  'engagement.plan_signed_off': (h) =>
    en`${h.who} signed off the action plan (${plural(h.after.actions, 'action')}) of the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)}`,
  'engagement.completion_signed_off': (h) =>
    en`${h.who} signed off the completion of the engagement “${shown(h.after.title)}” with ${h.ref('organisation', h.after.councilId)}, every action done`,
  // Key contracts (src/contracts): each sentence names the contract and its council.
  'contract.created': (h) =>
    [...en`${h.who} added `, ...contractOf(h, h.after), ...en` with ${shown(h.after.supplier)}, worth ${typeof h.after.totalValuePence === 'number' ? moneyText(h.after.totalValuePence) : shown(h.after.totalValuePence)}, ending ${shown(h.after.endDate)}${fromUpload(h)}`],
  'contract.updated': (h) => [...en`${h.who} changed `, ...contractOf(h, h.before), `${fromUpload(h)}: `, ...contractChanges(h)],
  'contract.deleted': (h) => [...en`${h.who} deleted `, ...contractOf(h, h.before), ` with ${shown(h.before.supplier)} and its ${plural(h.before.kpis, 'KPI')}`],
  'contract.kpi_added': (h) => [...en`${h.who} added the KPI “${shown(h.after.kpi)}” (target: ${shown(h.after.target)}) to `, ...contractOf(h, h.after)],
  'contract.kpi_changed': (h) =>
    [...en`${h.who} changed the KPI “${shown(h.before.kpi)}” (target: ${shown(h.before.target)}) of `, ...contractOf(h, h.after), ` to “${shown(h.after.kpi)}” (target: ${shown(h.after.target)})`],
  'contract.kpi_assessed': (h) =>
    [...en`${h.who} assessed the KPI “${shown(h.after.kpi)}” of `, ...contractOf(h, h.after), ` as ${lower(ratingLabels[h.after.rating as Rating] ?? shown(h.after.rating))} on ${shown(h.after.assessedOn)}`],
  'contract.kpi_deleted': (h) => [...en`${h.who} deleted the KPI “${shown(h.before.kpi)}” (target: ${shown(h.before.target)}) of `, ...contractOf(h, h.before)],
  // Funding (src/funding): each sentence names the fund, and the line or supplier concerned, with the sums in pounds.
  'fund.created': (h) =>
    en`${h.who} added the fund “${shown(h.after.name)}” from ${shown(h.after.source)}, worth ${pence(h.after.amountPence)}, from ${shown(h.after.startDate)} to ${shown(h.after.endDate)}`,
  'fund.line_added': (h) => {
    const line = (h.after.line ?? {}) as Record<string, unknown>;
    return en`${h.who} added the budget line “${shown(line.name)}” (${lower(lineKindLabels[line.kind as LineKind] ?? shown(line.kind))}), budget ${pence(line.budgetPence)}, to the fund “${shown(h.after.name)}”`;
  },
  'fund.spend_recorded': (h) =>
    en`${h.who} recorded ${pence(h.after.amountPence)} spent with ${shown(h.after.supplier)} on ${shown(h.after.spentOn)} against the fund “${shown(h.after.name)}”${fromUpload(h)}`,
  // Reports (src/reports): archived quarterly funder reports.
  'report.generated': (h) => en`${h.who} generated and archived the quarterly report to funders for ${shown(h.after.quarter)}`,
  'fund.spend_changed': (h) =>
    en`${h.who} changed ${pence(h.before.amountPence)} spent with ${shown(h.before.supplier)} on ${shown(h.before.spentOn)} against the fund “${shown(h.after.name)}” to ${pence(h.after.amountPence)} spent with ${shown(h.after.supplier)} on ${shown(h.after.spentOn)}${h.before.reference !== h.after.reference ? `, reference “${shown(h.after.reference)}”` : ''}`,
  'fund.spend_removed': (h) =>
    en`${h.who} removed ${pence(h.before.amountPence)} spent with ${shown(h.before.supplier)} on ${shown(h.before.spentOn)}${h.before.reference ? ` (reference ${shown(h.before.reference)})` : ''} from the fund “${shown(h.before.name)}”`,
  // The improvements register (src/improvements): each sentence names the improvement by its first words and its council.
  'improvement.recorded': (h) => {
    const learners = asIds(h.after.learnerIds).length;
    const contracts = asIds(h.after.contractNames).length;
    return [
      ...en`${h.who} recorded `,
      ...improvementName(h, h.after),
      `, dated ${shown(h.after.date)}, with ${improvementValue(h.after.valuePence, h.after.cashable)}${learners ? `, crediting ${plural(learners, 'learner')}` : ''}`,
      contracts ? `, about the key ${contracts === 1 ? 'contract' : 'contracts'} ${contractNames(h.after.contractNames)}` : '',
    ];
  },
  'improvement.updated': (h) => [...en`${h.who} changed `, ...improvementName(h, h.before), ': ', ...improvementChanges(h)],
  'improvement.resubmitted': (h) => [...en`${h.who} changed and resubmitted `, ...improvementName(h, h.before, 'queried '), ': ', ...improvementChanges(h)],
  'improvement.verified': (h) => [...en`${h.who} verified `, ...improvementName(h, h.after), typeof h.after.note === 'string' && h.after.note ? ` (note: ${h.after.note})` : ''],
  'improvement.queried': (h) => [...en`${h.who} queried `, ...improvementName(h, h.after), `: ${shown(h.after.note)}`],
  'improvement.evidence_added': (h) => [...en`${h.who} added the evidence “${shown(h.after.evidence)}” (${shown(h.after.url)}) to `, ...improvementName(h, h.after)],
  // Critical success factors and indicator snapshots (src/evaluation): each names the CSF and its targets.
  'csf.created': (h) => en`${h.who} added the critical success factor “${shown(h.after.name)}” (order ${shown(h.after.position)}) judged by ${csfTargets(h.after.indicators)}`,
  'csf.updated': (h) =>
    en`${h.who} changed the critical success factor “${shown(h.before.name)}”${h.after.name !== h.before.name ? ` (now “${shown(h.after.name)}”)` : ''}: order ${shown(h.after.position)}, judged by ${csfTargets(h.after.indicators)}`,
  'csf.deleted': (h) => en`${h.who} deleted the critical success factor “${shown(h.before.name)}” and its targets: ${csfTargets(h.before.indicators)}`,
  'evaluation.snapshot_taken': (h) =>
    en`${h.who} ${h.after.replaced ? 'worked out again' : 'took'} the indicator snapshot for ${monthText(h.after.month)} (${plural(h.after.indicators, 'indicator')}${h.after.councils === undefined ? '' : `, council by council for ${plural(h.after.councils, 'council')}`}, as at ${shown(h.after.asOf)})`,
  'improvement.evidence_file_added': (h) => [...en`${h.who} added the file “${shown(h.after.fileName)}” (${evidenceFileKind(h.after)}) as evidence to `, ...improvementName(h, h.after)],
  'improvement.evidence_file_removed': (h) => [...en`${h.who} removed the evidence file “${shown(h.before.fileName)}” (${evidenceFileKind(h.before)}) from `, ...improvementName(h, h.before)],
  // Surveys (src/surveys): each sentence names the survey by its title; an anonymous answer names no one.
  'survey.created': (h) =>
    en`${h.who} created the ${h.after.anonymous ? 'anonymous ' : ''}survey “${shown(h.after.title)}” (${shown(h.after.level)}) with ${plural(h.after.questions, 'question')}, closing on ${shown(h.after.closesOn)}`,
  'survey.updated': (h) => en`${h.who} changed the draft survey “${shown(h.before.title)}”${h.after.title !== h.before.title ? ` (now “${shown(h.after.title)}”)` : ''}: ${plural(h.after.questions, 'question')}, closing on ${shown(h.after.closesOn)}`,
  'survey.opened': (h) => en`${h.who} opened the survey “${shown(h.after.title)}”`,
  'survey.closed': (h) => en`${h.who} closed the survey “${shown(h.after.title)}”`,
  'survey.sent': (h) =>
    en`${h.who} sent the survey “${shown(h.after.title)}” to ${plural(h.after.sent, 'person', 'people')} (${h.after.source === 'event' ? `from a network event${h.after.attendedOnly ? ', those who attended' : ''}` : `learners accredited from ${shown(h.after.from)} to ${shown(h.after.to)}${h.after.includeSros ? ' and their SROs' : ''}`}; ${plural(h.after.chosen, 'person', 'people')} chosen)`,
  'survey.scheduled': (h) =>
    en`${h.who} set the survey “${shown(h.after.title)}” to send itself ${shown(h.after.months)} months after accreditation, to the learners${h.after.includeSros ? ' and their councils’ SROs' : ''}${typeof h.before.months === 'number' ? ` (it was ${shown(h.before.months)} months${h.before.includeSros ? ', with the SROs' : ''})` : ''}`,
  'survey.unscheduled': (h) => en`${h.who} stopped the survey “${shown(h.after.title)}” sending itself after accreditation (it was ${shown(h.before.months)} months); it is now sent by hand`,
  'survey.sent_on_schedule': (h) =>
    en`${h.who} sent the survey “${shown(h.after.title)}” to ${plural(h.after.sent, 'person', 'people')}: learners accredited ${shown(h.after.months)} months before${h.after.includeSros ? ' and their councils’ SROs' : ''}`,
  'survey.reminded': (h) => en`${h.who} reminded ${plural(h.after.reminded, 'person', 'people')} to answer the survey “${shown(h.after.title)}”`,
  'survey.answered': (h) =>
    typeof h.after.personId === 'string' ? en`${h.ref('person', h.after.personId)} answered the survey “${shown(h.after.title)}”` : en`Someone answered the anonymous survey “${shown(h.after.title)}”`,
  'seed.demo': (h) => en`${h.who} loaded the demo data: ${plural(h.after.councils, 'council')}, ${plural(h.after.people, 'person', 'people')}, ${plural(h.after.enrolments, 'enrolment')}`,
};

/** The actions that have a sentence of their own (the test checks every action in the source is one of them). */
export const describedActions: ReadonlySet<string> = new Set(Object.keys(sentences));

/** What a record reads as in a sentence when it has no name of its own. */
const recordTypeWords = (type: string) => type.replace(/_/g, ' ');

/** The event as a sentence, its records named from `names` and linked where they have a page. */
export function describeEvent(e: DescribedEvent, names: RecordNames): Description {
  const named = (kind: RecordKind, id: unknown) => (typeof id === 'string' ? names.get(nameKey(kind, id.toLowerCase())) : undefined);
  const ref = (kind: RecordKind, id: unknown): Part => {
    const r = named(kind, id);
    return r ? { text: r.name, href: hrefOf(r) } : { text: typeof id === 'string' && id ? id : 'an unknown record', href: null };
  };
  const kind = kindOf(e.recordType);
  const recordPart: Part = kind ? ref(kind, e.recordId) : { text: e.recordId, href: null };
  const subjectPerson = kind === 'person' ? e.recordId : kind ? named(kind, e.recordId)?.ownerId : null;
  const helpers: Helpers = {
    who: actorName(e.actorLabel),
    record: recordPart,
    ref,
    named,
    self: !!e.actorId && !!subjectPerson && e.actorId.toLowerCase() === subjectPerson.toLowerCase(),
    before: asObject(e.before),
    after: asObject(e.after),
  };
  const sentence = sentences[e.action];
  let parts: Part[];
  try {
    parts = sentence ? sentence(helpers, e) : en`${helpers.who} recorded “${e.action}” on the ${recordTypeWords(e.recordType)} ${recordPart}`;
  } catch {
    // A snapshot of an older shape must never break the log: say what is certain.
    parts = en`${helpers.who} recorded “${e.action}” on the ${recordTypeWords(e.recordType)} ${recordPart}`;
  }
  const kept = parts.filter((p) => p !== '');
  return { parts: [...kept, '.'], text: `${kept.map((p) => (typeof p === 'string' ? p : p.text)).join('')}.` };
}
