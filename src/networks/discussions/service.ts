/**
 * Network discussions (issue 11, item 5): threads and replies in plain text, within one network, for its members and
 * facilitators and the programme admins (other programme staff who see the network do not see them: 404). Authors
 * edit their posts within an edit window (DISCUSSION_EDIT_MINUTES, by the injected clock, over the version read) and
 * delete them; facilitators and admins hide and unhide posts (with a reason) and lock threads; members report a post
 * once. Every change is audited in its transaction.
 */
import type { Db, DbOrTx } from '../../db/client.ts';
import type { Actor } from '../../auth/policy.ts';
import { recordAudit, type RequestContext } from '../../audit/record.ts';
import { isUuid } from '../../learners/service.ts';
import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../../web/errors.ts';
import { parseOrThrow } from '../../web/forms.ts';
import { openNetwork, type MembershipRules } from '../service.ts';
import { editPostSchema, hidePostSchema, lockSchema, replySchema, reportPostSchema, threadSchema } from './schemas.ts';
import * as repo from './repository.ts';
import { enqueueEmail } from '../../notifications/outbox.ts';
import { networkNames } from '../networks.ts';

export type { PostRow, ThreadRow, ThreadSummary } from './repository.ts';
type Network = Awaited<ReturnType<typeof openDiscussions>>;

/** A network's discussions, for those who take part in them (members, facilitators, admins); anyone else 404. */
export async function openDiscussions(db: DbOrTx, actor: Actor, key: string, rules: MembershipRules) {
  const network = await openNetwork(db, actor, key, rules);
  if (!network.discuss) throw new NotFoundError();
  return network;
}

export async function openThread(db: DbOrTx, actor: Actor, key: string, threadId: string, rules: MembershipRules) {
  const network = await openDiscussions(db, actor, key, rules);
  const thread = isUuid(threadId) ? await repo.findThread(db, threadId) : undefined;
  if (!thread || thread.network !== network.key) throw new NotFoundError('We could not find that discussion.');
  return { network, thread };
}

export async function openPost(db: DbOrTx, actor: Actor, key: string, postId: string, rules: MembershipRules) {
  const network = await openDiscussions(db, actor, key, rules);
  const post = isUuid(postId) ? await repo.findPost(db, postId) : undefined;
  if (!post || post.network !== network.key) throw new NotFoundError('We could not find that post.');
  return { network, post };
}

export const listThreads = repo.listThreads;
export const threadPosts = repo.threadPosts;
export const replyPosition = repo.replyPosition;
export const openReports = repo.openReports;
export const hasReported = repo.hasReported;

const actorId = (ctx: RequestContext) => {
  if (!ctx.actor) throw new UnauthenticatedError();
  return ctx.actor.personId;
};

export function requireModerate(network: { moderate: boolean; name: string }) {
  if (!network.moderate) throw new ForbiddenError(`Only the ${network.name}’s facilitators and programme admins can moderate its discussions.`);
}

/** Starts a thread: its title and opening post, audited. */
export async function startThread(db: Db, ctx: RequestContext, network: Network, input: unknown) {
  const data = parseOrThrow(threadSchema, input);
  const authorId = actorId(ctx);
  const at = ctx.clock.now();
  return db.transaction(async (tx) => {
    const threadId = await repo.insertThread(tx, { network: network.key, title: data.title, authorId, at });
    const postId = await repo.insertPost(tx, { threadId, authorId, body: data.body, isOpening: true, at });
    await recordAudit(tx, ctx, { action: 'network_thread.started', recordType: 'network_thread', recordId: threadId, after: { network: network.key, title: data.title, postId } });
    return { threadId, postId };
  });
}

export const lockedMessage = 'This discussion is locked: no new replies can be added';

/** Adds a reply, unless the thread is locked (its row locked first, so a reply cannot slip past a lock). */
export async function reply(db: Db, ctx: RequestContext, threadId: string, input: unknown) {
  const data = parseOrThrow(replySchema, input);
  const authorId = actorId(ctx);
  return db.transaction(async (tx) => {
    const thread = await repo.findThread(tx, threadId, true);
    if (!thread) throw new NotFoundError('We could not find that discussion.');
    if (thread.lockedAt) throw new ConflictError(lockedMessage, 'body');
    const postId = await repo.insertPost(tx, { threadId, authorId, body: data.body, isOpening: false, at: ctx.clock.now() });
    await recordAudit(tx, ctx, { action: 'network_post.replied', recordType: 'network_post', recordId: postId, after: { threadId, title: thread.title } });
    return postId;
  });
}

/** Until when the author may edit the post. */
export const editableUntil = (post: Pick<repo.PostRow, 'createdAt'>, editMinutes: number) => new Date(post.createdAt.getTime() + editMinutes * 60_000);

