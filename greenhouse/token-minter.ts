import { type Dispatcher, request } from 'undici';
import type { CredentialProblem, ProbeOutcome } from '../domain/probe';
import { asObject, classifyNetworkError, delay, messageOf, readJson, retryAfterMs } from './http';
import { type BudgetSource, localBudgets } from './rate-budget';

export interface HarvestCredentials {
  clientId: string;
  clientSecret: string;
  /** Greenhouse user id to act as (`sub`); without it the credential's service user acts. */
  userId?: string;
}

export interface AccessToken {
  accessToken: string;
  expiresAt: number;
}

export type MintResult = { ok: true; token: AccessToken } | { ok: false; outcome: ProbeOutcome };

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
 * Mints client-credentials tokens. Minting is serialized per client id and takes its turn in the token
 * endpoint's window (`budgets`, under `token:<client id>`: by default this process's; the worker and API share
 * them through MongoDB, so a restarted process does not mint into a window its predecessor used up); a 429 there is waited out once
 * within `maxRetryAfterMs`.
 */
export class TokenMinter {
  private queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly authUrl: string,
    private readonly dispatcher: Dispatcher,
    private readonly maxRetryAfterMs: number,
    private readonly budgets: BudgetSource = localBudgets(1),
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

  private async mintNow(
    credentials: HarvestCredentials,
    signal?: AbortSignal,
    attempt = 0,
  ): Promise<MintResult> {
    const checkedAt = new Date().toISOString();
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (credentials.userId) form.set('sub', credentials.userId);
    const turn = await this.budgets(`token:${credentials.clientId}`).take(signal);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(new URL('/token', this.authUrl), {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: {
          authorization: basicAuth(credentials.clientId, credentials.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form.toString(),
        signal,
      });
    } catch (error) {
      turn.done();
      if (signal?.aborted) throw error;
      return { ok: false, outcome: { kind: 'unavailable', checkedAt, ...classifyNetworkError(error) } };
    }
    turn.done({ status: response.statusCode, headers: response.headers });
    let raw: unknown;
    try {
      raw = await readJson(response.body);
    } catch (error) {
      if (signal?.aborted) throw error;
      return { ok: false, outcome: { kind: 'unavailable', checkedAt, ...classifyNetworkError(error) } };
    }
    const body = asObject(raw);
    const status = response.statusCode;
    if (status === 200 && typeof body.access_token === 'string') {
      return { ok: true, token: { accessToken: body.access_token, expiresAt: expiryOf(body, Date.now()) } };
    }
    if (status === 429) {
      const waitMs = retryAfterMs(response.headers);
      if (attempt === 0 && waitMs <= this.maxRetryAfterMs) {
        await delay(waitMs, signal);
        return this.mintNow(credentials, signal, attempt + 1);
      }
      const message = 'Greenhouse is rate-limiting token requests for this credential';
      return { ok: false, outcome: { kind: 'unavailable', checkedAt, reason: 'rate_limited', message } };
    }
    if (status >= 500) {
      const message = `Greenhouse's token endpoint answered ${status}`;
      return { ok: false, outcome: { kind: 'unavailable', checkedAt, reason: 'server_error', message } };
    }
    const message = scrubClientId(messageOf(body) ?? `HTTP ${status}`, credentials.clientId);
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
