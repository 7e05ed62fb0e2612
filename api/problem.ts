import type { NextFunction, Request, Response } from 'express';
import type { ZodError } from 'zod';

/** One error model for the whole API: RFC 9457 problem details. */
export interface FieldError {
  field: string;
  message: string;
}

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    /** Extension members (RFC 9457 §3.2) that say more about this kind of problem. */
    readonly extensions?: Record<string, unknown>,
  ) {
    super(detail ?? title);
  }
}

export const problems = {
  validation: (errors: FieldError[]) =>
    new Problem(
      422,
      'validation_error',
      'The request is not valid',
      errors.map((e) => `${e.field}: ${e.message}`).join('; '),
      errors,
    ),
  unauthorized: (detail: string) => new Problem(401, 'unauthorized', 'Authentication required', detail),
  notFound: (what: string) => new Problem(404, 'not_found', 'Not found', `${what} does not exist`),
  conflict: (detail: string) => new Problem(409, 'conflict', 'Conflict', detail),
  quotaExceeded: (what: string, limit: number) =>
    new Problem(
      409,
      'quota_exceeded',
      'Quota exceeded',
      `an app may have at most ${limit} ${what}`,
      undefined,
      {
        limit,
      },
    ),
  /** ACTIVE_LINKS_PER_APP: a 429 (too many, for now), not a refusal of the request itself. */
  activeLinks: (limit: number) =>
    new Problem(
      429,
      'active_links_limit',
      'Too many active links',
      `an app may have at most ${limit} active links (not expired, cancelled or deleted); cancel or delete links it no longer needs, or raise ACTIVE_LINKS_PER_APP`,
      undefined,
      { limit },
    ),
};

export function fromZod(error: ZodError, prefix = ''): Problem {
  return problems.validation(
    error.issues.map((issue) => ({
      field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)',
      message: issue.message,
    })),
  );
}

export function sendProblem(res: Response, problem: Problem): void {
  if (res.headersSent) return; // answered already (the request's deadline passed): nothing more to send
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: `https://greenlink.dev/problems/${problem.type}`,
      title: problem.title,
      status: problem.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      ...(problem.errors ? { errors: problem.errors } : {}),
      ...problem.extensions,
      ...(res.locals.requestId ? { requestId: res.locals.requestId } : {}),
    });
}

/** Express error handler: known problems as they are, body-parser errors named, anything else a 500. */
export function problemHandler(log: { error(obj: object, msg: string): void }) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // A handler that finished after its deadline's 503 went out: its late answer or error has nowhere to go.
    if (res.headersSent) return;
    if (error instanceof Problem) return sendProblem(res, error);
    const status = (error as { status?: number }).status;
    const type = (error as { type?: string }).type;
    if (type === 'entity.parse.failed') {
      return sendProblem(
        res,
        new Problem(400, 'malformed_json', 'The body is not valid JSON', (error as Error).message),
      );
    }
    if (type === 'entity.too.large') {
      return sendProblem(res, new Problem(413, 'body_too_large', 'The body is too large'));
    }
    if (status && status >= 400 && status < 500) {
      return sendProblem(res, new Problem(status, 'bad_request', 'Bad request', (error as Error).message));
    }
    log.error({ err: error }, 'unhandled error');

    sendProblem(res, new Problem(500, 'internal_error', 'Something went wrong on our side'));
  };
}
