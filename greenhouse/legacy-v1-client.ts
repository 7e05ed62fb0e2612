import type { Dispatcher } from 'undici';
import type { ProbeOutcome, ScopeResult } from '../domain/probe';
import type { ApiKeyProber } from '../domain/provider';
import { listProbeOf } from './harvest-client';
import { LEGACY_V1_PERMISSIONS } from './legacy-v1-catalog';
import { RateBudget } from './rate-budget';
import { createHarvestAgent, GreenhouseEngine } from './request-engine';
import { basicAuth } from './token-minter';

export interface LegacyV1ClientOptions {
  harvestUrl: string;
  /** The process's one way to Greenhouse; without it, one of the client's own over `dispatcher`. */
  engine?: GreenhouseEngine;
  dispatcher?: Dispatcher;
  maxParallel?: number;
  maxRetryAfterMs?: number;
}

const INVALID_KEY = /Invalid Basic Auth credentials/i;

/**
 * Probes a retired Harvest v1 API key (the seed's flow): Basic auth with the key as user name, one
 * `GET /v1/<endpoint>?per_page=1` per read permission. Write endpoints cannot be tried without side effects
 * and v1 has no introspection, so they are reported `unknown` with the permission to tick.
 */
export class LegacyV1Client implements ApiKeyProber {
  private readonly engine: GreenhouseEngine;

  constructor(private readonly options: LegacyV1ClientOptions) {
    this.engine =
      options.engine ?? new GreenhouseEngine({ dispatcher: options.dispatcher ?? createHarvestAgent() });
  }

  async probe(apiKey: string, scopeIds: readonly string[], signal?: AbortSignal): Promise<ProbeOutcome> {
    // A v1 key has its own window, learnt per probe (v1 is retired: no sharing across processes).
    const budget = new RateBudget(this.options.maxParallel ?? 4);
    const probeOne = async (scope: string): Promise<ScopeResult> => {
      const permission = LEGACY_V1_PERMISSIONS[scope];
      const checkedAt = new Date().toISOString();
      if (!permission) {
        return { scope, status: 'unknown', evidence: { checkedAt, message: 'no Harvest v1 equivalent' } };
      }
      if (permission.method !== 'GET') {
        const message = `cannot be checked without side effects: make sure "${permission.label}" is ticked`;
        return { scope, status: 'unknown', evidence: { checkedAt, message } };
      }
      const url = new URL(permission.path, this.options.harvestUrl);
      url.searchParams.set('per_page', '1');
      const answer = listProbeOf(
        await this.engine.read({
          method: 'GET',
          url,
          auth: { header: () => basicAuth(apiKey, '') },
          budget,
          idempotent: true,
          maxAttempts: 4,
          maxRateLimitWaitMs: this.options.maxRetryAfterMs ?? 30_000,
          ...(signal ? { signal } : {}),
        }),
      );
      const evidence = { ...answer, message: answer.message ?? permission.label };
      const status = answer.httpStatus;
      if (status !== undefined && status >= 200 && status < 300)
        return { scope, status: 'granted', evidence };
      if (status === 403)
        return { scope, status: 'missing', evidence: { ...evidence, message: permission.label } };
      return { scope, status: 'unknown', evidence };
    };
    // One call first: a bad key answers 401 everywhere, so there is no point asking fifteen times.
    const [first, ...rest] = scopeIds;
    const head = first === undefined ? [] : [await probeOne(first)];
    const rejected = head.find((r) => r.evidence.httpStatus === 401);
    const results = rejected ? head : [...head, ...(await Promise.all(rest.map(probeOne)))];
    const checkedAt = new Date().toISOString();
    if (rejected) {
      const message = INVALID_KEY.test(rejected.evidence.message ?? '')
        ? 'Invalid Basic Auth credentials'
        : 'Greenhouse refused the API key';
      return { kind: 'credential_error', checkedAt, problem: 'invalid_api_key', message };
    }
    return { kind: 'probed', checkedAt, results };
  }
}
