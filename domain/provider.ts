/**
 * What Greenlink asks of the account provider (Greenhouse), in its own words: probe these scopes, give me a
 * token, make this call for a link. app/ and activities/ see only these shapes; greenhouse/ implements them
 * (URLs, headers, status codes, retries and rate windows stay there).
 */
import type { ProbeOutcome } from './probe';

/** A provider credential as the probe needs it (decrypted inside an activity, never in history). */
export interface ProviderCredentials {
  clientId: string;
  clientSecret: string;
  /** The provider's user to act as; without it the credential's own user acts. */
  userId?: string;
}

export interface ProviderToken {
  accessToken: string;
  expiresAt: number;
}

export type MintResult = { ok: true; token: ProviderToken } | { ok: false; outcome: ProbeOutcome };

/** Which of the scopes the credentials carry, without side effects. */
export interface ScopeProber {
  probe(
    credentials: ProviderCredentials,
    scopes: readonly string[],
    signal?: AbortSignal,
  ): Promise<ProbeOutcome>;
}

/** Tokens from credentials. */
export interface TokenIssuer {
  mint(credentials: ProviderCredentials, signal?: AbortSignal): Promise<MintResult>;
}

/** A call an integrator makes through a link, as it reached Greenlink (the path checked already). */
export interface LinkCall {
  method: string;
  /** The provider's path (`/v3/...`). */
  path: string;
  /** The raw query string with its `?`, or empty. */
  query: string;
  contentType?: string;
  /** Whole, so a retried write sends the same bytes. */
  body?: Uint8Array;
  /** The caller made the write idempotent (Idempotency-Key): it may be sent again after a failure. */
  idempotent: boolean;
  /** At a full rate window: wait for room, or answer at once. */
  onRateLimit: 'wait' | 'fail';
  /** Where the link's proxy lives: the provider's own page links are rewritten to it. */
  proxyBase: string;
  /** Aborted when the caller hangs up: the call and any wait end with it. */
  signal?: AbortSignal;
}

/** The token a call goes out with, and how to get a new one when the provider refuses it. */
export interface CallToken {
  /** The account whose rate window the call counts in. */
  account: string;
  accessToken(): string;
  /** The provider refused the token: forget it and get a fresh one (throws when none can be had). */
  renew(): Promise<void>;
}

export type LinkCallResult =
  | {
      kind: 'answered';
      status: number;
      /** The provider's headers a caller may see (rate-limit figures, content type, page links). */
      headers: Record<string, string>;
      body: AsyncIterable<Uint8Array>;
    }
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  /** The provider refused the call: `scope` is the permission it needs, when the catalog knows it. */
  | { kind: 'forbidden'; scope?: string; message: string }
  /** A freshly issued token was refused too: the credentials no longer work. */
  | { kind: 'credentials_refused'; message: string }
  | { kind: 'unreachable'; message: string };

/** Makes calls for linked accounts. */
export interface LinkCaller {
  call(call: LinkCall, token: CallToken): Promise<LinkCallResult>;
}

/** One Audit Log entry about an API key, reduced to what a health check needs. */
export interface KeyEvent {
  name: string;
  /**
   * Whose key: `this_key` when the entry names this client id; `other_key` when its target is another
   * client-id-like string (client ids are strings, Greenhouse's internal ids numbers: an assumption);
   * otherwise `unknown`, which may be this key under an internal id.
   */
  about: 'this_key' | 'other_key' | 'unknown';
}

export type AuditLogPoll =
  /** `truncated`: more entries than a poll may read; the unread ones may be about this key. */
  | { kind: 'ok'; events: KeyEvent[]; newest?: string; truncated: boolean }
  /** The credentials cannot read the Audit Log (tier, add-on or permission), or they were refused. */
  | { kind: 'unavailable'; status: number; message: string }
  | { kind: 'rate_limited'; retryAfterMs: number };

/** The account's own record of changes to its API keys (Greenhouse's Audit Log). */
export interface KeyActivityLog {
  keyEventsSince(
    credentials: ProviderCredentials,
    after: string,
    signal?: AbortSignal,
  ): Promise<AuditLogPoll>;
}

/** Probes a retired single-secret API key (Harvest v1). */
export interface ApiKeyProber {
  probe(apiKey: string, scopes: readonly string[], signal?: AbortSignal): Promise<ProbeOutcome>;
}
