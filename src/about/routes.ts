import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { anonCsrfCookie, sessionCookie } from '../auth/session.ts';
import { paths } from '../web/paths.ts';
import { retentionPeriods } from './retention.ts';
import { retentionSettings } from '../settings/service.ts';

/**
 * The day the accessibility statement was written and last reviewed. It is a fact about the text, not the day the
 * page is shown: change it when the statement is reviewed (for example when a known issue below it is fixed).
 */
export const accessibilityStatementReviewedOn = '2026-12-03';

/**
 * Public information pages: where the data comes from, and the GOV.UK service essentials (accessibility
 * statement, privacy notice, cookies). They read the settings they quote, so they say what this instance does.
 */
export async function aboutRoutes(app: FastifyInstance, { config, db }: Pick<RouteDeps, 'config' | 'db'>) {
  app.get('/about/data', { config: { access: 'public' } }, async (_request, reply) =>
    reply.view('about/views/data.njk', { title: 'Data sources and licences' }),
  );

  app.get(paths.accessibility(), { config: { access: 'public' } }, async (_request, reply) =>
    reply.view('about/views/accessibility.njk', {
      title: 'Accessibility statement',
      serviceUrl: config.baseUrl,
      operator: config.dataControllerName,
      contactEmail: config.programmeContactEmail,
      reviewedOn: accessibilityStatementReviewedOn,
    }),
  );

  app.get(paths.privacy(), { config: { access: 'public' } }, async (_request, reply) =>
    reply.view('about/views/privacy.njk', {
      title: 'Privacy notice',
      controller: { name: config.dataControllerName, email: config.dataControllerEmail },
      retentionRows: retentionPeriods(config, await retentionSettings(db)).map((r) => [{ text: r.what }, { text: r.howLong }]),
    }),
  );

  app.get(paths.cookies(), { config: { access: 'public' } }, async (_request, reply) =>
    reply.view('about/views/cookies.njk', {
      title: 'Cookies',
      cookies: { session: sessionCookie, csrf: anonCsrfCookie },
      sessionHours: config.sessionTtlHours,
    }),
  );
}
