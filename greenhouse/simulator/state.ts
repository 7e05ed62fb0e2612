import { randomBytes } from 'node:crypto';
import { SCOPES } from '../catalog';
import { LEGACY_V1_PERMISSIONS } from '../legacy-v1-catalog';
import { noFaults, type SimFaults } from './faults';
import { FixedWindowLimiter } from './rate-limit';

export interface SimOrganization {
  id: number;
  name: string;
}

export interface SimUser {
  id: number;
  organizationId: number;
  name: string;
  email: string;
  siteAdmin: boolean;
}

export interface SimCredential {
  clientId: string;
  clientSecret: string;
  organizationId: number;
  scopes: Set<string>;
  /** The service user that acts when a token is minted without `sub`. */
  serviceUserId: number;
}

/** A retired Harvest v1 API key with per-endpoint permissions ("GET /v1/candidates"). */
export interface SimLegacyKey {
  apiKey: string;
  organizationId: number;
  permissions: Set<string>;
}

export interface SimToken {
  clientId: string;
  userId: number;
  expiresAt: number;
  /** The credential's scopes when the token was minted. */
  scopes: ReadonlySet<string>;
}

/** An Audit Log entry, in Greenhouse's documented shape. */
export interface SimAuditEvent {
  organization_id: number;
  event_time: string;
  request: { id: string; type: string };
  performer: { id: number; type: 'user'; meta: { name: string; username: string }; ip_address: string };
  event: {
    type: 'action';
    target_type: string;
    target_id?: string | number;
    meta: Record<string, unknown> | null;
  };
}

export interface SimCall {
  at: string;
  method: string;
  path: string;
  status: number;
  clientId?: string;
  /** Refused by the rate limit (a client over its budget), not by an injected fault. */
  rateLimited?: true;
}

/** Where the Greenhouse reference says "unconfirmed", the simulator can be set to each alternative. */
export interface SimBehaviour {
  /** What a list endpoint returns to a non-Site-Admin acting user. */
  nonAdminList: 'forbidden' | 'empty';
  /** Token lifetime field: `expires_in` seconds or `expires_at` ISO time. */
  tokenExpiry: 'expires_in' | 'expires_at';
  introspection: boolean;
  /**
   * Whether a token carries the scopes ticked when it was minted (`at_mint`: an admin's change reaches only
   * tokens minted after it) or the credential's scopes of the moment (`live`). Greenhouse's docs do not say.
   */
  tokenScopes: 'live' | 'at_mint';
  /** Whether introspection carries the organization/role claims (their names are unconfirmed). */
  introspectionClaims: boolean;
  /** Requests per window on Harvest v3, per credential. */
  harvestRateLimit: number;
  /** Greenhouse's v3 window is 30 s; tests shorten it. */
  harvestWindowMs: number;
  /** Requests per window on the token endpoint, per credential. */
  tokenRateLimit: number;
  /** The token endpoint's window is 60 s; tests shorten it. */
  tokenWindowMs: number;
  /** Requests per 10 s window on legacy v1, per API key. */
  legacyRateLimit: number;
  /** Whether the organization has the Audit Log (Expert tier and add-on); without it /auditlog answers 403. */
  auditLog: boolean;
  /** Whether API-key entries name the key by its client id; unconfirmed, so the other way is an internal id. */
  auditLogNamesClient: boolean;
  /** Requests per 10 s on the Audit Log, and continued paginated ones per 30 s, per organization. */
  auditLogRateLimit: number;
  auditLogPagedRateLimit: number;
}

export const DEMO = {
  organization: { id: 4001, name: 'Acme Demo' },
  admin: { id: 101, name: 'Ada Admin', email: 'ada.admin@acme.example' },
  recruiter: { id: 102, name: 'Rick Recruiter', email: 'rick.recruiter@acme.example' },
  full: { clientId: 'gl-demo-full-1001', clientSecret: 'demo-full-secret' },
  partial: {
    clientId: 'gl-demo-partial-1002',
    clientSecret: 'demo-partial-secret',
    lacks: ['harvest:offers:list', 'harvest:scorecards:list'],
  },
  legacyFull: { apiKey: 'demo-v1-full-key' },
  legacyPartial: { apiKey: 'demo-v1-partial-key', lacks: ['GET /v1/offers', 'GET /v1/scorecards'] },
} as const;

