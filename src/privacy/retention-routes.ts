import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { paths } from '../web/paths.ts';
import { settingInfo, withUnit } from '../settings/service.ts';
import { kindDescriptions, retentionPreview, runRetentionNow } from './retention.ts';
import { countsSummary, retentionKinds } from './retention-kinds.ts';

/** The retention page's view of what a run now would remove. */
async function previewView(db: RouteDeps['db'], clock: RouteDeps['clock']) {
  const preview = await retentionPreview(db, { clock });
  const kinds = kindDescriptions(preview.periods, preview.cutoffs);
  return {
    ...preview,
    kinds: retentionKinds.map((k) => ({ key: k, ...kinds[k], count: preview.counts[k] })),
    total: retentionKinds.reduce((n, k) => n + preview.counts[k], 0),
    periodRows: (['invitationRetentionDays', 'auditIpRetentionMonths', 'deactivatedRetentionMonths'] as const).map((key) => ({
      label: settingInfo[key].label,
      value: withUnit(preview.periods[key], settingInfo[key].unit),
    })),
    runs: preview.runs.map((r) => ({ ...r, summary: countsSummary(r.counts) })),
  };
}

/**
 * The retention page (Admin → Data retention): the periods, what the next run would remove (counts per kind, and the
 * people it would remove or anonymise by name: admins may see them), recent runs, and running it now after a
 * confirmation page.
 */
export async function retentionRoutes(app: FastifyInstance, { db, clock, config }: RouteDeps) {
  app.get(paths.adminRetention(), { config: { access: 'retention:manage' } }, async (request, reply) => {
    const done = (request.query as Record<string, unknown>).done;
    return reply.view('privacy/views/retention.njk', {
      title: 'Data retention',
      ...(await previewView(db, clock)),
      flash: done === 'run' ? 'Retention rules applied: what was removed is under “Recent runs”' : undefined,
    });
  });

  app.get(paths.adminRetentionRun(), { config: { access: 'retention:manage' } }, async (_request, reply) =>
    reply.view('privacy/views/retention-run.njk', { title: 'Apply the retention rules now', ...(await previewView(db, clock)) }),
  );

  app.post(paths.adminRetentionRun(), { config: { access: 'retention:manage' } }, async (request, reply) => {
    await runRetentionNow(db, request.ctx(), config.baseUrl);
    return reply.redirect(`${paths.adminRetention()}?done=run`);
  });
}
