import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { SCOPES } from '../catalog';
import { FixedWindowLimiter } from './rate-limit';
import { recordsFor } from './records';
import { type SimCredential, SimulatorState } from './state';

/** Resources with a v3 list endpoint in the simulator, derived from the catalog. */
const LIST_RESOURCES = new Set(
  SCOPES.flatMap((s) => (s.probe.kind === 'list' ? [s.probe.path.replace('/v3/', '')] : [])),
);

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/**
 * A Greenhouse stand-in over real HTTP: the auth server (/token, /introspect), Harvest v3 list endpoints,
 * and a control API under /_sim for tests and demos. Behaviour follows reference/greenhouse.md.
 */
export function createSimulatorApp(state = new SimulatorState()) {
  const app = express();
  const harvestLimiter = new FixedWindowLimiter(30_000, () => state.behaviour.harvestRateLimit);
  const tokenLimiter = new FixedWindowLimiter(60_000, () => state.behaviour.tokenRateLimit);

  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.on('finish', () => {
      if (req.path.startsWith('/_sim')) return;
      state.calls.push({
        at: new Date().toISOString(),
        method: req.method,
        path: req.originalUrl,
        status: res.statusCode,
        clientId: res.locals.clientId as string | undefined,
      });
    });
    next();
  });

  app.post('/token', express.urlencoded({ extended: false }), (req, res) => {
    const auth = parseBasic(req.headers.authorization);
    if (!auth)
      return void res.status(401).json({ message: 'Unauthorized', errors: ['Missing client credentials'] });
    res.locals.clientId = auth.id;
    const limited = tokenLimiter.take(`token:${auth.id}`);
    res.set(limited.headers);
    if (!limited.allowed) return void res.status(429).json({ message: 'Too Many Requests' });
    if (req.body?.grant_type !== 'client_credentials') {
      return void res.status(400).json({ error: 'unsupported_grant_type' });
    }
    if (!/-\d+$/.test(auth.id)) {
      return void res
        .status(400)
        .json({ message: `client_id=${auth.id} does not contain a valid client ID suffix` });
    }
    const credential = state.credentials.get(auth.id);
    if (!credential || credential.clientSecret !== auth.secret) {
      return void res.status(401).json({ error: 'invalid_client' });
    }
    let userId = credential.serviceUserId;
    if (req.body.sub !== undefined) {
      const user = state.users.get(Number(req.body.sub));
      if (!/^\d+$/.test(String(req.body.sub)) || !user || user.organizationId !== credential.organizationId) {
        return void res
          .status(400)
          .json({ error: 'invalid_request', error_description: 'Unknown user for sub' });
      }
      userId = user.id;
    }
    const lifetimeMs = 3_600_000;
    const token = state.issueToken(credential.clientId, userId, lifetimeMs);
    const expiry =
      state.behaviour.tokenExpiry === 'expires_in'
        ? { expires_in: lifetimeMs / 1000 }
        : { expires_at: new Date(Date.now() + lifetimeMs).toISOString() };
    res.json({ access_token: token, token_type: 'Bearer', ...expiry });
  });

  app.post('/introspect', express.urlencoded({ extended: false }), (req, res) => {
    if (!state.behaviour.introspection) return void res.status(404).json({ message: 'Resource not found' });
    const auth = parseBasic(req.headers.authorization);
    const credential = auth && state.credentials.get(auth.id);
    if (!credential || credential.clientSecret !== auth?.secret) {
      return void res.status(401).json({ error: 'invalid_client' });
    }
    res.locals.clientId = credential.clientId;
    const token = state.tokens.get(String(req.body?.token ?? ''));
    if (!token || token.clientId !== credential.clientId || token.expiresAt < Date.now()) {
      return void res.json({ active: false });
    }
    const user = state.users.get(token.userId);
    const org = state.organizations.get(credential.organizationId);
    res.json({
      active: true,
      client_id: credential.clientId,
      sub: String(token.userId),
      scope: [...credential.scopes].join(' '),
      claims: {
        organization_id: org?.id,
        organization_name: org?.name,
        site_admin: user?.siteAdmin ?? false,
      },
    });
  });

  app.get('/v3/:resource', (req, res) => {
    const resource = String(req.params.resource);
    // Greenhouse routes before it authenticates: an unknown path is a 404 even without a token.
    if (!LIST_RESOURCES.has(resource)) return void res.status(404).json({ message: 'Resource not found' });
    const bearer = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : '';
    const token = state.tokens.get(bearer);
    if (!token || token.expiresAt < Date.now()) {
      return void res
        .status(401)
        .json({ message: 'Unauthorized', errors: ['Token could not be decoded or has expired'] });
    }
    const credential = state.credentials.get(token.clientId) as SimCredential;
    res.locals.clientId = credential.clientId;
    const limited = harvestLimiter.take(`harvest:${credential.clientId}`);
    res.set(limited.headers);
    if (!limited.allowed) return void res.status(429).json({ message: 'Too Many Requests' });

    const scope = `harvest:${resource}:list`;
    if (!credential.scopes.has(scope)) {
      return void res
        .status(403)
        .json({ message: 'Forbidden', errors: [`The credential is missing the scope ${scope}`] });
    }
    const user = state.users.get(token.userId);
    if (!user?.siteAdmin) {
      if (state.behaviour.nonAdminList === 'empty') return void res.json([]);
      return void res
        .status(403)
        .json({ message: 'Forbidden', errors: ['The acting user must be a Site Admin'] });
    }
    const query = req.query as Record<string, string>;
    const keys = Object.keys(query);
    if (query.cursor !== undefined && keys.length > 1) {
      return void res
        .status(422)
        .json({ message: 'Validation error', errors: ['cursor must be the only parameter'] });
    }
    const perPage = query.per_page === undefined ? 100 : Number(query.per_page);
    const offset = query.cursor ? Number(Buffer.from(query.cursor, 'base64url').toString()) : 0;
    const perPageFromCursor = query.cursor ? 100 : perPage;
    if (!Number.isInteger(perPageFromCursor) || perPageFromCursor < 1 || perPageFromCursor > 500) {
      return void res
        .status(422)
        .json({ message: 'Validation error', errors: ['per_page must be between 1 and 500'] });
    }
    const all = recordsFor(resource, state, credential.organizationId);
    const page = all.slice(offset, offset + perPageFromCursor);
    if (offset + perPageFromCursor < all.length) {
      const cursor = Buffer.from(String(offset + perPageFromCursor)).toString('base64url');
      res.set('link', `<${req.protocol}://${req.get('host')}/v3/${resource}?cursor=${cursor}>; rel="next"`);
    }
    res.json(page);
  });

  mountControlApi(app, state, () => {
    harvestLimiter.clear();
    tokenLimiter.clear();
  });
  return { app, state };
}

