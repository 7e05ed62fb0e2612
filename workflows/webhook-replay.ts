import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { WebhookReplayInput } from '../activities/webhook';
import { HEARTBEAT_TIMEOUT } from './heartbeats';

const { replayWebhookDelivery } = proxyActivities<Activities>({
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 1 }, // a replay is one attempt, asked for by hand; its outcome is recorded
});

/** A replay an app asked for, run by the worker (see replayWebhookDelivery). */
export async function webhookReplayWorkflow(input: WebhookReplayInput): Promise<string> {
  return replayWebhookDelivery(input);
}
