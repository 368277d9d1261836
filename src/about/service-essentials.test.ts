import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { loadConfig } from '../config.ts';
import { paths } from '../web/paths.ts';

/** The page's main heading, as text. */
const h1 = (html: string) => /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1].replace(/<[^>]+>/g, '').trim();
/** The hrefs of the footer's meta links, in order, with their text. */
const footerLinks = (html: string) =>
  [...(/<footer[\s\S]*<\/footer>/.exec(html)?.[0] ?? '').matchAll(/<a class="govuk-footer__link" href="([^"]+)">\s*([^<]+?)\s*<\/a>/g)].map((m) => `${m[2]} ${m[1]}`);
/** The phase banner's text, tags removed (its dash is written `&ndash;`: see docs/conventions.md), and its link's href. */
const phaseBanner = (html: string) => {
  const banner = /<div class="govuk-phase-banner[\s\S]*?<\/p>/.exec(html)?.[0] ?? '';
  return { text: banner.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').replaceAll('&ndash;', '–').trim(), href: /<a class="govuk-link" href="([^"]+)"/.exec(banner)?.[1] };
};
const decode = (href: string | undefined) => href?.replaceAll('&amp;', '&');

const informationPages = [
  [paths.accessibility(), 'Accessibility statement for Pioneer'],
  [paths.privacy(), 'Privacy notice'],
  [paths.cookies(), 'Cookies'],
] as const;

describe.each(backends)('GOV.UK service essentials (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  it.each(informationPages)('%s opens for a visitor who is not signed in and for a signed-in person', async (url, heading) => {
    const anonymous = await t.app.inject(url);
    expect(anonymous.statusCode).toBe(200);
    expect(h1(anonymous.body)).toBe(heading);
    expect(anonymous.body).not.toContain('action="/sign-out"');
    for (const who of ['admin', 'learner', 'funder'] as const) {
      const signedIn = await (await t.signIn(who)).get(url);
      expect(signedIn.statusCode, who).toBe(200);
      expect(h1(signedIn.body), who).toBe(heading);
      // The page keeps the signed-in layout: the person can still sign out from it.
      expect(signedIn.body, who).toContain('action="/sign-out"');
    }
  });

  it('links every page to the accessibility statement, privacy notice and cookies, and the phase banner to feedback', async () => {
    const expectedFooter = [
      'Accessibility statement /accessibility',
      'Privacy notice /privacy',
      'Cookies /cookies',
      'API /api/docs',
      'Data sources and licences /about/data',
    ];
    const pages = [await t.app.inject(paths.signIn()), await (await t.signIn('sro')).get(paths.learners()), await t.app.inject('/no-such-page')];
    for (const page of pages) {
      expect(footerLinks(page.body)).toEqual(expectedFooter);
      const banner = phaseBanner(page.body);
      expect(banner.text).toBe('Beta This is a new service – your feedback will help us improve it.');
      expect(decode(banner.href)).toBe('mailto:cmpp@pioneer.example.gov.uk?subject=Feedback%20on%20Pioneer');
    }
  });

  it('signs out to a page that says so, and the session is over', async () => {
    const agent = await t.signIn('learner');
    const oldCookie = agent.cookies.get('pioneer_session')!;
    const out = await agent.submit(paths.signOut(), {});
    expect(out.statusCode).toBe(302);
    expect(out.headers.location).toBe('/signed-out');

    const page = await agent.get('/signed-out');
    expect(page.statusCode).toBe(200);
    expect(h1(page.body)).toBe('You have signed out');
    expect(page.body).toContain('<a class="govuk-link" href="/sign-in">Sign in again</a>');
    expect(page.body).not.toContain('action="/sign-out"');

    // Signed out means signed out, with the agent's cookies and with the old session cookie replayed.
    const account = await agent.get(paths.account());
    expect(account.statusCode).toBe(302);
    expect(account.headers.location).toBe('/sign-in?next=%2Faccount');
    const replayed = await t.app.inject({ url: paths.myJourney(), headers: { cookie: `pioneer_session=${oldCookie}` } });
    expect(replayed.statusCode).toBe(302);
    expect(replayed.headers.location).toMatch(/^\/sign-in/);
  });

  it('does not tell a person who is still signed in that they have signed out', async () => {
    const agent = await t.signIn('admin');
    const res = await agent.get('/signed-out');
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/councils');
    expect((await agent.get(paths.account())).statusCode).toBe(200);
  });

  it('refuses a sign-out sent from another site (no CSRF token) and keeps the session', async () => {
    const agent = await t.signIn('sro');
    const forged = await agent.submit(paths.signOut(), { _csrf: 'forged' });
    expect(forged.statusCode).toBe(403);
    expect((await agent.get(paths.account())).statusCode).toBe(200);
  });

  it('lists every cookie the service really sets on the cookies page, with the session length from the settings', async () => {
    const agent = t.agent();
    await agent.get(paths.signIn());
    await agent.submit(paths.signIn(), { email: 'admin@pioneer.example.gov.uk', password: 'pioneer-demo-2026' });
    const set = [...agent.cookies.keys()];
    expect(set.sort()).toEqual(['pioneer_csrf', 'pioneer_session']);
    const page = (await t.app.inject(paths.cookies())).body;
    for (const name of set) expect(page).toMatch(new RegExp(`<h3 class="govuk-summary-card__title">\\s*${name}\\s*</h3>`));
    expect(page).toContain(`${t.config.sessionTtlHours} hours, or when you sign out`);
    expect(page).toContain('We do not use analytics cookies');
    expect(page).not.toContain('govuk-cookie-banner');
  });

  it('names the controller, what is held and how long it is kept in the privacy notice', async () => {
    const page = (await t.app.inject(paths.privacy())).body;
    expect(page).toContain('Local Partnerships is the data controller');
    expect(page).toContain('href="mailto:cmpp@pioneer.example.gov.uk"');
    for (const held of ['work email address, job title', 'IP address', 'CPD', 'accreditations', 'the emails Pioneer has sent you']) expect(page).toContain(held);
    expect(page).toContain('public task');
    expect(page).toContain('Pioneer deletes or anonymises personal data automatically once a day');
    for (const period of ['deactivated for 24 months', 'accepted it 90 days after it was sent', 'removed after 12 months']) expect(page).toContain(period);
    expect(page).toContain(`after ${t.config.sessionTtlHours} hours`);
    expect(page).toContain('https://ico.org.uk/make-a-complaint/');
  });

  it('dates the accessibility statement from when it was written, not from today, and gives the enforcement route', async () => {
    const page = (await t.app.inject(paths.accessibility())).body;
    expect(page).toContain('This statement was prepared on 3 December 2026. It was last reviewed on 3 December 2026.');
    expect(page).toContain('partially compliant with the <a class="govuk-link" href="https://www.w3.org/TR/WCAG22/">Web Content Accessibility Guidelines version 2.2</a> AA standard');
    expect(page).toContain('https://www.equalityadvisoryservice.com/');
    expect(page).toContain('href="mailto:cmpp@pioneer.example.gov.uk"');
    expect(page).toContain('1.4.10 (Reflow)');
  });

  it('shows the controller, contact and feedback link an instance is configured with', async () => {
    const configured = await createTestApp({
      backend,
      config: {
        feedbackUrl: 'https://forms.example.gov.uk/pioneer-feedback?from=banner&v=2',
        programmeContactEmail: 'pioneer-team@programme.example.gov.uk',
        dataControllerName: 'Ministry of Housing, Communities and Local Government',
        dataControllerEmail: 'data.protection@programme.example.gov.uk',
        sessionTtlHours: 1,
      },
    });
    try {
      const signIn = (await configured.app.inject(paths.signIn())).body;
      expect(decode(phaseBanner(signIn).href)).toBe('https://forms.example.gov.uk/pioneer-feedback?from=banner&v=2');
      const privacy = (await configured.app.inject(paths.privacy())).body;
      expect(privacy).toContain('Ministry of Housing, Communities and Local Government is the data controller');
      expect(privacy).toContain('href="mailto:data.protection@programme.example.gov.uk"');
      expect(privacy).toContain('after 1 hour.');
      const accessibility = (await configured.app.inject(paths.accessibility())).body;
      expect(accessibility).toContain('This service is run by Ministry of Housing, Communities and Local Government.');
      expect(accessibility).toContain('href="mailto:pioneer-team@programme.example.gov.uk"');
      expect((await configured.app.inject(paths.cookies())).body).toContain('1 hour, or when you sign out');
    } finally {
      await configured.close();
    }
  });
});

