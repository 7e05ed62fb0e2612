import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../greenhouse/simulator/state';
import { eventually, http } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * No worker runs at first, so the check of submitted credentials cannot finish: the post must still answer,
 * within CREDENTIALS_CHECK_WAIT, and the check must land once a worker takes it.
 */
describe('a credentials post whose check outlasts the wait', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false, env: { CREDENTIALS_CHECK_WAIT: '1s' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const newLink = async (org: string) => {
    const created = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: org, name: 'Slow Co' }, requester: { email: `${org}@acme.example` } },
    });
    expect(created.status).toBe(201);
    return { id: created.json.id as string, path: new URL(created.json.connectUrl).pathname };
  };
  const statusOf = async (id: string) =>
    (await http(stack.api.url, 'GET', `/v1/links/${id}`, { apiKey: stack.apiKey })).json.status as string;

  it('answers 202 "still checking" (JSON) or back to the page (form), then the link completes; a retry then hears linked', async () => {
    const scripted = await newLink('slow-json');
    const started = Date.now();
    const answer = await http(stack.api.url, 'POST', `${scripted.path}/credentials`, { body: DEMO.full });
    const waited = Date.now() - started;
    expect(answer.status).toBe(202);
    expect(answer.json).toEqual({
      status: 'verifying',
      results: [],
      credentialProblem: null,
      checking: true,
    });
    expect(waited).toBeLessThan(15_000); // the wait is 1 s; the bound is generous for a loaded machine

    const browser = await newLink('slow-form');
    const page = await http(stack.api.url, 'GET', browser.path);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const form = await fetch(`${stack.api.url}${browser.path}/credentials`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...DEMO.full, _csrf: csrf }).toString(),
    });
    expect(form.status).toBe(303);
    const back = form.headers.get('location') as string;
    expect(back).toBe(`${browser.path}?notice=checking`);
    expect((await http(stack.api.url, 'GET', back)).text).toContain('Greenhouse is taking a while to answer');

    expect(await statusOf(scripted.id)).toBe('awaiting_credentials'); // nothing has checked them yet
    await stack.startWorker();
    for (const link of [scripted, browser])
      await eventually(
        () => statusOf(link.id),
        (status) => status === 'linked',
      );
    // The client retries its post (it never saw the outcome): the link is linked, and the answer says so.
    const retry = await http(stack.api.url, 'POST', `${scripted.path}/credentials`, { body: DEMO.full });
    expect(retry.status).toBe(200);
    expect(retry.json).toMatchObject({ status: 'linked', credentialProblem: null });
    expect(retry.json.results.length).toBeGreaterThan(0);
  });
});
