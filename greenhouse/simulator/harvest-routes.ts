import express, { type Request, type Response, Router } from 'express';
import { SCOPES, scopeForRequest } from '../catalog';
import type { FixedWindowLimiter } from './rate-limit';
import { pageOf } from './records';
import type { SimCredential, SimulatorState } from './state';

/** Resources with a v3 list endpoint in the simulator, derived from the catalog. */
const LIST_RESOURCES = new Set(
  SCOPES.flatMap((s) => (s.probe.kind === 'list' ? [s.probe.path.replace('/v3/', '')] : [])),
);

export function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** The auth server (/token, /introspect) and the Harvest v3 list endpoints. */
export function harvestRoutes(
  state: SimulatorState,
  limits: { token: FixedWindowLimiter; harvest: FixedWindowLimiter },
) {
  const router = Router();
  const form = express.urlencoded({ extended: false });

  router.post('/token', form, (req, res) => {
    const auth = parseBasic(req.headers.authorization);
    if (!auth)
      return void res.status(401).json({ message: 'Unauthorized', errors: ['Missing client credentials'] });
    res.locals.clientId = auth.id;
    const limited = limits.token.take(`token:${auth.id}`);
    res.set(limited.headers);
    if (!limited.allowed) {
      res.locals.rateLimited = true;
      return void res.status(429).json({ message: 'Too Many Requests' });
    }
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

  router.post('/introspect', form, (req, res) => {
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
      scope: [...(state.behaviour.tokenScopes === 'at_mint' ? token.scopes : credential.scopes)].join(' '),
      // Where third-party clients read them; the role's values are an assumption (Greenhouse's UI names).
      ...(state.behaviour.introspectionClaims
        ? {
            'https://auth.greenhouse.io/claims': {
              organization: { id: org?.id, name: org?.name },
              user_role: user?.siteAdmin ? 'Site Admin' : 'Basic',
            },
          }
        : {}),
    });
  });

  /**
   * Greenhouse's order for a resource call: route, authenticate, count against the rate limit, check the
   * scope. Answers and returns undefined when one of them refuses.
   */
  const authorize = (req: Request, res: Response, scope: string) => {
    if (state.faults.revokeTokensAfter > 0 && --state.faults.revokeTokensAfter === 0) state.tokens.clear();
    const bearer = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : '';
    const token = state.tokens.get(bearer);
    if (!token || token.expiresAt < Date.now() || !state.credentials.has(token.clientId)) {
      return void res
        .status(401)
        .json({ message: 'Unauthorized', errors: ['Token could not be decoded or has expired'] });
    }
    const credential = state.credentials.get(token.clientId) as SimCredential;
    res.locals.clientId = credential.clientId;
    const limited = limits.harvest.take(`harvest:${credential.clientId}`);
    res.set(limited.headers);
    if (!limited.allowed) {
      res.locals.rateLimited = true;
      return void res.status(429).json({ message: 'Too Many Requests' });
    }
    const scopes = state.behaviour.tokenScopes === 'at_mint' ? token.scopes : credential.scopes;
    if (!scopes.has(scope)) {
      return void res.status(403).json({ message: 'Forbidden', errors: [`Missing scope ${scope}`] });
    }
    return { token, credential };
  };

  router.get('/v3/:resource', (req: Request, res: Response) => {
    const resource = String(req.params.resource);
    // Greenhouse routes before it authenticates: an unknown path is a 404 even without a token.
    if (!LIST_RESOURCES.has(resource)) return void res.status(404).json({ message: 'Resource not found' });
    const allowed = authorize(req, res, `harvest:${resource}:list`);
    if (!allowed) return;
    const user = state.users.get(allowed.token.userId);
    if (!user?.siteAdmin) {
      if (state.behaviour.nonAdminList === 'empty') return void res.json([]);
      return void res
        .status(403)
        .json({ message: 'Forbidden', errors: ['The acting user must be a Site Admin'] });
    }
    const page = pageOf(req, resource, state, allowed.credential.organizationId, { cursorOnly: true });
    if ('error' in page)
      return void res.status(422).json({ message: 'Validation error', errors: [page.error] });
    if (page.next) res.set('link', `<${page.next}>; rel="next"`);
    res.json(page.items);
  });

  /** The write endpoints of the catalog (create and update): what the proxy's write path is tested with. */
  const write = (req: Request, res: Response) => {
    const scope = scopeForRequest(req.method, req.path);
    if (scope?.access !== 'write') return void res.status(404).json({ message: 'Resource not found' });
    const allowed = authorize(req, res, scope.id);
    if (!allowed) return;
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length === 0) {
      return void res.status(422).json({
        message: 'Validation error',
        errors: [{ message: 'a JSON object is required', field: 'body' }],
      });
    }
    const record = state.write(scope.resource, allowed.credential.organizationId, allowed.token.userId, {
      ...body,
      ...(req.params.id ? { id: Number(req.params.id) } : {}),
    });
    res.status(scope.action === 'create' ? 201 : 200).json(record);
  };
  const json = express.json({ limit: '1mb' });
  router.post('/v3/:resource', json, write);
  router.patch('/v3/:resource/:id', json, write);
  router.put('/v3/:resource/:id', json, write);

  return router;
}
