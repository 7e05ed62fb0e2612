import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { WebhookReplayInput } from '../activities/webhook';
import { webhookReplayWorkflow } from '../workflows/webhook-replay';

/** Queues a webhook replay on the worker, which alone sends webhooks (see replayWebhookDelivery). */
export class WebhookReplays {
  constructor(
    private readonly temporal: Client,
    private readonly taskQueue: string,
  ) {}

  async queue(input: WebhookReplayInput): Promise<void> {
    await this.temporal.workflow.start(webhookReplayWorkflow, {
      workflowId: `webhook-replay-${input.deliveryId}-${randomUUID()}`,
      taskQueue: this.taskQueue,
      args: [input],
    });
  }
}