/** Every v1 endpoint permission the simulator knows, as "METHOD /v1/path". */
export const LEGACY_ENDPOINTS = Object.values(LEGACY_V1_PERMISSIONS).map((p) => `${p.method} ${p.path}`);

export class SimulatorState {
  organizations = new Map<number, SimOrganization>();
  users = new Map<number, SimUser>();
  credentials = new Map<string, SimCredential>();
  legacyKeys = new Map<string, SimLegacyKey>();
  tokens = new Map<string, SimToken>();
  calls: SimCall[] = [];
  auditEvents: SimAuditEvent[] = [];
  /** Records created or updated through the write endpoints, per organization and resource. */
  written: { organizationId: number; resource: string; record: Record<string, unknown> }[] = [];
  behaviour: SimBehaviour = defaultBehaviour();
  faults: SimFaults = noFaults();
  /** Fixed windows as Greenhouse documents them: 30 s on v3 (tests may shorten), 60 s tokens, 10 s v1. */
  readonly limits = {
    harvest: new FixedWindowLimiter(
      () => this.behaviour.harvestWindowMs,
      () => this.behaviour.harvestRateLimit,
    ),
    token: new FixedWindowLimiter(
      () => this.behaviour.tokenWindowMs,
      () => this.behaviour.tokenRateLimit,
    ),
    legacy: new FixedWindowLimiter(
      () => 10_000,
      () => this.behaviour.legacyRateLimit,
    ),
    auditLog: new FixedWindowLimiter(
      () => 10_000,
      () => this.behaviour.auditLogRateLimit,
    ),
    auditLogPaged: new FixedWindowLimiter(
      () => 30_000,
      () => this.behaviour.auditLogPagedRateLimit,
    ),
  };
  private nextId = 5000;

  /** A create (no id) or an update (the id given) by the token's acting user; returns the stored record. */
  write(resource: string, organizationId: number, userId: number, fields: Record<string, unknown>) {
    const existing = this.written.find(
      (w) => w.organizationId === organizationId && w.resource === resource && w.record.id === fields.id,
    );
    if (existing && fields.id !== undefined) {
      Object.assign(existing.record, fields, { updated_at: new Date().toISOString() });
      return existing.record;
    }
    const record = {
      ...fields,
      id: fields.id ?? this.nextId++,
      created_by: userId,
      created_at: new Date().toISOString(),
    };
    this.written.push({ organizationId, resource, record });
    return record;
  }

  constructor() {
    this.seedDemo();
  }

  reset(): void {
    this.organizations.clear();
    this.users.clear();
    this.credentials.clear();
    this.legacyKeys.clear();
    this.tokens.clear();
    this.calls = [];
    this.auditEvents = [];
    this.written = [];
    this.behaviour = defaultBehaviour();
    this.faults = noFaults();
    for (const limiter of Object.values(this.limits)) limiter.clear();
    this.seedDemo();
  }

  newId(): number {
    return this.nextId++;
  }

  /** An admin revokes (deletes) API credentials: they cannot mint, and their tokens stop working at once. */
  revokeCredential(clientId: string): boolean {
    const credential = this.credentials.get(clientId);
    if (!credential) return false;
    for (const [token, t] of this.tokens) if (t.clientId === clientId) this.tokens.delete(token);
    this.recordKeyEvent(credential, 'API Key Revoked', null);
    return this.credentials.delete(clientId);
  }

  /** An admin changes a key's permissions in Greenhouse's UI: the scopes change and the Audit Log says so. */
  changeScopes(credential: SimCredential, change: { grant?: string[]; revoke?: string[] }): void {
    const before = [...credential.scopes].sort();
    for (const s of change.grant ?? []) credential.scopes.add(s);
    for (const s of change.revoke ?? []) credential.scopes.delete(s);
    this.recordKeyEvent(credential, 'API Key Permissions Updated', {
      permissions: [before, [...credential.scopes].sort()],
    });
  }

