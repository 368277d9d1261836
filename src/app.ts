import crypto from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import compress from '@fastify/compress';
import type { Config } from './config.ts';
import type { Db } from './db/client.ts';
import { isConcurrencyFailure, isDatabaseUnavailable, ping } from './db/client.ts';
import { systemClock, type Clock } from './clock.ts';
import { registerViews } from './web/views.ts';
import { registerSessions } from './auth/session.ts';
import { registerBearerAuth } from './api/bearer.ts';
import { registerAccessControl } from './auth/access.ts';
import { sendProblem } from './api/problem.ts';
import { AppError, UnauthenticatedError, ValidationError } from './web/errors.ts';
import { paths } from './web/paths.ts';
import { registerMethodNotAllowed } from './web/methods.ts';
import { compression } from './web/compression.ts';
import { createMailer, type Mailer } from './notifications/mailer.ts';
import { startOutboxWorker, type OutboxWorker } from './notifications/outbox.ts';
import { startReminderJob } from './notifications/reminder-job.ts';
import { startRetentionJob } from './privacy/retention-job.ts';
import { startDatabaseUpkeepJob } from './db/upkeep.ts';
import { startSnapshotJob } from './evaluation/snapshots.ts';
import { startSurveyScheduleJob } from './surveys/service.ts';
import { configureReadCache } from './db/read-cache.ts';
import { featureRoutes } from './routes.ts';
import { createImportJobs, type ImportJobs } from './imports/jobs.ts';
import { registerInputGuard } from './web/input-guard.ts';
import { registerSecurityHeaders } from './web/security-headers.ts';
import { describeError, logSerializers } from './web/safe-log.ts';
import { filesystemStorage, type FileStorage } from './files/storage.ts';

/** Everything the app needs from outside, handed in so tests can pass a fresh database, a fixed clock or a fake mailer. */
export type AppDeps = { config: Config; db: Db; clock?: Clock; mailer?: Mailer; logger?: boolean | object; storage?: FileStorage };
/**
 * What route modules receive. `outbox.kick()` sends queued email now rather than at the next poll; `importJobs`
 * runs the pages' uploads in the background, one at a time; `storage` keeps the networks' resource files (a folder
 * unless another store is handed in).
 */
export type RouteDeps = { config: Config; db: Db; clock: Clock; outbox: OutboxWorker; importJobs: ImportJobs; storage: FileStorage };

declare module 'fastify' {
  interface FastifyInstance {
    outbox: OutboxWorker;
    /** Tests await `app.importJobs.idle()` after an upload instead of sleeping. */
    importJobs: ImportJobs;
  }
}

