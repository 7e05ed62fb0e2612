import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { waitForPort } from './ports';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Output goes here; the tail is shown if the process fails. */
  logFile: string;
  /** Ready once this TCP port accepts connections, or once the log shows this line. */
  ready: { port: number } | { logLine: RegExp };
  readyTimeoutMs?: number;
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** How it ended, once `exited` resolved: "code 1" or "signal SIGKILL". */
  exitReason(): string;
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

/**
 * Starts a child in its own process group, with a watchdog that kills the group if this process dies
 * without cleaning up (SIGKILL, crash): no orphaned servers after an interrupted test run or start.
 */
export async function startProcess(spec: ProcessSpec): Promise<ManagedProcess> {
  // The log is appended to across runs: readiness looks only at what this run wrote.
  const runStart = existsSync(spec.logFile) ? statSync(spec.logFile).size : 0;
  const log = createWriteStream(spec.logFile, { flags: 'a' });
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let alive = true;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      alive = false;
      resolve(code);
    });
    child.once('error', () => {
      alive = false;
      resolve(null);
    });
  });
  if (child.pid) watchdog(child.pid);

  const thisRun = () => {
    try {
      return readFileSync(spec.logFile).subarray(runStart).toString('utf8');
    } catch {
      return '';
    }
  };
  const logTail = (lines = 15) => thisRun().trimEnd().split('\n').slice(-lines).join('\n');
  const stop = async () => {
    if (!alive || !child.pid) return;
    killGroup(child.pid, 'SIGTERM');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref());
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      killGroup(child.pid, 'SIGKILL');
      await exited;
    }
  };
  try {
    const timeoutMs = spec.readyTimeoutMs ?? 60_000;
    if ('port' in spec.ready) await waitForPort(spec.ready.port, timeoutMs, () => alive);
    else await waitForLogLine(spec.ready.logLine, timeoutMs, () => alive, thisRun);
  } catch (error) {
    await stop();
    throw new Error(`${spec.name} ${(error as Error).message}. Last output (${spec.logFile}):\n${logTail()}`);
  }
  const exitReason = () =>
    child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode ?? 'unknown'}`;
  return { name: spec.name, child, exited, exitReason, stop, logTail };
}

async function waitForLogLine(line: RegExp, timeoutMs: number, isAlive: () => boolean, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!line.test(output())) {
    if (!isAlive()) throw new Error('exited before it was ready');
    if (Date.now() > deadline) throw new Error(`was not ready within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function watchdog(childPid: number) {
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 -${childPid} 2>/dev/null; do sleep 1; done
kill -TERM -${childPid} 2>/dev/null; sleep 5; kill -KILL -${childPid} 2>/dev/null; exit 0`;
  spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}
