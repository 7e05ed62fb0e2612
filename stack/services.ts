import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ManagedProcess, startProcess } from './process';

export const ROOT = path.join(__dirname, '..');
export const CACHE_DIR =
  process.env.GREENLINK_CACHE_DIR ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'greenlink');
export const BIN_DIR = path.join(CACHE_DIR, 'bin');

export type ServiceTool = 'temporal' | 'ferretdb' | 'mailpit' | 'temporal-test-server' | 'schemathesis';

/** Builds missing pinned binaries into the per-user cache (prints progress; minutes only the first time). */
export function installServices(tools: ServiceTool[]): void {
  if (tools.length === 0) return;
  execFileSync('bash', [path.join(ROOT, 'scripts', 'install-services.sh'), ...tools], {
    stdio: 'inherit',
    env: { ...process.env, GREENLINK_CACHE_DIR: CACHE_DIR },
  });
}

export interface TemporalOptions {
  port: number;
  /** Omit for a headless server (tests). */
  uiPort?: number;
  /** Omit for an in-memory server (tests). */
  dbFile?: string;
  logDir: string;
  /** Extra `--dynamic-config-value` settings (tests lower the continue-as-new threshold). */
  dynamicConfig?: string[];
}

export async function startTemporal(o: TemporalOptions): Promise<{ address: string; proc: ManagedProcess }> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port), '--log-level', 'error'];
  args.push(...(o.uiPort ? ['--ui-port', String(o.uiPort)] : ['--headless']));
  // WAL with synchronous=normal: a commit no longer waits for an fsync of the database file (measured with
  // bench:load: 22.9 → 38.8 one-activity workflows/s on 2 cores); a crashed process loses nothing, a power
  // cut may lose the last commits (a local server, not production's).
  if (o.dbFile) {
    args.push('--db-filename', o.dbFile);
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  args.push('--search-attribute', 'LinkStatus=Keyword');
  for (const flag of [
    'frontend.enableUpdateWorkflowExecution=true',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    'frontend.enableExecuteMultiOperation=true',
    ...(o.dynamicConfig ?? []),
  ]) {
    args.push('--dynamic-config-value', flag);
  }
  const proc = await startProcess({
    name: 'Temporal',
    command: path.join(BIN_DIR, 'temporal'),
    args,
    logFile: path.join(o.logDir, 'temporal.log'),
    ready: { port: o.port },
  });
  return { address: `127.0.0.1:${o.port}`, proc };
}

export async function startFerretDb(o: { port: number; dir: string; logDir: string }) {
  mkdirSync(o.dir, { recursive: true });
  const proc = await startProcess({
    name: 'FerretDB',
    command: path.join(BIN_DIR, 'ferretdb'),
    args: ['--listen-addr', `127.0.0.1:${o.port}`, '--sqlite-url', `file:${o.dir}/`, '--log-level', 'warn'],
    logFile: path.join(o.logDir, 'ferretdb.log'),
    ready: { port: o.port },
  });
  return { uri: `mongodb://127.0.0.1:${o.port}/`, proc };
}

export async function startMailpit(o: {
  smtpPort: number;
  httpPort: number;
  dbFile?: string;
  logDir: string;
}) {
  const args = ['--smtp', `127.0.0.1:${o.smtpPort}`, '--listen', `127.0.0.1:${o.httpPort}`];
  args.push('--disable-version-check', '--quiet', '--smtp-auth-accept-any', '--smtp-auth-allow-insecure');
  if (o.dbFile) args.push('--database', o.dbFile);
  const proc = await startProcess({
    name: 'Mailpit',
    command: path.join(BIN_DIR, 'mailpit'),
    args,
    logFile: path.join(o.logDir, 'mailpit.log'),
    ready: { port: o.httpPort },
  });
  return { smtpUrl: `smtp://127.0.0.1:${o.smtpPort}`, apiUrl: `http://127.0.0.1:${o.httpPort}`, proc };
}

/** The Java time-skipping test server's launcher (tests of days-long timers). */
export const TIME_SKIPPING_SERVER = path.join(BIN_DIR, 'temporal-test-server');
