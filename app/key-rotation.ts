import type { Client } from '@temporalio/client';
import { Keyring, type VaultKey } from '../store/keyring';
import { payloadKeyIds } from '../store/payload-codec';
import { type AnySealedField, keyIdCounts, resealAll } from '../store/resealing';
import { freshRunSignal } from '../workflows/messages';

/** Records sealed with the keyring, by what an operator calls them. */
export interface SealedRecords {
  name: string;
  fields: AnySealedField[];
}

/** An open workflow run and the keys its history's payloads are sealed with. */
export interface RunKeys {
  workflowId: string;
  runId: string;
  type: string;
  keyIds: string[];
}

/** What still needs one key id: records per kind, open runs per workflow type. */
export interface KeyNeeds {
  keyId: string;
  inKeyring: boolean;
  primary: boolean;
  records: Record<string, number>;
  runs: Record<string, number>;
}

/** How each kind of run moves off an old key. */
export const RUN_MOVES: Record<string, string> = {
  linkWorkflow: 'continue as new when asked (--move-runs)',
  auditLogWatcherWorkflow: 'continue as new by themselves every 100 polls (workflows/audit-log-watcher.ts)',
  webhookReplayWorkflow: 'end by themselves after their one attempt',
};

/**
 * Rotating CREDENTIALS_KEYS to the end: every record re-sealed under the first key, and every open run whose
 * history holds payloads sealed with an older key found (a worker replaying that history needs the key),
 * with the way to move it. A key is removable only when nothing needs it.
 */
export class KeyRotation {
  private readonly keyring: Keyring;

  constructor(
    private readonly deps: {
      keys: readonly VaultKey[];
      records: SealedRecords[];
      temporal: Client;
      taskQueue: string;
    },
  ) {
    this.keyring = new Keyring(deps.keys);
  }

  get primaryKeyId() {
    return this.keyring.primaryId;
  }

  async reseal(onProgress?: (name: string, checked: number) => void) {
    const results: { name: string; updated: number; total: number; unreadable: number }[] = [];
    for (const { name, fields } of this.deps.records) {
      const sum = { name, updated: 0, total: 0, unreadable: 0 };
      for (const field of fields) {
        const r = await resealAll(field, this.keyring, (n) => onProgress?.(name, n));
        sum.updated += r.updated;
        sum.total += r.total;
        sum.unreadable += r.unreadable;
      }
      results.push(sum);
    }
    return results;
  }

  /** Open runs on this deployment's task queue, each with the key ids its history needs. */
  async openRuns(onProgress?: (checked: number) => void): Promise<RunKeys[]> {
    const runs: RunKeys[] = [];
    const query = `TaskQueue = "${this.deps.taskQueue}" AND ExecutionStatus = "Running"`;
    for await (const run of this.deps.temporal.workflow.list({ query })) {
      const history = await this.deps.temporal.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      runs.push({
        workflowId: run.workflowId,
        runId: run.runId,
        type: run.type,
        keyIds: [...payloadKeyIds(history.events ?? [])].sort(),
      });
      if (runs.length % 100 === 0) onProgress?.(runs.length);
    }
    return runs;
  }

  /** Per key id (the ring's and any other a record or run names), what needs it. */
  async needs(runs: RunKeys[]): Promise<KeyNeeds[]> {
    const byKey = new Map<string, KeyNeeds>();
    const of = (keyId: string) => {
      let needs = byKey.get(keyId);
      if (!needs) {
        needs = {
          keyId,
          inKeyring: this.keyring.has(keyId),
          primary: keyId === this.keyring.primaryId,
          records: {},
          runs: {},
        };
        byKey.set(keyId, needs);
      }
      return needs;
    };
    for (const key of this.deps.keys) of(key.id);
    for (const { name, fields } of this.deps.records) {
      for (const field of fields) {
        for (const [keyId, n] of await keyIdCounts(field)) {
          const needs = of(keyId);
          needs.records[name] = (needs.records[name] ?? 0) + n;
        }
      }
    }
    for (const run of runs) {
      for (const keyId of run.keyIds) {
        const needs = of(keyId);
        needs.runs[run.type] = (needs.runs[run.type] ?? 0) + 1;
      }
    }
    return [...byKey.values()];
  }

  /**
   * Asks every open link run whose history holds a payload sealed with another key than the first to
   * continue as new (its new history is sealed with the first key only), then waits up to `waitMs` for
   * them to roll over. Answers how many were asked and how many rolled.
   */
  async moveRuns(runs: RunKeys[], waitMs: number) {
    const stale = runs.filter(
      (r) => r.type === 'linkWorkflow' && r.keyIds.some((id) => id !== this.keyring.primaryId),
    );
    for (const run of stale) {
      await this.deps.temporal.workflow
        .getHandle(run.workflowId)
        .signal(freshRunSignal, { by: 'key_rotation' });
    }
    const deadline = Date.now() + waitMs;
    let pending = stale;
    while (pending.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const still: RunKeys[] = [];
      for (const run of pending) {
        const now = await this.deps.temporal.workflow.getHandle(run.workflowId).describe();
        if (now.runId === run.runId && now.status.name === 'RUNNING') still.push(run);
      }
      pending = still;
    }
    return { asked: stale.length, rolled: stale.length - pending.length };
  }
}
