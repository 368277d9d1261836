import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { paths } from '../web/paths.ts';

/** The service navigation's item texts in a page, in order, and which one is marked current. */
function navigation(html: string) {
  const items = [...html.matchAll(/<a class="govuk-service-navigation__link" href="([^"]+)"( aria-current="true")?>\s*(?:<strong[^>]*>)?([^<]+)/g)];
  return {
    texts: items.map((m) => m[3].trim()).filter((text) => text !== 'Pioneer'),
    current: items.filter((m) => m[2]).map((m) => m[3].trim()),
  };
}

describe.each(backends)('the Admin index and the grouped navigation (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  it('groups an admin’s uploads, audit log, settings and data retention under one Admin item, current on each of them', async () => {
    const admin = await t.signIn('admin');
    const index = await admin.get(paths.admin());
    expect(index.statusCode).toBe(200);
    expect([...index.body.matchAll(/<a class="govuk-link govuk-!-font-weight-bold" href="([^"]+)">([^<]+)</g)].map((m) => [m[1], m[2]])).toEqual([
      [paths.importNominations(), 'Uploads'],
      [paths.audit(), 'Audit log'],
      [paths.settings(), 'Settings'],
      [paths.adminRetention(), 'Data retention'],
      [paths.engagements(), 'Engagements'],
      [paths.improvements(), 'Improvements'],
      [paths.surveys(), 'Surveys'],
      [paths.networks(), 'Networks'],
      [paths.funding(), 'Funding'],
      [paths.reports(), 'Reports'],
    ]);
    expect(navigation(index.body).texts).toEqual(['Councils', 'People', 'Learners', 'Funded places', 'Cohorts', 'Dashboard', 'Admin', 'Your account']);
    for (const url of [paths.admin(), paths.audit(), paths.settings(), paths.importNominations(), paths.importResults(), paths.adminRetention(), paths.engagements(), paths.improvements(), paths.surveys(), paths.networks(), paths.network('sro'), paths.funding(), paths.reports(), paths.reportRoi()]) {
      expect(navigation((await admin.get(url)).body).current, url).toEqual(['Admin']);
    }
    expect(navigation((await admin.get(paths.learners())).body).current).toEqual(['Learners']);
  });

  it('links a council SRO, whose only admin page is uploads, to it directly', async () => {
    const sro = await t.signIn('sro');
    const page = await sro.get(paths.learners());
    expect(navigation(page.body).texts).toEqual(['Councils', 'People', 'Learners', 'Funded places', 'Networks', 'Uploads', 'Your account']);
    expect(navigation((await sro.get(paths.importNominations())).body).current).toEqual(['Uploads']);
    expect(navigation((await sro.get(paths.network('sro'))).body).current).toEqual(['Networks']);
    // The index lists only what their roles open.
    const index = await sro.get(paths.admin());
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain(`href="${paths.importNominations()}"`);
    expect(index.body).not.toContain(`href="${paths.audit()}"`);
    expect(index.body).not.toContain(`href="${paths.settings()}"`);
  });

  it('shows a learner with no admin pages an index that says so, and no Admin item', async () => {
    const index = await (await t.signIn('learner')).get(paths.admin());
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('Your roles do not include any admin pages.');
    expect(navigation(index.body).texts).not.toContain('Admin');
    expect(navigation(index.body).texts).not.toContain('Uploads');
  });

  it('links partner staff and funders, whose one admin page is Funding, to it directly, with no Admin item', async () => {
    for (const who of ['partnerLp', 'funder'] as const) {
      const agent = await t.signIn(who);
      const texts = navigation((await agent.get(paths.funding())).body);
      expect(texts.texts, who).toContain('Funding');
      expect(texts.texts, who).not.toContain('Admin');
      expect(texts.current, who).toEqual(['Funding']);
    }
  });

  it('gives funders a Reports item, and keeps partner staff’s Dashboard item current on the reports they reach from it', async () => {
    const funder = await t.signIn('funder');
    const page = navigation((await funder.get(paths.reports())).body);
    expect(page.texts).toContain('Reports');
    expect(page.current).toEqual(['Reports']);
    const partner = await t.signIn('partnerLp');
    expect((await partner.get(paths.dashboard())).body).toContain(`href="${paths.reports()}"`);
    const partnerPage = navigation((await partner.get(paths.reportQuarterly())).body);
    expect(partnerPage.texts).not.toContain('Reports');
    expect(partnerPage.current).toEqual(['Dashboard']);
  });

  it('sends someone signed out to sign in', async () => {
    const res = await t.agent().get(paths.admin());
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toContain(paths.signIn());
  });
});