function mountControlApi(app: express.Express, state: SimulatorState, clearLimits: () => void) {
  const control = express.Router();
  control.use(express.json());
  const view = (c: SimCredential) => ({
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    organizationId: c.organizationId,
    serviceUserId: c.serviceUserId,
    scopes: [...c.scopes].sort(),
  });

  control.get('/state', (_req, res) => {
    res.json({
      behaviour: state.behaviour,
      organizations: [...state.organizations.values()],
      users: [...state.users.values()],
      credentials: [...state.credentials.values()].map(view),
    });
  });
  control.post('/reset', (_req, res) => {
    state.reset();
    clearLimits();
    res.status(204).end();
  });
  control.patch('/behaviour', (req, res) => {
    state.behaviour = { ...state.behaviour, ...(req.body as object) };
    res.json(state.behaviour);
  });
  control.post('/credentials', (req, res) => {
    const body = req.body as {
      clientId?: string;
      clientSecret?: string;
      scopes?: string[];
      serviceUserId?: number;
    };
    res.status(201).json(view(state.addCredential({ ...body, scopes: body.scopes ?? [] })));
  });
  control.post('/credentials/:clientId/scopes', (req, res) => {
    const credential = state.credentials.get(req.params.clientId);
    if (!credential) return void res.status(404).json({ message: 'no such credential' });
    const body = req.body as { grant?: string[]; revoke?: string[] };
    for (const s of body.grant ?? []) credential.scopes.add(s);
    for (const s of body.revoke ?? []) credential.scopes.delete(s);
    res.json(view(credential));
  });
  control.patch('/users/:id', (req, res) => {
    const user = state.users.get(Number(req.params.id));
    if (!user) return void res.status(404).json({ message: 'no such user' });
    const body = req.body as { siteAdmin?: boolean };
    if (typeof body.siteAdmin === 'boolean') user.siteAdmin = body.siteAdmin;
    res.json(user);
  });
  control.get('/calls', (_req, res) => void res.json(state.calls));
  control.delete('/calls', (_req, res) => {
    state.calls = [];
    res.status(204).end();
  });
  app.use('/_sim', control);
}

export interface RunningSimulator {
  url: string;
  state: SimulatorState;
  close(): Promise<void>;
}

export async function startSimulator(port = 0, host = '127.0.0.1'): Promise<RunningSimulator> {
  const { app, state } = createSimulatorApp();
  const server = app.listen(port, host);
  await once(server, 'listening');
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${actual}`,
    state,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
