import { createHash, randomBytes } from 'node:crypto';

/** Stripe-style ids: a readable prefix and 16 random bytes, e.g. lnk_3kq... */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

/** 256-bit random secret, url-safe. */
export function newSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** Secrets (API keys, link tokens) are stored only as this hash. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
