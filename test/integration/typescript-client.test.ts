import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { CLIENT_SCHEMA_FILE, clientSchema, DOCUMENT_FILE } from '../../scripts/openapi';
import { eventually } from '../support/http';
import { sim } from '../support/simulator';
import { startTestStack, type TestStack } from '../support/stack';
import { startWebhookReceiver } from '../support/webhook-receiver';

type ClientModule = typeof import('../../clients/typescript/src/index');

const ROOT = path.join(__dirname, '..', '..');
const PACKAGE = path.join(ROOT, 'clients', 'typescript');
const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];

describe('@greenlink/client, built as published, against the running API', () => {
  let client: ClientModule;
  let stack: TestStack;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeAll(async () => {
    // The package as an integrator installs it: compiled by its own build, loaded from dist/.
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', PACKAGE],
      {
        stdio: 'inherit',
      },
    );
    client = require(path.join(PACKAGE, 'dist', 'index.js')) as ClientModule;
    stack = await startTestStack();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
  });

  it('is generated from the committed document (npm run openapi)', async () => {
    expect(await clientSchema(readFileSync(DOCUMENT_FILE, 'utf8'))).toBe(
      readFileSync(CLIENT_SCHEMA_FILE, 'utf8'),
    );
  });

  it('links an account end to end: create, connect, a verified link.linked, a token, a proxied call, the access log', async () => {
    const greenlink = client.createGreenlinkClient({ apiKey: stack.apiKey, baseUrl: stack.api.url });
    const endpoint = await greenlink.webhookEndpoints.create({ url: receiver.url, events: ['link.linked'] });
    expect(endpoint.secret).toMatch(/^whsec_/);

    const body = {
      organization: { id: 'sdk-org', name: 'SDK Corp' },
      requester: { email: 'sam@sdk.example' },
      metadata: { customer: 'c_1' },
    };
    const link = await greenlink.links.create(body, { idempotencyKey: 'sdk-create-1' });
    expect(link).toMatchObject({ object: 'link', status: 'awaiting_credentials' });
    // The same key again (a retry after a timeout) is the same link.
    expect((await greenlink.links.create(body, { idempotencyKey: 'sdk-create-1' })).id).toBe(link.id);

    const credential = await sim.createCredential(ATS_READ);
    const check = await greenlink.connect.submitCredentials(link.connectUrl, {
      clientId: credential.clientId,
      clientSecret: credential.clientSecret,
    });
    expect(check.status).toBe('linked');

    const delivery = (await eventually(
      async () => receiver.received.find((r) => r.json.type === 'link.linked' && r.json.data.id === link.id),
      Boolean,
    )) as (typeof receiver.received)[number];
    const event = client.verifyWebhook(delivery.body, delivery.headers, endpoint.secret);
    expect(event.type).toBe('link.linked');
    expect(event.data).toMatchObject({ id: link.id, status: 'linked', missing: [] });
    expect(() =>
      client.verifyWebhook(delivery.body.replace('linked', 'expired'), delivery.headers, endpoint.secret),
    ).toThrow();

    const token = await greenlink.links.accessToken(link.id);
    expect(token.tokenType).toBe('Bearer');
    const harvest = await greenlink.links.proxy(link.id, 'v3/candidates?per_page=1');
    expect(harvest.status).toBe(200);
    expect(Array.isArray(await harvest.json())).toBe(true);

    // Pages of one entry each, walked by the client's cursor loop (the log is written just after answers).
    const kinds = await eventually(
      async () => {
        const seen: string[] = [];
        for await (const entry of greenlink.links.accessLogAll(link.id, { limit: 1 })) seen.push(entry.kind);
        return seen.sort();
      },
      (seen) => seen.length >= 2,
    );
    expect(kinds).toEqual(['proxy', 'token']);

    const found = [];
    for await (const l of greenlink.links.listAll({ limit: 1 })) found.push(l.id);
    expect(found).toContain(link.id);
  });

  it('throws one typed error: a 403 naming the permission, a 422 naming the field, each with its request id', async () => {
    const greenlink = client.createGreenlinkClient({ apiKey: stack.apiKey, baseUrl: stack.api.url });
    const { key } = await greenlink.apiKeys.create({ permissions: ['links:read', 'links:write'] });
    const restricted = client.createGreenlinkClient({ apiKey: key, baseUrl: stack.api.url });
    const link = await restricted.links.create({
      organization: { id: 'sdk-403', name: 'Restricted' },
      requester: { email: 'r@sdk.example' },
    });
    const refused = await restricted.links.accessToken(link.id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(client.GreenlinkError);
    expect(refused).toMatchObject({ status: 403, type: 'missing_permission', permission: 'links:use' });
    expect((refused as InstanceType<ClientModule['GreenlinkError']>).requestId).toMatch(/^req_/);

    const invalid = await greenlink.links
      .create({ organization: { id: 'x', name: 'X' }, requester: { email: 'not-an-email' } })
      .catch((error: unknown) => error);
    expect(invalid).toMatchObject({ status: 422, type: 'validation_error' });
    expect((invalid as InstanceType<ClientModule['GreenlinkError']>).errors).toEqual([
      { field: 'requester.email', message: expect.any(String) },
    ]);
  });
});
