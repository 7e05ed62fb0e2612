import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../stack/ports';
import { eventually } from '../support/http';
import { configEnv, startTestStack, type TestStack } from '../support/stack';

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
    // Shutdown closes the metrics port too: the process ends by itself.
    worker.kill('SIGTERM');
    const [code] = await once(worker, 'exit');
    expect(code).toBe(0);
  }, 90_000);
});
