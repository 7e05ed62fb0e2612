import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../greenhouse/simulator/state';
import { isPortFree } from '../../stack/ports';
import { eventually, http } from '../support/http';

const ROOT = path.join(__dirname, '..', '..');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'greenlink-npm-start-'));

const alive = (pid: number) => {
  try {
    return process.kill(pid, 0);
  } catch {
    return false;
  }
};

/** `npm start` as a user runs it (the start script itself, on free ports and its own data folder). */
/**
 * A free port below the OS's ephemeral range (32768+ on Linux): the other test files' servers listen on port 0,
 * so one of them can be handed a port freePort() just released before this stack's service binds it (CI saw
 * FerretDB lose its port that way). Below the range, only an explicit bind could take it.
 */
async function portBelowEphemeral(taken: string[]): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!taken.includes(String(port)) && (await isPortFree(port))) return port;
  }
}

describe('npm start', () => {
  let stack: ChildProcess | undefined;
  let output = '';
  afterAll(() => {
    if (stack?.pid && alive(stack.pid)) process.kill(stack.pid, 'SIGINT');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const waitFor = async (pattern: RegExp, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(output);
      if (match) return match;
      if (Date.now() > deadline)
        throw new Error(`no ${pattern} in npm start's output:\n${output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('restarts a killed worker and database while the API keeps serving; Ctrl-C leaves nothing', async () => {
    const names = [
      'PORT',
      'TEMPORAL_PORT',
      'TEMPORAL_UI_PORT',
      'FERRETDB_PORT',
      'MAILPIT_SMTP_PORT',
      'MAILPIT_UI_PORT',
      'SIMULATOR_PORT',
      'METRICS_PORT',
      'WORKER_METRICS_PORT',
    ];
    const ports: Record<string, string> = {};
    for (const name of names) ports[name] = String(await portBelowEphemeral(Object.values(ports)));
    const api = `http://127.0.0.1:${ports.PORT}`;
    stack = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'stack', 'start.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...ports, GREENLINK_DATA_DIR: dataDir, PUBLIC_URL: api, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stack.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    stack.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => stack?.once('exit', resolve));
    await waitFor(/Greenlink is running/, 240_000);
    const pids = [...output.matchAll(/ready \([\d.]+s, pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(6); // Temporal, FerretDB, Mailpit, simulator, worker, API
    const pidOf = (label: RegExp) =>
      Number(new RegExp(`${label.source}.* ready \\([\\d.]+s, pid (\\d+)\\)`).exec(output)?.[1]);
    const apiKey = (await waitFor(/Demo API key\s+(\S+)/))[1] as string;
    const connectUrl = (await waitFor(/Demo connect URL\s+(\S+)/))[1] as string;

    // The worker dies: it is restarted; the API never stopped answering.
    process.kill(pidOf(/\] worker \(bundling workflow code\)/), 'SIGKILL');
    await waitFor(/worker exited unexpectedly \(signal SIGKILL/);
    expect((await http(api, 'GET', '/healthz')).status).toBe(200);
    const restarted = Number((await waitFor(/worker restarted \(pid (\d+)\)/))[1]);
    pids.push(restarted);

    // The database dies: restarted on the same data; the API recovers by itself.
    process.kill(pidOf(/\] FerretDB on \d+/), 'SIGKILL');
    pids.push(Number((await waitFor(/FerretDB restarted \(pid (\d+)\)/))[1]));
    await eventually(
      async () => (await http(api, 'GET', '/readyz')).status,
      (status) => status === 200,
    );

    // Everything still works end to end: the demo link completes through the restarted worker.
    const page = new URL(connectUrl).pathname;
    await http(api, 'POST', `${page}/credentials`, { body: DEMO.full });
    await eventually(
      async () => (await http(api, 'GET', `${page}/status`)).json?.status,
      (status) => status === 'linked',
    );
    expect((await http(api, 'GET', '/v1/links', { apiKey })).status).toBe(200);
    expect(output).not.toContain('stopping');

    // Ctrl-C: a clean stop, and no process left behind (the restarted ones included).
    process.kill(stack.pid as number, 'SIGINT');
    expect(await exited).toBe(0);
    for (const pid of pids) expect(alive(pid), `pid ${pid} is still running`).toBe(false);
  }, 400_000);
});
