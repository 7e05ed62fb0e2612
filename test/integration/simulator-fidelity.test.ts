import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../greenhouse/simulator/server';
import { DEMO } from '../../greenhouse/simulator/state';

/** The simulator answers as reference/greenhouse.md documents Greenhouse; these pin the documented bodies. */
describe('Greenhouse simulator fidelity', () => {
  let sim: RunningSimulator;
  let token: string;
  const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  const get = async (path: string, auth?: string) => {
    const response = await fetch(`${sim.url}${path}`, { headers: auth ? { authorization: auth } : {} });
    // biome-ignore lint/suspicious/noExplicitAny: the assertions check the shape
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  };
  beforeAll(async () => {
    sim = await startSimulator(0);
    const response = await fetch(`${sim.url}/token`, {
      method: 'POST',
      headers: {
        authorization: basic(DEMO.full.clientId, DEMO.full.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    token = body.access_token;
  });
  afterAll(async () => {
    await sim.close();
  });

  it('token errors: no credentials 401, unknown client invalid_client, bad grant 400', async () => {
    const post = (auth: string | undefined, body: string) =>
      fetch(`${sim.url}/token`, {
        method: 'POST',
        headers: {
          ...(auth ? { authorization: auth } : {}),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body,
      });
    const none = await post(undefined, 'grant_type=client_credentials');
    expect(none.status).toBe(401);
    expect(((await none.json()) as { message: string }).message).toBe('Unauthorized');
    const unknown = await post(basic('ghost-1', 'x'), 'grant_type=client_credentials');
    expect(await unknown.json()).toEqual({ error: 'invalid_client' });
    const grant = await post(basic(DEMO.full.clientId, DEMO.full.clientSecret), 'grant_type=password');
    expect(grant.status).toBe(400);
  });

  it('v3: routing before auth (404), undecodable token 401, rate-limit headers on every answer', async () => {
    expect((await get('/v3/nonsense')).body).toEqual({ message: 'Resource not found' });
    const bad = await get('/v3/jobs', 'Bearer garbage');
    expect(bad.status).toBe(401);
    expect(bad.body.errors[0]).toContain('Token could not be decoded');
    const ok = await get('/v3/jobs?per_page=1', `Bearer ${token}`);
    expect(ok.status).toBe(200);
    expect(Array.isArray(ok.body)).toBe(true);
    for (const h of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
      expect(ok.headers.get(h)).toMatch(/^\d+$/);
    }
  });

  it('v3 paging: per_page bounds (422), Link rel="next" with a cursor that must stand alone', async () => {
    expect((await get('/v3/jobs?per_page=0', `Bearer ${token}`)).status).toBe(422);
    expect((await get('/v3/jobs?per_page=501', `Bearer ${token}`)).status).toBe(422);
    const first = await get('/v3/jobs?per_page=2', `Bearer ${token}`);
    expect(first.body).toHaveLength(2);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1] as string;
    const cursor = new URL(next).searchParams.get('cursor');
    const second = await get(`/v3/jobs?cursor=${cursor}`, `Bearer ${token}`);
    expect(second.body).toHaveLength(1);
    expect(second.headers.get('link')).toBeNull();
    expect((await get(`/v3/jobs?cursor=${cursor}&per_page=2`, `Bearer ${token}`)).status).toBe(422);
  });

  it('v3 users carry site_admin', async () => {
    const users = await get('/v3/users', `Bearer ${token}`);
    expect(users.body.map((u: { site_admin: boolean }) => u.site_admin).sort()).toEqual([false, true]);
  });

  it('v1: auth before routing (401 everywhere), 403 permission body, 10 s window headers', async () => {
    const wrong = await get('/v1/does-not-exist', basic('bad-key', ''));
    expect(wrong).toMatchObject({ status: 401, body: { message: 'Invalid Basic Auth credentials' } });
    const denied = await get('/v1/offers', basic(DEMO.legacyPartial.apiKey, ''));
    expect(denied).toMatchObject({
      status: 403,
      body: { message: 'This API Key does not have permission for this endpoint' },
    });
    const ok = await get('/v1/candidates?per_page=1', basic(DEMO.legacyFull.apiKey, ''));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-limit')).toBe('50');
    expect(ok.headers.get('link')).toContain('page=2');
  });

  it('the control page renders the state and changes it through forms', async () => {
    const page = await fetch(`${sim.url}/_sim`);
    expect(await page.text()).toContain(DEMO.partial.clientId);
    const saved = await fetch(`${sim.url}/_sim/page/users/${DEMO.recruiter.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'siteAdmin=true',
      redirect: 'manual',
    });
    expect(saved.status).toBe(303);
    expect(sim.state.users.get(DEMO.recruiter.id)?.siteAdmin).toBe(true);
  });
});
