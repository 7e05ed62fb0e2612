import { Router } from 'express';
import { APP_QUOTAS } from '../../app/abuse-limits';
import type { WebhookReplays } from '../../app/webhook-replays';
import type { WebhookDeliveryDoc, WebhookEndpointDoc, WebhookStore } from '../../store/webhooks';
import { endpointUrlProblem } from '../../webhooks/public-endpoint';
import { newWebhookSecret } from '../../webhooks/standard-webhooks';
import { callingApp } from '../auth';
import { fromZod, problems } from '../problem';
import { createWebhookEndpointBody, listDeliveriesQuery, updateWebhookEndpointBody } from '../schemas';

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
export function webhookEndpointsRouter(deps: {
  webhooks: WebhookStore;
  replays: WebhookReplays;
  /** Development only: endpoints on http and private addresses. */
  allowPrivateWebhooks: boolean;
}) {
  const router = Router();

  const load = async (appId: string, id: string) => {
    const endpoint = await deps.webhooks.find(appId, id);
    if (!endpoint) throw problems.notFound(`Webhook endpoint ${id}`);
    return endpoint;
  };

  router.post('/', async (req, res) => {
    const parsed = createWebhookEndpointBody.safeParse(req.body ?? {});
    if (!parsed.success) throw fromZod(parsed.error);
    const urlProblem = endpointUrlProblem(parsed.data.url, deps.allowPrivateWebhooks);
    if (urlProblem) throw problems.validation([{ field: 'url', message: urlProblem }]);
    if ((await deps.webhooks.list(callingApp(res)._id)).length >= APP_QUOTAS.webhookEndpoints)
      throw problems.quotaExceeded('webhook endpoints (delete one first)', APP_QUOTAS.webhookEndpoints);
    const secret = newWebhookSecret();
    const endpoint = await deps.webhooks.create(
      callingApp(res)._id,
      parsed.data.url,
      parsed.data.events,
      secret,
    );
    res.status(201).json({ ...endpointResource(endpoint), secret });
  });

  router.get('/', async (_req, res) => {
    res.json({ object: 'list', data: (await deps.webhooks.list(callingApp(res)._id)).map(endpointResource) });
  });

  router.get('/:id', async (req, res) => {
    res.json(endpointResource(await load(callingApp(res)._id, req.params.id)));
  });

  router.patch('/:id', async (req, res) => {
    const appId = callingApp(res)._id;
    await load(appId, req.params.id);
    const parsed = updateWebhookEndpointBody.safeParse(req.body ?? {});
    if (!parsed.success) throw fromZod(parsed.error);
    const updated = await deps.webhooks.update(appId, req.params.id, parsed.data);
    if (!updated) throw problems.notFound(`Webhook endpoint ${req.params.id}`); // deleted meanwhile
    res.json(endpointResource(updated));
  });

  router.delete('/:id', async (req, res) => {
    if (!(await deps.webhooks.remove(callingApp(res)._id, req.params.id))) {
      throw problems.notFound(`Webhook endpoint ${req.params.id}`);
    }
    res.status(204).end();
  });

  router.post('/:id/rotate-secret', async (req, res) => {
    const secret = newWebhookSecret();
    const endpoint = await deps.webhooks.rotateSecret(callingApp(res)._id, req.params.id, secret);
    if (!endpoint) throw problems.notFound(`Webhook endpoint ${req.params.id}`);
    res.json({
      ...endpointResource(endpoint),
      secret,
      previousSecretExpiresAt: endpoint.previousSecret?.until.toISOString() ?? null,
    });
  });

  router.get('/:id/deliveries', async (req, res) => {
    const appId = callingApp(res)._id;
    await load(appId, req.params.id);
    const parsed = listDeliveriesQuery.safeParse(req.query);
    if (!parsed.success) throw fromZod(parsed.error, 'query');
    const rows = await deps.webhooks.deliveriesForEndpoint(
      appId,
      req.params.id,
      parsed.data.status === 'failed',
      parsed.data.limit,
    );
    res.json({ object: 'list', data: rows.map(deliveryResource) });
  });

  /** Sends a recorded delivery once more, soon, with the same webhook-id (receivers dedupe on it). */
  router.post('/:id/deliveries/:deliveryId/replay', async (req, res) => {
    const appId = callingApp(res)._id;
    const endpoint = await load(appId, req.params.id);
    const delivery = await deps.webhooks.findDelivery(appId, req.params.deliveryId);
    if (!delivery || delivery.endpointId !== endpoint._id) {
      throw problems.notFound(`Delivery ${req.params.deliveryId}`);
    }
    // The worker sends it: what the API answers never depends on what is behind the URL.
    await deps.replays.queue({ appId, endpointId: endpoint._id, deliveryId: delivery._id });
    res.status(202).json({ object: 'webhook_replay', deliveryId: delivery._id, status: 'queued' });
  });

  return router;
}
