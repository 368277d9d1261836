import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { paths } from '../../src/web/paths.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { queueRun } from '../../src/imports/runs-repository.ts';
import { expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

/**
 * Every admin page and form the journeys do not pass through, opened in a real browser: each renders with a
 * main heading and has no axe violations — including a form's error state after an empty submission.
 */
describe.skipIf(skipBrowserTests)('browser: the admin pages and forms are accessible', { timeout: 600_000 }, () => {
  const env = withBrowserAndApp();

  it('has zero axe violations on every admin page, and on forms showing their errors', async () => {
    const one = async (query: ReturnType<typeof sql>) => (await queryRows<{ id: string }>(env.running.db, query))[0].id;
    const council = await one(sql`select p.council_id as id from participations p where p.status = 'active' order by p.council_id limit 1`);
    const specialist = await one(sql`select person_id as id from specialist_assignments where council_id = ${council} limit 1`);
    const learner = await one(sql`select id from people where 'learner' = any(roles) and organisation_id = ${council} limit 1`);
    const enrolment = await one(sql`select id from enrolments where status = 'assessment_booked' order by id limit 1`);
    const enrolled = await one(sql`select person_id as id from enrolments where status = 'accredited' order by id limit 1`);
    const cohort = await one(sql`select id from cohorts order by start_date desc limit 1`);
    const underReview = await one(sql`select council_id as id from participations where status = 'eligibility_review' order by council_id limit 1`);
    const [foundation] = await queryRows<{ id: string; personId: string }>(env.running.db, sql`select id, person_id as "personId" from accreditations where level = 'foundation' order by id limit 1`);
    const renewal = paths.learnerRenewal(foundation.personId, foundation.id);
    // An upload waiting for the background job (never handed to it), so its status page shows the in-progress state.
    const admin = await one(sql`select id from people where email = ${demoAccounts.admin.email}`);
    const queued = await queueRun(env.running.db, { kind: 'results', uploadedById: admin, fileName: 'waiting.csv', upload: Buffer.from('email\n'), now: env.running.clock.now() });
    // Someone added to a network by hand, so its list shows a row and the removal has a page.
    await env.running.db.execute(sql`insert into network_members (network, person_id, role, added_at) values ('sro', ${specialist}, 'facilitator', now())`);
    // A resource of the demo library (a link, shared with both networks).
    const resource = await one(sql`select id from network_resources where networks @> array['learners']::text[] order by created_at desc, id limit 1`);
    // A demo discussion with a reported reply, so the thread shows the moderators' links and the reports list a card.
    const [post] = await queryRows<{ id: string; threadId: string }>(env.running.db, sql`select p.id, p.thread_id as "threadId" from network_posts p
      join network_threads t on t.id = p.thread_id where t.network = 'learners' and not p.is_opening order by t.created_at, p.created_at limit 1`);
    await env.running.db.execute(sql`insert into network_post_reports (post_id, reporter_id, reason, created_at) values (${post.id}, ${learner}, 'Off topic', now())`);
    const pages = [
      paths.networks(),
      paths.networkDiscussions('learners'),
      paths.networkDiscussion('learners', post.threadId),
      paths.networkDiscussionNew('learners'),
      paths.networkDiscussionReports('learners'),
      paths.networkPost('learners', post.id, 'hide'),
      paths.networkResources('learners'),
      `${paths.networkResources('learners')}?q=procurement&sort=downloads`,
      `${paths.networkResources('learners')}?q=asbestos`,
      paths.networkResourceNew('learners'),
      paths.networkResource('learners', resource),
      paths.networkResourceEdit('learners', resource),
      paths.networkResourceDelete('learners', resource),
      paths.network('learners'),
      paths.network('sro'),
      paths.networkMembers('sro'),
      paths.networkMemberRemove('sro', specialist),
      paths.networkParticipation('learners'),
      paths.networkEvents('learners'),
      paths.networkEventNew('learners'),
      paths.people(),
      paths.personInvite(),
      paths.person(learner),
      paths.personRoles(learner),
      paths.personDeactivate(learner),
      paths.admin(),
      paths.audit(),
      paths.dashboard(),
      `${paths.dashboard()}?region=London&type=LBO`,
      paths.settings(),
      paths.settingsManagingPartner(),
      paths.settingsLearnerJourney(),
      paths.settingsPeriods(),
      paths.settingsReminders(),
      paths.settingsRetention(),
      paths.settingsEngagements(),
      paths.settingsContracts(),
      paths.places(),
      paths.placesAllocate(),
      paths.cohorts(),
      paths.cohortNew(),
      paths.cohort(cohort),
      paths.cohortDates(cohort),
      paths.learners(),
      `${paths.learners()}?overdue=yes`,
      paths.learner(enrolled),
      paths.learner(foundation.personId),
      renewal,
      paths.enrolment(enrolment),
      paths.enrolmentMove(enrolment),
      paths.importNominations(),
      paths.importResults(),
      paths.importRun(queued.id),
      paths.council(council),
      paths.councilEdit(council),
      paths.councilStatus(council),
      paths.councilStatus(underReview),
      paths.councilPartner(council),
      `${paths.council(council)}/email-domains`,
      `${paths.nominate()}?councilId=${council}`,
      `${paths.nominateExisting()}?councilId=${council}`,
      `${paths.nominateNew()}?councilId=${council}`,
      paths.councilSpecialistRemove(council, specialist),
      paths.account(),
      paths.accountPassword(),
      paths.apiDocs(),
      '/about/data',
      '/no-such-page',
    ];
    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'admin');
      for (const url of pages) {
        await page.goto(url);
        await expect(page.locator('h1').first().isVisible(), url).resolves.toBe(true);
        await expectNoAxeViolations(page);
      }
      // Forms with their GOV.UK error summary showing.
      for (const [url, button] of [
        [paths.personInvite(), 'Send invitation'],
        [paths.networkMembers('sro'), 'Add person'],
        [paths.networkResourceNew('learners'), 'Add resource'],
        [paths.councilPartner(council), undefined],
        [paths.settingsManagingPartner(), undefined],
        [paths.settingsLearnerJourney(), undefined],
        [paths.placesAllocate(), undefined],
        [paths.cohortNew(), undefined],
        [paths.enrolmentMove(enrolment), 'Continue'],
        [renewal, 'Record renewal'],
        [paths.importNominations(), 'Upload and check the file'],
        [paths.accountPassword(), 'Change password'],
      ] as const) {
        await page.goto(url);
        const submit = button ? page.getByRole('button', { name: button }) : page.locator('main form button[type="submit"]').last();
        if (!button) {
          // Clear the reason so the form fails validation.
          for (const area of await page.locator('main textarea').all()) await area.fill('');
        }
        await submit.click();
        await page.waitForLoadState();
        await expect(page.getByRole('alert').first().isVisible(), `${url} error summary`).resolves.toBe(true);
        await expectNoAxeViolations(page);
      }
    } finally {
      await context.close();
    }
  });
});
