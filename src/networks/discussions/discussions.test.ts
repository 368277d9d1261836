import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, testNow, type Agent, type TestApp } from '../../../test/helpers.ts';
import { queryRows } from '../../db/client.ts';
import { demoAccounts } from '../../db/seed/demo.ts';
import { describeEvent, type DescribedEvent } from '../../audit/describe.ts';
import { eraseInTransaction } from '../../privacy/service.ts';
import { subjectRecords } from '../../privacy/repository.ts';
import { sendNetworkDigests } from './digest.ts';
import { createApiToken } from '../../auth/service.ts';

describe.each(backends)('network discussions (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let learner: Agent;
  let accredited: Agent;
  let sro: Agent;
  let partner: Agent;
  /** The demo lead, made a facilitator of the Learners Network by hand. */
  let facilitator: Agent;
  const ids: Record<string, string> = {};
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(t.db, q);
  const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');
  const at = (minutes: number) => new Date(new Date(testNow).getTime() + minutes * 60_000);

  /** Moves the clock on a second, so posts made one after the other are in that order. */
  const tick = () => t.clock.set(new Date(t.clock.now().getTime() + 1000));
  /** Signs everyone in again (after the clock moves past the sessions' life). */
  async function signInAll() {
    [admin, learner, accredited, sro, partner, facilitator] = await Promise.all([
      t.signIn('admin'),
      t.signIn('learner'),
      t.signIn('accreditedLearner'),
      t.signIn('sro'),
      t.signIn('partnerLp'),
      t.signIn('lead'),
    ]);
  }

  /** Starts a thread as `who` and answers its id and its opening post's. */
  async function startThread(who: Agent, title: string, body = 'What has worked for you?', network = 'learners') {
    tick();
    const res = await who.submit(`/networks/${network}/discussions`, { title, body });
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    const threadId = /\/discussions\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1];
    const [{ id }] = await rows<{ id: string }>(sql`select id from network_posts where thread_id = ${threadId} and is_opening`);
    return { threadId, postId: id };
  }
  async function replyTo(who: Agent, threadId: string, body: string, network = 'learners') {
    tick();
    const res = await who.submit(`/networks/${network}/discussions/${threadId}/replies`, { body });
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    return /#post-([0-9a-f-]{36})/.exec(res.headers.location as string)![1];
  }
  /** The audit log's sentences for the events matching the condition (records named by id: enough for the wording). */
  const sentences = async (where: ReturnType<typeof sql>) =>
    (
      await rows<DescribedEvent>(
        sql`select action, record_type as "recordType", record_id as "recordId", actor_id as "actorId", actor_label as "actorLabel", before, after
            from audit_events where ${where} order by id`,
      )
    )
      .map((e) => describeEvent(e, new Map()).text)
      .join(' ');
  const audit = (action: string) => rows<{ recordId: string; after: Record<string, unknown> | null }>(sql`select record_id as "recordId", after from audit_events where action = ${action} order by id`);

  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const [key, account] of Object.entries(demoAccounts)) {
      [{ id: ids[key] }] = await rows<{ id: string }>(sql`select id from people where email = ${account.email}`);
    }
    await t.db.execute(sql`insert into network_members (network, person_id, role, added_at) values ('learners', ${ids.lead}, 'facilitator', now())`);
    await signInAll();
  });
  afterAll(async () => t?.close());

  describe('threads and replies', () => {
    it('starts a thread and replies, shown escaped with safe links, audited; the list puts the newest activity first', async () => {
      const first = await startThread(learner, 'Supplier reviews that work', 'We hold quarterly reviews & <3 them.\nSee https://www.gov.uk/guidance for the framework.');
      const second = await startThread(accredited, 'Contract registers');
      t.clock.set(at(1));
      await replyTo(accredited, first.threadId, 'Monthly ones for our biggest contracts.');
      const page = await learner.get(`/networks/learners/discussions/${first.threadId}`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<a class="govuk-link" href="https://www.gov.uk/guidance" rel="nofollow noopener noreferrer">https://www.gov.uk/guidance</a>');
      expect(page.body).toContain('We hold quarterly reviews &amp; &lt;3 them.');
      expect(text(page.body)).toContain('1 reply');
      const list = await learner.get('/networks/learners/discussions');
      const titles = [...list.body.matchAll(/href="\/networks\/learners\/discussions\/[0-9a-f-]{36}">([^<]+)</g)].map((m) => m[1]);
      expect(titles.indexOf('Supplier reviews that work')).toBeLessThan(titles.indexOf('Contract registers'));
      expect(second.threadId).toBeTruthy();
      const home = await learner.get('/networks/learners');
      expect(text(home.body)).toContain('Latest discussions');
      expect(home.body).toContain('Supplier reviews that work');
      const [started] = await audit('network_thread.started');
      expect(started.after).toMatchObject({ network: 'learners', title: 'Supplier reviews that work' });
      expect(await sentences(sql`action in ('network_thread.started', 'network_post.replied')`)).toMatch(/started the discussion “Supplier reviews that work” in the Learners Network/);
    });

    it('refuses empty, over-long and HTML posts with GOV.UK messages, writing nothing', async () => {
      const before = (await rows<{ n: number }>(sql`select count(*)::int as n from network_threads`))[0].n;
      let res = await learner.submit('/networks/learners/discussions', { title: ' ', body: '' });
      expect(res.statusCode).toBe(400);
      expect(errorSummary(res.body)).toContain('Enter a title');
      expect(errorSummary(res.body)).toContain('Enter your message');
      res = await learner.submit('/networks/learners/discussions', { title: 'x'.repeat(151), body: 'y'.repeat(5001) });
      expect(errorSummary(res.body)).toContain('Title must be 150 characters or fewer');
      expect(errorSummary(res.body)).toContain('Your message must be 5,000 characters or fewer');
      res = await learner.submit('/networks/learners/discussions', { title: 'Read <b>this</b>', body: 'Click <a href="https://example.com">here</a><script>alert(1)</script>' });
      expect(res.statusCode).toBe(400);
      expect(errorSummary(res.body)).toContain('Title must be plain text, without HTML or script');
      expect(errorSummary(res.body)).toContain('Your message must be plain text, without HTML or script');
      expect((await rows<{ n: number }>(sql`select count(*)::int as n from network_threads`))[0].n).toBe(before);
      const { threadId } = await startThread(learner, 'Empty replies');
      res = await learner.submit(`/networks/learners/discussions/${threadId}/replies`, { body: '   ' });
      expect(res.statusCode).toBe(400);
      expect(errorSummary(res.body)).toContain('Enter your message');
    });

    it('paginates a thread’s replies oldest first, 20 a page, and the list of threads', async () => {
      const { threadId } = await startThread(learner, 'A long thread');
      for (let i = 1; i <= 22; i++) {
        t.clock.set(at(2 + i / 100));
        await t.db.execute(sql`insert into network_posts (thread_id, author_id, body, created_at) values (${threadId}, ${ids.accreditedLearner}, ${`Reply number ${i}`}, ${at(2 + i / 100).toISOString()}::timestamptz)`);
      }
      const page1 = await learner.get(`/networks/learners/discussions/${threadId}`);
      expect(page1.body).toContain('Reply number 1<');
      expect(page1.body).not.toContain('Reply number 21<');
      expect(text(page1.body)).toContain('Showing replies 1 to 20 of 22');
      const page2 = await learner.get(`/networks/learners/discussions/${threadId}?page=2`);
      expect(page2.body).toContain('Reply number 22<');
      expect((await learner.get(`/networks/learners/discussions/${threadId}?page=9`)).statusCode).toBe(302);
      // A reply lands on the last page, at its anchor.
      const res = await learner.submit(`/networks/learners/discussions/${threadId}/replies`, { body: 'The 23rd' });
      expect(res.headers.location).toMatch(/\?page=2&done=replied#post-/);
    });

    it('keeps discussions to the network’s members, facilitators and admins: others 404, also across networks', async () => {
      const { threadId, postId } = await startThread(learner, 'Members only');
      expect((await admin.get(`/networks/learners/discussions/${threadId}`)).statusCode).toBe(200);
      expect((await facilitator.get(`/networks/learners/discussions/${threadId}`)).statusCode).toBe(200);
      for (const url of ['/networks/learners/discussions', `/networks/learners/discussions/${threadId}`, `/networks/learners/discussions/posts/${postId}/report`]) {
        expect((await partner.get(url)).statusCode, url).toBe(404);
        expect((await sro.get(url)).statusCode, url).toBe(404);
      }
      // The thread is the Learners Network's: not found under the SRO Network, even for someone who sees both.
      expect((await admin.get(`/networks/sro/discussions/${threadId}`)).statusCode).toBe(404);
      expect((await admin.get('/networks/sro/discussions/not-a-uuid')).statusCode).toBe(404);
      // Partner staff see the network's home, without its discussions.
      const home = await partner.get('/networks/learners');
      expect(home.statusCode).toBe(200);
      expect(home.body).not.toContain('Latest discussions');
    });
  });

  describe('editing and deleting one’s own posts', () => {
    it('edits within the window (by the clock), says "edited", and refuses after it with 403 and a clear message', async () => {
      t.clock.set(at(100));
      const { threadId, postId } = await startThread(learner, 'Editing window', 'First draft');
      const form = await learner.get(`/networks/learners/discussions/posts/${postId}/edit`);
      expect(form.statusCode).toBe(200);
      const version = /name="version" value="(\d+)"/.exec(form.body)![1];
      t.clock.set(at(129));
      const saved = await learner.submit(`/networks/learners/discussions/posts/${postId}/edit`, { body: 'Second draft', version });
      expect(saved.statusCode, errorSummary(saved.body)).toBe(302);
      const page = await learner.get(`/networks/learners/discussions/${threadId}`);
      expect(page.body).toContain('Second draft');
      expect(text(page.body)).toMatch(/· edited/);
      t.clock.set(new Date(at(130).getTime() + 1000)); // 30 minutes after the post (made a second after at(100))
      const late = await learner.get(`/networks/learners/discussions/posts/${postId}/edit`);
      expect(late.statusCode).toBe(403);
      expect(text(late.body)).toContain('You can only edit a post within 30 minutes of posting it');
      const latePost = await learner.submit(`/networks/learners/discussions/posts/${postId}/edit`, { body: 'Too late', version: String(Number(version) + 1) });
      expect(latePost.statusCode).toBe(403);
      expect((await learner.get(`/networks/learners/discussions/${threadId}`)).body).not.toContain('Too late');
      expect(await audit('network_post.edited')).toHaveLength(1);
    });

    it('lets the author rename their discussion with its opening post, within the window; a reply has no title to change', async () => {
      t.clock.set(at(150));
      const { threadId, postId } = await startThread(learner, 'Renewals', 'How early do you start?');
      const form = await learner.get(`/networks/learners/discussions/posts/${postId}/edit`);
      expect(form.body).toContain('value="Renewals"');
      const version = /name="version" value="(\d+)"/.exec(form.body)![1];
      const empty = await learner.submit(`/networks/learners/discussions/posts/${postId}/edit`, { title: '', body: 'How early do you start?', version });
      expect(empty.statusCode).toBe(400);
      expect(errorSummary(empty.body)).toContain('Enter a title');
      const renamed = await learner.submit(`/networks/learners/discussions/posts/${postId}/edit`, { title: 'Contract renewals: how early?', body: 'How early do you start?', version });
      expect(renamed.statusCode, errorSummary(renamed.body)).toBe(302);
      expect(text((await learner.get(`/networks/learners/discussions/${threadId}`)).body)).toContain('Contract renewals: how early?');
      expect(await sentences(sql`action = 'network_thread.retitled' and record_id = ${threadId}`)).toMatch(/renamed the discussion “Renewals” to “Contract renewals: how early\?”/);
      // A reply's edit form asks for no title, and a title sent with one changes nothing.
      const replyId = await replyTo(accredited, threadId, 'Eighteen months.');
      const replyForm = await accredited.get(`/networks/learners/discussions/posts/${replyId}/edit`);
      expect(replyForm.body).not.toContain('name="title"');
      const replyVersion = /name="version" value="(\d+)"/.exec(replyForm.body)![1];
      expect((await accredited.submit(`/networks/learners/discussions/posts/${replyId}/edit`, { title: 'Hijacked', body: 'Eighteen months, at least.', version: replyVersion })).statusCode).toBe(302);
      const [thread] = await rows<{ title: string }>(sql`select title from network_threads where id = ${threadId}`);
      expect(thread.title).toBe('Contract renewals: how early?');
      // Past the window the author can no longer rename it.
      t.clock.set(at(190));
      await signInAll();
      expect((await learner.submit(`/networks/learners/discussions/posts/${postId}/edit`, { title: 'Too late', body: 'How early do you start?', version: String(Number(version) + 1) })).statusCode).toBe(403);
    });

    it('answers a stale edit with 409 and the form again; someone else’s post with 403', async () => {
      t.clock.set(at(200));
      const { postId } = await startThread(learner, 'Stale edits', 'Original');
      const res1 = await learner.submit(`/networks/learners/discussions/posts/${postId}/edit`, { body: 'From tab one', version: '1' });
      expect(res1.statusCode).toBe(302);
      const res2 = await learner.submit(`/networks/learners/discussions/posts/${postId}/edit`, { body: 'From tab two', version: '1' });
      expect(res2.statusCode).toBe(409);
      expect(errorSummary(res2.body)).toContain('This post was changed after you opened it');
      expect(res2.body).toContain('From tab two');
      expect(res2.body).toContain('name="version" value="2"');
      expect((await accredited.get(`/networks/learners/discussions/posts/${postId}/edit`)).statusCode).toBe(403);
      expect((await accredited.submit(`/networks/learners/discussions/posts/${postId}/edit`, { body: 'Hijack', version: '2' })).statusCode).toBe(403);
      expect((await admin.submit(`/networks/learners/discussions/posts/${postId}/delete`, {})).statusCode).toBe(403);
    });

    it('after a refused edit (400) the form carries the version read, so a corrected save over a change made meanwhile is refused, not written', async () => {
      t.clock.set(at(210));
      const { postId } = await startThread(learner, 'Edited in two tabs', 'Original');
      const url = `/networks/learners/discussions/posts/${postId}/edit`;
      const read = /name="version" value="(\d+)"/.exec((await learner.get(url)).body)![1];
      // The other tab saves first.
      expect((await learner.submit(url, { body: 'From the other tab', version: read })).statusCode).toBe(302);
      const empty = await learner.submit(url, { body: ' ', version: read });
      expect(empty.statusCode).toBe(400);
      expect(empty.body).toContain(`name="version" value="${read}"`);
      const corrected = await learner.submit(url, { body: 'Corrected here', version: read });
      expect(corrected.statusCode).toBe(409);
      expect(errorSummary(corrected.body)).toContain('This post was changed after you opened it');
      const [post] = await rows<{ body: string }>(sql`select body from network_posts where id = ${postId}`);
      expect(post.body).toBe('From the other tab');
      // That form carries the version now stored: sent again after checking, it saves.
      const now = /name="version" value="(\d+)"/.exec(corrected.body)![1];
      expect((await learner.submit(url, { body: 'Corrected here', version: now })).statusCode).toBe(302);
    });

    it('deletes one’s own post after a confirmation page: the thread keeps its place, saying it was deleted', async () => {
      t.clock.set(at(300));
      const { threadId } = await startThread(accredited, 'Deleting');
      const replyId = await replyTo(learner, threadId, 'I will regret this');
      await replyTo(accredited, threadId, 'A later reply');
      const confirm = await learner.get(`/networks/learners/discussions/posts/${replyId}/delete`);
      expect(confirm.statusCode).toBe(200);
      expect(text(confirm.body)).toContain('Are you sure you want to delete your post?');
      const res = await learner.submit(`/networks/learners/discussions/posts/${replyId}/delete`, {});
      expect(res.statusCode).toBe(302);
      const page = await accredited.get(`/networks/learners/discussions/${threadId}`);
      expect(page.body).not.toContain('I will regret this');
      expect(text(page.body)).toMatch(/This post was deleted.*A later reply/);
      expect(text(page.body)).toContain('2 replies');
      expect((await learner.submit(`/networks/learners/discussions/posts/${replyId}/delete`, {})).statusCode).toBe(409);
      expect(await audit('network_post.deleted')).toHaveLength(1);
    });
  });

  describe('moderation', () => {
    it('tells no one when facilitators hide their own post, or an author who can no longer be reached', async () => {
      t.clock.set(at(395));
      const { threadId } = await startThread(facilitator, 'Own words');
      const own = await replyTo(facilitator, threadId, 'I said too much');
      expect((await facilitator.submit(`/networks/learners/discussions/posts/${own}/hide`, { reason: 'Mine' })).statusCode).toBe(302);
      const gone = await replyTo(learner, threadId, 'Before I left');
      await t.db.execute(sql`update people set status = 'deactivated' where email = ${demoAccounts.learner.email}`);
      try {
        expect((await facilitator.submit(`/networks/learners/discussions/posts/${gone}/hide`, { reason: 'Stale' })).statusCode).toBe(302);
      } finally {
        await t.db.execute(sql`update people set status = 'active' where email = ${demoAccounts.learner.email}`);
      }
      const told = await rows<{ to: string }>(sql`select to_email as to from notifications where template = 'network-post-hidden' and body like ${`%${threadId}%`}`);
      expect(told).toEqual([]);
      expect(await audit('network_post.hidden')).toEqual(expect.arrayContaining([expect.anything()]));
    });

    it('facilitators hide a post with a reason: members see "Hidden by a facilitator", facilitators the text; unhide', async () => {
      t.clock.set(at(400));
      const { threadId } = await startThread(learner, 'Moderated');
      const replyId = await replyTo(accredited, threadId, 'Something unkind');
      expect((await learner.get(`/networks/learners/discussions/posts/${replyId}/hide`)).statusCode).toBe(403);
      expect((await learner.submit(`/networks/learners/discussions/posts/${replyId}/hide`, { reason: 'No' })).statusCode).toBe(403);
      const empty = await facilitator.submit(`/networks/learners/discussions/posts/${replyId}/hide`, { reason: '' });
      expect(empty.statusCode).toBe(400);
      expect(errorSummary(empty.body)).toContain('Enter why you are hiding the post');
      expect((await facilitator.submit(`/networks/learners/discussions/posts/${replyId}/hide`, { reason: 'Personal remarks' })).statusCode).toBe(302);
      const asMember = await learner.get(`/networks/learners/discussions/${threadId}`);
      expect(asMember.body).not.toContain('Something unkind');
      expect(text(asMember.body)).toContain('Hidden by a facilitator');
      const asFacilitator = await facilitator.get(`/networks/learners/discussions/${threadId}`);
      expect(asFacilitator.body).toContain('Something unkind');
      expect(text(asFacilitator.body)).toContain('Reason: Personal remarks');
      // The author cannot edit a hidden post.
      expect((await accredited.get(`/networks/learners/discussions/posts/${replyId}/edit`)).statusCode).toBe(403);
      // The author is told, once, with the reason, the post's first words and the discussion's address.
      const told = await rows<{ to: string; subject: string; body: string }>(
        sql`select to_email as to, subject, body from notifications where template = 'network-post-hidden' and body like ${`%${threadId}%`}`,
      );
      expect(told).toHaveLength(1);
      expect(told[0].to).toBe(demoAccounts.accreditedLearner.email);
      expect(told[0].subject).toBe('Your post in “Moderated” has been hidden');
      expect(told[0].body).toContain('The reason they gave: Personal remarks');
      expect(told[0].body).toContain('Your post began: “Something unkind”');
      expect(told[0].body).toContain(`${t.config.baseUrl}/networks/learners/discussions/${threadId}`);
      expect((await facilitator.submit(`/networks/learners/discussions/posts/${replyId}/hide`, { reason: 'Again' })).statusCode).toBe(409);
      expect((await admin.submit(`/networks/learners/discussions/posts/${replyId}/unhide`, {})).statusCode).toBe(302);
      expect((await learner.get(`/networks/learners/discussions/${threadId}`)).body).toContain('Something unkind');
      expect(await sentences(sql`action in ('network_post.hidden', 'network_post.unhidden')`)).toMatch(/hid a post by .* in the discussion “Moderated” \(reason: Personal remarks\).*showed again a post by/);
    });

    it('locks a thread: no replies (a clear message, nothing written) until it is unlocked', async () => {
      const { threadId } = await startThread(learner, 'To be locked');
      expect((await learner.submit(`/networks/learners/discussions/${threadId}/lock`, { locked: 'true' })).statusCode).toBe(403);
      expect((await facilitator.submit(`/networks/learners/discussions/${threadId}/lock`, { locked: 'true' })).statusCode).toBe(302);
      const page = await learner.get(`/networks/learners/discussions/${threadId}`);
      expect(text(page.body)).toContain('This discussion is locked: no new replies can be added');
      const res = await learner.submit(`/networks/learners/discussions/${threadId}/replies`, { body: 'Sneaking in' });
      expect(res.statusCode).toBe(409);
      expect(text(res.body)).toContain('This discussion is locked');
      expect((await rows(sql`select 1 from network_posts where body = 'Sneaking in'`)).length).toBe(0);
      expect((await facilitator.submit(`/networks/learners/discussions/${threadId}/lock`, { locked: 'false' })).statusCode).toBe(302);
      await replyTo(learner, threadId, 'Back again');
      expect((await audit('network_thread.locked')).length).toBe(1);
      expect((await audit('network_thread.unlocked')).length).toBe(1);
    });

    it('members report a post once; facilitators see open reports and dismiss one or hide the post', async () => {
      const { threadId } = await startThread(accredited, 'Reported thread');
      const replyId = await replyTo(accredited, threadId, 'Buy my product at https://spam.example');
      const otherId = await replyTo(accredited, threadId, 'A fair point');
      expect((await accredited.submit(`/networks/learners/discussions/posts/${replyId}/report`, { reason: 'Mine' })).statusCode).toBe(400);
      expect((await learner.submit(`/networks/learners/discussions/posts/${replyId}/report`, { reason: '' })).statusCode).toBe(400);
      expect((await learner.submit(`/networks/learners/discussions/posts/${replyId}/report`, { reason: 'Advertising' })).statusCode).toBe(302);
      const again = await learner.submit(`/networks/learners/discussions/posts/${replyId}/report`, { reason: 'Advertising again' });
      expect(again.statusCode).toBe(409);
      expect(errorSummary(again.body)).toContain('You have already reported this post');
      expect(text((await learner.get(`/networks/learners/discussions/posts/${replyId}/report`)).body)).toContain('You have already reported this post');
      expect((await learner.submit(`/networks/learners/discussions/posts/${otherId}/report`, { reason: 'Wrong' })).statusCode).toBe(302);
      expect((await learner.get('/networks/learners/discussions/reports')).statusCode).toBe(403);
      const reports = await facilitator.get('/networks/learners/discussions/reports');
      expect(reports.statusCode).toBe(200);
      expect(text(reports.body)).toContain('2 open reports');
      const [{ id: wrongId }] = await rows<{ id: string }>(sql`select id from network_post_reports where reason = 'Wrong'`);
      expect(reports.body).toContain(`id="report-${wrongId}"`);
      // Dismiss the report of the fair point; hide the advert from the list.
      expect((await facilitator.submit(`/networks/learners/discussions/reports/${wrongId}/dismiss`, {})).statusCode).toBe(302);
      expect((await facilitator.submit(`/networks/learners/discussions/reports/${wrongId}/dismiss`, {})).statusCode).toBe(404);
      const hide = await facilitator.submit(`/networks/learners/discussions/posts/${replyId}/hide?from=reports`, { reason: 'Advertising' });
      expect(hide.headers.location).toBe('/networks/learners/discussions/reports?done=hidden');
      expect(text((await facilitator.get('/networks/learners/discussions/reports')).body)).toContain('There are no open reports');
      const statuses = await rows<{ status: string }>(sql`select status from network_post_reports order by created_at, id`);
      expect(statuses.map((s) => s.status).sort()).toEqual(['dismissed', 'hidden']);
      expect(await sentences(sql`action like 'network_post.report%'`)).toMatch(/reported a post by .* \(reason: Advertising\).*dismissed a report/);
    });
  });

  describe('search', () => {
    it('finds discussions by words of their title or of a post (word forms too), never by a hidden post, within the network', async () => {
      t.clock.set(at(900));
      await signInAll();
      await startThread(learner, 'Managing supplier exits', 'How do you plan the end of an outsourced service?');
      const registers = await startThread(accredited, 'Dormant framework agreements', 'Ours sit in a spreadsheet.');
      await replyTo(learner, registers.threadId, 'We found forty call-offs without a custodian.');
      const quiet = await startThread(learner, 'Quiet thread', 'Nothing much.');
      const hidden = await replyTo(accredited, quiet.threadId, 'The asbestos survey was never done.');
      expect((await facilitator.submit(`/networks/learners/discussions/posts/${hidden}/hide`, { reason: 'Confidential' })).statusCode).toBe(302);
      await startThread(sro, 'Exit boards for SROs', 'Who chairs yours?', 'sro');
      const found = async (q: string) => {
        const res = await learner.get(`/networks/learners/discussions?q=${encodeURIComponent(q)}`);
        expect(res.statusCode).toBe(200);
        return [...res.body.matchAll(/<a class="govuk-link" href="\/networks\/learners\/discussions\/[0-9a-f-]{36}">([^<]+)<\/a>/g)].map((m) => m[1]);
      };
      expect(await found('exit')).toEqual(['Managing supplier exits']);
      expect(await found('custodians')).toEqual(['Dormant framework agreements']);
      expect(await found('"dormant framework" or outsourced')).toEqual(['Dormant framework agreements', 'Managing supplier exits']);
      expect(await found('asbestos')).toEqual([]);
      const none = text((await learner.get('/networks/learners/discussions?q=asbestos')).body);
      expect(none).toContain('No discussions found');
      expect(none).toContain('Clear filters');
      const tooLong = await learner.get(`/networks/learners/discussions?q=${'x'.repeat(300)}`);
      expect(tooLong.statusCode).toBe(400);
      expect(errorSummary(tooLong.body)).toContain('characters or fewer');
    });
  });

  describe('the API', () => {
    it('lists the threads of the networks the caller takes part in, newest activity first; nothing for others', async () => {
      const token = async (key: string) => (await createApiToken(t.db, { actor: null, clock: t.clock }, ids[key], 'discussions')).token;
      const list = async (key: string, query = '') =>
        t.app.inject({ method: 'GET', url: `/api/v1/network-discussions${query}`, headers: { authorization: `Bearer ${await token(key)}` } });
      const learnerList = await list('learner');
      expect(learnerList.statusCode).toBe(200);
      const body = learnerList.json() as { data: { network: string; title: string; lastActivityAt: string }[]; meta: { total: number } };
      expect(body.data.every((d) => d.network === 'learners')).toBe(true);
      expect(body.data.map((d) => d.lastActivityAt)).toEqual([...body.data.map((d) => d.lastActivityAt)].sort().reverse());
      expect(body.meta.total).toBeGreaterThanOrEqual(3); // the demo threads, and those the tests above started
      const adminSro = (await list('admin', '?network=sro')).json() as { data: { network: string }[] };
      expect(adminSro.data.length).toBeGreaterThan(0);
      expect(adminSro.data.every((d) => d.network === 'sro')).toBe(true);
      expect((await list('partnerLp')).json()).toMatchObject({ data: [], meta: { total: 0 } });
      expect((await list('learner', '?network=nowhere')).statusCode).toBe(400);
    });
  });

  describe('the list’s count', () => {
    it('is kept between changes, yet counts a thread just started and leaves out a post just hidden from a search', async () => {
      await signInAll();
      // The page says the count when it is filtered (or runs to several pages); the API always does.
      const shown = async (query: string) => {
        const page = await learner.get(`/networks/learners/discussions${query}`);
        expect(page.statusCode).toBe(200);
        const said = text(page.body);
        return said.includes('No discussions found') ? 0 : Number(/of (\d+) discussions?/.exec(said)?.[1]);
      };
      const { token } = await createApiToken(t.db, { actor: null, clock: t.clock }, ids.learner, 'count');
      const total = async () =>
        (t.app.inject({ method: 'GET', url: '/api/v1/network-discussions?network=learners', headers: { authorization: `Bearer ${token}` } }))
          .then((res) => (res.json() as { meta: { total: number } }).meta.total);
      const before = await total();
      expect(before).toBeGreaterThan(0);
      expect(await total()).toBe(before); // read again from what was kept
      const { threadId } = await startThread(accredited, 'Counted topic', 'Opening words');
      expect(await total()).toBe(before + 1);
      const replyId = await replyTo(learner, threadId, 'Zanzibarian procurement notes');
      expect(await shown('?q=zanzibarian')).toBe(1);
      expect(await total()).toBe(before + 1); // a search's count is kept apart from the whole list's
      await facilitator.submit(`/networks/learners/discussions/posts/${replyId}/hide`, { reason: 'Off topic' });
      expect(await shown('?q=zanzibarian')).toBe(0);
    });
  });

  describe('the daily digest', () => {
    const digests = () => rows<{ to: string; subject: string; body: string }>(sql`select to_email as to, subject, body from notifications where template = 'network-digest' order by created_at, id`);

    it('sends each member one email of what is new in their networks (not their own, not hidden), once a day', async () => {
      await t.db.execute(sql`delete from notifications`);
      t.clock.set('2026-12-01T08:00:00Z');
      await signInAll();
      const { threadId } = await startThread(learner, 'Digest topic', 'Opening', 'learners');
      const hiddenId = await replyTo(accredited, threadId, 'Hidden reply');
      await facilitator.submit(`/networks/learners/discussions/posts/${hiddenId}/hide`, { reason: 'Off topic' });
      await replyTo(accredited, threadId, 'Visible reply');
      await startThread(sro, 'SRO topic', 'For SROs', 'sro');
      t.clock.set('2026-12-01T09:00:00Z');
      const queued = await sendNetworkDigests(t.db, t.config, t.clock);
      expect(queued).toBeGreaterThan(0);
      const mail = await digests();
      const toLearner = mail.find((m) => m.to === demoAccounts.learner.email)!;
      expect(toLearner.body).toContain('Digest topic (1 new reply)');
      expect(toLearner.body).toContain(`/networks/learners/discussions/${threadId}`);
      expect(toLearner.body).not.toContain('SRO topic');
      expect(toLearner.body).toMatch(/To stop these daily digests, open this link:\nhttp.*\/unsubscribe\//);
      const toAccredited = mail.find((m) => m.to === demoAccounts.accreditedLearner.email)!;
      expect(toAccredited.body).toContain('Digest topic (new discussion)');
      const toSro = mail.find((m) => m.to === demoAccounts.sro.email);
      expect(toSro).toBeUndefined(); // only their own post is new in the SRO Network
      expect(mail.filter((m) => m.to === demoAccounts.learner.email)).toHaveLength(1);
      // Running again the same day sends nothing; so does a day with nothing new.
      t.clock.set('2026-12-01T20:00:00Z');
      await signInAll();
      await replyTo(accredited, threadId, 'Evening reply');
      expect(await sendNetworkDigests(t.db, t.config, t.clock)).toBe(0);
      t.clock.set('2026-12-02T09:00:00Z');
      const next = await sendNetworkDigests(t.db, t.config, t.clock);
      expect(next).toBeGreaterThan(0);
      const second = (await digests()).filter((m) => m.to === demoAccounts.learner.email);
      expect(second).toHaveLength(2);
      expect(second[1].body).toContain('Digest topic (1 new reply)'); // only the evening reply: since the last digest
      t.clock.set('2026-12-03T09:00:00Z');
      expect(await sendNetworkDigests(t.db, t.config, t.clock)).toBe(0);
    });

    it('leaves out people who switched it off, on the preferences page or by the email’s link', async () => {
      t.clock.set('2026-12-04T08:00:00Z');
      await signInAll();
      const { threadId } = await startThread(accredited, 'After opting out');
      const res = await learner.submit('/account/notifications', { reminders: ['assessment-due', 'cpd-shortfall', 'foundation-renewal'] });
      expect(res.statusCode).toBe(302);
      t.clock.set('2026-12-04T09:00:00Z');
      await sendNetworkDigests(t.db, t.config, t.clock);
      const mail = await rows<{ to: string }>(sql`select to_email as to from notifications where template = 'network-digest' and body like ${`%${threadId}%`}`);
      expect(mail.map((m) => m.to)).not.toContain(demoAccounts.learner.email);
      expect(mail.length).toBeGreaterThan(0);
    });
    it('lists for each member, in one run, what is newer than their own last digest', async () => {
      // Three threads yesterday: at 3pm, at 8pm exactly and at 10pm, all by the accredited learner. The lead's last
      // digest went at 8pm, another member's at 5pm, the rest at 9am (the test above).
      const recipientsOf = async (title: string) =>
        (await rows<{ to: string }>(sql`select to_email as to from notifications where template = 'network-digest' and body like ${`%${title}%`}`)).map((m) => m.to);
      const others = (await recipientsOf('After opting out')).filter((to) => to !== demoAccounts.lead.email && to !== demoAccounts.accreditedLearner.email);
      expect(others.length).toBeGreaterThanOrEqual(2);
      const [atFive, ...atNine] = others;
      for (const [time, title] of [['2026-12-04T14:59:59Z', 'Afternoon topic'], ['2026-12-04T19:59:59Z', 'Eight o’clock topic'], ['2026-12-04T21:59:59Z', 'Late topic']]) {
        t.clock.set(time);
        await signInAll();
        await startThread(accredited, title);
      }
      await t.db.execute(sql`delete from reminders_sent where person_id = ${ids.lead} and kind = 'network-digest'`);
      await t.db.execute(sql`insert into reminders_sent (person_id, kind, occurrence, unsubscribe_token_hash, sent_at)
        values (${ids.lead}, 'network-digest', '2026-12-04', 'not-a-real-token', '2026-12-04T20:00:00Z')`);
      await t.db.execute(sql`update reminders_sent set sent_at = '2026-12-04T17:00:00Z'
        where kind = 'network-digest' and person_id = (select id from people where email = ${atFive})`);
      t.clock.set('2026-12-05T09:00:00Z');
      await sendNetworkDigests(t.db, t.config, t.clock);
      const latestTo = async (to: string) => (await digests()).filter((m) => m.to === to).at(-1)!.body;
      const lead = await latestTo(demoAccounts.lead.email);
      expect(lead).toContain('Late topic (new discussion)');
      expect(lead).not.toContain('Eight o’clock topic'); // posted at 8pm: not newer than their last digest
      expect(lead).not.toContain('Afternoon topic');
      const five = await latestTo(atFive);
      expect(five).toContain('Eight o’clock topic (new discussion)');
      expect(five).toContain('Late topic (new discussion)');
      expect(five).not.toContain('Afternoon topic');
      for (const to of atNine) {
        const body = await latestTo(to);
        for (const title of ['Afternoon topic', 'Eight o’clock topic', 'Late topic']) expect(body).toContain(`${title} (new discussion)`);
      }
      expect(await recipientsOf('Late topic')).not.toContain(demoAccounts.accreditedLearner.email); // all three are their own
    });
  });

  describe('erasure', () => {
    it('shows an erased author as "Former member" and removes the text of their posts, keeping the thread', async () => {
      t.clock.set('2026-12-05T08:00:00Z');
      await signInAll();
      const [{ id: personId, email }] = await rows<{ id: string; email: string }>(
        sql`select p.id, p.email from people p join enrolments e on e.person_id = p.id join participations pa on pa.council_id = e.council_id and pa.status = 'active'
            where e.status not in ('nominated', 'declined', 'withdrawn') and p.erased_at is null and p.email not like '%demo-council%' order by p.id limit 1`,
      );
      await t.db.execute(sql`update people set password_hash = (select password_hash from people where email = ${demoAccounts.learner.email}) where id = ${personId}`);
      const leaver = await t.signIn(email);
      const { threadId } = await startThread(leaver, 'Started by a leaver', 'My personal story');
      await replyTo(learner, threadId, 'Thanks for sharing');
      // Before erasure their posts are in their subject access export.
      const held = await subjectRecords(t.db, personId, [email]);
      expect(held.discussion_posts).toContainEqual(expect.objectContaining({ discussion: 'Started by a leaver', body: 'My personal story' }));
      await t.db.transaction((tx) => eraseInTransaction(tx, { actor: null, clock: t.clock, systemLabel: 'test' }, personId, 'Asked to be forgotten', t.config.baseUrl));
      const page = await learner.get(`/networks/learners/discussions/${threadId}`);
      expect(text(page.body)).toContain('Former member');
      expect(page.body).not.toContain('My personal story');
      expect(text(page.body)).toContain('This post was deleted');
      expect(page.body).toContain('Thanks for sharing');
      const [{ body }] = await rows<{ body: string }>(sql`select body from network_posts where author_id = ${personId}`);
      expect(body).toBe('');
    });
  });

  describe('the digest’s day', () => {
    it('counts the day in UK time and sends one a day per member, however often the job runs', async () => {
      // Summer: the UK day starts at 23:00 UTC. Each call is a fresh check (as after a restart): the once-a-day
      // state is only the database's.
      const toAccredited = () =>
        rows<{ body: string }>(sql`select body from notifications where template = 'network-digest' and to_email = ${demoAccounts.accreditedLearner.email} order by created_at, id`);
      await t.db.execute(sql`delete from notifications`);
      t.clock.set('2027-06-01T12:00:00Z');
      await signInAll();
      const { threadId } = await startThread(learner, 'Summer topic', 'Opening', 'learners');
      t.clock.set('2027-06-01T22:30:00Z'); // 11:30pm on 1 June in the UK
      expect(await sendNetworkDigests(t.db, t.config, t.clock)).toBeGreaterThan(0);
      expect(await toAccredited()).toHaveLength(1);
      await signInAll();
      await replyTo(learner, threadId, 'Late reply');
      t.clock.set('2027-06-01T22:50:00Z');
      expect(await sendNetworkDigests(t.db, t.config, t.clock)).toBe(0); // still 1 June in the UK
      expect(await toAccredited()).toHaveLength(1);
      t.clock.set('2027-06-01T23:10:00Z'); // 12:10am on 2 June in the UK, still 1 June in UTC
      expect(await sendNetworkDigests(t.db, t.config, t.clock)).toBeGreaterThan(0);
      expect(await sendNetworkDigests(t.db, t.config, t.clock)).toBe(0);
      const mail = await toAccredited();
      expect(mail).toHaveLength(2);
      expect(mail[1].body).toContain('Summer topic (1 new reply)');
    });
  });
});
