import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../domain/link';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { encryptedDataConverter } from '../../store/payload-codec';
import { stateQuery } from '../../workflows/messages';
import { eventually, http } from '../support/http';
import { messagesTo } from '../support/mailpit';
import { sim } from '../support/simulator';
import { startTestStack, type TestStack } from '../support/stack';

const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];

/** The test dev server suggests continue-as-new at 120 history events (test/support/global-setup.ts). */
describe('a long-lived link across workflow runs', () => {
  let stack: TestStack;
  let connection: Connection;
  beforeAll(async () => {
    stack = await startTestStack();
    connection = await Connection.connect({ address: stack.config.TEMPORAL_ADDRESS });
  });
  afterAll(async () => {
    await connection?.close();
    await stack?.close();
  });

  it('continues as new when Temporal suggests it, carrying its state, and still completes', async () => {
    const api = stack.api.url;
    const temporal = new Client({
      connection,
      dataConverter: encryptedDataConverter(stack.config.CREDENTIALS_KEYS),
    });
    const requester = `can-${Date.now()}@acme.example`;
    const created = await http(api, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'can', name: 'Longrun' }, requester: { email: requester } },
    });
    const id: string = created.json.id;
    const connectPath = new URL(created.json.connectUrl).pathname;
    const credential = await sim.createCredential(ATS_READ.filter((s) => s !== 'harvest:offers:list'));
    await http(api, 'POST', `${connectPath}/credentials`, {
      body: { clientId: credential.clientId, clientSecret: credential.clientSecret },
    });
    const handle = temporal.workflow.getHandle(workflowIdFor(id));
    const firstRun = (await handle.describe()).runId;

    const probes = async () =>
      (
        await http(api, 'GET', `/v1/links/${id}/timeline?limit=500`, { apiKey: stack.apiKey })
      ).json.data.filter((e: { type: string }) => e.type === 'probed').length;
    let runId = firstRun;
    for (let i = 0; i < 20 && runId === firstRun; i++) {
      const before = await probes();
      await http(api, 'POST', `${connectPath}/recheck`, { body: {} });
      await eventually(probes, (n) => n > before);
      runId = (await handle.describe()).runId;
    }
    expect(runId).not.toBe(firstRun);
    expect((await temporal.workflow.getHandle(workflowIdFor(id), firstRun).describe()).status.name).toBe(
      'CONTINUED_AS_NEW',
    );
    const state = await handle.query(stateQuery);
    expect(state).toMatchObject({ status: 'awaiting_permissions', remindersSent: 1 });

    await sim.changeScopes(credential.clientId, { grant: ['harvest:offers:list'] });
    await http(api, 'POST', `${connectPath}/recheck`, { body: {} });
    await eventually(
      () => http(api, 'GET', `/v1/links/${id}`, { apiKey: stack.apiKey }),
      (r) => r.json.status === 'linked',
    );
    const mails = await eventually(
      () => messagesTo(requester),
      (m) => m.length === 2,
    );
    expect(mails.filter((m) => m.Subject.includes('still missing'))).toHaveLength(1); // not re-sent by the new run

    // The timeline in small pages walks both runs and the log: exactly the one big page, none twice.
    const timeline = (query: string) =>
      http(api, 'GET', `/v1/links/${id}/timeline?${query}`, { apiKey: stack.apiKey });
    const whole = (await timeline('limit=500')).json;
    expect(whole.nextCursor).toBeNull();
    const paged: unknown[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 200; pages++) {
      const page = await timeline(`limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.json.data.length).toBeLessThanOrEqual(7);
      paged.push(...page.json.data);
      cursor = page.json.nextCursor;
      if (!cursor) break;
    }
    expect(paged).toEqual(whole.data);
    const runs = whole.data
      .filter((e: { type: string }) => e.type.startsWith('run.'))
      .map((e: { type: string }) => e.type);
    expect(runs).toEqual(expect.arrayContaining(['run.continued', 'run.continued_as_new', 'run.started']));
    const bad = await timeline('cursor=not-a-cursor');
    expect(bad.status).toBe(422);
    expect(bad.json.errors).toEqual([
      { field: 'query.cursor', message: expect.stringContaining('previous page') },
    ]);
  });
});