/** Whether the actor may edit the post now: their own, not deleted or hidden, within the window. */
export function mayEdit(actor: Actor, post: repo.PostRow, now: Date, editMinutes: number) {
  return post.authorId === actor.personId && !post.deletedAt && !post.hiddenAt && now < editableUntil(post, editMinutes);
}

/** Only the author edits or deletes a post, and not once it is deleted. */
export function requireOwn(actor: Actor | null, post: repo.PostRow, what: 'edit' | 'delete') {
  if (!actor || post.authorId !== actor.personId) throw new ForbiddenError(`You can only ${what} your own posts.`);
  if (post.deletedAt) throw new ConflictError('This post has been deleted');
}

/** Refusals for an edit that cannot happen at all, whatever is typed: not one's own, deleted, hidden, too late. */
export function checkEditable(actor: Actor | null, post: repo.PostRow, now: Date, editMinutes: number) {
  requireOwn(actor, post, 'edit');
  if (post.hiddenAt) throw new ForbiddenError('This post has been hidden by a facilitator: it can no longer be edited.');
  if (now >= editableUntil(post, editMinutes)) {
    throw new ForbiddenError(`You can only edit a post within ${editMinutes} minutes of posting it. This one can no longer be edited: you can delete it, or reply.`);
  }
}

/** Saves the author's edit within the window, over the version they read (someone's save in between: 409). */
export async function editPost(db: Db, ctx: RequestContext, postId: string, input: unknown, editMinutes: number) {
  // Someone who may not edit the post is told so whatever they typed; the checks are made again under the lock.
  const current = await repo.findPost(db, postId);
  if (!current) throw new NotFoundError('We could not find that post.');
  checkEditable(ctx.actor, current, ctx.clock.now(), editMinutes);
  const data = parseOrThrow(editPostSchema, input);
  return db.transaction(async (tx) => {
    const post = await repo.findPost(tx, postId, true);
    if (!post) throw new NotFoundError('We could not find that post.');
    checkEditable(ctx.actor, post, ctx.clock.now(), editMinutes);
    if (post.version !== data.version) throw new ConflictError('This post was changed after you opened it: check it and save again', 'version');
    // The opening post's author started the thread: within the same window they may rename it (a reply has no title).
    const title = post.isOpening && data.title !== undefined && data.title !== post.threadTitle ? data.title : null;
    if (post.body === data.body && !title) return post;
    await repo.updateBody(tx, postId, data.body, data.version, ctx.clock.now());
    if (post.body !== data.body) {
      await recordAudit(tx, ctx, { action: 'network_post.edited', recordType: 'network_post', recordId: postId, after: { threadId: post.threadId, title: title ?? post.threadTitle } });
    }
    if (title) {
      await repo.updateThreadTitle(tx, post.threadId, title);
      await recordAudit(tx, ctx, { action: 'network_thread.retitled', recordType: 'network_thread', recordId: post.threadId, before: { title: post.threadTitle }, after: { title } });
    }
    return post;
  });
}

/** Deletes the author's own post: its place in the thread stays, saying it was deleted. */
export async function deletePost(db: Db, ctx: RequestContext, postId: string) {
  return db.transaction(async (tx) => {
    const post = await repo.findPost(tx, postId, true);
    if (!post) throw new NotFoundError('We could not find that post.');
    requireOwn(ctx.actor, post, 'delete');
    await repo.markDeleted(tx, postId, ctx.clock.now());
    await recordAudit(tx, ctx, { action: 'network_post.deleted', recordType: 'network_post', recordId: postId, before: { threadId: post.threadId, title: post.threadTitle } });
    return post;
  });
}

/** How much of a hidden post its author is reminded of in the email. */
const excerptLength = 120;

/**
 * Hides a post from members (facilitators and admins still read it), with a reason; the post's open reports close.
 * Its author is told by email, with the reason and the discussion's address (`discussionUrl`, absolute), unless they
 * hid it themselves or can no longer be reached (deactivated or erased).
 */
