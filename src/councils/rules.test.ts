import { describe, expect, it } from 'vitest';
import { allowedMoves, managingPartnerCodeFor, moveProblem, programmeStatuses, reasonRequired, type ProgrammeStatus } from './rules.ts';
import { settingDefaults } from '../settings/service.ts';

const allowed: Record<ProgrammeStatus, ProgrammeStatus[]> = {
  not_engaged: ['interested'],
  interested: ['eligibility_review', 'withdrawn'],
  eligibility_review: ['onboarding', 'declined', 'withdrawn'],
  onboarding: ['active', 'withdrawn'],
  active: ['completed', 'withdrawn'],
  completed: [],
  withdrawn: ['interested'],
  declined: ['interested'],
};

describe('programme status moves', () => {
  const pairs = programmeStatuses.flatMap((from) => programmeStatuses.map((to) => [from, to] as const));

  it.each(pairs.filter(([from, to]) => allowed[from].includes(to)))('allows %s → %s (with a reason and an onboarding date)', (from, to) => {
    expect(allowedMoves(from)).toContain(to);
    expect(moveProblem(from, to, 'Agreed at the board', '2024-01-10')).toBeNull();
  });

  it.each(pairs.filter(([from, to]) => !allowed[from].includes(to)))('refuses %s → %s as a clash with the state', (from, to) => {
    expect(allowedMoves(from)).not.toContain(to);
    const problem = moveProblem(from, to, 'Any reason', '2024-01-10');
    expect(problem).toMatchObject({ kind: 'state', field: 'status' });
    expect(problem?.message).toMatch(/^A council cannot move from /);
  });

  it('says where a council can go instead, or that it is at the end', () => {
    expect(moveProblem('interested', 'active')?.message).toBe(
      'A council cannot move from interested to active. From interested it can move to eligibility review or withdrawn.',
    );
    expect(moveProblem('completed', 'active')?.message).toContain('It is at the end of the programme.');
  });

  it.each([...reasonRequired])('requires a reason to move to %s', (to) => {
    const from = programmeStatuses.find((s) => allowed[s].includes(to))!;
    for (const reason of [undefined, null, '', '   ']) {
      expect(moveProblem(from, to, reason)).toEqual({ kind: 'input', field: 'reason', message: `Enter the reason the council is ${to}` });
    }
    expect(moveProblem(from, to, 'Capacity pressures')).toBeNull();
  });

  it('needs an onboarding date before a council becomes active', () => {
    expect(moveProblem('onboarding', 'active', null, null)).toEqual({
      kind: 'state',
      field: 'status',
      message: 'Record the onboarding date before making the council active',
    });
    expect(moveProblem('onboarding', 'active', null, '2023-05-01')).toBeNull();
  });
});

describe('managing partner by onboarding date', () => {
  const { managingPartnerCutover: cutover, managingPartnerBefore: before, managingPartnerAfter: after } = settingDefaults;

  it.each([
    ['2021-11-15', 'MHCLG'],
    ['2023-06-30', 'MHCLG'],
    ['2023-07-01', 'LP'],
    ['2023-07-02', 'LP'],
    ['2025-10-31', 'LP'],
  ])('a council onboarded on %s is managed by %s', (date, partner) => {
    expect(managingPartnerCodeFor(date, cutover, before, after)).toBe(partner);
  });

  it('follows a changed cut-over setting', () => {
    expect(managingPartnerCodeFor('2023-06-30', '2023-06-01', before, after)).toBe('LP');
  });
});
