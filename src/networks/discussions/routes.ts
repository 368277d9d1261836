import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../../app.ts';
import type { Actor } from '../../auth/policy.ts';
import { requireActor } from '../../auth/session.ts';
import type { DbOrTx } from '../../db/client.ts';
import { ConflictError } from '../../web/errors.ts';
import { errorView, failureOf, first, shownVersion, type FormFailure } from '../../web/forms.ts';
import { checkSearch, paginationView } from '../../web/list-query.ts';
import { paths } from '../../web/paths.ts';
import type { NetworkKey } from '../networks.ts';
import type { MembershipRules } from '../service.ts';
import { maxBody, maxReason, maxTitle, pageOnly, threadListQuery } from './schemas.ts';
import { postHtml } from './text.ts';
import * as service from './service.ts';

const threadsPerPage = 20;
const repliesPerPage = 20;
type Body = Record<string, string | string[] | undefined>;
type NetworkRequest = FastifyRequest<{ Params: { network: string } }>;
type ThreadRequest = FastifyRequest<{ Params: { network: string; threadId: string } }>;
type PostRequest = FastifyRequest<{ Params: { network: string; postId: string } }>;
type ReportRequest = FastifyRequest<{ Params: { network: string; reportId: string } }>;

/** A thread as the list and the network's home show it. */
export const threadView = (key: NetworkKey, t: service.ThreadSummary) => ({ ...t, href: paths.networkDiscussion(key, t.id) });

/** The five threads with the latest activity, for the network's home page (none for those who do not take part). */
export async function latestDiscussions(db: DbOrTx, network: { key: NetworkKey; discuss: boolean }) {
  if (!network.discuss) return null;
  const { rows, total } = await service.listThreads(db, network.key, { limit: 5, offset: 0 });
  return { threads: rows.map((t) => threadView(network.key, t)), total, href: paths.networkDiscussions(network.key) };
}

/**
 * A post as a thread shows it to this reader: deleted posts say so; hidden ones say "Hidden by a facilitator" to
 * members, and keep their text (with the reason) for those who moderate; the author's links while they may still
 * edit, and the moderators' and reporters' actions.
 */
function postView(key: NetworkKey, p: service.PostRow, reader: { actor: Actor; moderate: boolean; now: Date; editMinutes: number }) {
  const own = p.authorId === reader.actor.personId;
  const deleted = Boolean(p.deletedAt);
  const hidden = Boolean(p.hiddenAt) && !deleted;
  const showText = !deleted && (!hidden || reader.moderate);
  return {
    id: p.id,
    anchor: `post-${p.id}`,
    authorName: p.authorName,
    createdAt: p.createdAt,
    edited: Boolean(p.editedAt) && !deleted,
    deleted,
    hidden,
    hiddenReason: hidden && reader.moderate ? p.hiddenReason : null,
    hiddenByName: hidden && reader.moderate ? p.hiddenByName : null,
    bodyHtml: showText ? postHtml(p.body) : null,
    editHref: service.mayEdit(reader.actor, p, reader.now, reader.editMinutes) ? paths.networkPost(key, p.id, 'edit') : null,
    deleteHref: own && !deleted ? paths.networkPost(key, p.id, 'delete') : null,
    reportHref: !own && !deleted && !hidden ? paths.networkPost(key, p.id, 'report') : null,
    hideHref: reader.moderate && !deleted && !hidden ? paths.networkPost(key, p.id, 'hide') : null,
    unhideAction: reader.moderate && hidden ? paths.networkPost(key, p.id, 'unhide') : null,
  };
}

/**
 * Discussion pages under each network: the threads (newest activity first), a thread with its replies (oldest first),
 * starting a thread and replying; an author's edit (within DISCUSSION_EDIT_MINUTES) and deletion (after a
 * confirmation page); reporting a post; and for facilitators and admins hiding and unhiding posts, locking threads
 * and the open reports. Anyone who does not take part in the network's discussions gets 404; the rules are the
 * service's.
 */
