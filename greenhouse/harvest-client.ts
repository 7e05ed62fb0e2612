import { Agent, type Dispatcher, request } from 'undici';
import { getScope, type ScopeDefinition } from './catalog';
import type { CredentialProblem, ProbeOutcome, ScopeResult } from './probe-result';

export interface HarvestCredentials {
  clientId: string;
  clientSecret: string;
  /** Greenhouse user id to act as (`sub`); without it the credential's service user acts. */
  userId?: string;
}

export interface HarvestClientOptions {
  authUrl: string;
  harvestUrl: string;
  dispatcher?: Dispatcher;
  /** Upper bound on parallel probe requests; the rate-limit budget can lower it further. */
  maxParallel?: number;
  /** How long to honour a Retry-After before giving up on a scope as `unknown`. */
  maxRetryAfterMs?: number;
}

interface Token {
  accessToken: string;
}

type MintResult = { ok: true; token: Token } | { ok: false; outcome: ProbeOutcome };

export function createHarvestAgent(): Agent {
  return new Agent({ connectTimeout: 5_000, headersTimeout: 10_000, bodyTimeout: 10_000, connections: 8 });
}

const basic = (c: HarvestCredentials) =>
  `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`;

/** Greenhouse echoes a malformed client id back in its error; never keep it. */
export function scrubClientId(message: string, clientId: string): string {
  const scrubbed = clientId ? message.split(clientId).join('[client id]') : message;
  return scrubbed.replace(/client_id=(?!\[client id\])\S+/g, 'client_id=[client id]');
}

async function readJson(body: Dispatcher.ResponseData['body']): Promise<Record<string, unknown>> {
  const text = await body.text();
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return { message: text.slice(0, 200) };
  }
}

function messageOf(body: Record<string, unknown>): string | undefined {
  const parts = [body.message, body.error, body.error_description].filter((v) => typeof v === 'string');
  return parts.length > 0 ? parts.join(': ') : undefined;
}

/** Talks to Greenhouse Harvest v3: mints tokens and probes scopes without side effects. */
export class HarvestClient {
  private readonly dispatcher: Dispatcher;
  private readonly maxParallel: number;
  private readonly maxRetryAfterMs: number;

  constructor(private readonly options: HarvestClientOptions) {
    this.dispatcher = options.dispatcher ?? createHarvestAgent();
    this.maxParallel = options.maxParallel ?? 4;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  }

  async mintToken(credentials: HarvestCredentials, signal?: AbortSignal): Promise<MintResult> {
    const checkedAt = new Date().toISOString();
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (credentials.userId) form.set('sub', credentials.userId);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(new URL('/token', this.options.authUrl), {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: { authorization: basic(credentials), 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        signal,
      });
    } catch (error) {
      return { ok: false, outcome: { kind: 'unavailable', checkedAt, message: networkMessage(error) } };
    }
    const body = await readJson(response.body);
    if (response.statusCode === 200 && typeof body.access_token === 'string') {
      return { ok: true, token: { accessToken: body.access_token } };
    }
    const message = scrubClientId(messageOf(body) ?? `HTTP ${response.statusCode}`, credentials.clientId);
    if (response.statusCode >= 500 || response.statusCode === 429) {
      return {
        ok: false,
        outcome: { kind: 'unavailable', checkedAt, message: `Greenhouse answered ${response.statusCode}` },
      };
    }
    const problem: CredentialProblem =
      body.error === 'invalid_client'
        ? 'invalid_client'
        : /valid client ID suffix/i.test(message)
          ? 'malformed_client_id'
          : response.statusCode === 401
            ? 'unauthorized'
            : 'rejected';
    return { ok: false, outcome: { kind: 'credential_error', checkedAt, problem, message } };
  }

