import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyView from '@fastify/view';
import fastifyStatic from '@fastify/static';
import nunjucks from 'nunjucks';
import { formatDate, formatDateTime } from './format.ts';
import { navigationFor } from './nav.ts';

declare module 'fastify' {
  interface FastifyReply {
    locals?: Record<string, unknown>;
  }
}

const require = createRequire(import.meta.url);
const govukDist = path.join(path.dirname(require.resolve('govuk-frontend/package.json')), 'dist');
/** Templates are named from src/, e.g. "councils/views/list.njk", so each feature keeps its own views. */
const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Nunjucks with the GOV.UK macros, the assets GOV.UK Frontend expects at /assets/, and the per-request locals. */
export async function registerViews(app: FastifyInstance, opts: { production: boolean }) {
  await app.register(fastifyView, {
    engine: { nunjucks },
    templates: [srcDir, govukDist],
    options: {
      autoescape: true,
      noCache: !opts.production,
      onConfigure: (env: nunjucks.Environment) => {
        env.addFilter('date', formatDate);
        env.addFilter('dateTime', formatDateTime);
      },
    },
  });
  await app.register(fastifyStatic, { root: path.join(govukDist, 'govuk/assets'), prefix: '/assets/' });
  await app.register(fastifyStatic, {
    root: path.join(govukDist, 'govuk'),
    prefix: '/govuk/',
    decorateReply: false,
    allowedPath: (p) => /^\/govuk-frontend\.min\.(css|js)(\.map)?$/.test(p),
  });
  await app.register(fastifyStatic, { root: path.join(srcDir, 'web/static'), prefix: '/static/', decorateReply: false });

  app.addHook('preHandler', async (request, reply) => {
    const currentPath = request.url.split('?')[0];
    reply.locals = {
      ...reply.locals,
      actor: request.actor,
      csrfToken: request.csrfToken,
      cspNonce: reply.cspNonce?.script,
      nav: navigationFor(request.actor, currentPath),
      currentPath,
    };
  });
}
