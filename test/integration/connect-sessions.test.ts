import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo, type Mongo } from '../../store/mongo';
import { eventually, http } from '../support/http';
import { waitForMessages } from '../support/mailpit';
import { startTestStack, type TestStack } from '../support/stack';

const unique = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
const urlIn = (text: string) => /(https?:\/\/\S+\/connect\/[A-Za-z0-9_-]{43})/.exec(text)?.[1] as string;

describe('connect URLs: sessions, revoked admin links, limited re-checks', () => {
  let stack: TestStack;
  let mongo: Mongo;
  beforeAll(async () => {
    stack = await startTestStack({ env: { RECHECK_LIMIT: '2/1m' } });
    mongo = await connectMongo(stack.config.MONGODB_URI, stack.config.MONGODB_DB);
  });
  afterAll(async () => {
    await mongo?.close();
    await stack?.close();
  });

  const newLink = async () => {
    const created = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: {
        organization: { id: 's', name: 'Sessions' },
        requester: { email: `r-${unique()}@acme.example` },
      },
    });
    return { id: created.json.id as string, path: new URL(created.json.connectUrl).pathname };
  };
  /** What a browser sends opening a page (fetch() would set its own Sec-Fetch-Mode, so undici's request). */
  const navigate = async (path: string, cookie?: string) => {
    const response = await request(`${stack.api.url}${path}`, {
      headers: { 'sec-fetch-mode': 'navigate', ...(cookie ? { cookie } : {}) },
    });
    const header = (name: string) => {
      const value = response.headers[name];
      return (Array.isArray(value) ? value[0] : value) ?? null;
    };
    return { status: response.statusCode, headers: { get: header }, text: () => response.body.text() };
  };

  it('a browser opening a connect URL gets a cookie for that link, and the token leaves the address bar', async () => {
    const link = await newLink();
    const token = link.path.split('/').at(-1) as string;
    const opened = await navigate(`${link.path}?lang=de`);
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe(`/connect/s.${link.id}?lang=de`);
    const setCookie = opened.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^gl_connect_${link.id}=`));
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toContain(`Path=/connect/s.${link.id}`);
    const cookie = setCookie.split(';')[0] as string;
    const page = await navigate(`/connect/s.${link.id}`, cookie);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toContain(token);
    expect(html).toContain(`action="/connect/s.${link.id}/handoff`);
    // Without the cookie, or with another link's, the session path opens nothing.
    expect((await navigate(`/connect/s.${link.id}`)).status).toBe(404);
    const other = await newLink();
    expect((await navigate(`/connect/s.${other.id}`, cookie.replace(link.id, other.id))).status).toBe(404);
    // Scripts (no navigation) keep using the URL as it is.
    expect((await http(stack.api.url, 'GET', link.path)).status).toBe(200);
  });

  it('an admin\'s links stop working on a new hand-off, on "I\'m not the admin", and when the link ends', async () => {
    const link = await newLink();
    const first = `a1-${unique()}@acme.example`;
    expect(
      (await http(stack.api.url, 'POST', `${link.path}/handoff`, { body: { email: first } })).status,
    ).toBe(202);
    const firstUrl = new URL(urlIn((await waitForMessages(first, 1))[0]?.Text ?? '')).pathname;
    expect((await http(stack.api.url, 'GET', firstUrl)).status).toBe(200);
    // Two minutes later (the cooldown, skipped here), the requester hands off to someone else.
    await mongo.db.collection('shared_limits').deleteMany({ key: `handOffCooldown:${link.id}` });
    const second = `a2-${unique()}@acme.example`;
    expect(
      (await http(stack.api.url, 'POST', `${link.path}/handoff`, { body: { email: second } })).status,
    ).toBe(202);
    expect((await http(stack.api.url, 'GET', firstUrl)).status).toBe(404);
    const secondUrl = new URL(urlIn((await waitForMessages(second, 1))[0]?.Text ?? '')).pathname;
    // "I'm not the admin": sent back, and this admin link says it no longer works.
    const page = await fetch(`${stack.api.url}${secondUrl}`).then((r) => r.text());
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] as string;
    const notAdmin = await fetch(`${stack.api.url}${secondUrl}/not-admin`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    expect(notAdmin.status).toBe(200);
    expect(await notAdmin.text()).toContain('This link no longer works');
    expect((await http(stack.api.url, 'GET', secondUrl)).status).toBe(404);

    // A third admin, then the link is cancelled: their link goes too; the requester's says what happened.
    await mongo.db.collection('shared_limits').deleteMany({ key: `handOffCooldown:${link.id}` });
    const third = `a3-${unique()}@acme.example`;
    await http(stack.api.url, 'POST', `${link.path}/handoff`, { body: { email: third } });
    const thirdUrl = new URL(urlIn((await waitForMessages(third, 1))[0]?.Text ?? '')).pathname;
    await http(stack.api.url, 'POST', `/v1/links/${link.id}/cancel`, { apiKey: stack.apiKey, body: {} });
    await eventually(
      async () => (await http(stack.api.url, 'GET', thirdUrl)).status,
      (status) => status === 404,
    );
    expect((await http(stack.api.url, 'GET', link.path)).text).toContain('This link was cancelled');
  });

  it('"check again" is limited per link (RECHECK_LIMIT), with a 429 saying when', async () => {
    const link = await newLink();
    const recheck = () =>
      http(stack.api.url, 'POST', `/v1/links/${link.id}/recheck`, { apiKey: stack.apiKey, body: {} });
    expect((await recheck()).status).toBe(202);
    expect((await http(stack.api.url, 'POST', `${link.path}/recheck`, { body: {} })).status).toBe(202);
    const limited = await recheck();
    expect(limited.status).toBe(429);
    expect(limited.json).toMatchObject({
      type: expect.stringMatching(/recheck_limited$/),
      limit: 'recheckPerLink',
    });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
