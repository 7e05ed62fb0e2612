/** The yardstick bench:load measures Temporal with: a workflow that runs one activity and returns. */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '10s' });

export async function trivialWorkflow(): Promise<void> {
  await noop();
}
