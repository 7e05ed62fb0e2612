import { APP_QUOTAS } from '../../app/abuse-limits';
import type { WebhookReplays } from '../../app/webhook-replays';
import type { WebhookDeliveryDoc, WebhookEndpointDoc, WebhookStore } from '../../store/webhooks';
import { endpointUrlProblem } from '../../webhooks/public-endpoint';
import { newWebhookSecret } from '../../webhooks/standard-webhooks';
import { callingApp } from '../auth';
import type { Handlers } from '../contract/declare';
import type { webhookEndpointRoutes } from '../contract/webhook-endpoints';
import { problems } from '../problem';

export const endpointResource = (e: WebhookEndpointDoc) => ({
  object: 'webhook_endpoint' as const,
  id: e._id,
  url: e.url,
  events: e.events,
  enabled: e.enabled,
  disabledReason: e.disabledReason,
  createdAt: e.createdAt.toISOString(),
});

export const deliveryResource = (d: WebhookDeliveryDoc) => ({
  object: 'webhook_delivery' as const,
  id: d._id,
  eventId: d.eventId,
  endpointId: d.endpointId,
  linkId: d.linkId,
  type: d.type,
  status: d.status,
  attempts: d.attempts.map((a) => ({
    at: a.at.toISOString(),
    httpStatus: a.httpStatus ?? null,
    error: a.error ?? null,
    durationMs: a.durationMs,
  })),
  deliveredAt: d.deliveredAt ? d.deliveredAt.toISOString() : null,
});

/** Webhook endpoints of the calling app. A signing secret is shown once: at creation and at rotation. */
export function webhookEndpointHandlers(deps: {
  webhooks: WebhookStore;
  replays: WebhookReplays;
  /** Development only: endpoints on http and private addresses. */
  allowPrivateWebhooks: boolean;
}): Handlers<ReturnType<typeof webhookEndpointRoutes>> {
  const load = async (appId: string, id: string) => {
    const endpoint = await deps.webhooks.find(appId, id);
    if (!endpoint) throw problems.notFound(`Webhook endpoint ${id}`);
    return endpoint;
  };

  return {
    'webhookEndpoints.create': async ({ body, res }) => {
      const urlProblem = endpointUrlProblem(body.url, deps.allowPrivateWebhooks);
      if (urlProblem) throw problems.validation([{ field: 'url', message: urlProblem }]);
      const appId = callingApp(res)._id;
      if ((await deps.webhooks.list(appId)).length >= APP_QUOTAS.webhookEndpoints)
        throw problems.quotaExceeded('webhook endpoints (delete one first)', APP_QUOTAS.webhookEndpoints);
      const secret = newWebhookSecret();
      const endpoint = await deps.webhooks.create(appId, body.url, body.events, secret);
      return { status: 201, body: { ...endpointResource(endpoint), secret } };
    },

    'webhookEndpoints.list': async ({ res }) => ({
      status: 200,
      body: { object: 'list', data: (await deps.webhooks.list(callingApp(res)._id)).map(endpointResource) },
    }),

    'webhookEndpoints.get': async ({ params, res }) => ({
      status: 200,
      body: endpointResource(await load(callingApp(res)._id, params.id)),
    }),

    'webhookEndpoints.update': async ({ params, body, res }) => {
      const appId = callingApp(res)._id;
      await load(appId, params.id);
      const updated = await deps.webhooks.update(appId, params.id, body);
      if (!updated) throw problems.notFound(`Webhook endpoint ${params.id}`); // deleted meanwhile
      return { status: 200, body: endpointResource(updated) };
    },

    'webhookEndpoints.delete': async ({ params, res }) => {
      if (!(await deps.webhooks.remove(callingApp(res)._id, params.id))) {
        throw problems.notFound(`Webhook endpoint ${params.id}`);
      }
      return { status: 204 };
    },

    'webhookEndpoints.rotateSecret': async ({ params, res }) => {
      const secret = newWebhookSecret();
      const endpoint = await deps.webhooks.rotateSecret(callingApp(res)._id, params.id, secret);
      if (!endpoint) throw problems.notFound(`Webhook endpoint ${params.id}`);
      return {
        status: 200,
        body: {
          ...endpointResource(endpoint),
          secret,
          previousSecretExpiresAt: endpoint.previousSecret?.until.toISOString() ?? null,
        },
      };
    },

    'webhookEndpoints.deliveries': async ({ params, query, res }) => {
      const appId = callingApp(res)._id;
      await load(appId, params.id);
      const rows = await deps.webhooks.deliveriesForEndpoint(
        appId,
        params.id,
        query.status === 'failed',
        query.limit,
      );
      return { status: 200, body: { object: 'list', data: rows.map(deliveryResource) } };
    },

    /** Sends a recorded delivery once more, soon, with the same webhook-id (receivers dedupe on it). */
    'webhookEndpoints.replayDelivery': async ({ params, res }) => {
      const appId = callingApp(res)._id;
      const endpoint = await load(appId, params.id);
      const delivery = await deps.webhooks.findDelivery(appId, params.deliveryId);
      if (!delivery || delivery.endpointId !== endpoint._id) {
        throw problems.notFound(`Delivery ${params.deliveryId}`);
      }
      // The worker sends it: what the API answers never depends on what is behind the URL.
      await deps.replays.queue({ appId, endpointId: endpoint._id, deliveryId: delivery._id });
      return { status: 202, body: { object: 'webhook_replay', deliveryId: delivery._id, status: 'queued' } };
    },
  };
}
