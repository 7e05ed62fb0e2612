/**
 * Keeps `npm start`'s processes running: one that crashes is restarted with backoff and a log line while the
 * others keep serving; only a stop, or a process that keeps failing right at start, ends the stack.
 */
import type { ManagedProcess } from './process';

export interface SupervisedService {
  name: string;
  start(): Promise<ManagedProcess>;
}

export interface SupervisorOptions {
  say(line: string): void;
  /** Called once when a service keeps failing at start; the caller stops the stack. */
  giveUp(name: string, reason: string): void;
  /** A run shorter than this counts as failing at start (default 30 s). */
  stableAfterMs?: number;
  /** Failed starts in a row before giving up (default 5). */
  maxStartFailures?: number;
  /** Wait before restart `attempt` (1, 2, …): default 1 s doubling to 30 s. */
  backoffMs?(attempt: number): number;
}

interface Entry {
  service: SupervisedService;
  proc: ManagedProcess;
  /** Runs in a row that ended (or never started) within `stableAfterMs`. */
  failures: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Supervisor {
  private readonly running: Entry[] = [];
  private stopping = false;
  private readonly stableAfterMs: number;
  private readonly maxStartFailures: number;
  private readonly backoffMs: (attempt: number) => number;

  constructor(private readonly options: SupervisorOptions) {
    this.stableAfterMs = options.stableAfterMs ?? 30_000;
    this.maxStartFailures = options.maxStartFailures ?? 5;
    this.backoffMs = options.backoffMs ?? ((attempt) => Math.min(30_000, 1_000 * 2 ** (attempt - 1)));
  }

  /** Starts a service and watches it. A first start that fails throws: nothing was running well before. */
  async add(service: SupervisedService): Promise<ManagedProcess> {
    const proc = await service.start();
    const entry: Entry = { service, proc, failures: 0 };
    this.running.push(entry);
    this.watch(entry, Date.now());
    return proc;
  }

  /** The processes now running, in start order (a restarted one under its new pid). */
  processes(): ManagedProcess[] {
    return this.running.map((r) => r.proc);
  }

  /** Stops every service, last started first; crashes from here on are not restarted. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const { proc } of [...this.running].reverse()) await proc.stop();
  }

  private watch(entry: Entry, readyAt: number) {
    void entry.proc.exited.then(async () => {
      if (this.stopping) return;
      const { name } = entry.service;
      const upMs = Date.now() - readyAt;
      entry.failures = upMs < this.stableAfterMs ? entry.failures + 1 : 0;
      let reason = `${entry.proc.exitReason()} after ${(upMs / 1000).toFixed(1)} s`;
      this.options.say(`${name} exited unexpectedly (${reason}). Last output:\n${entry.proc.logTail(8)}`);
      for (;;) {
        if (entry.failures >= this.maxStartFailures) {
          this.options.giveUp(
            name,
            `${name} failed ${entry.failures} times in a row at start (last: ${reason})`,
          );
          return;
        }
        const wait = this.backoffMs(entry.failures + 1);
        this.options.say(`restarting ${name} in ${(wait / 1000).toFixed(1)} s`);
        await sleep(wait);
        if (this.stopping) return;
        try {
          entry.proc = await entry.service.start();
        } catch (error) {
          entry.failures++;
          reason = (error as Error).message.split('\n')[0] ?? 'start failed';
          this.options.say(`${name} did not start: ${reason}`);
          continue;
        }
        if (this.stopping) return void (await entry.proc.stop());
        this.options.say(`${name} restarted (pid ${entry.proc.child.pid})`);
        this.watch(entry, Date.now());
        return;
      }
    });
  }
}
