import { z } from 'zod';
import { route } from './declare';
import { webhookEndpointExample } from './examples';
import { emptyBody, idParams } from './links';
import { createWebhookEndpointBody, listDeliveriesQuery, updateWebhookEndpointBody } from './request-schemas';
import * as responses from './response-schemas';

/** Where the app's webhooks go, and what happened to each delivery. */
export const webhookEndpointRoutes = () =>
  [
    route({
      operationId: 'webhookEndpoints.create',
      method: 'post',
      path: '/v1/webhook-endpoints',
      access: { apiKey: 'webhooks:write' },
      tag: 'Webhook endpoints',
      summary: 'Add a webhook endpoint (the signing secret is shown once)',
      body: createWebhookEndpointBody,
      bodyExample: webhookEndpointExample,
      responses: {
        201: {
          description: 'The endpoint and its whsec_ secret',
          schema: responses.webhookEndpointWithSecretSchema,
        },
      },
      errors: [409, 413, 415, 422],
    }),
    route({
      operationId: 'webhookEndpoints.list',
      method: 'get',
      path: '/v1/webhook-endpoints',
      access: { apiKey: 'webhooks:read' },
      tag: 'Webhook endpoints',
      summary: 'List webhook endpoints',
      responses: { 200: { description: 'All endpoints', schema: responses.webhookEndpointListSchema } },
    }),
    route({
      operationId: 'webhookEndpoints.get',
      method: 'get',
      path: '/v1/webhook-endpoints/:id',
      access: { apiKey: 'webhooks:read' },
      tag: 'Webhook endpoints',
      summary: 'Get a webhook endpoint',
      params: idParams,
      responses: { 200: { description: 'The endpoint', schema: responses.webhookEndpointSchema } },
      errors: [404],
    }),
    route({
      operationId: 'webhookEndpoints.update',
      method: 'patch',
      path: '/v1/webhook-endpoints/:id',
      access: { apiKey: 'webhooks:write' },
      tag: 'Webhook endpoints',
      summary: 'Change the events an endpoint receives, or enable / disable it',
      params: idParams,
      body: updateWebhookEndpointBody,
      bodyExample: { events: ['link.linked'], enabled: true },
      responses: { 200: { description: 'The endpoint', schema: responses.webhookEndpointSchema } },
      errors: [404, 413, 415, 422],
    }),
    route({
      operationId: 'webhookEndpoints.delete',
      method: 'delete',
      path: '/v1/webhook-endpoints/:id',
      access: { apiKey: 'webhooks:write' },
      tag: 'Webhook endpoints',
      summary: 'Delete a webhook endpoint',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
      errors: [404],
    }),
    route({
      operationId: 'webhookEndpoints.rotateSecret',
      method: 'post',
      path: '/v1/webhook-endpoints/:id/rotate-secret',
      access: { apiKey: 'webhooks:write' },
      tag: 'Webhook endpoints',
      summary: 'Rotate the signing secret (the old one keeps signing for 24 h)',
      params: idParams,
      body: emptyBody,
      responses: {
        200: { description: 'The new secret', schema: responses.webhookEndpointWithSecretSchema },
      },
      errors: [404, 415, 422],
    }),
    route({
      operationId: 'webhookEndpoints.deliveries',
      method: 'get',
      path: '/v1/webhook-endpoints/:id/deliveries',
      access: { apiKey: 'webhooks:read' },
      tag: 'Webhook endpoints',
      summary: "An endpoint's deliveries with every attempt; `status=failed` for those never accepted",
      params: idParams,
      query: listDeliveriesQuery,
      responses: { 200: { description: 'Deliveries', schema: responses.webhookDeliveryListSchema } },
      errors: [404, 422],
    }),
    route({
      operationId: 'webhookEndpoints.replayDelivery',
      method: 'post',
      path: '/v1/webhook-endpoints/:id/deliveries/:deliveryId/replay',
      access: { apiKey: 'webhooks:write' },
      tag: 'Webhook endpoints',
      summary:
        'Send a delivery again (same webhook-id, fresh signature): queued to the worker; the new attempt appears in the deliveries',
      params: z.object({ id: z.string().min(1).max(200), deliveryId: z.string().min(1).max(200) }),
      body: emptyBody,
      responses: { 202: { description: 'The replay is queued', schema: responses.webhookReplaySchema } },
      errors: [404, 415, 422],
    }),
  ] as const;
