import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo, type Mongo } from '../../store/mongo';
import { SharedLimits } from '../../store/shared-limits';
import { eventually, http } from '../support/http';
import { messagesTo, waitForMessages } from '../support/mailpit';
import { startTestStack, type TestStack } from '../support/stack';

const unique = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

/** What a connect URL, or an app, can make Greenlink send: capped, spaced out, and only by whom it should. */
describe('abuse limits on emails', () => {
  let stack: TestStack;
  let mongo: Mongo;
  beforeAll(async () => {
    stack = await startTestStack();
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
        organization: { id: 'abuse', name: 'Abuse Ltd' },
        requester: { email: `r-${unique()}@acme.example` },
      },
    });
    expect(created.status).toBe(201);
    return { id: created.json.id as string, path: new URL(created.json.connectUrl).pathname };
  };
  const handOff = (path: string, body: Record<string, string>) =>
    http(stack.api.url, 'POST', `${path}/handoff`, { body });

  it('a connect URL looping hand-offs sends one email, then gets 429s saying when to retry', async () => {
    const link = await newLink();
    const admin = `admin-${unique()}@acme.example`;
    expect((await handOff(link.path, { email: admin })).status).toBe(202);
    const again = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        handOff(link.path, { email: `other-${i}-${unique()}@acme.example` }),
      ),
    );
    for (const refused of again) {
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.json).toMatchObject({ type: expect.stringContaining('hand_off_limited') });
      expect(refused.json.limit).toBe('handOffCooldown');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(120);
    }
    await waitForMessages(admin, 1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await messagesTo(admin)).toHaveLength(1);
    const timeline = await http(stack.api.url, 'GET', `/v1/links/${link.id}/timeline`, {
      apiKey: stack.apiKey,
    });
    expect(timeline.json.data.filter((e: { type: string }) => e.type === 'signal.handOff')).toHaveLength(1);
  });

  it('the same recipient gets at most 3 hand-off emails a day, whichever links send them', async () => {
    const victim = `victim-${unique()}@acme.example`;
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push((await handOff((await newLink()).path, { email: victim })).status);
    expect(answers).toEqual([202, 202, 202, 429]);
    const fourth = await handOff((await newLink()).path, { email: victim.toUpperCase() });
    expect(fourth.json.limit).toBe('handOffPerRecipient');
    // A +tag reaches the same mailbox, and so do Gmail's dots: they count as one recipient.
    const tagged = victim.replace('@', '+again@');
    expect((await handOff((await newLink()).path, { email: tagged })).status).toBe(429);
    const gmail = `victim.${unique()}@gmail.com`;
    const variants = [gmail, gmail.replace('victim.', 'vic.tim'), gmail.replace('@', '+x@').toUpperCase()];
    for (const email of variants) expect((await handOff((await newLink()).path, { email })).status).toBe(202);
    const dotless = gmail.replace('.', '');
    expect((await handOff((await newLink()).path, { email: dotless })).status).toBe(429);
    // The per-recipient window is the UTC day: it ends at midnight.
    const untilMidnight =
      (Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1) -
        Date.now()) /
      1000;
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Math.abs(Number(fourth.headers.get('retry-after')) - untilMidnight)).toBeLessThan(30);
    await waitForMessages(victim, 3);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await messagesTo(victim)).toHaveLength(3);
  });

  it("an admin's link cannot hand off; it can only send the setup back", async () => {
    const link = await newLink();
    const admin = `admin-${unique()}@acme.example`;
    expect((await handOff(link.path, { email: admin })).status).toBe(202);
    const [invitation] = await waitForMessages(admin, 1);
    const adminUrl = /(https?:\/\/\S+\/connect\/[A-Za-z0-9_-]{43})/.exec(
      invitation?.Text ?? '',
    )?.[1] as string;
    const adminPath = new URL(adminUrl).pathname;
    const refused = await handOff(adminPath, { email: `elsewhere-${unique()}@acme.example` });
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain('cannot hand the setup off');
    const page = await http(stack.api.url, 'GET', adminPath);
    expect(page.text).not.toContain('id="handoff"');
  });

  it('a hand-off note is one quoted line in the email: no control or direction characters, at most 200 characters', async () => {
    const link = await newLink();
    const admin = `admin-${unique()}@acme.example`;
    const note = `Please\u202Eclick\r\nhttps://evil.example ${'x'.repeat(400)}`;
    expect((await handOff(link.path, { email: admin, note })).status).toBe(202);
    const [mail] = await waitForMessages(admin, 1);
    const quotedLine = mail?.Text.split(/\r?\n/).find((line) => line.startsWith('Their note:')) ?? '';
    expect(quotedLine).toContain('Please click https://evil.example x');
    expect(quotedLine).not.toMatch(/[\u202E\r]/);
    expect(quotedLine.length).toBeLessThan(230);
    expect(quotedLine).toContain('…');
    const tooLong = await handOff((await newLink()).path, { email: admin, note: 'y'.repeat(501) });
    expect(tooLong.status).toBe(422);
    expect(tooLong.json.errors).toEqual([{ field: 'note', message: expect.stringContaining('500') }]);
  });

  it('an app cannot ask for reminders less than an hour apart', async () => {
    const refused = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: {
        organization: { id: 'abuse', name: 'Abuse Ltd' },
        requester: { email: `r-${unique()}@acme.example` },
        schedule: { reminders: ['0', '1s', '2s', '3s'] },
      },
    });
    expect(refused.status).toBe(422);
    expect(refused.json.errors).toEqual([
      { field: 'schedule.reminders', message: 'must be at least 1h apart' },
    ]);
    const hourly = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: {
        organization: { id: 'abuse', name: 'Abuse Ltd' },
        requester: { email: `r-${unique()}@acme.example` },
        schedule: { reminders: ['0', '1h', '1d'] },
      },
    });
    expect(hourly.status).toBe(201);
  });

  it('shared limits hold across replicas: 20 racing takes of a limit of 5 allow exactly 5', async () => {
    const limits = new SharedLimits(mongo.db);
    const key = `race-${unique()}`;
    const answers = await Promise.all(Array.from({ length: 20 }, () => limits.take(key, 5, 60_000)));
    expect(answers.filter((a) => a.allowed)).toHaveLength(5);
    const refused = answers.find((a) => !a.allowed);
    expect(refused && !refused.allowed && refused.retryAfterMs).toBeGreaterThan(0);
    // The next window starts afresh, and ended windows are swept.
    expect((await limits.take(key, 5, 60_000, Date.now() + 60_000)).allowed).toBe(true);
    expect(await limits.purgeExpired(new Date(Date.now() + 121_000))).toBeGreaterThanOrEqual(6);
  });

  it('the rate-limit page for a browser says the wait in words', async () => {
    const link = await newLink();
    const page = (await http(stack.api.url, 'GET', link.path)).text;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] as string;
    const post = () =>
      fetch(`${stack.api.url}${link.path}/handoff`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: `a-${unique()}@acme.example`, _csrf: csrf }).toString(),
      });
    expect((await post()).status).toBe(303);
    const limited = await post();
    expect(limited.status).toBe(429);
    const text = await limited.text();
    expect(text).toMatch(/Please wait (\d+ seconds|2 minutes) and try again/);
    await eventually(
      async () => (await http(stack.api.url, 'GET', `/v1/links/${link.id}`, { apiKey: stack.apiKey })).json,
      (l) => l.assignee === 'admin',
    );
  });
});
