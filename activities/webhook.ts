import { ApplicationFailure } from '@temporalio/activity';
import { type Dispatcher, request } from 'undici';
import type { WebhookEventType } from '../links/model';
import type { WebhookStore } from '../store/webhooks';
import { signWebhook } from '../webhooks/standard-webhooks';

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

export function createWebhookActivities({ webhooks, webhookDispatcher }: WebhookDeps) {
  return {
    /**
     * Delivers one event to every enabled endpoint of the app that subscribes to it, Standard Webhooks style.
     * Endpoints that already took it are skipped, so a retry never delivers twice; every attempt is recorded.
     * A 410 disables the endpoint for good; other failures are retried by Temporal (honouring Retry-After).
     */
    async deliverWebhook(input: WebhookInput): Promise<{ delivered: number }> {
      const body = JSON.stringify({
        type: input.type,
        timestamp: input.occurredAt,
        data: { object: 'link', id: input.linkId, ...input.data },
      });
      let delivered = 0;
      let failures = 0;
      let retryAfterMs = 0;
      for (const endpoint of await webhooks.subscribed(input.appId, input.type)) {
        const previous = await webhooks.delivery(input.eventId, endpoint._id);
        if (previous && previous.status !== 'pending') continue;
        const base = {
          eventId: input.eventId,
          endpointId: endpoint._id,
          appId: input.appId,
          linkId: input.linkId,
          type: input.type,
        };
        const timestamp = Math.floor(Date.now() / 1000);
        const started = Date.now();
        try {
          const response = await request(endpoint.url, {
            method: 'POST',
            dispatcher: webhookDispatcher,
            headers: {
              'content-type': 'application/json',
              'user-agent': 'Greenlink-Webhooks/1',
              'webhook-id': input.eventId,
              'webhook-timestamp': String(timestamp),
              'webhook-signature': signWebhook(webhooks.secretOf(endpoint), input.eventId, timestamp, body),
            },
            body,
            headersTimeout: 10_000,
            bodyTimeout: 10_000,
          });
          await response.body.dump();
          const attempt = {
            at: new Date(),
            httpStatus: response.statusCode,
            durationMs: Date.now() - started,
          };
          if (response.statusCode >= 200 && response.statusCode < 300) {
            await webhooks.recordAttempt(base, attempt, 'delivered');
            delivered++;
          } else if (response.statusCode === 410) {
            await webhooks.recordAttempt(base, attempt, 'endpoint_gone');
            await webhooks.disable(endpoint._id, 'the endpoint answered 410 Gone');
          } else {
            await webhooks.recordAttempt(base, attempt, 'pending');
            failures++;
            const retryAfter = Number(response.headers['retry-after']);
            if (Number.isFinite(retryAfter)) retryAfterMs = Math.max(retryAfterMs, retryAfter * 1_000);
          }
        } catch (error) {
          const message = (error as { code?: string }).code ?? (error as Error).message;
          await webhooks.recordAttempt(
            base,
            { at: new Date(), error: message, durationMs: Date.now() - started },
            'pending',
          );
          failures++;
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
