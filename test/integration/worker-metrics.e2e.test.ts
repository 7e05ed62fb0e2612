import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO } from '../../greenhouse/simulator/state';
import { freePort } from '../../stack/ports';
import { eventually, http } from '../support/http';
import { configEnv, startTestStack, type TestStack } from '../support/stack';
import { startWebhookReceiver } from '../support/webhook-receiver';

const ROOT = path.join(__dirname, '..', '..');

/** The worker entry point's own metrics port: its process figures and the Temporal SDK runtime's. */
describe('worker telemetry', () => {
  let stack: TestStack;
  let worker: ChildProcess;
  let port: number;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    port = await freePort();
    worker = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker', 'main.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...configEnv(stack.config),
        WORKER_METRICS_PORT: String(port),
        WORKFLOW_BUNDLE_PATH: inject('services').workflowBundlePath,
      },
      stdio: 'ignore',
    });
  });
  afterAll(async () => {
    if (worker.exitCode === null) worker.kill('SIGKILL');
    await stack?.close();
  });

  it('serves the SDK runtime task-slot and poller figures with the process metrics, and exits cleanly', async () => {
    const scrape = async () => {
      try {
        return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      } catch {
        return '';
      }
    };
    const text = await eventually(scrape, (t) => t.includes('temporal_worker_task_slots_available'), 60_000);
    expect(text).toMatch(/temporal_worker_task_slots_available\{[^}]*worker_type="WorkflowWorker"/);
    expect(text).toContain('temporal_num_pollers');
    expect(text).toContain('\nprocess_cpu_user_seconds_total ');
    expect(text).toContain('\nnodejs_eventloop_lag_seconds ');
    // Work through the whole path (a probe, an email, a webhook that fails once), then every query of the
    // Grafana dashboard must name a metric that the API or the worker really exposes.
    const receiver = await startWebhookReceiver();
    try {
      await http(stack.api.url, 'POST', '/v1/webhook-endpoints', {
        apiKey: stack.apiKey,
        body: { url: receiver.urlFor('/flaky'), events: ['link.linked'] },
      });
      receiver.answer('/flaky', { status: 500 });
      const link = await http(stack.api.url, 'POST', '/v1/links', {
        apiKey: stack.apiKey,
        body: {
          organization: { id: 'm', name: 'Metrics' },
          requester: { email: `metrics-${Date.now()}@acme.example` },
        },
      });
      await http(stack.api.url, 'POST', `${new URL(link.json.connectUrl).pathname}/credentials`, {
        body: { clientId: DEMO.full.clientId, clientSecret: DEMO.full.clientSecret },
      });
      await eventually(
        async () => receiver.received.filter((w) => w.path === '/flaky').length,
        (n) => n >= 2,
        60_000,
      );
    } finally {
      await receiver.close();
    }
    const names = (exposition: string) =>
      new Set(
        exposition
          .split('\n')
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => l.split(/[{ ]/)[0] as string),
      );
    const exposed = await eventually(
      async () =>
        new Set([
          ...names(await scrape()),
          ...names(await (await fetch(stack.api.metricsUrl as string)).text()),
        ]),
      (set) => set.has('temporal_activity_execution_failed'),
      30_000,
    );
    const dashboard = JSON.parse(
      readFileSync(path.join(ROOT, 'docs/grafana/greenlink-dashboard.json'), 'utf8'),
    ) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const queried = dashboard.panels.flatMap((p) =>
      p.targets.flatMap((t) => t.expr.match(/\b(?:greenlink|temporal|nodejs|process)_[a-z0-9_]+/g) ?? []),
    );
    expect(queried.length).toBeGreaterThan(10);
    expect(queried.filter((name) => !exposed.has(name))).toEqual([]);

    // Shutdown closes the metrics port too: the process ends by itself.
    worker.kill('SIGTERM');
    const [code] = await once(worker, 'exit');
    expect(code).toBe(0);
  }, 90_000);
});
