/** Errors a service raises; the app's error handler turns each into a page or RFC 9457 problem details. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/** The record does not exist, or the caller may not know it exists (policy answers 404, not 403). */
export class NotFoundError extends AppError {
  constructor(message = 'We could not find that page or record.') {
    super(404, 'Not found', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You do not have permission to do that.') {
    super(403, 'Forbidden', message);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Sign in to continue.') {
    super(401, 'Unauthorised', message);
  }
}

/** A request that clashes with the record's state: an illegal move, a stale edit, a duplicate. */
export class ConflictError extends AppError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(409, 'Conflict', message);
  }
}

export type FieldErrors = Record<string, string>;

/**
 * Input that fails validation; `fields` maps each field to the message shown beside it. 422 for a body that
 * parsed but is wrong, 400 for a malformed request line (query parameters).
 */
export class ValidationError extends AppError {
  constructor(
    readonly fields: FieldErrors,
    status: 400 | 422 = 422,
  ) {
    super(status, status === 400 ? 'Bad request' : 'Invalid input', Object.values(fields)[0] ?? 'Check your answers.');
  }
}
