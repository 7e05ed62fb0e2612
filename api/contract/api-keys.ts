import { route } from './declare';
import { idParams } from './links';
import { createApiKeyBody } from './request-schemas';
import * as responses from './response-schemas';

/** The app's API keys, Stripe-style restricted. */
export const apiKeyRoutes = () =>
  [
    route({
      operationId: 'apiKeys.list',
      method: 'get',
      path: '/v1/api-keys',
      access: { apiKey: 'keys:read' },
      tag: 'API keys',
      summary: "The app's API keys (never the keys themselves)",
      responses: { 200: { description: 'Keys', schema: responses.apiKeyListSchema } },
    }),
    route({
      operationId: 'apiKeys.create',
      method: 'post',
      path: '/v1/api-keys',
      access: { apiKey: 'keys:write' },
      tag: 'API keys',
      summary: 'Create another API key (shown once), e.g. to rotate without downtime',
      description:
        "`permissions` restricts the new key (default: the caller's own); asking for one the caller lacks is a 403 naming it.",
      body: createApiKeyBody,
      bodyExample: { permissions: ['links:read', 'links:use'] },
      responses: { 201: { description: 'The new key', schema: responses.createdApiKeySchema } },
      errors: [409, 413, 415, 422],
    }),
    route({
      operationId: 'apiKeys.revoke',
      method: 'delete',
      path: '/v1/api-keys/:id',
      access: { apiKey: 'keys:write' },
      tag: 'API keys',
      summary: 'Revoke an API key (at once)',
      params: idParams,
      responses: { 200: { description: 'The revoked key', schema: responses.apiKeySchema } },
      errors: [404],
    }),
  ] as const;