export async function hidePost(db: Db, ctx: RequestContext, network: Network, postId: string, input: unknown, discussionUrl: string) {
  requireModerate(network);
  const data = parseOrThrow(hidePostSchema, input);
  return db.transaction(async (tx) => {
    const post = await repo.findPost(tx, postId, true);
    if (!post || post.network !== network.key) throw new NotFoundError('We could not find that post.');
    if (post.deletedAt) throw new ConflictError('This post has been deleted by its author');
    if (post.hiddenAt) throw new ConflictError('This post is already hidden');
    const byId = ctx.actor?.personId ?? null;
    await repo.setHidden(tx, postId, { at: ctx.clock.now(), byId, reason: data.reason });
    const closed = await repo.resolveReports(tx, { postId }, 'hidden', byId, ctx.clock.now());
    await recordAudit(tx, ctx, {
      action: 'network_post.hidden',
      recordType: 'network_post',
      recordId: postId,
      after: { threadId: post.threadId, title: post.threadTitle, personId: post.authorId, reason: data.reason, reportsClosed: closed.length },
    });
    const author = post.authorId && post.authorId !== byId ? await repo.reachableAuthor(tx, post.authorId) : undefined;
    if (author) {
      const excerpt = post.body.length > excerptLength ? `${post.body.slice(0, excerptLength).trimEnd()}…` : post.body;
      await enqueueEmail(tx, {
        to: author.email,
        template: 'network-post-hidden',
        subject: `Your post in “${post.threadTitle}” has been hidden`,
        body:
          `Dear ${author.name},\n\nA facilitator of the ${networkNames[post.network]} has hidden your post in the discussion “${post.threadTitle}”. ` +
          `Members no longer see it; facilitators still do.\n\nThe reason they gave: ${data.reason}\n\nYour post began: “${excerpt}”\n\n` +
          `The discussion: ${discussionUrl}\n\nIf you think this is a mistake, reply to the programme team.`,
      });
    }
    return post;
  });
}

export async function unhidePost(db: Db, ctx: RequestContext, network: Network, postId: string) {
  requireModerate(network);
  return db.transaction(async (tx) => {
    const post = await repo.findPost(tx, postId, true);
    if (!post || post.network !== network.key) throw new NotFoundError('We could not find that post.');
    if (!post.hiddenAt) throw new ConflictError('This post is not hidden');
    await repo.setHidden(tx, postId, null);
    await recordAudit(tx, ctx, {
      action: 'network_post.unhidden',
      recordType: 'network_post',
      recordId: postId,
      before: { threadId: post.threadId, title: post.threadTitle, personId: post.authorId, reason: post.hiddenReason },
    });
    return post;
  });
}

/** Locks or unlocks a thread (facilitators and admins); asking for the state it is in changes nothing. */
export async function setLock(db: Db, ctx: RequestContext, network: Network, threadId: string, input: unknown) {
  requireModerate(network);
  const { locked } = parseOrThrow(lockSchema, input);
  return db.transaction(async (tx) => {
    const thread = await repo.findThread(tx, threadId, true);
    if (!thread || thread.network !== network.key) throw new NotFoundError('We could not find that discussion.');
    if (Boolean(thread.lockedAt) === locked) return { changed: false, locked };
    await repo.setLocked(tx, threadId, locked ? { at: ctx.clock.now(), byId: ctx.actor?.personId ?? null } : null);
    await recordAudit(tx, ctx, { action: locked ? 'network_thread.locked' : 'network_thread.unlocked', recordType: 'network_thread', recordId: threadId, after: { title: thread.title } });
    return { changed: true, locked };
  });
}

export const alreadyReportedMessage = 'You have already reported this post. A facilitator will look at it';

/** Reports someone else's post to the facilitators, once per person and post (the unique key decides). */
export async function reportPost(db: Db, ctx: RequestContext, postId: string, input: unknown) {
  const reporterId = actorId(ctx);
  const data = parseOrThrow(reportPostSchema, input);
  return db.transaction(async (tx) => {
    const post = await repo.findPost(tx, postId);
    if (!post) throw new NotFoundError('We could not find that post.');
    if (post.authorId === reporterId) throw new ValidationError({ reason: 'You cannot report your own post: you can edit or delete it' });
    if (post.deletedAt) throw new ConflictError('This post has been deleted by its author');
    const id = await repo.insertReport(tx, { postId, reporterId, reason: data.reason, at: ctx.clock.now() });
    if (!id) throw new ConflictError(alreadyReportedMessage, 'reason');
    await recordAudit(tx, ctx, {
      action: 'network_post.reported',
      recordType: 'network_post',
      recordId: postId,
      after: { threadId: post.threadId, title: post.threadTitle, personId: post.authorId, reason: data.reason, reportId: id },
    });
    return id;
  });
}

/** Dismisses an open report (facilitators and admins): the post stays as it is. */
export async function dismissReport(db: Db, ctx: RequestContext, network: Network, reportId: string) {
  requireModerate(network);
  const [report] = isUuid(reportId) ? await repo.openReports(db, network.key, reportId) : [];
  if (!report) throw new NotFoundError('We could not find that open report.');
  return db.transaction(async (tx) => {
    const closed = await repo.resolveReports(tx, { reportId }, 'dismissed', ctx.actor?.personId ?? null, ctx.clock.now());
    if (!closed.length) throw new ConflictError('This report has already been dealt with');
    await recordAudit(tx, ctx, {
      action: 'network_post.report_dismissed',
      recordType: 'network_post',
      recordId: report.postId,
      after: { threadId: report.threadId, title: report.threadTitle, reportId, reason: report.reason },
    });
    return report;
  });
}
