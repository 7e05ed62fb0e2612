import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/**
 * Anti-CSRF for the connect forms without a session: each form carries an HMAC of its connect token under a
 * key shared by the API replicas (store/app-secrets.ts), and browsers' Sec-Fetch-Site must not say cross-site.
 * (JSON posts need a CORS preflight, which is never granted, so they cannot be forged cross-site.)
 */
export class CsrfGuard {
  private readonly key: Buffer;

  constructor(secret: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'greenlink connect-form csrf', 32));
  }

  tokenFor(connectToken: string): string {
    return createHmac('sha256', this.key).update(connectToken).digest('base64url');
  }

  accepts(req: Request, connectToken: string): boolean {
    if (req.get('sec-fetch-site') === 'cross-site') return false;
    const given = typeof req.body?._csrf === 'string' ? Buffer.from(req.body._csrf) : Buffer.alloc(0);
    const expected = Buffer.from(this.tokenFor(connectToken));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
