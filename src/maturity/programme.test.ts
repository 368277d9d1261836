import { describe, expect, it } from 'vitest';
import { areaFigures, peerAreas, peerGroups, percent, type ProgrammeRow } from './programme.ts';
import { changeChartSpec, changeChartSvg } from './chart.ts';
import { describeEvent } from '../audit/describe.ts';

const row = (councilId: string, baseline: number | null, latest: number | null, followedUp = true, extra: Partial<ProgrammeRow> = {}): ProgrammeRow => ({
  councilId,
  councilType: 'District',
  region: 'South East',
  areaKey: 'risk',
  areaName: 'Risk',
  blockName: 'Delivery',
  baseline,
  latest,
  followedUp,
  ...extra,
});

describe('share of councils improved by at least one level', () => {
  it('counts only councils with a follow-up, and a rise of one level or more', () => {
    const [risk] = areaFigures([
      row('a', 1, 2), // +1: improved
      row('b', 2, 4), // +2: improved
      row('c', 3, 3), // 0
      row('d', 3, 2), // −1
      row('e', 2, 2, false), // baseline only: not measurable, but its latest level counts in the spread
      row('f', null, 3), // no baseline score in the area: not measurable
    ]);
    expect(risk).toMatchObject({ measured: 4, improved: 2, shareImproved: 0.5, scored: 6, distribution: [0, 3, 2, 1, 0] });
    expect(percent(risk.shareImproved)).toBe('50%');
  });

  it('has no share (not 0%) when no council can be measured yet', () => {
    const [risk] = areaFigures([row('a', 2, 2, false)]);
    expect(risk.shareImproved).toBeNull();
    expect(percent(risk.shareImproved)).toBe('–');
  });
});

describe('peer benchmarks', () => {
  const councils = (n: number, group: string, baseline: number, latest: number) =>
    Array.from({ length: n }, (_, i) => row(`${group}-${i}`, baseline, latest, true, { councilType: group }));

  it('suppresses a group of fewer than 5 councils and shows one of 5', () => {
    const groups = peerGroups([...councils(4, 'Unitary', 1, 3), ...councils(5, 'District', 2, 3)], (r) => r.councilType);
    expect(groups).toEqual([
      { name: 'District', councils: 5, suppressed: false, averageBaseline: 2, averageLatest: 3, shareImproved: 1 },
      { name: 'Unitary', councils: 4, suppressed: true, averageBaseline: null, averageLatest: null, shareImproved: null },
    ]);
  });

  it('counts councils, not their rows: one council with many areas is still one', () => {
    const many = Array.from({ length: 11 }, (_, i) => row('only', 1, 2, true, { areaKey: `a${i}` }));
    expect(peerGroups(many, (r) => r.region)[0]).toMatchObject({ councils: 1, suppressed: true });
  });
});

describe('a council’s peers by area', () => {
  const district = (id: string, latest: number | null, areaKey = 'risk') => row(id, 1, latest, true, { areaKey });

  it('averages the other councils of the group, leaving the council itself out, and keeps back an area fewer than 5 contribute to', () => {
    const rows = [
      district('self', 5),
      ...['a', 'b', 'c', 'd', 'e'].map((id, i) => district(id, i + 1)), // 1..5: average 3
      row('elsewhere', 1, 1, true, { councilType: 'Unitary' }), // another type: not a peer
      ...['a', 'b', 'c', 'd'].map((id) => district(id, 4, 'people')), // only 4 contribute
      district('e', null, 'people'), // no level in the area: does not contribute
    ];
    const areas = peerAreas(rows, 'self', (r) => r.councilType === 'District');
    expect(areas).toEqual([
      { key: 'risk', name: 'Risk', councils: 5, average: 3 },
      { key: 'people', name: 'Risk', councils: 4, average: null },
    ]);
  });

  it('counts a council of the group once per area, and a council alone in its group shows nothing', () => {
    expect(peerAreas([district('self', 3)], 'self', () => true)).toEqual([{ key: 'risk', name: 'Risk', councils: 0, average: null }]);
  });
});

describe('the change chart', () => {
  const rows = [
    { area: 'Risk & <escalation>', baseline: 1, latest: 3 },
    { area: 'People', baseline: 2, latest: 2 },
  ];

  it('draws both series for each area on a 0–5 scale, in the areas’ order', () => {
    const spec = changeChartSpec(rows, { baseline: 'Baseline', latest: 'Latest' }) as unknown as { data: { values: { area: string; series: string; level: number }[] } };
    expect(spec.data.values).toEqual([
      { order: 0, area: 'Risk & <escalation>', series: 'Baseline', level: 1, label: 'Baseline: 1' },
      { order: 0, area: 'Risk & <escalation>', series: 'Latest', level: 3, label: 'Latest: 3' },
      { order: 1, area: 'People', series: 'Baseline', level: 2, label: 'Baseline: 2' },
      { order: 1, area: 'People', series: 'Latest', level: 2, label: 'Latest: 2' },
    ]);
  });

  it('renders SVG in Node without a canvas: one image with a title and description, text escaped, scaling to its column', async () => {
    const svg = await changeChartSvg({ id: 'c', title: 'Change & more', description: 'The same figures are in the table.', rows, labels: { baseline: 'Baseline', latest: 'Latest' } });
    expect(svg).toMatch(/^<svg [^>]*role="img" aria-labelledby="c-title" aria-describedby="c-desc"/);
    expect(svg).toMatch(/^<svg [^>]*width="100%"/);
    expect(svg).toContain('<title id="c-title">Change &amp; more</title>');
    expect(svg).toContain('Risk &amp; &lt;escalation&gt;');
    expect(svg).not.toContain('<escalation>');
    expect((svg.match(/<path[^>]*fill="#1d70b8"/g) ?? []).length + (svg.match(/fill="#1d70b8"/g) ?? []).length).toBeGreaterThan(0);
    expect(svg.endsWith('</g></svg>')).toBe(true);
  });
});

describe('the audit log’s sentences', () => {
  const sentence = (action: string, before: unknown, after: unknown) =>
    describeEvent({ action, recordType: 'maturity_assessment', recordId: 'a1', actorId: null, actorLabel: 'Sam Smith <sam@example.gov.uk>', before, after }, new Map()).text;

  it('says what was started, saved, submitted and moderated, and keeps the council’s own score in the sentence', () => {
    expect(sentence('maturity.started', null, { councilId: 'c1', kind: 'follow_up', basedOnId: 'a0' })).toBe(
      'Sam Smith started the follow-up maturity assessment of c1, from its last submitted assessment.',
    );
    expect(sentence('maturity.draft_saved', { scores: { Risk: 2, People: null } }, { councilId: 'c1', kind: 'baseline', scores: { Risk: 3, People: 4 } })).toBe(
      'Sam Smith saved the draft baseline maturity assessment of c1: Risk from 2 to 3; People to 4.',
    );
    expect(sentence('maturity.submitted', { status: 'draft' }, { status: 'submitted', councilId: 'c1', kind: 'baseline' })).toBe('Sam Smith submitted the baseline maturity assessment of c1.');
    expect(sentence('maturity.moderated', { area: 'Risk', score: 3 }, { councilId: 'c1', area: 'Risk', ownScore: 3, score: 2, reason: 'No register yet' })).toBe(
      'Sam Smith moderated the score for Risk in the maturity assessment of c1 from 3 to 2 (the council’s own score, kept: 3) (reason: No register yet).',
    );
  });
});
