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

/**
 * The HTTP reason phrase of each status the API answers with (RFC 9110's wording; Node's own table still says
 * "Payload Too Large" and "Unprocessable Entity"). A problem of type about:blank takes its status's phrase as its title.
 */
export const reasonPhrases: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Sends problem details as application/problem+json. The title is the status's reason phrase (RFC 9457 asks that of
 * about:blank problems), whatever title the caller chose for its page; `detail` says what went wrong.
 */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem) {
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send({ type: 'about:blank', instance: request.url, requestId: request.id, ...problem, title: reasonPhrases[problem.status] ?? problem.title });
}
