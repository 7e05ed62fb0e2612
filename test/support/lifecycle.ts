import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';
import { LinkService, type NewLink } from '../../app/link-service';
import type { Config } from '../../config/schema';
import { type LinkSchedule, WEBHOOK_EVENTS } from '../../domain/link';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { type RunningSimulator, startSimulator } from '../../greenhouse/simulator/server';
import { TIME_SKIPPING_SERVER } from '../../stack/services';
import { AppStore } from '../../store/apps';
import { EmailLog } from '../../store/email-log';
import { type LinkDoc, LinkStore } from '../../store/links';
import { connectMongo, type Mongo } from '../../store/mongo';
import { encryptedDataConverter } from '../../store/payload-codec';
import { WebhookStore } from '../../store/webhooks';
import { createWorker, type RunningWorker } from '../../worker/create-worker';
import { eventually } from './http';
import { testConfig } from './stack';
import { startWebhookReceiver } from './webhook-receiver';

export const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];
export const DAY = 86_400_000;

/**
 * The real worker and activities (MongoDB, Mailpit, the Greenhouse simulator, a webhook receiver, all over
 * real sockets) on Temporal's time-skipping test server, so a month of reminders runs in seconds.
 */
export async function startLifecycleHarness() {
  const sim: RunningSimulator = await startSimulator(0);
  // Linked links stay open and check their health daily: skipped days pass in milliseconds, and Greenhouse's
  // real-time 30 s window would throttle those probes (and every test after them) instead.
  sim.state.behaviour = { ...sim.state.behaviour, harvestRateLimit: 1_000_000, tokenRateLimit: 1_000_000 };
  const config: Config = await testConfig({
    GREENHOUSE_AUTH_URL: sim.url,
    GREENHOUSE_HARVEST_URL: sim.url,
    // These tests read the probe's answer from the Update itself, slow probes included (the bound on a
    // request's wait has its own test: slow-credentials-check).
    CREDENTIALS_CHECK_WAIT: '60s',
  });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: TIME_SKIPPING_SERVER } },
    // The same encrypted payloads as the API's client, so this client reads what the worker writes.
    client: { dataConverter: encryptedDataConverter(config.CREDENTIALS_KEYS) },
  });
  const mongo: Mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
  const links = new LinkStore(mongo.db);
  const webhooks = new WebhookStore(mongo.db, config.CREDENTIALS_KEYS);
  const emailLog = new EmailLog(mongo.db);
  // The Java test server has no OperatorService to register LinkStatus with.
  const service = LinkService.forDatabase(mongo.db, config, env.client, { publishStatus: false });
  const apps = new AppStore(mongo.db);
  const { app } = await apps.createApp('Lifecycle');
  const receiver = await startWebhookReceiver();
  const secret = 'whsec_dGVzdC1zZWNyZXQtZm9yLWxpZmVjeWNsZQ==';
  const endpoint = await webhooks.create(app._id, receiver.url, [...WEBHOOK_EVENTS], secret);

  let worker: { running: RunningWorker; done: Promise<void> } | undefined;
  const startWorker = async () => {
    const running = await createWorker(config, {
      bundle: { codePath: inject('services').workflowBundlePath },
      connection: env.nativeConnection,
      // No workflow cache: every task replays the whole history (a determinism check on every step), and
      // no sticky queue outlives a stopped worker (its timeout would need server time, which is frozen).
      maxCachedWorkflows: 0,
    });
    worker = { running, done: running.run() };
  };
  const stopWorker = async () => {
    worker?.running.shutdown();
    await worker?.done;
    worker = undefined;
  };
  await startWorker();

  let counter = 0;
  const harness = {
    env,
    sim,
    config,
    service,
    links,
    webhooks,
    emailLog,
    /** The link's stored credential records (the vault), by id. */
    credentialRecords: async (linkId: string) =>
      (await mongo.db.collection('credentials').find({ linkId }).toArray()).map((r) => String(r._id)),
    receiver,
    secret,
    endpoint,
    appId: app._id,
    apps,
    startWorker,
    stopWorker,
    /**
     * A new link with its own requester address; schedule overrides per test. Health checks are yearly unless
     * a test asks for them, so linked links of earlier tests stay quiet while later tests skip months.
     */
    async createLink(schedule: Partial<LinkSchedule> = {}, extra: Partial<NewLink> = {}, appId = app._id) {
      const requester = { email: `req-${Date.now()}-${counter++}@acme.example`, name: 'Rita Requester' };
      const { link } = await service.create(appId, {
        organization: { id: `org-${counter}`, name: 'Acme' },
        requester,
        permissionSet: 'ats_read',
        locale: 'en',
        metadata: {},
        schedule: { healthCheckMs: 365 * DAY, ...schedule },
        ...extra,
      });
      return { id: link._id, requester, handle: env.client.workflow.getHandle(link.workflowId) };
    },
    /** A link linked with a fresh credential holding every ats_read scope, checked daily, once it is watched. */
    async linkedLink(credentialInput: { serviceUserId?: number } = {}) {
      const credential = sim.state.addCredential({ scopes: ATS_READ, ...credentialInput });
      const created = await harness.createLink({ healthCheckMs: DAY });
      const submitted = await service.submitCredentials(created.id, {
        type: 'harvest_v3',
        clientId: credential.clientId,
        clientSecret: credential.clientSecret,
      });
      if (submitted.status !== 'linked') throw new Error(`the link ended ${submitted.status}, not linked`);
      await harness.waitForLink(created.id, (l) => Boolean(l.health));
      return { ...created, credential };
    },
    /** Skips workflow time, then lets real-time activities settle. */
    async advance(ms: number) {
      await env.sleep(ms);
    },
    async waitForLink(id: string, check: (link: LinkDoc) => boolean) {
      return eventually(async () => (await links.findById(id)) as LinkDoc, check, 20_000);
    },
    async emailsOf(id: string, kind?: string) {
      return (await emailLog.findByLink(id)).filter((e) => (kind ? e.kind === kind : true));
    },
    /** Probe runs so far for one credential: every probe mints exactly one token. */
    probesBy(clientId: string) {
      return sim.state.calls.filter((c) => c.path === '/token' && c.clientId === clientId).length;
    },
    async close() {
      await stopWorker();
      await receiver.close();
      await sim.close();
      await mongo.close();
      await env.teardown();
    },
  };
  return harness;
}

export type LifecycleHarness = Awaited<ReturnType<typeof startLifecycleHarness>>;
