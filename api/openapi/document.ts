/**
 * OpenAPI 3.1 for the integrator API, generated from the zod schemas the handlers validate with and the
 * response schemas in ./response-schemas. The operation table below is the one place paths are described.
 */
import { z } from 'zod';
import { WEBHOOK_EVENTS } from '../../domain/link';
import {
  accessLogQuery,
  cancelLinkBody,
  createApiKeyBody,
  createLinkBodySchema,
  createWebhookEndpointBody,
  listDeliveriesQuery,
  listLinksQuery,
  updateWebhookEndpointBody,
} from '../schemas';
import * as responses from './response-schemas';

interface Operation {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  tag: 'Links' | 'Webhook endpoints' | 'API keys' | 'Health';
  summary: string;
  description?: string;
  query?: z.ZodObject;
  body?: z.ZodType;
  ok: { status: number; schema?: z.ZodType; description: string };
  /** Error statuses this operation can answer besides the ones every authenticated call can. */
  errors?: number[];
  public?: boolean;
}

const ERROR_TEXT: Record<number, string> = {
  400: 'Malformed request (bad JSON, bad Idempotency-Key)',
  401: 'Missing, invalid or revoked API key',
  404: 'No such resource for this app',
  409: 'The link cannot take this action now, or a request with this Idempotency-Key is in flight',
  413: 'Body larger than 64 kB',
  415: 'Body is not JSON',
  422: 'Validation failed (each field named), or an Idempotency-Key reused with another body',
  429: 'Rate limit exceeded; see Retry-After',
  403: 'The API key lacks the permission this call needs (named in the problem); on the proxy, Greenhouse refused the call (the problem names the missing scope and its fix)',
  502: 'Greenhouse did not answer the proxied call',
  503: 'A dependency (Temporal, MongoDB, Greenhouse) is unreachable; try again',
};

const empty = z.object({});

