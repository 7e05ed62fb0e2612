import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../domain/link';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { encryptedDataConverter } from '../../store/payload-codec';
import { eventually, http } from '../support/http';
import { waitForMessages } from '../support/mailpit';
import { sim } from '../support/simulator';
import { startTestStack, type TestStack } from '../support/stack';

const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];
const LACKING = ['harvest:offers:list', 'harvest:scorecards:list'];

describe('a link, end to end over the real stack', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('goes from start to linked: HTTP → MongoDB → Temporal → simulator → SMTP → recheck', async () => {
    const api = stack.api.url;
    const requester = `req-${Date.now()}@acme.example`;
    const created = await http(api, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'org-1', name: 'Acme' }, requester: { email: requester, name: 'Rita' } },
    });
    expect(created.status).toBe(201);
    expect(created.json.status).toBe('awaiting_credentials');
    expect(created.json.permissions).toHaveLength(ATS_READ.length);
    const connectUrl: string = created.json.connectUrl;
    expect(connectUrl).toMatch(/\/connect\/[A-Za-z0-9_-]{43}$/);
    const connectPath = new URL(connectUrl).pathname;

    const page = await http(api, 'GET', connectPath);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Harvest V3 (OAuth)');
    expect(page.text).toContain('Offers &gt; List offers');

    const credential = await sim.createCredential(ATS_READ.filter((s) => !LACKING.includes(s)));
    const submitted = await http(api, 'POST', `${connectPath}/credentials`, {
      body: { clientId: credential.clientId, clientSecret: credential.clientSecret },
    });
    expect(submitted.status).toBe(200);
    expect(submitted.json.status).toBe('awaiting_permissions');
    const missing = submitted.json.results.filter((r: { status: string }) => r.status === 'missing');
    expect(missing.map((r: { scope: string }) => r.scope).sort()).toEqual([...LACKING].sort());
    expect(submitted.text).not.toContain(credential.clientSecret);

    const [reminder] = await waitForMessages(requester, 1);
    expect(reminder?.Subject).toContain('2 Greenhouse permissions still missing');
    expect(reminder?.Text).toContain('Offers > List offers');
    expect(reminder?.Text).toContain('Scorecards > List scorecards');
    expect(reminder?.Text).not.toContain(credential.clientSecret);
    const emailLink = /http:\/\/\S+\/connect\/[A-Za-z0-9_-]{43}/.exec(reminder?.Text ?? '')?.[0];
    expect(emailLink).toBeDefined();
    expect((await http(api, 'GET', new URL(emailLink as string).pathname)).status).toBe(200);

    await sim.changeScopes(credential.clientId, { grant: LACKING });
    const recheck = await http(api, 'POST', `${connectPath}/recheck`, { body: {} });
    expect(recheck.status).toBe(202);

    const linked = await eventually(
      () => http(api, 'GET', `/v1/links/${created.json.id}`, { apiKey: stack.apiKey }),
      (r) => r.json.status === 'linked',
    );
    expect(linked.json.permissions.every((p: { status: string }) => p.status === 'granted')).toBe(true);
    expect(linked.json.remindersSent).toBe(1);

    // The run stays open after `linked` (it watches the link); wait for its linked email to be out.
    const timeline = await eventually(
      () => http(api, 'GET', `/v1/links/${created.json.id}/timeline`, { apiKey: stack.apiKey }),
      (r) =>
        r.json.data.filter((e: { type: string }) => e.type === 'activity.sendLinkEmail.completed').length >=
        2,
    );
    type Entry = { source: string; type: string; at: string; actor: string };
    // Newest first on the wire; read oldest first below.
    // (Temporal's own order: an activity's completion that arrived during a workflow task is recorded after
    // it with its earlier time, so history is in event order, merged with the log by time.)
    const newestFirst: Entry[] = timeline.json.data;
    expect(newestFirst.at(-1)?.type).toBe('run.started');
    expect(Date.parse(newestFirst[0]?.at ?? '')).toBeGreaterThan(Date.parse(newestFirst.at(-1)?.at ?? ''));
    const entries = [...newestFirst].reverse();
    // No Temporal identity (`<pid>@<host>`) names a machine of the deployment.
    expect(JSON.stringify(entries)).not.toContain(`@${os.hostname()}`);
    expect(new Set(entries.map((e) => e.actor))).not.toContain(`${process.pid}@${os.hostname()}`);
    // Temporal's side of the story: the update, the recheck signal, each activity and its outcome.
    const workflowTypes = entries.filter((e) => e.source === 'workflow').map((e) => e.type);
    expect(workflowTypes[0]).toBe('run.started');
    expect(workflowTypes).toContain('update.submitCredentials.accepted');
    expect(workflowTypes).toContain('signal.recheck');
    expect(workflowTypes).toContain('activity.probeCredentials.completed');
    expect(workflowTypes).toContain('activity.sendLinkEmail.completed');
    expect(workflowTypes).toContain('timer.started');
    expect(workflowTypes).not.toContain('run.completed');
    expect(JSON.stringify(entries)).not.toContain(credential.clientSecret);
    expect(entries.filter((e) => e.source === 'link').map((e) => e.type)).toEqual([
      'started',
      'credentials_submitted',
      'probed',
      'reminder_sent',
      'linked',
    ]);

    // The secret never reaches Temporal: not in any payload of the workflow's history.
    const connection = await Connection.connect({ address: stack.config.TEMPORAL_ADDRESS });
    const temporal = new Client({
      connection,
      dataConverter: encryptedDataConverter(stack.config.CREDENTIALS_KEYS),
    });
    const history = await temporal.workflow.getHandle(workflowIdFor(created.json.id)).fetchHistory();
    // Operators find links by status in Temporal's visibility (the LinkStatus search attribute).
    const query = `WorkflowId = "${workflowIdFor(created.json.id)}" AND LinkStatus = "linked"`;
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const execution of temporal.workflow.list({ query })) ids.push(execution.workflowId);
        return ids;
      },
      (ids) => ids.length === 1,
    );
    expect(found).toEqual([workflowIdFor(created.json.id)]);
    await connection.close();
    // Bytes as text (a Buffer's toJSON runs before a replacer, so bytes are turned into text beforehand).
    const asText = (value: unknown): unknown =>
      value instanceof Uint8Array
        ? Buffer.from(value).toString('utf8')
        : Array.isArray(value)
          ? value.map(asText)
          : value && typeof value === 'object'
            ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asText(v)]))
            : value;
    const historyText = JSON.stringify(asText(history));
    expect(historyText).toContain(created.json.id);
    expect(historyText).not.toContain(credential.clientSecret);
    // Personal data is encrypted in every payload (store/payload-codec.ts): the requester's address is not there.
    expect(historyText).not.toContain(requester);
    expect(historyText).toContain('binary/encrypted');
  });

  it('reports wrong credentials precisely and keeps the link waiting for new ones', async () => {
    const api = stack.api.url;
    const created = await http(api, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'org-2', name: 'Beta' }, requester: { email: 'b@beta.example' } },
    });
    const connectPath = new URL(created.json.connectUrl).pathname;
    const wrong = await http(api, 'POST', `${connectPath}/credentials`, {
      body: { clientId: 'gl-demo-full-1001', clientSecret: 'not-the-secret' },
    });
    expect(wrong.json.status).toBe('awaiting_credentials');
    expect(wrong.json.credentialProblem.problem).toBe('invalid_client');
    expect(wrong.json.results).toEqual([]);
    expect(wrong.text).not.toContain('not-the-secret');

    const full = await sim.createCredential(ATS_READ);
    const right = await http(api, 'POST', `${connectPath}/credentials`, {
      body: { clientId: full.clientId, clientSecret: full.clientSecret },
    });
    expect(right.json.status).toBe('linked');
    expect(right.json.credentialProblem).toBeNull();
  });
});