describe('the service essentials’ settings', () => {
  it('default the feedback link and the controller’s address to the programme’s contact address', () => {
    expect(loadConfig({ PROGRAMME_CONTACT_EMAIL: 'team@cmpp.example.gov.uk' })).toMatchObject({
      feedbackUrl: 'mailto:team@cmpp.example.gov.uk?subject=Feedback%20on%20Pioneer',
      dataControllerName: 'Local Partnerships',
      dataControllerEmail: 'team@cmpp.example.gov.uk',
    });
  });

  it('take a mailto: or https: feedback address and refuse anything else', () => {
    for (const good of ['mailto:feedback@example.gov.uk', 'mailto:feedback@example.gov.uk?subject=Pioneer', 'https://forms.example.gov.uk/pioneer']) {
      expect(loadConfig({ FEEDBACK_URL: good }).feedbackUrl, good).toBe(good);
    }
    for (const bad of ['http://forms.example.gov.uk/pioneer', 'javascript:alert(1)', 'mailto:not-an-address', 'mailto:%E0%A4%A', 'forms.example.gov.uk', '']) {
      expect(() => loadConfig({ FEEDBACK_URL: bad }), bad).toThrow(/FEEDBACK_URL: must be mailto: followed by an email address, or an https:\/\/ address/);
    }
  });

  it('refuse a contact address that is not an email address and an empty controller name, listing both', () => {
    expect(() => loadConfig({ PROGRAMME_CONTACT_EMAIL: 'the programme team', DATA_CONTROLLER_NAME: '  ', DATA_CONTROLLER_EMAIL: 'nobody' })).toThrow(
      /PROGRAMME_CONTACT_EMAIL[\s\S]*DATA_CONTROLLER_NAME[\s\S]*DATA_CONTROLLER_EMAIL/,
    );
  });
});