/** Every operation of the API; `createLinkBodySchema` depends on the deployment's permission sets. */
function operations(permissionSets: Record<string, string[]>): Operation[] {
  const link = responses.linkSchema;
  return [
    {
      method: 'post',
      path: '/v1/links',
      tag: 'Links',
      summary: 'Start a link',
      description:
        'Starts the link workflow and returns the requester connect URL. The `permissionSet` names the Greenhouse scopes the link needs.',
      body: createLinkBodySchema(permissionSets),
      ok: { status: 201, schema: responses.createdLinkSchema, description: 'The link, with its connect URL' },
      errors: [400, 409, 413, 415, 422],
    },
    {
      method: 'get',
      path: '/v1/links',
      tag: 'Links',
      summary: 'List links, newest first',
      query: listLinksQuery,
      ok: { status: 200, schema: responses.linkListSchema, description: 'A page of links' },
      errors: [422],
    },
    {
      method: 'get',
      path: '/v1/links/{id}',
      tag: 'Links',
      summary: 'Get a link',
      ok: { status: 200, schema: link, description: 'The link' },
      errors: [404],
    },
    {
      method: 'get',
      path: '/v1/links/{id}/timeline',
      tag: 'Links',
      summary: "A link's whole history",
      description:
        "Greenlink's event log merged with the Temporal workflow history (signals, updates, activities, timers), oldest first. No secrets.",
      ok: { status: 200, schema: responses.timelineSchema, description: 'Entries, oldest first' },
      errors: [404],
    },
    {
      method: 'post',
      path: '/v1/links/{id}/connect-url',
      tag: 'Links',
      summary: 'Issue a new requester connect URL (older ones stop working)',
      body: empty,
      ok: { status: 201, schema: responses.connectUrlSchema, description: 'The new URL' },
      errors: [400, 404, 415],
    },
    {
      method: 'post',
      path: '/v1/links/{id}/access-token',
      tag: 'Links',
      summary: 'A Harvest v3 bearer token for a linked link',
      description:
        'Minted from the stored credentials and cached (encrypted, shared by every replica) until 5 minutes before it expires, so many callers cause one mint. Call Greenhouse at `harvestBaseUrl` with it, or use the proxy. 409 when the link is not `linked` or `degraded` (the problem names its status). A refused mint has the link checked at once.',
      body: empty,
      ok: {
        status: 200,
        schema: responses.accessTokenSchema,
        description: 'The token (Cache-Control: no-store)',
      },
      errors: [400, 404, 409, 415, 503],
    },
    {
      method: 'get',
      path: '/v1/links/{id}/credentials',
      tag: 'Links',
      summary: "Export the link's stored Greenhouse credentials",
      description:
        'Only for an API key with the `credentials:read` permission (not in a default key). Never cached.',
      ok: { status: 200, schema: responses.credentialsSchema, description: 'The credentials' },
      errors: [404, 409],
    },
    {
      method: 'get',
      path: '/v1/links/{id}/access-log',
      tag: 'Links',
      summary: 'Every use of the link: tokens issued, proxied calls, exports (kept 30 days)',
      description:
        'Newest first, in cursor pages. Each entry names the API key, the status Greenlink answered, the time taken and the sizes; proxied calls add the Harvest method and path (without the query string). Never a token, a secret or a body.',
      query: accessLogQuery,
      ok: { status: 200, schema: responses.accessLogSchema, description: 'A page of entries' },
      errors: [404, 422],
    },
    {
      method: 'get',
      path: '/v1/links/{id}/proxy/v3/{resource}',
      tag: 'Links',
      summary: 'Call Harvest v3 through the link (GET, POST, PUT, PATCH and DELETE alike)',
      description:
        "Forwards `/v3/<path>` to Greenhouse with a fresh token. One rate budget per Greenhouse account is shared by every caller: when it is used up the proxy waits for the window, or answers 429 at once with `Greenlink-On-Rate-Limit: fail`. A 401 re-mints once; 429 and 5xx are retried for GET, and for writes sent with `Idempotency-Key`. Pagination `Link` headers point back at the proxy. A 403 names the scope the call needs, its Greenhouse label and the fix. Paths that leave `/v3/` (dot segments, encoded or not) are a 400. Greenhouse's own status and JSON body are passed through otherwise.",
      ok: { status: 200, description: "Greenhouse's answer, passed through (Cache-Control: no-store)" },
      errors: [400, 403, 404, 409, 502, 503],
    },
    {
      method: 'post',
      path: '/v1/links/{id}/recheck',
      tag: 'Links',
      summary: 'Check the Greenhouse permissions again now',
      body: empty,
      ok: { status: 202, schema: responses.acceptedSchema, description: 'Re-check requested' },
      errors: [400, 404, 409, 415],
    },
    {
      method: 'post',
      path: '/v1/links/{id}/cancel',
      tag: 'Links',
      summary: 'Cancel a link',
      body: cancelLinkBody,
      ok: { status: 202, schema: responses.acceptedSchema, description: 'Cancel requested' },
      errors: [400, 404, 409, 415, 422],
    },
    {
      method: 'delete',
      path: '/v1/links/{id}',
      tag: 'Links',
      summary: 'Delete a link: end it and erase its credentials',
      description:
        'Its connect URLs and the links in its emails stop working at once, the stored credentials and cached tokens are deleted before the answer, and its run ends as `cancelled` with reason `deleted` (webhook `link.cancelled`). The record and its timeline stay readable (`deletedAt` is set); tokens and proxied calls answer 409 `link_deleted`. Repeating it is harmless.',
      ok: { status: 202, schema: responses.acceptedSchema, description: 'Deleted; the run is ending' },
      errors: [404],
    },
    {
      method: 'post',
      path: '/v1/webhook-endpoints',
      tag: 'Webhook endpoints',
      summary: 'Add a webhook endpoint (the signing secret is shown once)',
      body: createWebhookEndpointBody,
      ok: {
        status: 201,
        schema: responses.webhookEndpointWithSecretSchema,
        description: 'The endpoint and its whsec_ secret',
      },
      errors: [400, 409, 415, 422],
    },
    {
      method: 'get',
      path: '/v1/webhook-endpoints',
      tag: 'Webhook endpoints',
      summary: 'List webhook endpoints',
      ok: { status: 200, schema: responses.webhookEndpointListSchema, description: 'All endpoints' },
    },
    {
      method: 'get',
      path: '/v1/webhook-endpoints/{id}',
      tag: 'Webhook endpoints',
      summary: 'Get a webhook endpoint',
      ok: { status: 200, schema: responses.webhookEndpointSchema, description: 'The endpoint' },
      errors: [404],
    },
    {
      method: 'patch',
      path: '/v1/webhook-endpoints/{id}',
      tag: 'Webhook endpoints',
      summary: 'Change the events an endpoint receives, or enable / disable it',
      body: updateWebhookEndpointBody,
      ok: { status: 200, schema: responses.webhookEndpointSchema, description: 'The endpoint' },
      errors: [400, 404, 415, 422],
    },
    {
      method: 'delete',
      path: '/v1/webhook-endpoints/{id}',
      tag: 'Webhook endpoints',
      summary: 'Delete a webhook endpoint',
      ok: { status: 204, description: 'Deleted' },
      errors: [404],
    },
    {
      method: 'post',
      path: '/v1/webhook-endpoints/{id}/rotate-secret',
      tag: 'Webhook endpoints',
      summary: 'Rotate the signing secret (the old one keeps signing for 24 h)',
      body: empty,
      ok: { status: 200, schema: responses.webhookEndpointWithSecretSchema, description: 'The new secret' },
      errors: [400, 404, 415],
    },
    {
      method: 'get',
      path: '/v1/webhook-endpoints/{id}/deliveries',
      tag: 'Webhook endpoints',
      summary: "An endpoint's deliveries with every attempt; `status=failed` for those never accepted",
      query: listDeliveriesQuery,
      ok: { status: 200, schema: responses.webhookDeliveryListSchema, description: 'Deliveries' },
      errors: [404, 422],
    },
    {
      method: 'post',
      path: '/v1/webhook-endpoints/{id}/deliveries/{deliveryId}/replay',
      tag: 'Webhook endpoints',
      summary:
        'Send a delivery again (same webhook-id, fresh signature): queued to the worker; the new attempt appears in the deliveries',
      body: empty,
      ok: {
        status: 202,
        schema: responses.webhookReplaySchema,
        description: 'The replay is queued',
      },
      errors: [400, 404, 415],
    },
    {
      method: 'get',
      path: '/v1/api-keys',
      tag: 'API keys',
      summary: "The app's API keys (never the keys themselves)",
      ok: { status: 200, schema: responses.apiKeyListSchema, description: 'Keys' },
    },
    {
      method: 'post',
      path: '/v1/api-keys',
      tag: 'API keys',
      summary: 'Create another API key (shown once), e.g. to rotate without downtime',
      description:
        "`permissions` restricts the new key (default: the caller's own); asking for one the caller lacks is a 403 naming it.",
      body: createApiKeyBody,
      ok: { status: 201, schema: responses.createdApiKeySchema, description: 'The new key' },
      errors: [400, 409, 415, 422],
    },
    {
      method: 'delete',
      path: '/v1/api-keys/{id}',
      tag: 'API keys',
      summary: 'Revoke an API key (at once)',
      ok: { status: 200, schema: responses.apiKeySchema, description: 'The revoked key' },
      errors: [404],
    },
    {
      method: 'get',
      path: '/healthz',
      tag: 'Health',
      summary: 'The process is up',
      public: true,
      ok: { status: 200, schema: responses.healthSchema, description: 'Up' },
    },
    {
      method: 'get',
      path: '/readyz',
      tag: 'Health',
      summary: 'MongoDB and Temporal answer (503 names the one that does not)',
      public: true,
      ok: { status: 200, schema: responses.readinessSchema, description: 'Ready' },
      errors: [503],
    },
  ];
}

