import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { FIXTURES } from '../support/history-fixture';

/** Every recorded history, oldest first: each must replay against the current code. */
const RECORDED = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.history.json'))
  .sort();

/**
 * Recorded histories (a link missing a scope, reminded, fixed and linked; a linked link that degrades, is
 * reminded, heals and is cancelled; a link watching its Audit Log, deleted, and its watcher) replayed against the current workflow code: a change that is not
 * deterministic for running links fails here. Record a new one with RECORD_HISTORY=1 (see
 * support/history-fixture.ts) only for a change guarded by patched(), and never drop an old one.
 */
describe('workflow determinism', () => {
  it('has the recorded fixtures', () => {
    expect(RECORDED).toEqual(
      expect.arrayContaining([
        'audit-log-watcher-until-deleted.history.json',
        'link-degrades-then-heals.history.json',
        'link-reminders-then-linked.history.json',
        'link-with-audit-log-deleted.history.json',
      ]),
    );
  });

  it.each(RECORDED)('replays %s with the current code', async (file) => {
    const history = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as {
      events: { eventType: string }[];
    };
    expect(history.events.length).toBeGreaterThan(20);
    expect(history.events.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('services').workflowBundlePath } },
      history,
      `replay-${file}`,
    );
  });
});
