import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcess } from '../../stack/process';
import { Supervisor } from '../../stack/supervisor';

const dir = mkdtempSync(path.join(os.tmpdir(), 'greenlink-supervisor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real child: prints "up" after `readyAfterMs`, then runs until killed, or exits with 1 after `dieAfterMs`. */
const service = (name: string, o: { readyAfterMs?: number; dieAfterMs?: number } = {}) => ({
  name,
  start: () =>
    startProcess({
      name,
      command: process.execPath,
      args: [
        '-e',
        `setTimeout(() => console.log('up'), ${o.readyAfterMs ?? 0});
         ${o.dieAfterMs === undefined ? 'setInterval(() => {}, 1000);' : `setTimeout(() => process.exit(1), ${o.dieAfterMs});`}`,
      ],
      logFile: path.join(dir, `${name}.log`),
      ready: { logLine: /^up$/m },
    }),
});

const alive = (pid: number | undefined) => {
  try {
    return pid !== undefined && process.kill(pid, 0);
  } catch {
    return false;
  }
};

const until = async (check: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('the npm start supervisor', () => {
  it('restarts a killed process with a log line while the others keep running, and stops all', async () => {
    const lines: string[] = [];
    const gaveUp: string[] = [];
    const supervisor = new Supervisor({
      say: (line) => lines.push(line),
      giveUp: (_name, reason) => gaveUp.push(reason),
      backoffMs: () => 100,
    });
    const api = await supervisor.add(service('api'));
    const worker = await supervisor.add(service('worker'));
    const firstPid = worker.child.pid as number;
    process.kill(firstPid, 'SIGKILL');
    await until(() => lines.some((l) => l.startsWith('worker restarted')));
    expect(lines[0]).toMatch(/^worker exited unexpectedly \(signal SIGKILL after [\d.]+ s\)/);
    expect(lines).toContain('restarting worker in 0.1 s');
    const restarted = supervisor.processes()[1]?.child.pid;
    expect(restarted).not.toBe(firstPid);
    expect(alive(restarted)).toBe(true);
    expect(alive(api.child.pid)).toBe(true); // never touched
    expect(gaveUp).toEqual([]);

    await supervisor.stopAll();
    for (const p of supervisor.processes()) expect(alive(p.child.pid)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(lines.filter((l) => l.includes('restarted'))).toHaveLength(1); // a stop is not a crash
  });

  it('gives up on a process that keeps failing right after it starts', async () => {
    const lines: string[] = [];
    let gaveUp = '';
    const supervisor = new Supervisor({
      say: (line) => lines.push(line),
      giveUp: (_name, reason) => {
        gaveUp = reason;
      },
      backoffMs: () => 50,
      maxStartFailures: 3,
    });
    await supervisor.add(service('flaky', { dieAfterMs: 100 }));
    await until(() => gaveUp !== '');
    expect(gaveUp).toMatch(/^flaky failed 3 times in a row at start \(last: code 1 after [\d.]+ s\)$/);
    expect(lines.filter((l) => l.startsWith('flaky restarted'))).toHaveLength(2);
    await supervisor.stopAll();
  });

  it('is ready only on what this run logged, not on an earlier run’s line in the same log', async () => {
    writeFileSync(path.join(dir, 'slow.log'), 'up\n'); // the previous run's "ready" line
    const began = Date.now();
    const proc = await service('slow', { readyAfterMs: 800 }).start();
    expect(Date.now() - began).toBeGreaterThanOrEqual(700);
    await proc.stop();
  });
});
