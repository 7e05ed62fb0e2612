import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, type LifecycleHarness, startLifecycleHarness } from '../support/lifecycle';

/**
 * A linked link over a year of time-skipped daily health checks, in its own file (and so its own worker and
 * time-skipping server) because it takes a few minutes of real time: about 365 probes and 6 runs.
 */
describe('a linked link over a year', () => {
  let h: LifecycleHarness;
  beforeAll(async () => {
    h = await startLifecycleHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('lives a year of daily checks: each run stays under the history bound, the state carries on', {
    timeout: 900_000,
  }, async () => {
    const { id, handle, credential } = await h.linkedLink();
    const firstRun = (await handle.describe()).runId;
    await h.advance(365 * DAY);
    // At most one check a day (each 21.6–26.4 h after the last: 406 a year at most; a probe mints one token).
    // Fewer when the machine is busy: the time-skipping server also skips while a slow check runs, and the
    // next one is scheduled from when the last finished.
    const checks = h.probesBy(credential.clientId) - 1;
    expect(checks).toBeGreaterThanOrEqual(120);
    expect(checks).toBeLessThanOrEqual(406);
    expect((await h.links.findById(id))?.status).toBe('linked');
    // Walk the chain of runs from the first: each continued as new before its history grew large.
    const lengths: number[] = [];
    let runId: string | undefined = firstRun;
    while (runId) {
      const { events } = await h.env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
      lengths.push(events?.length ?? 0);
      const next: string | null | undefined =
        events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      runId = next ?? undefined;
    }
    expect(lengths.length).toBeGreaterThan(2);
    for (const length of lengths) expect(length).toBeLessThan(700);
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });
});