const WEBHOOK_SUMMARY: Record<(typeof WEBHOOK_EVENTS)[number], string> = {
  'link.linked': 'Every required permission is granted: the link is complete',
  'link.permissions_missing':
    'Credentials work but some permissions are missing (sent when the missing set changes)',
  'link.handed_off': 'The requester handed the setup to their Greenhouse admin',
  'link.degraded':
    'A linked link lost a required permission (data has required, granted and missing); the rest still works',
  'link.disconnected': "Greenhouse rejects a linked link's credentials (revoked, deleted, secret rotated)",
  'link.restored': 'A degraded or disconnected link has every required permission again',
  'link.expired': 'The link expired before it was completed',
  'link.cancelled': 'The link was cancelled',
};

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** A response schema: by reference when it is a named component, inline otherwise. */
function responseSchema(schema: z.ZodType) {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return ref(id);
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' });
  return json;
}

function inputSchema(schema: z.ZodType) {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  });
  return json;
}

export function buildOpenApiDocument(options: {
  permissionSets: Record<string, string[]>;
  serverUrl: string;
}) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations(options.permissionSets)) {
    const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = op.query
      ? Object.entries((inputSchema(op.query).properties ?? {}) as Record<string, object>).map(
          ([name, schema]) => ({ name, in: 'query', required: false, schema }),
        )
      : [];
    // Any authenticated POST can meet a reused (422) or in-flight (409) Idempotency-Key.
    const idempotencyErrors = op.method === 'post' && !op.public ? [400, 409, 422] : [];
    const errorStatuses = [
      ...new Set([...(op.public ? [] : [401, 403, 429]), ...idempotencyErrors, ...(op.errors ?? [])]),
    ].sort();
    const problem = (status: number) => ({
      description: ERROR_TEXT[status] ?? 'Error',
      content: { 'application/problem+json': { schema: ref('Problem') } },
    });
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, unknown>)[op.method] = {
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      operationId: `${op.method}${op.path.replace(/\{(\w+)\}/g, 'By-$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      ...(op.public ? { security: [] } : {}),
      parameters: [
        ...pathParams,
        ...query,
        ...(op.method === 'post' && !op.public
          ? [
              {
                name: 'Idempotency-Key',
                in: 'header',
                required: false,
                description:
                  'Same key and body within 24 h: the first response again. Same key, other body: 422.',
                schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
              },
            ]
          : []),
      ],
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: inputSchema(op.body) } },
            },
          }
        : {}),
      responses: {
        [op.ok.status]: {
          description: op.ok.description,
          ...(op.ok.schema
            ? { content: { 'application/json': { schema: responseSchema(op.ok.schema) } } }
            : {}),
        },
        ...Object.fromEntries(errorStatuses.map((s) => [s, problem(s)])),
      },
    };
  }
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    target: 'draft-2020-12',
    io: 'output',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Record<string, unknown>> };
  for (const schema of Object.values(schemas)) delete schema.$schema;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Greenlink API',
      version: '1.0.0',
      description:
        "Link your customers' Greenhouse accounts. Authenticate with `Authorization: Bearer <API key>`. Errors are RFC 9457 problem+json naming each bad field. Lists are paginated with `limit` and the opaque `cursor` from `nextCursor`. Every POST takes an `Idempotency-Key`.",
    },
    servers: [{ url: options.serverUrl }],
    security: [{ apiKey: [] }],
    tags: [
      { name: 'Links' },
      {
        name: 'Webhook endpoints',
        description: `Events: ${WEBHOOK_EVENTS.join(', ')}. Signed per Standard Webhooks.`,
      },
      { name: 'API keys' },
      { name: 'Health' },
    ],
    paths,
    webhooks: Object.fromEntries(
      WEBHOOK_EVENTS.map((event) => [
        event,
        {
          post: {
            summary: WEBHOOK_SUMMARY[event],
            description:
              'Signed per Standard Webhooks: verify `webhook-signature` (v1, HMAC-SHA256 with the whsec_ secret over `webhook-id.webhook-timestamp.body`) and dedupe on `webhook-id`. Answer 2xx; other answers are retried with backoff for 3 days (honouring Retry-After); 410 disables the endpoint.',
            parameters: ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({
              name,
              in: 'header',
              required: true,
              schema: { type: 'string' },
            })),
            requestBody: {
              required: true,
              content: { 'application/json': { schema: ref('WebhookEvent') } },
            },
            responses: { '2XX': { description: 'Received' } },
          },
        },
      ]),
    ),
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An app API key (gl_key_…)' },
      },
      schemas,
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
