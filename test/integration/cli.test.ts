import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load';
import { DEMO } from '../../greenhouse/simulator/state';
import { CredentialVault } from '../../store/credential-vault';
import { hashSecret } from '../../store/ids';
import { connectMongo } from '../../store/mongo';
import { WebhookStore } from '../../store/webhooks';
import { eventually, http } from '../support/http';
import { configEnv, startTestStack, type TestStack } from '../support/stack';

const ROOT = path.join(__dirname, '..', '..');
const run = promisify(execFile);

const appIdOf = async (db: Db, apiKey: string) =>
  String((await db.collection('api_keys').findOne({ hash: hashSecret(apiKey) }))?.appId);

describe('operator CLI (npm run cli)', () => {
  let stack: TestStack;
  const cliWith = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'cli', 'main.ts'), ...args], {
      cwd: ROOT,
      env,
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
  const cli = (...args: string[]) => cliWith({ ...process.env, ...configEnv(stack.config) }, ...args);

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

    const deleted = await cli('links', 'delete', link.json.id);
    expect(deleted.stdout).toContain(`Deleted ${link.json.id}`);
    const ended = await eventually(
      async () => (await http(stack.api.url, 'GET', `/v1/links/${link.json.id}`, { apiKey })).json,
      (l) => l.status === 'cancelled',
    );
    expect(ended.deletedAt).not.toBeNull();
    expect(((await cli('links', 'delete', 'lnk_nope')) as { stderr: string }).stderr).toContain(
      'No link lnk_nope',
    );
  });

  it('lists and revokes API keys', async () => {
    const created = await cli('apps', 'create', '--name', 'Revoker');
    const apiKey = /API key \(shown once, store it now\): (\S+)/.exec(created.stdout)?.[1] as string;
    const appId = /Created app (\S+)/.exec(created.stdout)?.[1] as string;
    const keys = await cli('apps', 'keys', '--app', appId);
    const keyId = /^(key_\S+)/m.exec(keys.stdout)?.[1] as string;
    expect(keys.stdout).toContain('active');
    expect(keys.stdout).not.toContain(apiKey);
    expect((await cli('apps', 'revoke-key', keyId)).stdout).toContain(`Revoked ${keyId}`);
    expect((await http(stack.api.url, 'GET', '/v1/links', { apiKey })).status).toBe(401);
    expect((await cli('apps', 'keys', '--app', appId)).stdout).toContain('revoked');
  });

  it('re-encrypts every stored secret with the newest key, so the old key can go', async () => {
    const link = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'rot', name: 'Rotation' }, requester: { email: 'rot@acme.example' } },
    });
    await http(stack.api.url, 'POST', `${new URL(link.json.connectUrl).pathname}/credentials`, {
      // Credentials that work: a rejected record would be deleted at once, leaving nothing to re-encrypt.
      body: { clientId: DEMO.full.clientId, clientSecret: DEMO.full.clientSecret },
    });
    const endpoint = await http(stack.api.url, 'POST', '/v1/webhook-endpoints', {
      apiKey: stack.apiKey,
      body: { url: 'http://127.0.0.1:9/hooks' },
    });
    const oldKey = configEnv(stack.config).CREDENTIALS_KEYS;
    const newKey = `next:${randomBytes(32).toString('base64')}`;
    const rotate = (keys: string) =>
      run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'cli', 'main.ts'), 'vault', 'reencrypt'], {
        cwd: ROOT,
        env: { ...process.env, ...configEnv(stack.config), CREDENTIALS_KEYS: keys },
      });
    const first = await rotate(`${newKey},${oldKey}`);
    expect(first.stdout).toMatch(/credentials: [1-9]\d* of [1-9]\d* re-sealed/);
    expect(first.stdout).toMatch(/webhook signing secrets: [1-9]\d* of [1-9]\d* re-sealed/);
    expect((await rotate(`${newKey},${oldKey}`)).stdout).toMatch(/credentials: 0 of [1-9]\d* re-sealed/);

    // With only the new key, everything still opens.
    const newOnly = loadConfig({ ...configEnv(stack.config), CREDENTIALS_KEYS: newKey }).CREDENTIALS_KEYS;
    const mongo = await connectMongo(stack.config.MONGODB_URI, stack.config.MONGODB_DB);
    try {
      const record = await mongo.db.collection('credentials').findOne({ linkId: link.json.id });
      expect(record?.keyId).toBe('next');
      const credential = await new CredentialVault(mongo.db, newOnly).load(String(record?._id), link.json.id);
      expect(credential).toMatchObject({ type: 'harvest_v3', clientSecret: DEMO.full.clientSecret });
      const webhooks = new WebhookStore(mongo.db, newOnly);
      const doc = await webhooks.find(await appIdOf(mongo.db, stack.apiKey), endpoint.json.id);
      expect(webhooks.secretsOf(doc as NonNullable<typeof doc>)).toEqual([endpoint.json.secret]);
    } finally {
      await mongo.close();
    }
  });

  it("beside npm start, finds the embedded stack's development key in its data folder", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'greenlink-cli-'));
    const { CREDENTIALS_KEYS: keys, ...withoutKeys } = { ...process.env, ...configEnv(stack.config) };
    const env = { ...withoutKeys, GREENLINK_DATA_DIR: dataDir };
    const refused = (await cliWith(env, 'apps', 'create', '--name', 'Wintro')) as {
      code: number;
      stderr: string;
    };
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('CREDENTIALS_KEYS is required');

    writeFileSync(path.join(dataDir, 'dev-credentials-key'), `${keys}\n`); // what npm start leaves there
    const created = await cliWith(env, 'apps', 'create', '--name', 'Wintro');
    expect(created.stdout).toMatch(/API key \(shown once, store it now\): gl_key_/);
    const appId = /Created app (\S+)/.exec(created.stdout)?.[1] as string;
    expect((await cliWith(env, 'links', 'list', '--app', appId)).stdout).toContain('0 link(s)');
  });

  it('makes a key with chosen permissions (credentials:read only from an operator), refusing unknown ones', async () => {
    const created = await cli('apps', 'create', '--name', 'Exporter');
    const appId = /Created app (\S+)/.exec(created.stdout)?.[1] as string;
    const made = await cli('apps', 'key', '--app', appId, '--permissions', 'links:read,credentials:read');
    expect(made.stdout).toContain('with links:read, credentials:read');
    const key = /: (gl_key_\S+)/.exec(made.stdout)?.[1] as string;
    expect((await http(stack.api.url, 'GET', '/v1/links', { apiKey: key })).status).toBe(200);
    expect((await http(stack.api.url, 'GET', '/v1/webhook-endpoints', { apiKey: key })).status).toBe(403);
    const wrong = (await cli('apps', 'key', '--app', appId, '--permissions', 'links:everything')) as {
      code: number;
      stderr: string;
    };
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('unknown permission links:everything');
  });

  it('explains bad usage and exits 2', async () => {
    const help = (await cli('links', 'frobnicate')) as { code: number; stderr: string };
    expect(help.code).toBe(2);
    expect(help.stderr).toContain('Unknown command: links frobnicate');
    for (const command of [
      'apps create --name <name>',
      'links recheck <link id>',
      'links delete <link id>',
      'vault reencrypt',
    ])
      expect(help.stderr).toContain(command);
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
