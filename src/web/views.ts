import fs from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../project-root.ts';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyView from '@fastify/view';
import fastifyStatic from '@fastify/static';
import nunjucks from 'nunjucks';
import { formatDate, formatDateTime, formatCount } from './format.ts';
import { datePartsInError } from './forms.ts';
import { navigationFor } from './nav.ts';
import { precompressed } from './precompress.ts';
import { appDateInput, appInput, appSelect, appTable, appTag } from './fast-components.ts';
import { speedUpNunjucks } from './nunjucks-speedups.ts';

declare module 'fastify' {
  interface FastifyReply {
    /** Read-only: computed for each render by pageLocals(). */
    locals?: Record<string, unknown>;
  }
}

const require = createRequire(import.meta.url);
const govukDist = path.join(path.dirname(require.resolve('govuk-frontend/package.json')), 'dist');
/** Templates are named from src/, e.g. "councils/views/list.njk", so each feature keeps its own views. */
const srcDir = path.join(projectRoot, 'src');

/**
 * Nunjucks with the GOV.UK macros, the assets GOV.UK Frontend expects at /assets/, and the per-request locals.
 * `feedbackUrl` is the phase banner's feedback link, the same on every page.
 */
export async function registerViews(app: FastifyInstance, opts: { production: boolean; feedbackUrl: string }) {
  // Decorated before @fastify/view registers, which then uses it instead of its own empty `locals`.
  app.decorateReply('locals', { getter(this: FastifyReply) { return pageLocals(this); } });
  await app.register(fastifyView, {
    engine: { nunjucks },
    templates: [srcDir, govukDist],
    options: {
      autoescape: true,
      noCache: !opts.production,
      onConfigure: (env: nunjucks.Environment) => {
        speedUpNunjucks(env);
        // Nunjucks' own `trim` is `replace(/^\s*|\s*$/g, '')`, which retries `\s*$` from every position of every run
        // of spaces; the GOV.UK macros trim whole blocks of indented HTML, and that one expression was a quarter of a
        // page's CPU. `String.prototype.trim` removes the same characters (JavaScript's `\s` is its whitespace set).
        env.addFilter('trim', (value: unknown) => {
          const trimmed = String(value).trim();
          return value instanceof nunjucks.runtime.SafeString ? new nunjucks.runtime.SafeString(trimmed) : trimmed;
        });
        env.addGlobal('appSelect', appSelect);
        env.addGlobal('appTag', appTag);
        env.addGlobal('appTable', appTable);
        env.addGlobal('appInput', appInput);
        env.addGlobal('appDateInput', appDateInput);
        env.addFilter('date', formatDate);
        env.addFilter('dateTime', formatDateTime);
        env.addFilter('count', formatCount);
        env.addGlobal('datePartsInError', datePartsInError);
        env.addGlobal('feedbackUrl', opts.feedbackUrl);
      },
    },
  });
  await app.register(fastifyStatic, { root: path.join(govukDist, 'govuk/assets'), prefix: '/assets/' });
  // The pages' CSS and JS are served from a precompressed copy (see precompressed()); @fastify/compress leaves
  // a response that already has a Content-Encoding alone.
  const govukFiles = ['css', 'js', 'css.map', 'js.map'].map((ext) => `govuk-frontend.min.${ext}`);
  await app.register(fastifyStatic, {
    root: await precompressed(path.join(govukDist, 'govuk'), govukFiles),
    prefix: '/govuk/',
    decorateReply: false,
    preCompressed: true,
    allowedPath: (p) => govukFiles.includes(p.slice(1)),
  });
  const staticDir = path.join(srcDir, 'web/static');
  await app.register(fastifyStatic, {
    root: await precompressed(staticDir, await fs.readdir(staticDir)),
    prefix: '/static/',
    decorateReply: false,
    preCompressed: true,
  });
}

/**
 * What every page's layout reads, worked out when the page is rendered rather than by a hook, so that a page
 * rendered for an error thrown before the route's handler (the CSRF 403, the sign-in 429) still has its CSP
 * nonce, its navigation and its sign-out form.
 */
function pageLocals(reply: FastifyReply): Record<string, unknown> {
  const { request } = reply;
  const currentPath = request.url.split('?')[0];
  return {
    actor: request.actor,
    csrfToken: request.csrfToken,
    cspNonce: reply.cspNonce,
    nav: navigationFor(request.actor, currentPath),
    currentPath,
  };
}
