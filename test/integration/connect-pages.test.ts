import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { csrfOf, http } from '../support/http';
import { waitForMessages } from '../support/mailpit';
import { sim } from '../support/simulator';
import { startTestStack, type TestStack } from '../support/stack';

const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];

/** A browser-like form post (urlencoded), with optional extra headers. */
const postForm = (
  base: string,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });

describe('connect pages: forms, CSRF, languages', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const newLink = async (extra: Record<string, unknown> = {}) => {
    const created = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: {
        organization: { id: 'pages', name: 'Pages GmbH' },
        requester: { email: `p-${Date.now()}@acme.example` },
        ...extra,
      },
    });
    return { id: created.json.id as string, path: new URL(created.json.connectUrl).pathname };
  };

  it('refuses form posts without the CSRF value or from another site, and changes nothing', async () => {
    const link = await newLink();
    const page = (await http(stack.api.url, 'GET', link.path)).text;
    const fields = { email: 'admin@pages.example' };
    const missing = await postForm(stack.api.url, `${link.path}/handoff`, fields);
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain('This form has expired');
    const crossSite = await postForm(
      stack.api.url,
      `${link.path}/handoff`,
      { ...fields, _csrf: csrfOf(page) },
      { 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
    const state = await http(stack.api.url, 'GET', `/v1/links/${link.id}`, { apiKey: stack.apiKey });
    expect(state.json.assignee).toBe('requester');
    expect(state.json.admin).toBeNull();

    const accepted = await postForm(stack.api.url, `${link.path}/handoff`, {
      ...fields,
      _csrf: csrfOf(page),
    });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toBe(`${link.path}?notice=handoff`);
  });

  it('says what to do next once a link is cancelled', async () => {
    const link = await newLink();
    await http(stack.api.url, 'POST', `/v1/links/${link.id}/cancel`, { apiKey: stack.apiKey, body: {} });
    await expect
      .poll(async () => (await http(stack.api.url, 'GET', link.path)).text, { timeout: 15_000 })
      .toContain('This link was cancelled');
    const page = (await http(stack.api.url, 'GET', link.path)).text;
    expect(page).toContain('for a new link');
    expect(page).not.toContain('<form');
  });

  it('shows a refused form again with each field named, keeping what was typed except the secret', async () => {
    const link = await newLink();
    const page = (await http(stack.api.url, 'GET', link.path)).text;
    const refused = await postForm(stack.api.url, `${link.path}/credentials`, {
      clientId: 'abc.123',
      clientSecret: 'typed-secret-value',
      userId: 'x1',
      _csrf: csrfOf(page),
    });
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('<a href="#userId">User ID: The User ID is a number');
    expect(html).toMatch(/id="userId"[^>]*aria-invalid="true"/);
    expect(html).toContain('value="abc.123"');
    expect(html).not.toContain('typed-secret-value');
  });

  it('speaks German from the link locale, from Accept-Language, or by choice, in pages and emails', async () => {
    const english = await newLink();
    const byBrowser = await http(stack.api.url, 'GET', english.path, {
      headers: { 'accept-language': 'de-CH,de;q=0.9,en;q=0.5' },
    });
    expect(byBrowser.text).toContain('<html lang="de">');
    expect(byBrowser.text).toContain('Greenhouse für Pages GmbH verbinden');
    const byChoice = await http(stack.api.url, 'GET', `${english.path}?lang=en`, {
      headers: { 'accept-language': 'de' },
    });
    expect(byChoice.text).toContain('Connect Greenhouse for Pages GmbH');
    // The choice survives a form post and its redirect.
    expect(byChoice.text).toContain(`action="${english.path}/handoff?lang=en"`);
    const posted = await postForm(
      stack.api.url,
      `${english.path}/recheck?lang=en`,
      { _csrf: csrfOf(byChoice.text) },
      { 'accept-language': 'de' },
    );
    expect(posted.headers.get('location')).toBe(`${english.path}?notice=recheck&lang=en`);
    const unknown = await http(stack.api.url, 'GET', '/connect/not-a-token', {
      headers: { 'accept-language': 'de' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('Dieser Link ist nicht gültig');

    const admin = `admin-de-${Date.now()}@pages.example`;
    const german = await newLink({ locale: 'de', admin: { email: admin, name: 'Anke' } });
    const page = await http(stack.api.url, 'GET', german.path, { headers: { 'accept-language': 'en' } });
    expect(page.text).toContain('<html lang="de">');
    await http(stack.api.url, 'POST', `${german.path}/handoff`, { body: { email: admin, name: 'Anke' } });
    const [invitation] = await waitForMessages(admin, 1);
    expect(invitation?.Subject).toContain('bittet Sie, Greenhouse für Pages GmbH zu verbinden');
    expect(invitation?.Text).toContain('Einrichtungsseite öffnen');
    expect(invitation?.HTML).toContain('lang="de"');
  });

  it('sends a numbered reminder naming the missing scopes, the click path, who asked and a fresh link', async () => {
    const requester = `remind-${Date.now()}@acme.example`;
    const created = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: {
        organization: { id: 'remind', name: 'Remind Ltd' },
        requester: { email: requester, name: 'Rob' },
      },
    });
    const path = new URL(created.json.connectUrl).pathname;
    const credential = await sim.createCredential(ATS_READ.filter((s) => s !== 'harvest:offers:list'));
    await http(stack.api.url, 'POST', `${path}/credentials`, {
      body: { clientId: credential.clientId, clientSecret: credential.clientSecret },
    });
    const [reminder] = await waitForMessages(requester, 1);
    expect(reminder?.Subject).toBe('Reminder 1: 1 Greenhouse permission still missing for Remind Ltd');
    expect(reminder?.Text).toContain('Offers > List offers (harvest:offers:list)');
    expect(reminder?.Text).toContain('Manage Scopes');
    expect(reminder?.Text).toContain('Rob (');
    expect(reminder?.Text).toContain('Test App');
    expect(reminder?.Text).toContain('The link works for 72 hours');
    // The email's link opens a page; its actions are forms (POST), so a scanner following links triggers nothing.
    const emailLink = /(http:\/\/\S+\/connect\/[A-Za-z0-9_-]{43})/.exec(reminder?.Text ?? '')?.[1] as string;
    expect(emailLink).not.toBe(created.json.connectUrl);
    const opened = await http(stack.api.url, 'GET', new URL(emailLink).pathname);
    expect(opened.status).toBe(200);
    expect(opened.text).toContain('method="post"');
    const after = await http(stack.api.url, 'GET', `/v1/links/${created.json.id}`, { apiKey: stack.apiKey });
    expect(after.json.status).toBe('awaiting_permissions');
  });
});
