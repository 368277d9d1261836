import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from './app.ts';
import { authRoutes } from './auth/routes.ts';
import { apiDocsRoutes } from './api/routes.ts';
import { aboutRoutes } from './about/routes.ts';
import { councilRoutes } from './councils/routes.ts';
import { councilApi } from './councils/api.ts';
import { peopleRoutes } from './people/routes.ts';
import { peopleApi } from './people/api.ts';
import { auditRoutes } from './audit/routes.ts';
import { auditApi } from './audit/api.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { settingsRoutes } from './settings/routes.ts';
import { placeRoutes } from './places/routes.ts';
import { placeApi } from './places/api.ts';
import { cohortRoutes } from './cohorts/routes.ts';
import { cohortApi } from './cohorts/api.ts';
import { enrolmentRoutes } from './enrolments/routes.ts';
import { enrolmentApi } from './enrolments/api.ts';
import { learnerRoutes } from './learners/routes.ts';
import { learnerApi } from './learners/api.ts';
import { importRoutes } from './imports/routes.ts';
import { importApi } from './imports/api.ts';

/** Every feature's routes, registered in one place so the authorisation matrix test can list them all. */
export async function featureRoutes(app: FastifyInstance, deps: RouteDeps) {
  await authRoutes(app, deps);
  await peopleRoutes(app, deps);
  await peopleApi(app, deps);
  await auditRoutes(app, deps);
  await auditApi(app, deps);
  await dashboardRoutes(app, deps);
  await settingsRoutes(app, deps);
  await apiDocsRoutes(app, deps);
  await aboutRoutes(app, deps);
  await councilRoutes(app, deps);
  await councilApi(app, deps);
  await placeRoutes(app, deps);
  await placeApi(app, deps);
  await cohortRoutes(app, deps);
  await cohortApi(app, deps);
  await enrolmentRoutes(app, deps);
  await enrolmentApi(app, deps);
  await learnerRoutes(app, deps);
  await learnerApi(app, deps);
  await importRoutes(app, deps);
  await importApi(app, deps);
}
