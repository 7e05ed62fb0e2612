import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'link-reminders-then-linked.history.json');

/**
 * A recorded history (credentials missing a scope, two reminders, fixed, linked) replayed against the
 * current workflow code: a change that is not deterministic for running links fails here. Re-record with
 * RECORD_HISTORY=1 npm test -- link-lifecycle only for a change guarded by patched().
 */
describe('workflow determinism', () => {
  it('replays the recorded history of a link with the current code', async () => {
    const history = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { events: { eventType: string }[] };
    expect(history.events.length).toBeGreaterThan(20);
    expect(history.events.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('services').workflowBundlePath } },
      history,
      'link-replay-fixture',
    );
  });
});
