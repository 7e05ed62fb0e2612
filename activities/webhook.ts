import { ApplicationFailure } from '@temporalio/activity';
import type { Dispatcher } from 'undici';
import type { WebhookEventType } from '../domain/link';
import { recordDone } from '../store/record-done';
import type { DeliveryAttempt, WebhookStore } from '../store/webhooks';
import { deliverToEndpoint } from '../webhooks/deliver';
import { earlierAttempt, rememberForRetries } from './attempt-memory';

export interface WebhookDeps {
  webhooks: WebhookStore;
  webhookDispatcher?: Dispatcher;
}

export interface WebhookInput {
  appId: string;
  linkId: string;
  /** Stable across retries: the `webhook-id` receivers dedupe on. */
  eventId: string;
  type: WebhookEventType;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** An endpoint that took the event, as remembered for a later attempt (heartbeat details are JSON). */
interface AcceptedBy {
  endpointId: string;
  attempt: Omit<DeliveryAttempt, 'at'> & { at: Date | string };
}

export interface WebhookReplayInput {
  appId: string;
  endpointId: string;
  deliveryId: string;
}

export function createWebhookActivities({ webhooks, webhookDispatcher }: WebhookDeps) {
  return {
    /**
     * Sends a recorded delivery once more (same webhook-id, fresh signature), from the worker: the API process
     * never opens a connection to an app's endpoint, so its answers cannot tell what lies behind a URL.
     */
    async replayWebhookDelivery({ appId, endpointId, deliveryId }: WebhookReplayInput): Promise<string> {
      const [endpoint, delivery] = await Promise.all([
        webhooks.find(appId, endpointId),
        webhooks.findDelivery(appId, deliveryId),
      ]);
      if (!endpoint || !delivery || delivery.endpointId !== endpoint._id) return 'not_found';
      const outcome = await deliverToEndpoint(webhooks, endpoint, delivery, {
        dispatcher: webhookDispatcher,
        previous: delivery.status,
      });
      return outcome.kind;
    },

    /**
     * Delivers one event to every enabled endpoint of the app that subscribes to it, Standard Webhooks style.
     * Endpoints that already took it are skipped, so a retry never delivers twice; every attempt is recorded.
     * A 410 disables the endpoint for good; other failures are retried by Temporal (honouring Retry-After).
     */
    async deliverWebhook(input: WebhookInput): Promise<{ delivered: number }> {
      const payload = JSON.stringify({
        type: input.type,
        timestamp: input.occurredAt,
        data: { object: 'link', id: input.linkId, ...input.data },
      });
      let delivered = 0;
      let failures = 0;
      let retryAfterMs = 0;
      // Endpoints an earlier attempt delivered to, remembered before it could record them (it was killed).
      const accepted = earlierAttempt<{ accepted: AcceptedBy[] }>()?.accepted ?? [];
      const { appId, linkId, eventId, type } = input;
      for (const endpoint of await webhooks.subscribed(input.appId, input.type)) {
        const previous = await webhooks.delivery(input.eventId, endpoint._id);
        if (previous && previous.status !== 'pending') continue;
        const before = accepted.find((a) => a.endpointId === endpoint._id);
        if (before) {
          const attempt = { ...before.attempt, at: new Date(before.attempt.at) };
          const base = { appId, linkId, eventId, type, payload, endpointId: endpoint._id };
          await recordDone(() => webhooks.recordAttempt(base, attempt, 'delivered'));
          delivered++;
          continue;
        }
        const outcome = await deliverToEndpoint(
          webhooks,
          endpoint,
          { appId, linkId, eventId, type, payload },
          {
            dispatcher: webhookDispatcher,
            onAccepted: (attempt) => {
              accepted.push({ endpointId: endpoint._id, attempt });
              rememberForRetries({ accepted });
            },
          },
        );
        if (outcome.kind === 'delivered') delivered++;
        if (outcome.kind === 'failed') {
          failures++;
          retryAfterMs = Math.max(retryAfterMs, outcome.retryAfterMs ?? 0);
        }
      }
      if (failures > 0) {
        throw ApplicationFailure.create({
          type: 'WebhookDeliveryFailed',
          message: `${failures} endpoint(s) did not accept ${input.type}`,
          ...(retryAfterMs > 0 ? { nextRetryDelay: retryAfterMs } : {}),
        });
      }
      return { delivered };
    },
  };
}
