import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../support/http';
import { configEnv, startTestStack, type TestStack } from '../support/stack';

const ROOT = path.join(__dirname, '..', '..');
const run = promisify(execFile);

describe('operator CLI (npm run cli)', () => {
  let stack: TestStack;
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'cli', 'main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...configEnv(stack.config) },
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('creates an app whose key (printed once) works on the API, lists its links and re-checks one', async () => {
    const created = await cli('apps', 'create', '--name', 'Wintro');
    const apiKey = /API key \(shown once, store it now\): (\S+)/.exec(created.stdout)?.[1] as string;
    const appId = /Created app (\S+)/.exec(created.stdout)?.[1] as string;
    expect(apiKey).toMatch(/^gl_key_/);

    const link = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey,
      body: { organization: { id: 'w', name: 'Wintro Customer' }, requester: { email: 'cli@acme.example' } },
    });
    expect(link.status).toBe(201);
    const listed = await cli('links', 'list', '--app', appId);
    expect(listed.stdout).toContain(link.json.id);
    expect(listed.stdout).toContain('1 link(s)');

    const recheck = await cli('links', 'recheck', link.json.id);
    expect(recheck.stdout).toContain(`Re-check requested for ${link.json.id}`);
  });

  it('explains bad usage and exits 2', async () => {
    const missing = (await cli('apps', 'create')) as { code: number; stderr: string };
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('apps create needs --name');
    const unknown = (await cli('links', 'list', '--app', 'a', '--status', 'happy')) as {
      code: number;
      stderr: string;
    };
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--status must be one of');
  });
});