export async function discussionRoutes(app: FastifyInstance, { db, config, clock }: RouteDeps) {
  const rules: MembershipRules = { includeLeads: config.sroNetworkIncludesLeads };
  const editMinutes = config.discussionEditMinutes;
  const base = `${paths.networks()}/:network/discussions`;
  const open = (request: NetworkRequest) => service.openDiscussions(db, requireActor(request), request.params.network, rules);
  const openThread = (request: ThreadRequest) => service.openThread(db, requireActor(request), request.params.network, request.params.threadId, rules);
  const openPost = (request: PostRequest) => service.openPost(db, requireActor(request), request.params.network, request.params.postId, rules);

  app.get(base, { config: { access: 'signed-in' } }, async (request: NetworkRequest, reply) => {
    const network = await open(request);
    const { filters, status, errors, errorList } = checkSearch(threadListQuery.parse(request.query));
    const { rows, total } = await service.listThreads(db, network.key, { limit: threadsPerPage, offset: (filters.page - 1) * threadsPerPage }, filters.q);
    const pagination = paginationView(paths.networkDiscussions(network.key), { q: filters.q }, filters.page, threadsPerPage, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    return reply.code(status).view('networks/discussions/views/list.njk', {
      title: `Discussions – ${network.name}`,
      network,
      q: filters.q ?? '',
      filtered: !!filters.q,
      errors,
      errorList,
      threads: rows.map((t) => threadView(network.key, t)),
      pagination,
      total,
      newHref: paths.networkDiscussionNew(network.key),
      reportsHref: network.moderate ? paths.networkDiscussionReports(network.key) : null,
    });
  });

  const showNew = (reply: FastifyReply, network: Awaited<ReturnType<typeof open>>, body: Body | null, failure?: FormFailure) =>
    reply.code(failure?.status ?? 200).view('networks/discussions/views/new.njk', {
      title: `Start a discussion – ${network.name}`,
      network,
      action: paths.networkDiscussions(network.key),
      backHref: paths.networkDiscussions(network.key),
      values: { title: first(body?.title) ?? '', body: first(body?.body) ?? '' },
      maxTitle,
      maxBody,
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });

  app.get(`${base}/new`, { config: { access: 'signed-in' } }, async (request: NetworkRequest, reply) => showNew(reply, await open(request), null));

  app.post(base, { config: { access: 'signed-in' } }, async (request: NetworkRequest, reply) => {
    const network = await open(request);
    const body = (request.body ?? {}) as Body;
    try {
      const { threadId } = await service.startThread(db, request.ctx(), network, { title: first(body.title), body: first(body.body) });
      return reply.redirect(`${paths.networkDiscussion(network.key, threadId)}?done=started`);
    } catch (err) {
      return showNew(reply, network, body, failureOf(err));
    }
  });

  const threadFlashes: Record<string, string> = {
    started: 'Discussion started',
    replied: 'Reply added',
    edited: 'Post saved',
    deleted: 'Post deleted',
    hidden: 'Post hidden',
    unhidden: 'Post shown again',
    locked: 'Discussion locked: no one can reply',
    unlocked: 'Discussion unlocked',
    reported: 'Post reported: a facilitator will look at it',
  };

  const showThread = async (request: ThreadRequest, reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const { network, thread } = await openThread(request);
    const actor = requireActor(request);
    const { page } = pageOnly.parse(request.query);
    const { opening, replies, total } = await service.threadPosts(db, thread.id, { limit: repliesPerPage, offset: (page - 1) * repliesPerPage });
    const pagination = paginationView(paths.networkDiscussion(network.key, thread.id), {}, page, repliesPerPage, total);
    if (pagination.lastPageHref && !failure) return reply.redirect(pagination.lastPageHref);
    const reader = { actor, moderate: network.moderate, now: clock.now(), editMinutes };
    const { done } = request.query as { done?: string };
    return reply.code(failure?.status ?? 200).view('networks/discussions/views/thread.njk', {
      title: thread.title,
      network,
      thread: { ...thread, locked: Boolean(thread.lockedAt) },
      opening: opening && postView(network.key, opening, reader),
      replies: replies.map((p) => postView(network.key, p, reader)),
      pagination,
      total,
      replyAction: paths.networkDiscussionReplies(network.key, thread.id),
      lockAction: network.moderate ? paths.networkDiscussionLock(network.key, thread.id) : null,
      backHref: paths.networkDiscussions(network.key),
      values: { body: first(body?.body) ?? '' },
      maxBody,
      editMinutes,
      flash: done ? threadFlashes[done] : undefined,
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get(`${base}/:threadId`, { config: { access: 'signed-in' } }, (request: ThreadRequest, reply) => showThread(request, reply, null));

  /** Where a post is: its thread's page that holds it, at its anchor. */
  const postHref = async (key: NetworkKey, post: { id: string; threadId: string; isOpening?: boolean; createdAt?: Date }, done: string | null) => {
    const position = post.isOpening === false && post.createdAt ? await service.replyPosition(db, { id: post.id, threadId: post.threadId, createdAt: post.createdAt }) : 0;
    const page = Math.max(1, Math.ceil(position / repliesPerPage));
    const query = [page > 1 ? `page=${page}` : '', done ? `done=${done}` : ''].filter(Boolean).join('&');
    return `${paths.networkDiscussion(key, post.threadId)}${query ? `?${query}` : ''}#post-${post.id}`;
  };

  app.post(`${base}/:threadId/replies`, { config: { access: 'signed-in' } }, async (request: ThreadRequest, reply) => {
    const { network, thread } = await openThread(request);
    const body = (request.body ?? {}) as Body;
    try {
      const postId = await service.reply(db, request.ctx(), thread.id, { body: first(body.body) });
      const { total } = await service.threadPosts(db, thread.id, { limit: 0, offset: 0 });
      const page = Math.max(1, Math.ceil(total / repliesPerPage));
      return reply.redirect(`${paths.networkDiscussion(network.key, thread.id)}?${page > 1 ? `page=${page}&` : ''}done=replied#post-${postId}`);
    } catch (err) {
      return showThread(request, reply, body, failureOf(err));
    }
  });

  app.post(`${base}/:threadId/lock`, { config: { access: 'signed-in' } }, async (request: ThreadRequest, reply) => {
    const { network, thread } = await openThread(request);
    service.requireModerate(network);
    const body = (request.body ?? {}) as Body;
    try {
      const { locked } = await service.setLock(db, request.ctx(), network, thread.id, { locked: first(body.locked) });
      return reply.redirect(`${paths.networkDiscussion(network.key, thread.id)}?done=${locked ? 'locked' : 'unlocked'}`);
    } catch (err) {
      return showThread(request, reply, null, failureOf(err));
    }
  });

  // An author's edit, within the window: the form refuses (403) once it has passed, whoever asks.
  const showEdit = async (request: PostRequest, reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const { network, post } = await openPost(request);
    service.checkEditable(requireActor(request), post, clock.now(), editMinutes);
    return reply.code(failure?.status ?? 200).view('networks/discussions/views/edit.njk', {
      title: `Edit your post – ${post.threadTitle}`,
      network,
      post,
      action: paths.networkPost(network.key, post.id, 'edit'),
      backHref: await postHref(network.key, post, null),
      // What they typed; after a stale save over the post's version now (saving again works), after any other refusal
      // over the version they read (a corrected save over a change made meanwhile is still refused).
      values: { body: first(body?.body) ?? post.body, title: first(body?.title) ?? post.threadTitle, version: shownVersion(body, failure, String(post.version)) },
      maxTitle,
      editableUntil: service.editableUntil(post, editMinutes),
      maxBody,
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get(`${base}/posts/:postId/edit`, { config: { access: 'signed-in' } }, (request: PostRequest, reply) => showEdit(request, reply, null));

  app.post(`${base}/posts/:postId/edit`, { config: { access: 'signed-in' } }, async (request: PostRequest, reply) => {
    const { network, post } = await openPost(request);
    const body = (request.body ?? {}) as Body;
    try {
      await service.editPost(db, request.ctx(), post.id, { body: first(body.body), title: post.isOpening ? first(body.title) : undefined, version: first(body.version) }, editMinutes);
      return reply.redirect(await postHref(network.key, post, 'edited'));
    } catch (err) {
      return showEdit(request, reply, body, failureOf(err));
    }
  });

  app.get(`${base}/posts/:postId/delete`, { config: { access: 'signed-in' } }, async (request: PostRequest, reply) => {
    const { network, post } = await openPost(request);
    service.requireOwn(requireActor(request), post, 'delete');
    return reply.view('networks/discussions/views/delete.njk', {
      title: `Delete your post – ${post.threadTitle}`,
      network,
      post: { ...post, bodyHtml: postHtml(post.body) },
      action: paths.networkPost(network.key, post.id, 'delete'),
      backHref: await postHref(network.key, post, null),
    });
  });

  app.post(`${base}/posts/:postId/delete`, { config: { access: 'signed-in' } }, async (request: PostRequest, reply) => {
    const { network, post } = await openPost(request);
    await service.deletePost(db, request.ctx(), post.id);
    return reply.redirect(await postHref(network.key, post, 'deleted'));
  });

  const showReason = async (request: PostRequest, reply: FastifyReply, kind: 'hide' | 'report', body: Body | null, failure?: FormFailure) => {
    const { network, post } = await openPost(request);
    const actor = requireActor(request);
    if (kind === 'hide') service.requireModerate(network);
    const already = kind === 'report' && !failure && (await service.hasReported(db, post.id, actor.personId));
    const fromReports = kind === 'hide' && (request.query as { from?: string }).from === 'reports';
    return reply.code(failure?.status ?? 200).view('networks/discussions/views/reason.njk', {
      title: `${kind === 'hide' ? 'Hide' : 'Report'} a post – ${post.threadTitle}`,
      kind,
      network,
      post: { ...post, bodyHtml: post.deletedAt ? null : postHtml(post.body) },
      already,
      action: `${paths.networkPost(network.key, post.id, kind)}${fromReports ? '?from=reports' : ''}`,
      backHref: fromReports ? paths.networkDiscussionReports(network.key) : await postHref(network.key, post, null),
      values: { reason: first(body?.reason) ?? '' },
      maxReason,
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  for (const kind of ['hide', 'report'] as const) {
    app.get(`${base}/posts/:postId/${kind}`, { config: { access: 'signed-in' } }, (request: PostRequest, reply) => showReason(request, reply, kind, null));
    app.post(`${base}/posts/:postId/${kind}`, { config: { access: 'signed-in' } }, async (request: PostRequest, reply) => {
      const { network, post } = await openPost(request);
      const body = (request.body ?? {}) as Body;
      try {
        if (kind === 'hide') {
          await service.hidePost(db, request.ctx(), network, post.id, { reason: first(body.reason) }, `${config.baseUrl}${paths.networkDiscussion(network.key, post.threadId)}`);
          const { from } = request.query as { from?: string };
          if (from === 'reports') return reply.redirect(`${paths.networkDiscussionReports(network.key)}?done=hidden`);
        } else {
          await service.reportPost(db, request.ctx(), post.id, { reason: first(body.reason) });
        }
        return reply.redirect(await postHref(network.key, post, kind === 'hide' ? 'hidden' : 'reported'));
      } catch (err) {
        return showReason(request, reply, kind, body, failureOf(err));
      }
    });
  }

  app.post(`${base}/posts/:postId/unhide`, { config: { access: 'signed-in' } }, async (request: PostRequest, reply) => {
    const { network, post } = await openPost(request);
    service.requireModerate(network);
    try {
      await service.unhidePost(db, request.ctx(), network, post.id);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // shown already: nothing to do
    }
    return reply.redirect(await postHref(network.key, post, 'unhidden'));
  });

  const reportFlashes: Record<string, string> = { dismissed: 'Report dismissed: the post stays as it is', hidden: 'Post hidden: its reports are closed' };

  app.get(`${base}/reports`, { config: { access: 'signed-in' } }, async (request: NetworkRequest, reply) => {
    const network = await open(request);
    service.requireModerate(network);
    const reports = await service.openReports(db, network.key);
    const { done } = request.query as { done?: string };
    return reply.view('networks/discussions/views/reports.njk', {
      title: `Reported posts – ${network.name}`,
      network,
      reports: reports.map((r) => ({
        ...r,
        threadHref: paths.networkDiscussion(network.key, r.threadId),
        bodyHtml: postHtml(r.postBody),
        hideHref: r.postHidden ? null : `${paths.networkPost(network.key, r.postId, 'hide')}?from=reports`,
        dismissAction: paths.networkDiscussionReportDismiss(network.key, r.id),
      })),
      backHref: paths.networkDiscussions(network.key),
      flash: done ? reportFlashes[done] : undefined,
    });
  });

  app.post(`${base}/reports/:reportId/dismiss`, { config: { access: 'signed-in' } }, async (request: ReportRequest, reply) => {
    const network = await service.openDiscussions(db, requireActor(request), request.params.network, rules);
    service.requireModerate(network);
    await service.dismissReport(db, request.ctx(), network, request.params.reportId);
    return reply.redirect(`${paths.networkDiscussionReports(network.key)}?done=dismissed`);
  });
}