  /** Probes each required scope; never calls an endpoint with side effects. */
  async probe(
    credentials: HarvestCredentials,
    scopeIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<ProbeOutcome> {
    const minted = await this.mintToken(credentials, signal);
    if (!minted.ok) return minted.outcome;
    let token = minted.token;
    let reminted = false;
    const remint = async () => {
      if (reminted) return false;
      reminted = true;
      const again = await this.mintToken(credentials, signal);
      if (again.ok) token = again.token;
      return again.ok;
    };

    const scopes = scopeIds.map(getScope);
    const results: ScopeResult[] = new Array(scopes.length);
    const grantedByIntrospection = scopes.some((s) => s.probe.kind === 'introspection')
      ? await this.introspectScopes(credentials, token, signal)
      : undefined;

    let next = 0;
    const lane = async () => {
      while (next < scopes.length) {
        const index = next++;
        const scope = scopes[index] as ScopeDefinition;
        results[index] = await this.probeScope(scope, () => token, remint, grantedByIntrospection, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.maxParallel, scopes.length) }, lane));
    return { kind: 'probed', checkedAt: new Date().toISOString(), results };
  }

  private async probeScope(
    scope: ScopeDefinition,
    token: () => Token,
    remint: () => Promise<boolean>,
    introspected: Set<string> | undefined,
    signal?: AbortSignal,
  ): Promise<ScopeResult> {
    const checkedAt = () => new Date().toISOString();
    if (scope.probe.kind === 'introspection') {
      if (!introspected) {
        return {
          scope: scope.id,
          status: 'unknown',
          evidence: { checkedAt: checkedAt(), message: 'token introspection unavailable' },
        };
      }
      const granted = introspected.has(scope.id);
      return {
        scope: scope.id,
        status: granted ? 'granted' : 'missing',
        evidence: {
          checkedAt: checkedAt(),
          message: granted ? 'listed by introspection' : 'not in token scopes',
        },
      };
    }
    const url = new URL(scope.probe.path, this.options.harvestUrl);
    url.searchParams.set('per_page', '1');
    for (let attempt = 0; attempt < 4; attempt++) {
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          method: 'GET',
          dispatcher: this.dispatcher,
          headers: { authorization: `Bearer ${token().accessToken}`, accept: 'application/json' },
          signal,
        });
      } catch (error) {
        if (signal?.aborted) throw error;
        if (attempt < 3) continue;
        return {
          scope: scope.id,
          status: 'unknown',
          evidence: { checkedAt: checkedAt(), message: networkMessage(error) },
        };
      }
      const status = response.statusCode;
      const body = await readJson(response.body);
      const message = messageOf(body);
      const evidence = { httpStatus: status, ...(message ? { message } : {}), checkedAt: checkedAt() };
      if (status >= 200 && status < 300) return { scope: scope.id, status: 'granted', evidence };
      if (status === 403) return { scope: scope.id, status: 'missing', evidence };
      if (status === 401 && (await remint())) continue;
      if (status === 429) {
        const waitMs = Number(response.headers['retry-after'] ?? 1) * 1_000;
        if (waitMs <= this.maxRetryAfterMs) {
          await delay(waitMs, signal);
          continue;
        }
      }
      if (status >= 500 && attempt < 3) {
        await delay(200 * 2 ** attempt, signal);
        continue;
      }
      return { scope: scope.id, status: 'unknown', evidence };
    }
    return {
      scope: scope.id,
      status: 'unknown',
      evidence: { checkedAt: checkedAt(), message: 'gave up after retries' },
    };
  }

  /** Optional extra evidence: the token's scopes according to Greenhouse, or undefined if unavailable. */
  private async introspectScopes(
    credentials: HarvestCredentials,
    token: Token,
    signal?: AbortSignal,
  ): Promise<Set<string> | undefined> {
    try {
      const response = await request(new URL('/introspect', this.options.authUrl), {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: { authorization: basic(credentials), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: token.accessToken }).toString(),
        signal,
      });
      const body = await readJson(response.body);
      if (response.statusCode !== 200 || body.active !== true || typeof body.scope !== 'string')
        return undefined;
      return new Set(body.scope.split(/\s+/).filter(Boolean));
    } catch {
      return undefined;
    }
  }
}

function networkMessage(error: unknown): string {
  const code = (error as { code?: string }).code;
  return `could not reach Greenhouse${code ? ` (${code})` : ''}`;
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