  private recordKeyEvent(credential: SimCredential, name: string, change: Record<string, unknown> | null) {
    const admin = DEMO.admin;
    const internalId = this.newId();
    this.auditEvents.push({
      organization_id: credential.organizationId,
      event_time: new Date().toISOString(),
      request: { id: `req-${internalId}`, type: 'api_credentials#update' },
      performer: {
        id: admin.id,
        type: 'user',
        meta: { name: admin.name, username: admin.email },
        ip_address: '192.0.2.10',
      },
      event: this.behaviour.auditLogNamesClient
        ? { type: 'action', target_type: name, target_id: credential.clientId, meta: change }
        : { type: 'action', target_type: name, target_id: internalId, meta: null },
    });
  }

  addCredential(input: {
    clientId?: string;
    clientSecret?: string;
    organizationId?: number;
    scopes: Iterable<string>;
    serviceUserId?: number;
  }): SimCredential {
    const credential: SimCredential = {
      clientId: input.clientId ?? `sim-${randomBytes(6).toString('hex')}-${this.newId()}`,
      clientSecret: input.clientSecret ?? randomBytes(24).toString('base64url'),
      organizationId: input.organizationId ?? DEMO.organization.id,
      scopes: new Set(input.scopes),
      serviceUserId: input.serviceUserId ?? DEMO.admin.id,
    };
    this.credentials.set(credential.clientId, credential);
    return credential;
  }

  addLegacyKey(input: {
    apiKey?: string;
    organizationId?: number;
    permissions: Iterable<string>;
  }): SimLegacyKey {
    const key: SimLegacyKey = {
      apiKey: input.apiKey ?? randomBytes(16).toString('hex'),
      organizationId: input.organizationId ?? DEMO.organization.id,
      permissions: new Set(input.permissions),
    };
    this.legacyKeys.set(key.apiKey, key);
    return key;
  }

  issueToken(clientId: string, userId: number, lifetimeMs = 3_600_000): string {
    const token = randomBytes(24).toString('base64url');
    const scopes = new Set(this.credentials.get(clientId)?.scopes ?? []);
    this.tokens.set(token, { clientId, userId, expiresAt: Date.now() + lifetimeMs, scopes });
    return token;
  }

  private seedDemo(): void {
    const org = DEMO.organization;
    this.organizations.set(org.id, { ...org });
    for (const [user, siteAdmin] of [
      [DEMO.admin, true],
      [DEMO.recruiter, false],
    ] as const) {
      this.users.set(user.id, { ...user, organizationId: org.id, siteAdmin });
    }
    const all = SCOPES.map((s) => s.id);
    this.addCredential({ ...DEMO.full, scopes: all });
    const lacks: readonly string[] = DEMO.partial.lacks;
    this.addCredential({
      clientId: DEMO.partial.clientId,
      clientSecret: DEMO.partial.clientSecret,
      scopes: all.filter((id) => !lacks.includes(id)),
    });
    this.addLegacyKey({ apiKey: DEMO.legacyFull.apiKey, permissions: LEGACY_ENDPOINTS });
    const legacyLacks: readonly string[] = DEMO.legacyPartial.lacks;
    this.addLegacyKey({
      apiKey: DEMO.legacyPartial.apiKey,
      permissions: LEGACY_ENDPOINTS.filter((e) => !legacyLacks.includes(e)),
    });
  }
}

function defaultBehaviour(): SimBehaviour {
  return {
    nonAdminList: 'forbidden',
    tokenExpiry: 'expires_in',
    introspection: true,
    tokenScopes: 'live',
    introspectionClaims: true,
    harvestRateLimit: 75,
    harvestWindowMs: 30_000,
    tokenRateLimit: 30,
    tokenWindowMs: 60_000,
    legacyRateLimit: 50,
    auditLog: true,
    auditLogNamesClient: true,
    auditLogRateLimit: 50,
    auditLogPagedRateLimit: 3,
  };
}
