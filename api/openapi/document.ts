/**
 * OpenAPI 3.1 for the API, generated from the route declarations (api/contract/): paths, operationIds, the
 * permission each operation needs, the zod schemas the routes validate with, examples, and the webhook events.
 * `npm run openapi` writes it to docs/openapi.json, from which `@greenlink/client` is generated.
 */
import { z } from 'zod';
import { API_PERMISSIONS } from '../../domain/api-permissions';
import { WEBHOOK_EVENTS } from '../../domain/link';
import {
  allMethods,
  type HttpMethod,
  openApiPath,
  permissionOf,
  type RouteSpec,
  takesIdempotencyKey,
} from '../contract/declare';
import { webhookEventSchemas } from '../contract/response-schemas';
import { apiRoutes, type ContractOptions } from '../contract/routes';

const ERROR_TEXT: Record<number, string> = {
  400: 'Malformed request (bad JSON, bad Idempotency-Key, a path the proxy refuses)',
  401: 'Missing, invalid or revoked credentials',
  403: 'The API key lacks the permission this call needs (named in the problem); on the proxy, Greenhouse refused the call (the problem names the missing scope and its fix)',
  404: 'No such resource for this caller',
  405: 'The proxy does not forward this method',
  409: 'The link cannot take this action now, or a request with this Idempotency-Key is in flight',
  413: 'Body too large',
  415: 'Body is not JSON',
  422: 'Validation failed (each field named), or an Idempotency-Key reused with another body',
  429: 'Rate limit exceeded; see Retry-After',
  502: 'Greenhouse did not answer the proxied call',
  503: 'A dependency (Temporal, MongoDB, Greenhouse) did not answer in time; see Retry-After',
};

const TAGS: { name: RouteSpec['tag']; description?: string }[] = [
  { name: 'Links', description: 'Start a link for a customer organization and follow it to `linked`.' },
  {
    name: 'Using a link',
    description: 'Tokens, the proxy and the access log of a linked link.',
  },
  {
    name: 'Webhook endpoints',
    description: `Events: ${WEBHOOK_EVENTS.join(', ')}. Signed per Standard Webhooks.`,
  },
  { name: 'API keys', description: 'Restricted keys, Stripe-style: each names its permissions.' },
  {
    name: 'Connect',
    description:
      'The JSON side of the hosted connect flow: the token in the path (from `connectUrl`) is the credential.',
  },
  { name: 'Operators', description: 'Support engineers with an operator token (OPERATOR_TOKENS).' },
  { name: 'Health' },
];

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

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const id = io === 'output' ? z.globalRegistry.get(schema)?.id : undefined;
  if (id) return ref(id);
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  });
  return json;
}

/** The access an operation needs, as OpenAPI security (scopes on the bearer schemes) and as an extension. */
function security(spec: RouteSpec) {
  const { access } = spec;
  if ('apiKey' in access) return { security: [{ apiKey: [access.apiKey] }] };
  if ('operator' in access) return { security: [{ operatorToken: [access.operator] }] };
  return { security: [] };
}

function errorStatuses(spec: RouteSpec, method: HttpMethod): number[] {
  const { access } = spec;
  const byAccess =
    'apiKey' in access
      ? [401, 403, 429]
      : 'operator' in access
        ? [401, 403, 429]
        : 'connectToken' in access
          ? [429]
          : [];
  const parsesBody = typeof spec.body === 'object' || spec.body === 'form';
  const idempotent = takesIdempotencyKey(spec, method);
  return [
    ...new Set([
      ...byAccess,
      ...(parsesBody ? [400] : []),
      ...(idempotent ? [400, 409, 422] : []),
      ...(spec.errors ?? []),
      ...('public' in access ? [] : [503]),
    ]),
  ]
    .filter((status) => !(status in spec.responses))
    .sort();
}

