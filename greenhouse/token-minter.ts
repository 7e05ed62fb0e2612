import type { CredentialProblem } from '../domain/probe';
import type { MintResult, ProviderCredentials, ProviderToken, TokenIssuer } from '../domain/provider';
import { asObject } from './http';
import type { GreenhouseEngine } from './request-engine';

/** Harvest v3 client credentials: the provider-neutral shape (domain/provider.ts) is Harvest's. */
export type HarvestCredentials = ProviderCredentials;
export type AccessToken = ProviderToken;
export type { MintResult };

export const basicAuth = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Greenhouse echoes a malformed client id back in its error; never keep it. */
export function scrubClientId(message: string, clientId: string): string {
  const scrubbed = clientId ? message.split(clientId).join('[client id]') : message;
  return scrubbed.replace(/client_id=(?!\[client id\])\S+/g, 'client_id=[client id]');
}

/** `expires_in` seconds or `expires_at` ISO time (the docs do not say which); 1 h if neither. */
function expiryOf(body: Record<string, unknown>, now: number): number {
  if (typeof body.expires_in === 'number') return now + body.expires_in * 1_000;
  if (typeof body.expires_at === 'string' && Number.isFinite(Date.parse(body.expires_at))) {
    return Date.parse(body.expires_at);
  }
  return now + 3_600_000;
}

function credentialProblem(
  status: number,
  body: Record<string, unknown>,
  message: string,
): CredentialProblem {
  if (body.error === 'invalid_client') return 'invalid_client';
  if (/valid client ID suffix/i.test(message)) return 'malformed_client_id';
  return status === 401 ? 'unauthorized' : 'rejected';
}

/**
 * Mints client-credentials tokens through the engine. Minting is serialized per client id and takes its turn
 * in the token endpoint's window (`token:<client id>`: the worker and API share it through MongoDB, so a
 * restarted process does not mint into a window its predecessor used up); a 429 there is waited out within
 * `maxRetryAfterMs`, and a mint may be sent again (it changes nothing at Greenhouse).
 */
export class TokenMinter implements TokenIssuer {
  private queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly authUrl: string,
    private readonly engine: GreenhouseEngine,
    private readonly maxRetryAfterMs: number,
  ) {}

  mint(credentials: HarvestCredentials, signal?: AbortSignal): Promise<MintResult> {
    const previous = this.queues.get(credentials.clientId) ?? Promise.resolve();
    const next = previous.then(() => this.mintNow(credentials, signal));
    const settled = next.catch(() => undefined);
    this.queues.set(credentials.clientId, settled);
    void settled.then(() => {
      if (this.queues.get(credentials.clientId) === settled) this.queues.delete(credentials.clientId);
    });
    return next;
  }

  private async mintNow(credentials: HarvestCredentials, signal?: AbortSignal): Promise<MintResult> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (credentials.userId) form.set('sub', credentials.userId);
    const answer = await this.engine.read({
      method: 'POST',
      url: new URL('/token', this.authUrl),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      auth: { header: () => basicAuth(credentials.clientId, credentials.clientSecret) },
      body: form.toString(),
      budget: this.engine.budget(`token:${credentials.clientId}`),
      idempotent: true,
      maxAttempts: 2,
      maxRateLimitWaitMs: this.maxRetryAfterMs,
      ...(signal ? { signal } : {}),
    });
    const { checkedAt } = answer;
    if (answer.kind === 'unreachable') {
      const { reason, message } = answer;
      return { ok: false, outcome: { kind: 'unavailable', checkedAt, reason, message } };
    }
    if (answer.kind === 'rate_limited' || answer.status === 429) {
      const message = 'Greenhouse is rate-limiting token requests for this credential';
      return { ok: false, outcome: { kind: 'unavailable', checkedAt, reason: 'rate_limited', message } };
    }
    const { status } = answer;
    const body = asObject(answer.body);
    if (status === 200 && typeof body.access_token === 'string') {
      return { ok: true, token: { accessToken: body.access_token, expiresAt: expiryOf(body, Date.now()) } };
    }
    if (status >= 500) {
      const message = `Greenhouse's token endpoint answered ${status}`;
      return { ok: false, outcome: { kind: 'unavailable', checkedAt, reason: 'server_error', message } };
    }
    const message = scrubClientId(answer.message ?? `HTTP ${status}`, credentials.clientId);
    return {
      ok: false,
      outcome: {
        kind: 'credential_error',
        checkedAt,
        problem: credentialProblem(status, body, message),
        message,
      },
    };
  }
}
