import type { FastifyReply, FastifyRequest } from 'fastify';

/** RFC 9457 problem details. `errors` lists field problems for 400/422 (row problems for spreadsheet uploads). */
export type Problem = {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { field: string; message: string }[] | { row: number | null; column: string | null; message: string }[];
  [extension: string]: unknown;
};

/** Sends problem details as application/problem+json. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem) {
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send({ type: 'about:blank', instance: request.url, requestId: request.id, ...problem });
}
