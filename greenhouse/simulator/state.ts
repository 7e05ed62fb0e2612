import { randomBytes } from 'node:crypto';
import { SCOPES } from '../catalog';

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

export interface SimToken {
  clientId: string;
  userId: number;
  expiresAt: number;
}

export interface SimCall {
  at: string;
  method: string;
  path: string;
  status: number;
  clientId?: string;
}

/** Where the Greenhouse reference says "unconfirmed", the simulator can be set to each alternative. */
export interface SimBehaviour {
  /** What a list endpoint returns to a non-Site-Admin acting user. */
  nonAdminList: 'forbidden' | 'empty';
  /** Token lifetime field: `expires_in` seconds or `expires_at` ISO time. */
  tokenExpiry: 'expires_in' | 'expires_at';
  introspection: boolean;
  /** Requests per 30 s window on Harvest v3, per credential. */
  harvestRateLimit: number;
  /** Requests per 60 s window on the token endpoint, per credential. */
  tokenRateLimit: number;
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
} as const;

export class SimulatorState {
  organizations = new Map<number, SimOrganization>();
  users = new Map<number, SimUser>();
  credentials = new Map<string, SimCredential>();
  tokens = new Map<string, SimToken>();
  calls: SimCall[] = [];
  behaviour: SimBehaviour = defaultBehaviour();
  private nextId = 5000;

  constructor() {
    this.seedDemo();
  }

  reset(): void {
    this.organizations.clear();
    this.users.clear();
    this.credentials.clear();
    this.tokens.clear();
    this.calls = [];
    this.behaviour = defaultBehaviour();
    this.seedDemo();
  }

  newId(): number {
    return this.nextId++;
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

  issueToken(clientId: string, userId: number, lifetimeMs = 3_600_000): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { clientId, userId, expiresAt: Date.now() + lifetimeMs });
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
  }
}

function defaultBehaviour(): SimBehaviour {
  return {
    nonAdminList: 'forbidden',
    tokenExpiry: 'expires_in',
    introspection: true,
    harvestRateLimit: 75,
    tokenRateLimit: 30,
  };
}
