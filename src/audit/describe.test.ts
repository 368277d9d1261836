import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventTypes } from '../enrolments/journey.ts';
import { importRuns } from '../db/schema.ts';
import { describedActions, describeEvent, nameKey, referencedRecords, type DescribedEvent, type NamedRecord } from './describe.ts';

const srcDir = path.resolve(import.meta.dirname, '..');

/** Every source file that writes audit events (not tests, not the audit log itself). */
function auditWriters(): { file: string; text: string }[] {
  const files = readdirSync(srcDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith(`audit${path.sep}`));
  return files.map((file) => ({ file, text: readFileSync(path.join(srcDir, file), 'utf8') })).filter((f) => /recordAudit\(|AuditEntry/.test(f.text));
}

/** What an `action:` written with a template literal stands for, by the text before its `${`. */
const templateExpansions: Record<string, readonly string[]> = {
  'enrolment.': eventTypes,
  'import.': importRuns.kind.enumValues,
  'place_request.': ['granted', 'refused'],
  'network_event.': ['registered', 'waitlisted'],
};

/** The actions the source writes: the quoted names in each `action:` of the files that write audit events. */
function actionsInSource(): Set<string> {
  const found = new Set<string>();
  for (const { file, text } of auditWriters()) {
    for (const [, expression] of text.matchAll(/\baction:\s*([^,\n]+)/g)) {
      for (const [, name] of expression.matchAll(/'([a-z_]+\.[a-z_.]+)'/g)) found.add(name);
      for (const [, prefix] of expression.matchAll(/`([a-z_]+\.)\$\{/g)) {
        const expansions = templateExpansions[prefix];
        if (!expansions) throw new Error(`${file} writes actions \`${prefix}\${…}\`: add what they expand to in describe.test.ts`);
        for (const rest of expansions) found.add(`${prefix}${rest}`);
      }
    }
  }
  return found;
}

const ids = {
  admin: '00000000-0000-4000-8000-000000000001',
  ann: '00000000-0000-4000-8000-000000000002',
  adur: '00000000-0000-4000-8000-000000000003',
  lp: '00000000-0000-4000-8000-000000000004',
  enrolment: '00000000-0000-4000-8000-000000000005',
  cohortA: '00000000-0000-4000-8000-000000000006',
  cohortB: '00000000-0000-4000-8000-000000000007',
  places: '00000000-0000-4000-8000-000000000008',
  gone: '00000000-0000-4000-8000-000000000009',
};

const named = (r: Partial<NamedRecord> & Pick<NamedRecord, 'kind' | 'id' | 'name'>): NamedRecord => ({ sort: null, level: null, period: null, ownerId: null, ...r });
const names = new Map(
  [
    named({ kind: 'person', id: ids.admin, name: 'Ada Admin' }),
    named({ kind: 'person', id: ids.ann, name: 'Ann Officer' }),
    named({ kind: 'organisation', id: ids.adur, name: 'Adur District Council', sort: 'council' }),
    named({ kind: 'organisation', id: ids.lp, name: 'Local Partnerships', sort: 'partner' }),
    named({ kind: 'enrolment', id: ids.enrolment, name: 'Ann Officer', level: 'practitioner', period: '2026-27', ownerId: ids.ann }),
    named({ kind: 'cohort', id: ids.cohortA, name: 'Practitioner spring' }),
    named({ kind: 'cohort', id: ids.cohortB, name: 'Practitioner autumn' }),
    named({ kind: 'funded_places', id: ids.places, name: 'Adur District Council', level: 'practitioner', period: '2026-27', ownerId: ids.adur }),
  ].map((r) => [nameKey(r.kind, r.id), r]),
);

const event = (e: Partial<DescribedEvent> & Pick<DescribedEvent, 'action' | 'recordType' | 'recordId'>): DescribedEvent => ({
  actorId: ids.admin,
  actorLabel: 'Ada Admin <ada@pioneer.example.gov.uk>',
  before: null,
  after: null,
  ...e,
});

describe('audit sentences', () => {
  it('has a sentence for every action the source writes', () => {
    const actions = actionsInSource();
    // A sanity check that the scan still finds the source's actions, not an empty set.
    expect(actions.size).toBeGreaterThan(40);
    const missing = [...actions].filter((a) => !describedActions.has(a));
    expect(missing, 'actions written without a sentence in src/audit/describe.ts').toEqual([]);
  });

  it('says who changed what, with the labels the pages use and the record linked', () => {
    const status = describeEvent(
      event({ action: 'council.status_changed', recordType: 'council', recordId: ids.adur, before: { status: 'interested' }, after: { status: 'onboarding', reason: null } }),
      names,
    );
    expect(status.text).toBe('Ada Admin changed the status of Adur District Council from Interested to Onboarding.');
    expect(status.parts).toContainEqual({ text: 'Adur District Council', href: `/councils/${ids.adur}` });
    const onboarding = describeEvent(
      event({ action: 'council.status_changed', recordType: 'council', recordId: ids.adur, before: { status: 'eligibility_review', managingPartnerId: null }, after: { status: 'onboarding', onboardingDate: '2026-11-02', managingPartnerId: ids.lp, reason: 'Signed up' } }),
      names,
    );
    expect(onboarding.text).toBe('Ada Admin changed the status of Adur District Council from Eligibility review to Onboarding, onboarding on 2 November 2026, managed by Local Partnerships (reason: Signed up).');
  });

  it('names and links every record the event mentions', () => {
    const moved = describeEvent(
      event({ action: 'enrolment.placed_in_cohort', recordType: 'enrolment', recordId: ids.enrolment, before: { cohortId: ids.cohortA }, after: { cohortId: ids.cohortB } }),
      names,
    );
    expect(moved.text).toBe('Ada Admin moved Ann Officer from the cohort Practitioner spring to Practitioner autumn.');
    expect(moved.parts).toContainEqual({ text: 'Ann Officer', href: `/enrolments/${ids.enrolment}` });
    expect(moved.parts).toContainEqual({ text: 'Practitioner autumn', href: `/cohorts/${ids.cohortB}` });

    const approved = describeEvent(event({ action: 'enrolment.approved', recordType: 'enrolment', recordId: ids.enrolment, before: { status: 'nominated' }, after: { status: 'approved' } }), names);
    expect(approved.text).toBe('Ada Admin approved the Practitioner nomination of Ann Officer.');

    const corrected = describeEvent(
      event({ action: 'enrolment.corrected', recordType: 'enrolment', recordId: ids.enrolment, before: { level: 'foundation', period: '2026-27' }, after: { level: 'practitioner', period: '2027-28' } }),
      names,
    );
    expect(corrected.text).toBe('Ada Admin corrected the nomination of Ann Officer: the level from Foundation to Practitioner and the period from 2026-27 to 2027-28.');
    expect(corrected.parts).toContainEqual({ text: 'Ann Officer', href: `/enrolments/${ids.enrolment}` });

    const invited = describeEvent(
      event({ action: 'person.invited', recordType: 'person', recordId: ids.ann, after: { name: 'Ann Officer', organisationId: ids.adur, roles: ['learner', 'council_lead'] } }),
      names,
    );
    expect(invited.text).toBe('Ada Admin invited Ann Officer of Adur District Council as Learner, Council lead.');

    const places = describeEvent(
      event({ action: 'places.allocated', recordType: 'funded_places', recordId: ids.places, before: { councilId: ids.adur, level: 'practitioner', period: '2026-27', places: 3 }, after: { councilId: ids.adur, level: 'practitioner', period: '2026-27', places: 5 } }),
      names,
    );
    expect(places.text).toBe('Ada Admin set the Practitioner places of Adur District Council for 2026-27 from 3 to 5.');

    const edited = describeEvent(
      event({ action: 'council.participation_updated', recordType: 'council', recordId: ids.adur, before: { sroPersonId: null, onboardingDate: '2026-04-01' }, after: { sroPersonId: ids.ann, onboardingDate: '2026-05-03' } }),
      names,
    );
    expect(edited.text).toBe('Ada Admin updated Adur District Council: SRO from none to Ann Officer; onboarding date from 1 April 2026 to 3 May 2026.');
    expect(edited.parts).toContainEqual({ text: 'Ann Officer', href: `/people/${ids.ann}` });

    const partner = describeEvent(
      event({ action: 'council.managing_partner_overridden', recordType: 'council', recordId: ids.adur, before: { managingPartnerId: null }, after: { managingPartnerId: ids.lp, managingPartnerReason: 'Transferred' } }),
      names,
    );
    expect(partner.text).toBe('Ada Admin changed the managing partner of Adur District Council to Local Partnerships (reason: Transferred).');
    // A partner has no page of its own: named, not linked.
    expect(partner.parts).toContainEqual({ text: 'Local Partnerships', href: null });
  });

  it('reads the people who act on their own record as the subject, and dates as the pages write them', () => {
    expect(describeEvent(event({ action: 'auth.sign_in', recordType: 'person', recordId: ids.ann, actorId: null, actorLabel: 'ann@adur.gov.uk' }), names).text).toBe('Ann Officer signed in.');
    expect(describeEvent(event({ action: 'auth.password_changed', recordType: 'person', recordId: ids.admin }), names).text).toBe('Ada Admin changed their password.');
    expect(
      describeEvent(event({ action: 'settings.changed', recordType: 'setting', recordId: 'managingPartnerCutover', before: { value: '2024-04-01' }, after: { value: '2025-04-01', reason: 'New contract' } }), names).text,
    ).toBe('Ada Admin changed the setting “Managing partner cut-over date” from 1 April 2024 to 1 April 2025 (reason: New contract).');
    expect(describeEvent(event({ action: 'auth.sign_in_failed', recordType: 'person', recordId: ids.ann, actorId: null, actorLabel: 'anonymous' }), names).text).toBe(
      'Someone tried to sign in as Ann Officer with a wrong password.',
    );
  });

  it('says what a correction of a person or a CPD entry changed', () => {
    const details = describeEvent(
      event({ action: 'person.details_changed', recordType: 'person', recordId: ids.ann, before: { name: 'Ann Oficer', jobTitle: null }, after: { name: 'Ann Officer', jobTitle: 'Buyer' } }),
      names,
    );
    expect(details.text).toBe('Ada Admin corrected the details of Ann Officer: name from Ann Oficer to Ann Officer; job title to Buyer.');
    const cpd = describeEvent(
      event({ action: 'cpd.changed', recordType: 'cpd_record', recordId: ids.gone, before: { hours: 2, reflection: 'a' }, after: { hours: 3, reflection: 'b' } }),
      names,
    );
    expect(cpd.text).toBe('Ada Admin changed a CPD entry: hours from 2 to 3; the reflection.');
    const requested = describeEvent(
      event({ action: 'person.email_change_requested', recordType: 'person', recordId: ids.ann, before: { email: 'ann@adur.gov.uk' }, after: { email: 'ann.o@adur.gov.uk' } }),
      names,
    );
    expect(requested.text).toContain('from ann@adur.gov.uk to ann.o@adur.gov.uk (waiting for the new address to confirm)');
  });

  it("says which of a cohort's dates moved", () => {
    const cohortId = '00000000-0000-4000-8000-0000000000c1';
    const moved = describeEvent(
      event({ action: 'cohort.dates_changed', recordType: 'cohort', recordId: cohortId, before: { startDate: '2026-04-01', endDate: '2027-03-01' }, after: { startDate: '2026-04-01', endDate: '2027-03-31' } }),
      names,
    );
    expect(moved.text).toMatch(/changed the dates of the cohort .*: end from 1 March 2027 to 31 March 2027\.$/);
    expect(moved.text).not.toContain('start');
  });

  it('shows the id of a record that is gone, without a link', () => {
    const gone = describeEvent(event({ action: 'person.deactivated', recordType: 'person', recordId: ids.gone }), names);
    expect(gone.text).toBe(`Ada Admin deactivated ${ids.gone}.`);
    expect(gone.parts).toContainEqual({ text: ids.gone, href: null });
  });

  it('gives an unknown action, or a snapshot of an unexpected shape, a readable sentence instead of failing', () => {
    expect(describeEvent(event({ action: 'widget.polished', recordType: 'widget', recordId: 'w-1', after: 'odd' }), names).text).toBe('Ada Admin recorded “widget.polished” on the widget w-1.');
    const odd = describeEvent(event({ action: 'council.specialist_assigned', recordType: 'council', recordId: ids.adur, before: 'x', after: [1, 2] }), names);
    expect(odd.text).toBe('Ada Admin assigned nobody to Adur District Council.');
    for (const action of describedActions) {
      for (const snapshot of [null, 'text', 42, [], { status: { nested: true } }]) {
        expect(() => describeEvent(event({ action, recordType: 'council', recordId: 'not-a-uuid', before: snapshot, after: snapshot }), names), action).not.toThrow();
      }
    }
  });

  it('asks for the names of the records and the ids in their snapshots, once each', () => {
    const wanted = referencedRecords([
      event({ action: 'council.specialist_assigned', recordType: 'council', recordId: ids.adur, before: { specialistIds: [] }, after: { specialistIds: [ids.ann] } }),
      event({ action: 'council.status_changed', recordType: 'council', recordId: ids.adur.toUpperCase() }),
      event({ action: 'register.imported', recordType: 'register', recordId: 'register.csv' }),
    ]);
    expect([...wanted.get('organisation')!]).toEqual([ids.adur]);
    expect([...wanted.get('person')!]).toEqual([ids.ann]);
  });
});
