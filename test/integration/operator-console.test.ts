import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookiesOf, csrfOf, eventually, http, postForm } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';
import { startWebhookReceiver } from '../support/webhook-receiver';

const ACT = 'ada-act-token-0123456789abcdefghijklmnopqrstuvwxyz012';
const READ = 'rob-read-token-0123456789abcdefghijklmnopqrstuvwxyz01';

describe('operator console: sign-in, search, actions, audit', () => {
  let stack: TestStack;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  beforeAll(async () => {
    stack = await startTestStack({
      env: {
        OPERATOR_TOKENS: `ada:${ACT}:act,rob:${READ}`,
        AUTH_FAILURE_LIMIT: '20/1m',
        // Any hand-off counts as waiting long: the view can be tested without waiting days.
        ATTENTION_ADMIN_WAIT: '1ms',
      },
    });
    receiver = await startWebhookReceiver();
    await http(stack.api.url, 'POST', '/v1/webhook-endpoints', {
      apiKey: stack.apiKey,
      body: { url: receiver.url, events: ['link.cancelled'] },
    });
    // An endpoint that keeps failing, for hand-offs only: its links need attention.
    receiver.answer('/failing', ...Array.from({ length: 50 }, () => ({ status: 500 })));
    await http(stack.api.url, 'POST', '/v1/webhook-endpoints', {
      apiKey: stack.apiKey,
      body: { url: receiver.urlFor('/failing'), events: ['link.handed_off'] },
    });
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
  });

  /** Signs in through the form as a browser does; returns the session's Cookie header and a page's CSRF. */
  const signIn = async (token: string, next = '/ops/console') => {
    const form = await http(stack.api.url, 'GET', `/ops/login?next=${encodeURIComponent(next)}`);
    const done = await postForm(
      stack.api.url,
      '/ops/login',
      { token, _csrf: csrfOf(form.text), next },
      { cookie: cookiesOf(form.headers) },
    );
    expect(done.status).toBe(303);
    const cookie = cookiesOf(done.headers);
    const page = await http(stack.api.url, 'GET', '/ops/console', { headers: { cookie } });
    return { cookie, csrf: csrfOf(page.text), done, page };
  };
  const startLink = (org: string, email: string) =>
    http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: `org-${org}`, name: org }, requester: { email } },
    });
  const linkStatus = (id: string) =>
    http(stack.api.url, 'GET', `/v1/links/${id}`, { apiKey: stack.apiKey }).then((r) => r.json.status);

  it('sends a browser to the sign-in form, and signs in with a named token into a strict, HttpOnly cookie', async () => {
    const page = await http(stack.api.url, 'GET', '/ops/console/audit');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/ops/login?next=%2Fops%2Fconsole%2Faudit');
    const { done, page: list } = await signIn(ACT, '/ops/console/audit');
    expect(done.headers.get('location')).toBe('/ops/console/audit');
    const session = done.headers.getSetCookie().find((c) => c.startsWith('gl_ops_session='));
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Strict/i);
    expect(session).toMatch(/Path=\/ops/);
    expect(session).not.toMatch(/Secure/i); // Greenlink runs on localhost here
    expect(session).not.toContain(ACT);
    expect(list.status).toBe(200);
    expect(list.text).toContain('ada (act)');
    const audit = await http(stack.api.url, 'GET', '/ops/console/audit', {
      headers: { cookie: cookiesOf(done.headers) },
    });
    expect(audit.text).toMatch(/<td>ada<\/td><td>sign-in<\/td>/);
    expect(audit.text).not.toContain(ACT);
  });

  it('refuses a wrong token, a forged or stale form and a foreign next page, and records the refusal', async () => {
    const form = await http(stack.api.url, 'GET', '/ops/login');
    const cookie = cookiesOf(form.headers);
    const wrong = await postForm(
      stack.api.url,
      '/ops/login',
      { token: 'nope', _csrf: csrfOf(form.text) },
      { cookie },
    );
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('not an operator token');
    expect(wrong.headers.getSetCookie().some((c) => c.startsWith('gl_ops_session='))).toBe(false);
    const forged = await postForm(stack.api.url, '/ops/login', { token: ACT, _csrf: 'made-up' }, { cookie });
    expect(forged.status).toBe(403);
    const crossSite = await postForm(
      stack.api.url,
      '/ops/login',
      { token: ACT, _csrf: csrfOf(form.text) },
      { cookie, 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
    const { done } = await signIn(ACT, 'https://evil.example/ops/console');
    expect(done.headers.get('location')).toBe('/ops/console');
    const { cookie: session } = await signIn(ACT);
    const audit = await http(stack.api.url, 'GET', '/ops/console/audit', { headers: { cookie: session } });
    expect(audit.text).toContain('sign-in refused');
  });

  it('refuses sign-in from an address past its failures with a 429; the right token still signs in', async () => {
    const from = { 'x-forwarded-for': '203.0.113.77' };
    const form = await http(stack.api.url, 'GET', '/ops/login', { headers: from });
    const fields = { _csrf: csrfOf(form.text) };
    const headers = { ...from, cookie: cookiesOf(form.headers) };
    for (let i = 0; i < 20; i++)
      expect(
        (await postForm(stack.api.url, '/ops/login', { ...fields, token: `wrong-${i}` }, headers)).status,
      ).toBe(401);
    const locked = await postForm(stack.api.url, '/ops/login', { ...fields, token: 'wrong-again' }, headers);
    expect(locked.status).toBe(429);
    expect(locked.text).toContain('at most 20 failed attempts');
    expect(locked.headers.getSetCookie().some((c) => c.startsWith('gl_ops_session='))).toBe(false);
    const right = await postForm(stack.api.url, '/ops/login', { ...fields, token: ACT }, headers);
    expect(right.status).toBe(303);
    expect(right.headers.getSetCookie().some((c) => c.startsWith('gl_ops_session='))).toBe(true);
  });

  it('signs out: the session stops working at once', async () => {
    const { cookie, csrf } = await signIn(ACT);
    const forged = await postForm(stack.api.url, '/ops/logout', { _csrf: 'x' }, { cookie });
    expect(forged.status).toBe(403);
    const out = await postForm(stack.api.url, '/ops/logout', { _csrf: csrf }, { cookie });
    expect(out.status).toBe(303);
    expect((await http(stack.api.url, 'GET', '/ops/console', { headers: { cookie } })).status).toBe(303);
  });

  it('searches by organization name, email and id, counts facets, and pages with a cursor', async () => {
    const tag = `Searchable${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await startLink(`${tag} ${i}`, `s${i}-${tag}@acme.example`)).json.id);
    // Pages go by last activity, so wait for each run's first write ('started') before paging.
    for (const id of ids)
      await eventually(
        () => http(stack.api.url, 'GET', `/v1/links/${id}/timeline`, { apiKey: stack.apiKey }),
        (r) =>
          r.json.data?.some(
            (e: { source: string; type: string }) => e.source === 'link' && e.type === 'started',
          ),
      );
    const { cookie } = await signIn(READ);
    const get = (query: string) =>
      http(stack.api.url, 'GET', `/ops/console?${query}`, { headers: { cookie } });
    const byName = await get(`q=${tag.toLowerCase()}`);
    for (const id of ids) expect(byName.text).toContain(id);
    expect(byName.text).toMatch(/awaiting_credentials <span class="count">3<\/span>/);
    const byEmail = await get(`q=${encodeURIComponent(`s1-${tag}`)}`);
    expect(byEmail.text).toContain(ids[1]);
    expect(byEmail.text).not.toContain(ids[0]);
    const byId = await get(`q=${ids[2]}`);
    expect(byId.text).toContain(ids[2]);
    expect(byId.text).not.toContain(ids[1]);
    // Two a page, latest activity first: the cursor's page holds the rest, no link twice, none left out.
    const first = await get(`q=${tag}&limit=2`);
    const next = /href="([^"]+)" rel="next"/.exec(first.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
    expect(next).toContain('cursor=');
    const second = await http(stack.api.url, 'GET', next, { headers: { cookie } });
    const shown = (text: string) => ids.filter((id) => text.includes(id));
    expect(shown(first.text)).toHaveLength(2);
    expect(shown(second.text)).toHaveLength(1);
    expect([...shown(first.text), ...shown(second.text)].sort()).toEqual([...ids].sort());
    expect(second.text).not.toContain('rel="next"');
    const bad = await get('status=sleeping');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('status: must be one of');
  });

  it('lists a link waiting on an admin, its webhooks failing, in "needs attention" with the reasons', async () => {
    const link = await startLink('Attention Co', 'attn@acme.example');
    const path = new URL(link.json.connectUrl).pathname;
    const handed = await http(stack.api.url, 'POST', `${path}/handoff`, {
      body: { email: 'admin@attention.example' },
    });
    expect(handed.status).toBe(202);
    const { cookie } = await signIn(READ);
    const view = await eventually(
      () =>
        http(stack.api.url, 'GET', '/ops/console?view=attention&q=Attention%20Co', { headers: { cookie } }),
      (r) => r.text.includes(link.json.id) && r.text.includes('webhook deliveries failing'),
    );
    expect(view.text).toContain('waiting on the admin for long');
    expect(view.text).toContain('admin@attention.example');
    // The hand-off email, as sent, with its connect link removed.
    const page = await eventually(
      () => http(stack.api.url, 'GET', `/ops/console/links/${link.json.id}`, { headers: { cookie } }),
      (r) => r.text.includes('[connect link removed]'),
    );
    expect(page.text).toContain('to admin@attention.example');
    // The run itself says when the schedule's next reminder is due.
    expect(page.text).toMatch(
      /Waiting \d+ \w+ on admin@attention\.example .*reminders? sent; next (in \d+ \w+|now)\./,
    );
    expect(page.text).not.toMatch(/\/connect\/[A-Za-z0-9_-]{20,}/);
    // An operator with the act role sends it back to the requester.
    const ada = await signIn(ACT);
    const back = await postForm(
      stack.api.url,
      `/ops/console/links/${link.json.id}/actions/reassign`,
      { _csrf: ada.csrf, to: 'requester' },
      { cookie: ada.cookie },
    );
    expect(back.status).toBe(303);
    await eventually(
      () => http(stack.api.url, 'GET', `/v1/links/${link.json.id}`, { apiKey: stack.apiKey }),
      (r) => r.json.assignee === 'requester',
    );
  });

  it('a read-only operator sees no actions and is refused one', async () => {
    const link = await startLink('ReadOnly Co', 'ro@acme.example');
    const { cookie, csrf } = await signIn(READ);
    const page = await eventually(
      () => http(stack.api.url, 'GET', `/ops/console/links/${link.json.id}`, { headers: { cookie } }),
      (r) => r.text.includes('Link started'),
    );
    expect(page.text).toContain('actions need the act role');
    // The story: one sentence on where it stands, then steps in words with their raw events folded.
    expect(page.text).toMatch(
      /Waiting \d+ s on ro@acme\.example to paste Greenhouse credentials; 0 reminders sent\./,
    );
    expect(page.text).toContain('Link started; it needs');
    expect(page.text).toContain('run.started');
    const refused = await postForm(
      stack.api.url,
      `/ops/console/links/${link.json.id}/actions/recheck`,
      { _csrf: csrf },
      { cookie },
    );
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('may read but not act');
  });

  it('acts through confirmation forms: check again, new connect URL once, resend a reminder, cancel; each audit-logged', async () => {
    const link = await startLink('Acting Co', 'act@acme.example');
    const id = link.json.id as string;
    const oldPath = new URL(link.json.connectUrl).pathname;
    const { cookie, csrf } = await signIn(ACT);
    const actionPath = (name: string) => `/ops/console/links/${id}/actions/${name}`;

    const confirm = await http(stack.api.url, 'GET', actionPath('recheck'), { headers: { cookie } });
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Confirm: check again');
    const noCsrf = await postForm(stack.api.url, actionPath('recheck'), {}, { cookie });
    expect(noCsrf.status).toBe(403);
    const recheck = await postForm(stack.api.url, actionPath('recheck'), { _csrf: csrf }, { cookie });
    expect(recheck.status).toBe(303);
    expect(recheck.headers.get('location')).toMatch(/\?done=recheck$/);
    const banner = await http(stack.api.url, 'GET', recheck.headers.get('location') as string, {
      headers: { cookie },
    });
    expect(banner.text).toContain('Check requested');
    // Any other text is no banner at all: a crafted link cannot make the console say it.
    const crafted = await http(
      stack.api.url,
      'GET',
      `/ops/console/links/${id}?done=Your%20account%20is%20locked`,
      {
        headers: { cookie },
      },
    );
    expect(crafted.status).toBe(200);
    expect(crafted.text).not.toContain('Your account is locked');
    expect(crafted.text).not.toContain('class="notice"');

    const url = await postForm(stack.api.url, actionPath('connect-url'), { _csrf: csrf }, { cookie });
    expect(url.status).toBe(200);
    const shown = /value="(http[^"]+\/connect\/[^"]+)"/.exec(url.text)?.[1] ?? '';
    expect(shown).toContain('/connect/');
    expect((await http(stack.api.url, 'GET', new URL(shown).pathname)).status).toBe(200);
    expect((await http(stack.api.url, 'GET', oldPath)).status).toBe(404);

    // Resend the reminder now: the email goes out at once (its copy shows on the page), once an hour at most.
    const remind = await postForm(stack.api.url, actionPath('remind'), { _csrf: csrf }, { cookie });
    expect(remind.status).toBe(303);
    const reminded = await eventually(
      () => http(stack.api.url, 'GET', `/ops/console/links/${id}`, { headers: { cookie } }),
      (r) => r.text.includes('setup_reminder to act@acme.example'),
    );
    expect(reminded.text).toMatch(/Reminder 1 \(setup_reminder\) sent to the requester\. <small>by operator/);
    const tooSoon = await postForm(stack.api.url, actionPath('remind'), { _csrf: csrf }, { cookie });
    expect(tooSoon.status).toBe(409);
    expect(tooSoon.text).toContain('one reminder resent by an operator per link per hour');

    const empty = await postForm(
      stack.api.url,
      actionPath('cancel'),
      { _csrf: csrf, reason: ' ' },
      { cookie },
    );
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('reason: is required');
    expect(await linkStatus(id)).toBe('awaiting_credentials');
    const cancel = await postForm(
      stack.api.url,
      actionPath('cancel'),
      { _csrf: csrf, reason: 'customer asked' },
      { cookie },
    );
    expect(cancel.status).toBe(303);
    await eventually(
      () => linkStatus(id),
      (s) => s === 'cancelled',
    );
    // The app heard of it; an operator replays that delivery: the same webhook-id again.
    const firstDelivery = await eventually(
      async () => receiver.received.filter((w) => w.body.includes(id)),
      (found) => found.length === 1,
    );
    const replayForm = await eventually(
      () => http(stack.api.url, 'GET', actionPath('replay'), { headers: { cookie } }),
      (r) => r.text.includes('link.cancelled · delivered'),
    );
    const deliveryId = /<option value="([^"]+)"/.exec(replayForm.text)?.[1] ?? '';
    const replay = await postForm(
      stack.api.url,
      actionPath('replay'),
      { _csrf: csrf, deliveryId },
      { cookie },
    );
    expect(replay.status).toBe(303);
    const both = await eventually(
      async () => receiver.received.filter((w) => w.body.includes(id)),
      (found) => found.length === 2,
    );
    expect(both[1]?.headers['webhook-id']).toBe(firstDelivery[0]?.headers['webhook-id']);
    const unknown = await postForm(
      stack.api.url,
      actionPath('replay'),
      { _csrf: csrf, deliveryId: 'nope' },
      { cookie },
    );
    expect(unknown.status).toBe(409);
    expect(unknown.text).toContain('no delivery nope of this link');

    const again = await http(stack.api.url, 'GET', actionPath('cancel'), { headers: { cookie } });
    expect(again.status).toBe(409);
    expect(again.text).toContain('the link is cancelled');

    const audit = await http(stack.api.url, 'GET', '/ops/console/audit', { headers: { cookie } });
    for (const done of [
      'Check again: Check requested',
      'New connect URL: A new requester connect URL',
      'Cancel link: Cancel requested (customer asked)',
      'Resend reminder now: Reminder requested',
      'Replay webhook delivery: Replay of link.cancelled',
    ])
      expect(audit.text).toContain(done);
    expect(audit.text).not.toContain(new URL(shown).pathname); // the URL shown once is nowhere else
  });

  it('draws the overview as server-rendered SVG, with its figures, and names a bad period', async () => {
    await startLink('Overview Co', 'ov@acme.example');
    const { cookie } = await signIn(READ);
    const page = await http(stack.api.url, 'GET', '/ops/console/overview?days=7', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<svg role="img"');
    expect(page.text).not.toContain('<script');
    const created = Number(/(\d+) link\(s\) created/.exec(page.text)?.[1]);
    expect(created).toBeGreaterThanOrEqual(1);
    expect(page.text).toMatch(/<th scope="row">Created<\/th><td>\d+<\/td>/);
    expect(page.text).toContain('Credentials submitted');
    const bad = await http(stack.api.url, 'GET', '/ops/console/overview?days=1000', { headers: { cookie } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('days: must be 1 to 90');
  });

  it('a script reads the console with its Bearer token, and a wrong one is a 401, not a sign-in page', async () => {
    const read = await http(stack.api.url, 'GET', '/ops/console', {
      headers: { authorization: `Bearer ${READ}` },
    });
    expect(read.status).toBe(200);
    const wrong = await http(stack.api.url, 'GET', '/ops/console', {
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
  });
});
