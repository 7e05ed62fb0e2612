import type { components } from './schema';

export type Problem = components['schemas']['Problem'];
export interface FieldError {
  field: string;
  message: string;
}

const PROBLEM_PREFIX = 'https://greenlink.dev/problems/';

/**
 * Every refusal the API answers (RFC 9457 problem+json), as one error class: `type` (`missing_permission`,
 * `validation_error`, `link_not_usable`…), `status`, `detail`, the field errors, and the request id to quote.
 */
export class GreenlinkError extends Error {
  readonly type: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[];
  readonly requestId: string | undefined;
  /** `missing_permission`: the API key permission the call needs. */
  readonly permission: string | undefined;
  /** The whole problem document, extension members included. */
  readonly problem: Problem;

  constructor(problem: Problem, requestId?: string) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = 'GreenlinkError';
    this.problem = problem;
    this.type = problem.type.startsWith(PROBLEM_PREFIX)
      ? problem.type.slice(PROBLEM_PREFIX.length)
      : problem.type;
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.requestId = problem.requestId ?? requestId;
    this.permission = problem.permission;
  }

  /** The error an answer that is not a success stands for (a body that is no problem document included). */
  static from(body: unknown, response: Response): GreenlinkError {
    const requestId = response.headers.get('request-id') ?? undefined;
    if (body && typeof body === 'object' && 'type' in body && 'status' in body) {
      return new GreenlinkError(body as Problem, requestId);
    }
    return new GreenlinkError(
      {
        type: 'unexpected_response',
        title: `Unexpected answer ${response.status}`,
        status: response.status,
        detail: typeof body === 'string' ? body.slice(0, 200) : undefined,
      },
      requestId,
    );
  }
}