function operation(spec: RouteSpec, method: HttpMethod) {
  const pathParams = Object.entries(
    ((spec.params ? jsonSchema(spec.params, 'input').properties : undefined) ?? {}) as Record<
      string,
      Record<string, unknown>
    >,
  ).map(([name, schema]) => ({
    name,
    in: 'path',
    required: true,
    // The proxy's rest of the path is one string to a client (OpenAPI has no multi-segment parameter).
    schema: schema.type === 'string' || schema.enum ? schema : { type: 'string' },
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
  }));
  const query = Object.entries(
    ((spec.query ? jsonSchema(spec.query, 'input').properties : undefined) ?? {}) as Record<string, object>,
  ).map(([name, schema]) => ({ name, in: 'query', required: false, schema }));
  const idempotent = takesIdempotencyKey(spec, method);
  const bodySchema = typeof spec.body === 'object' ? spec.body : spec.bodyDoc;
  // A body that takes no fields shows `{}`: what to send is never left to guess.
  const bodyExample = spec.bodyExample ?? (bodySchema?.safeParse({}).success ? {} : undefined);
  const example = bodyExample === undefined ? {} : { example: bodyExample };
  const requestBody = bodySchema
    ? {
        required: !bodySchema.safeParse({}).success,
        content: { 'application/json': { schema: jsonSchema(bodySchema, 'input'), ...example } },
      }
    : spec.body === 'raw' && method !== 'get' && method !== 'delete'
      ? { required: false, content: { 'application/json': { schema: {} } } }
      : undefined;
  // The connect flow answers a browser (no JSON body) with a page, a script with problem+json.
  const forBrowsers = 'connectToken' in spec.access ? { 'text/html': { schema: { type: 'string' } } } : {};
  const problem = (status: number) => ({
    description: ERROR_TEXT[status] ?? 'Error',
    headers: { 'Request-Id': { $ref: '#/components/headers/Request-Id' } },
    content: { 'application/problem+json': { schema: ref('Problem') }, ...forBrowsers },
  });
  return {
    tags: [spec.tag],
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    operationId:
      method === spec.method
        ? spec.operationId
        : `${spec.operationId}${method[0]?.toUpperCase()}${method.slice(1)}`,
    'x-greenlink-permission': permissionOf(spec.access),
    ...security(spec),
    parameters: [
      ...pathParams,
      ...query,
      ...(idempotent
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
    ...(requestBody ? { requestBody } : {}),
    responses: {
      ...Object.fromEntries(
        Object.entries(spec.responses).map(([status, r]) => [
          status,
          {
            description: r.description,
            headers: { 'Request-Id': { $ref: '#/components/headers/Request-Id' } },
            ...(r.schema
              ? {
                  content: {
                    'application/json': {
                      schema: jsonSchema(r.schema, 'output'),
                      ...(r.example === undefined ? {} : { example: r.example }),
                    },
                  },
                }
              : r.contentType
                ? { content: { [r.contentType]: { schema: { type: 'string' } } } }
                : {}),
          },
        ]),
      ),
      ...Object.fromEntries(errorStatuses(spec, method).map((s) => [s, problem(s)])),
    },
  };
}

export function buildOpenApiDocument(options: ContractOptions, serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of apiRoutes(options) as readonly RouteSpec[]) {
    if (spec.page) continue;
    const path = openApiPath(spec.path);
    paths[path] ??= {};
    for (const method of allMethods(spec))
      (paths[path] as Record<string, unknown>)[method] = operation(spec, method);
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
        "Link your customers' Greenhouse accounts. Authenticate with `Authorization: Bearer <API key>`; each operation names the key permission it needs (`x-greenlink-permission`, and as the scope of the `apiKey` scheme). Errors are RFC 9457 problem+json naming each bad field, with the answer's `requestId`. Lists are paginated with `limit` and the opaque `cursor` from `nextCursor`. Every POST takes an `Idempotency-Key`. Every answer carries `Request-Id` (send your own to trace a call end to end).",
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: serverUrl }],
    security: [{ apiKey: [] }],
    tags: TAGS,
    paths,
    webhooks: Object.fromEntries(
      WEBHOOK_EVENTS.map((event) => [
        event,
        {
          post: {
            operationId: `webhooks.${event}`,
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
              content: {
                'application/json': {
                  schema: ref(z.globalRegistry.get(webhookEventSchemas[event])?.id as string),
                },
              },
            },
            responses: { '2XX': { description: 'Received' } },
          },
        },
      ]),
    ),
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: `An app API key (gl_key_…). Its permissions, the scopes named on each operation: ${Object.entries(
            API_PERMISSIONS,
          )
            .map(([p, text]) => `\`${p}\` ${text}`)
            .join('; ')}.`,
        },
        operatorToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'An operator token (OPERATOR_TOKENS); scopes are roles: `read`, `act`.',
        },
      },
      headers: {
        'Request-Id': {
          description:
            'The id of this request (yours when you sent a well-formed one): in every log line and problem.',
          schema: { type: 'string' },
        },
      },
      schemas,
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