/** Builds the app: plugins → routes → 404 → error handler. Does not listen. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const clock = deps.clock ?? systemClock;
  const { config, db } = deps;
  const mailer = deps.mailer ?? createMailer(config);
  configureReadCache(db, config.readCacheSeconds);
  const app = Fastify({
    // The serializers keep personal data and SQL parameters out of the log whatever logger options are given.
    logger: deps.logger === false ? false : { level: config.logLevel, ...(typeof deps.logger === 'object' ? deps.logger : {}), serializers: logSerializers },
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{8,64}$/.test(given) ? given : crypto.randomUUID();
    },
  });
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    // Pages, API answers and downloads carry personal data: no browser or proxy keeps a copy. Static files set their own.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    // A string body is encoded twice by Fastify and Node (its byte length for Content-Length, then again as it is
    // written); as bytes it is encoded once. On a page that holds a character beyond Latin-1 (a two-byte string built
    // from thousands of pieces) that was 5-10% of the page's CPU (docs/performance.md, "Issue 9, twelfth slice").
    return typeof payload === 'string' ? Buffer.from(payload) : payload;
  });

  registerSecurityHeaders(app, { tls: config.secureCookies });
  registerMethodNotAllowed(app);
  // Pages, CSS, JS and JSON are compressed when the client accepts it; request bodies are never inflated (a small
  // compressed body could stand for a huge one). Static CSS and JS come precompressed (web/views.ts).
  await app.register(compress, { ...compression, globalDecompression: false });
  await app.register(formbody);
  await app.register(cookie);
  // The draft IETF RateLimit-* headers, on sign-in and the API alike.
  await app.register(rateLimit, { global: false, enableDraftSpec: true });
  registerSessions(app, { db, config, clock });
  await registerViews(app, { production: config.env === 'production', feedbackUrl: config.feedbackUrl });
  registerBearerAuth(app, { db, clock, config });
  registerAccessControl(app);
  registerInputGuard(app);

  app.get('/health', { config: { access: 'public' } }, async (_request, reply) => {
    const up = await ping(db);
    return reply.code(up ? 200 : 503).send({ status: up ? 'ok' : 'unavailable' });
  });

  const outbox = startOutboxWorker(db, mailer, clock, { intervalMs: 5000, batch: config.outboxBatchSize, bulkPerMinute: config.outboxBulkPerMinute }, (err) => app.log.error({ err }, 'outbox delivery failed'));
  app.decorate('outbox', outbox);
  // Invitations, approvals and declines from an upload queue emails: send them now rather than at the next poll.
  const importJobs = createImportJobs({ db, config, clock, log: app.log, onSucceeded: () => void outbox.kick() });
  app.decorate('importJobs', importJobs);
  // Uploads left unfinished by an instance that stopped are failed, so their uploaders are told to upload again.
  app.addHook('onReady', async () => {
    await importJobs.failInterrupted();
  });
  const reminders = startReminderJob(db, config, clock, () => void outbox.kick(), (err) => app.log.error({ error: describeError(err) }, 'reminders job failed'));
  app.addHook('onReady', async () => reminders.start());
  const retention = startRetentionJob(
    db,
    config,
    clock,
    (counts) => app.log.info({ counts }, 'retention run finished'),
    (err) => app.log.error({ error: describeError(err) }, 'retention run failed'),
  );
  app.addHook('onReady', async () => retention.start());
  const snapshots = startSnapshotJob(
    db,
    config,
    clock,
    (result) => app.log.info({ month: result.month, indicators: result.written }, 'indicator snapshot taken'),
    (err) => app.log.error({ error: describeError(err) }, 'indicator snapshot failed'),
  );
  app.addHook('onReady', async () => snapshots.start());
  const scheduledSurveys = startSurveyScheduleJob(
    db,
    config,
    clock,
    (runs) => {
      app.log.info({ surveys: runs.length, sent: runs.reduce((n, r) => n + r.sent, 0) }, 'scheduled surveys sent');
      void outbox.kick();
    },
    (err) => app.log.error({ error: describeError(err) }, 'scheduled surveys failed'),
  );
  app.addHook('onReady', async () => scheduledSurveys.start());
  // PGlite has no autovacuum: this keeps its planner statistics current and its dead rows cleared (src/db/upkeep.ts).
  const upkeep = startDatabaseUpkeepJob(
    db,
    config,
    (done) => app.log.info({ vacuumed: done.filter((t) => t.vacuum).map((t) => t.table), analyzed: done.filter((t) => !t.vacuum).map((t) => t.table) }, 'database upkeep finished'),
    (err) => app.log.error({ error: describeError(err) }, 'database upkeep failed'),
  );
  app.addHook('onReady', async () => upkeep.start());
  // The upload in progress and the reminders job finish (and may queue email) before the outbox stops.
  app.addHook('onClose', async () => {
    await retention.stop();
    await snapshots.stop();
    await scheduledSurveys.stop();
    await upkeep.stop();
    await reminders.stop();
    await importJobs.stop();
    await outbox.stop();
  });

  const storage = deps.storage ?? filesystemStorage(config.resourcesDir);
  await featureRoutes(app, { config, db, clock, outbox, importJobs, storage });

  app.setNotFoundHandler((request, reply) => {
    if (isApi(request)) return sendProblem(request, reply, { status: 404, title: 'Not found', detail: `No resource at ${request.url.split('?')[0]}.` });
    return reply.code(404).view('web/views/error.njk', { status: 404, title: 'Page not found', message: 'We could not find that page or record.' });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => handleError(error, request, reply));
  return app;
}

const isApi = (request: FastifyRequest) => request.url.startsWith('/api/');

/** Every error becomes a clear page or problem details; never a stack trace. */
function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof UnauthenticatedError && !isApi(request)) {
    const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
    return reply.redirect(`${paths.signIn()}${next}`);
  }
  if (isDatabaseUnavailable(error)) return sendUnavailable(error, request, reply);
  let status = 500;
  let title = 'Sorry, there is a problem with the service';
  let detail = 'Something went wrong on our side. Nothing was changed.';
  let errors: { field: string; message: string }[] | undefined;
  if (error instanceof AppError) {
    ({ status, title } = error);
    detail = error.message;
    if (error instanceof ValidationError) errors = Object.entries(error.fields).map(([field, message]) => ({ field, message }));
  } else if (isConcurrencyFailure(error)) {
    // PostgreSQL stopped one of two transactions that locked the same rows in opposite orders; nothing was written.
    status = 409;
    title = 'Conflict';
    detail = 'Someone else was changing the same records at the same moment. Nothing was changed: try again.';
  } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    status = error.statusCode;
    title = status === 413 ? 'Request too large' : status === 415 ? 'Unsupported media type' : status === 429 ? 'Too many requests' : 'Bad request';
    detail = status === 429 ? 'You have made too many attempts. Wait a minute and try again.' : error.message;
  } else {
    request.log.error({ err: error }, 'unhandled error');
  }
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  if (isApi(request)) return sendProblem(request, reply, { status, title, detail, ...(errors ? { errors } : {}) });
  return reply.code(status).view('web/views/error.njk', { status, title: status === 403 ? 'You cannot do that' : title, message: detail, requestId: request.id });
}

/** How long a client should wait before trying again while the database is unreachable. */
const unavailableRetryAfterSeconds = 30;

/**
 * The database cannot be reached (restarting, connections refused or cut): 503 with Retry-After, a GOV.UK
 * "service unavailable" page or problem details. Nothing was written: the server rolls back a cut transaction.
 * The log line carries the error's code and stack, not its message (a failed query's message quotes its parameters).
 */
function sendUnavailable(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  request.log.warn({ error: describeError(error) }, 'database unavailable');
  reply.header('retry-after', String(unavailableRetryAfterSeconds));
  const detail = 'The service cannot reach its database at the moment. Nothing was changed: try again in a few minutes.';
  if (isApi(request)) return sendProblem(request, reply, { status: 503, title: 'Service Unavailable', detail });
  return reply.code(503).view('web/views/error.njk', { status: 503, title: 'Sorry, the service is unavailable', message: detail, requestId: request.id });
}
