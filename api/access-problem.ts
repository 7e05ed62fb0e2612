import type { Response } from 'express';
import { AccessRefused } from '../app/link-access';
import { Problem } from './problem';

/** The problem a refused use of a link answers with: what is wrong and what the caller can do. */
export function accessProblem(error: unknown, res: Response): unknown {
  if (!(error instanceof AccessRefused)) return error;
  const { refusal } = error;
  switch (refusal.kind) {
    case 'not_usable':
      return new Problem(
        409,
        'link_not_usable',
        'The link cannot be used now',
        `the link is ${refusal.status}: tokens and proxied calls need a linked (or degraded) link`,
      );
    case 'deleted':
      return new Problem(
        409,
        'link_deleted',
        'The link has been deleted',
        'its credentials are gone; start a new link to connect this Greenhouse account again',
      );
    case 'legacy_credentials':
      return new Problem(
        409,
        'legacy_credentials',
        'The link uses a retired Harvest v1 API key',
        'Harvest v1 keys have no access tokens; ask the customer for Harvest v3 credentials (a new connect URL)',
      );
    case 'credentials_rejected':
      return new Problem(
        409,
        'credentials_rejected',
        'Greenhouse refused the stored credentials',
        `${refusal.problem}: ${refusal.message}`,
      );
    case 'greenhouse_unavailable':
      res.set('retry-after', String(refusal.retryAfterSeconds));
      return new Problem(503, 'greenhouse_unavailable', 'Greenhouse is not answering', refusal.message);
  }
}
