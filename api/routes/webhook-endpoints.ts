import { Router } from 'express';
import type { WebhookEndpointDoc, WebhookStore } from '../../store/webhooks';
import { newWebhookSecret } from '../../webhooks/standard-webhooks';
import { callingApp } from '../auth';
import { fromZod, problems } from '../problem';
import { createWebhookEndpointBody } from '../schemas';

const endpointResource = (e: WebhookEndpointDoc) => ({
  object: 'webhook_endpoint',
  id: e._id,
  url: e.url,
  events: e.events,
  enabled: e.enabled,
  disabledReason: e.disabledReason,
  createdAt: e.createdAt.toISOString(),
});

/** Webhook endpoints of the calling app. The signing secret is shown once, at creation. */
export function webhookEndpointsRouter(deps: { webhooks: WebhookStore }) {
  const router = Router();

  router.post('/', async (req, res) => {
    const parsed = createWebhookEndpointBody.safeParse(req.body ?? {});
    if (!parsed.success) throw fromZod(parsed.error);
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

  router.delete('/:id', async (req, res) => {
    if (!(await deps.webhooks.remove(callingApp(res)._id, req.params.id))) {
      throw problems.notFound(`Webhook endpoint ${req.params.id}`);
    }
    res.status(204).end();
  });

  return router;
}
