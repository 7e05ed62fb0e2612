import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../../api/server';
import type { OperatorToken } from '../../domain/operator';
import { freePort } from '../../stack/ports';
import { cookiesOf, csrfOf, http, postForm } from '../support/http';
import { configEnv, startTestStack, type TestStack } from '../support/stack';

const ADA = 'ada-act-token-for-sessions-0123456789abcdefghijklmn';
const ROB = 'rob-act-token-for-sessions-0123456789abcdefghijklmn';
const EVE = 'eve-act-token-for-sessions-0123456789abcdefghijklmn';

/** Signs in through the form at `base`; answers the session's Cookie header and the console's CSRF field. */
async function signIn(base: string, token: string) {
  const form = await http(base, 'GET', '/ops/login');
  const done = await postForm(
    base,
    '/ops/login',
    { token, _csrf: csrfOf(form.text), next: '/ops/console' },
    { cookie: cookiesOf(form.headers) },
  );
  expect(done.status).toBe(303);
  const cookie = cookiesOf(done.headers);
  const page = await http(base, 'GET', '/ops/console', { headers: { cookie } });
  expect(page.status).toBe(200);
  return { cookie, csrf: csrfOf(page.text) };
}

/** What a console page does with a session: 200 when it holds, a redirect to sign-in when it ended. */
const consoleWith = async (base: string, cookie: string) =>
  (await http(base, 'GET', '/ops/console', { headers: { cookie } })).status;

describe('console sessions follow OPERATOR_TOKENS', () => {
  let stack: TestStack;
  const replicas: RunningApi[] = [];
  beforeAll(async () => {
    stack = await startTestStack({
      worker: false,
      env: { OPERATOR_TOKENS: `ada:${ADA}:act,rob:${ROB}:act,eve:${EVE}:act` },
    });
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    await stack?.close();
  });

  /** Another API on the same database, deployed with other OPERATOR_TOKENS. */
  const deployWith = async (tokens: OperatorToken[]) => {
    const port = await freePort();
    const api = await startApi({ ...stack.config, PORT: port, OPERATOR_TOKENS: tokens }, { port });
    replicas.push(api);
    return api;
  };

  it('takes the role from OPERATOR_TOKENS on every request, and ends a removed or changed token at once', async () => {
    const ada = await signIn(stack.api.url, ADA);
    const rob = await signIn(stack.api.url, ROB);
    const eve = await signIn(stack.api.url, EVE);
    // The new deploy: ada downgraded to read, rob's token changed, eve removed.
    const next = await deployWith([
      { name: 'ada', token: ADA, role: 'read' },
      { name: 'rob', token: `${ROB}-rotated`, role: 'act' },
    ]);
    expect(await consoleWith(next.url, ada.cookie)).toBe(200);
    const page = await http(next.url, 'GET', '/ops/console/audit', { headers: { cookie: ada.cookie } });
    expect(page.text).not.toContain('End sessions'); // the act-only form is gone with the role
    const ended = await postForm(
      next.url,
      '/ops/console/sessions/end',
      { _csrf: ada.csrf },
      { cookie: ada.cookie },
    );
    expect(ended.status).toBe(403);
    // Changed and removed tokens: their sessions were ended when the new deploy started, on every replica.
    for (const gone of [rob, eve]) {
      expect(await consoleWith(next.url, gone.cookie)).toBe(303);
      expect(await consoleWith(stack.api.url, gone.cookie)).toBe(303);
    }
    expect(await consoleWith(stack.api.url, ada.cookie)).toBe(200);
  });

  it('an act operator ends one operator’s sessions or everyone’s, recorded in the activity log', async () => {
    const ada = await signIn(stack.api.url, ADA);
    const rob1 = await signIn(stack.api.url, ROB);
    const rob2 = await signIn(stack.api.url, ROB);
    const audit = await http(stack.api.url, 'GET', '/ops/console/audit', { headers: { cookie: ada.cookie } });
    expect(audit.text).toMatch(/<td>rob<\/td><td>[2-9]<\/td>/);
    const one = await postForm(
      stack.api.url,
      '/ops/console/sessions/end',
      { _csrf: ada.csrf, operator: 'rob' },
      { cookie: ada.cookie },
    );
    expect(one.status).toBe(303);
    expect(one.headers.get('location')).toBe('/ops/console/audit?done=sessions-ended');
    expect(await consoleWith(stack.api.url, rob1.cookie)).toBe(303);
    expect(await consoleWith(stack.api.url, rob2.cookie)).toBe(303);
    const after = await http(stack.api.url, 'GET', '/ops/console/audit?done=sessions-ended', {
      headers: { cookie: ada.cookie },
    });
    expect(after.text).toContain('Console sessions ended.');
    expect(after.text).toContain('ended 2 console session(s) of operator &quot;rob&quot;');
    // Everyone's, the operator's own included.
    const eve = await signIn(stack.api.url, EVE);
    const all = await postForm(
      stack.api.url,
      '/ops/console/sessions/end',
      { _csrf: ada.csrf },
      { cookie: ada.cookie },
    );
    expect(all.status).toBe(303);
    expect(await consoleWith(stack.api.url, eve.cookie)).toBe(303);
    expect(await consoleWith(stack.api.url, ada.cookie)).toBe(303);
  });

  it('an act operator may encode through the codec endpoint (the Temporal UI sending a signal)', async () => {
    const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: 'e30=' };
    const encoded = await http(stack.api.url, 'POST', '/ops/codec/encode', {
      body: { payloads: [plain] },
      headers: { authorization: `Bearer ${ADA}` },
    });
    expect(encoded.status).toBe(200);
    expect(encoded.json.payloads[0].data).not.toBe('e30=');
    const back = await http(stack.api.url, 'POST', '/ops/codec/decode', {
      body: encoded.json,
      headers: { authorization: `Bearer ${ADA}` },
    });
    expect(back.json.payloads).toEqual([plain]);
  });

  it('npm run cli -- operators sign-out-all ends one operator’s sessions (--name) or everyone’s', async () => {
    const cli = (...args: string[]) =>
      promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(__dirname, '..', '..', 'cli', 'main.ts'),
          'operators',
          'sign-out-all',
          ...args,
        ],
        { env: { ...process.env, ...configEnv(stack.config) } },
      );
    const ada = await signIn(stack.api.url, ADA);
    const rob = await signIn(stack.api.url, ROB);
    const one = await cli('--name', 'rob');
    expect(one.stdout).toContain('Ended 1 console session(s) of operator "rob"');
    expect(await consoleWith(stack.api.url, rob.cookie)).toBe(303);
    expect(await consoleWith(stack.api.url, ada.cookie)).toBe(200);
    const all = await cli();
    expect(all.stdout).toMatch(/Ended [1-9]\d* console session\(s\) of every operator/);
    expect(await consoleWith(stack.api.url, ada.cookie)).toBe(303);
  });
});
