import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/client.ts';
import { councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { ForbiddenError } from '../web/errors.ts';
import * as service from './service.ts';

export const tag = 'Engagements';
export const idParams = z.object({ id: z.uuid() });
export const stale = 'Someone else changed the record since you read it (send the version you read), or the move is not allowed from its status';
export const workRefusal = 'Only the specialists on this engagement and the programme team keep its action plan';

/**
 * What the engagement operations check before reading a body: the engagement in the caller's scope (404 outside it),
 * and, for a change, that they may make that kind of change (403 for those who see it but may not).
 */
export function engagementApiAccess(db: Db) {
  const scopeOf = (request: FastifyRequest) => councilScope(requireActor(request));
  const getOne = async (request: FastifyRequest, id: string) => (await service.getEngagement(db, request.ctx(), scopeOf(request), id)).engagement;
  const authorise = async (params: Record<string, string>, request: FastifyRequest) => {
    await getOne(request, params.id);
  };
  const mayDo = (what: 'manage' | 'logTime' | 'work' | 'signOff', message: string) => async (params: Record<string, string>, request: FastifyRequest) => {
    const { access } = await service.getEngagement(db, request.ctx(), scopeOf(request), params.id);
    if (!access[what]) throw new ForbiddenError(message);
  };
  return { scopeOf, getOne, authorise, mayDo };
}
