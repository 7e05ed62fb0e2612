/** The JSON the API answers with, as zod schemas: the OpenAPI document is generated from these. */
import { z } from 'zod';
import { ALL_PERMISSIONS, type ApiPermission } from '../../domain/api-permissions';
import { LINK_STATUSES, WEBHOOK_EVENTS } from '../../domain/link';
import { CHECKLIST_STATUSES } from '../../domain/probe';
import { ACCESS_KINDS } from '../../store/access-log';

const isoTime = z.iso.datetime({ offset: true });
const person = z.object({ email: z.string(), name: z.string().optional() });
const list = <T extends z.ZodType>(item: T) =>
  z.object({ object: z.literal('list'), data: z.array(item), nextCursor: z.string().nullable().optional() });

/** What a health check found wrong with a linked link (on the link and in its webhook events). */
const healthProblemSchema = z.union([
  z.object({
    kind: z.literal('missing_scopes'),
    scopes: z.array(z.string()),
    needsSiteAdmin: z.array(z.string()).optional(),
  }),
  z.object({ kind: z.literal('needs_site_admin'), scopes: z.array(z.string()) }),
  z.object({ kind: z.literal('credentials_rejected'), problem: z.string(), message: z.string() }),
]);

export const linkSchema = z
  .object({
    object: z.literal('link'),
    id: z.string(),
    status: z.enum(LINK_STATUSES),
    assignee: z.enum(['requester', 'admin']),
    organization: z.object({ id: z.string(), name: z.string() }),
    requester: person,
    admin: person.nullable(),
    permissionSet: z.string(),
    locale: z.enum(['en', 'de']).nullable(),
    metadata: z.record(z.string(), z.string()),
    permissions: z.array(
      z.object({
        scope: z.string(),
        label: z.string(),
        status: z.enum(CHECKLIST_STATUSES),
        evidence: z
          .object({
            httpStatus: z.number().int().optional(),
            message: z.string().optional(),
            checkedAt: z.string(),
          })
          .optional(),
      }),
    ),
    lastCheckedAt: z.string().nullable(),
    credentialProblem: z.object({ problem: z.string(), message: z.string(), at: z.string() }).nullable(),
    remindersSent: z.number().int(),
    health: z
      .object({
        checkedAt: isoTime,
        lastHealthyAt: isoTime.nullable(),
        problem: healthProblemSchema.optional(),
      })
      .nullable()
      .describe('The latest health check of a linked link (null until linked)'),
    auditLog: z
      .object({
        state: z.enum(['pending', 'watching', 'unavailable']),
        polledAt: isoTime.nullable(),
        message: z.string().optional().describe("Why the Audit Log cannot be read (Greenhouse's answer)"),
      })
      .nullable()
      .describe('The Audit Log watcher of a link created with auditLog: true (null otherwise)'),
    deletedAt: isoTime.nullable(),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: 'Link' });

export const createdLinkSchema = linkSchema
  .extend({ connectUrl: z.url(), connectUrlExpiresAt: isoTime })
  .meta({ id: 'CreatedLink' });

export const connectUrlSchema = z
  .object({ id: z.string(), connectUrl: z.url(), connectUrlExpiresAt: isoTime })
  .meta({ id: 'ConnectUrl' });

export const accessTokenSchema = z
  .object({
    object: z.literal('access_token'),
    accessToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresAt: isoTime,
    scopes: z.array(z.string()),
    harvestBaseUrl: z.url(),
    userId: z.string().optional(),
  })
  .meta({ id: 'AccessToken' });

export const linkListSchema = list(linkSchema).meta({ id: 'LinkList' });

export const timelineSchema = list(
  z.object({
    at: isoTime,
    source: z.enum(['link', 'workflow']),
    type: z.string(),
    actor: z.string(),
    detail: z.record(z.string(), z.unknown()),
  }),
).meta({ id: 'Timeline' });

export const acceptedSchema = z
  .object({
    id: z.string(),
    recheck: z.literal('requested').optional(),
    cancel: z.literal('requested').optional(),
    deleted: z.literal(true).optional(),
  })
  .meta({ id: 'Accepted' });

export const apiKeySchema = z
  .object({
    object: z.literal('api_key'),
    id: z.string(),
    prefix: z.string(),
    createdAt: isoTime,
    revokedAt: isoTime.nullable(),
    permissions: z.array(z.enum(ALL_PERMISSIONS as [ApiPermission, ...ApiPermission[]])),
    lastUsedAt: isoTime.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const credentialsSchema = z
  .object({
    object: z.literal('credentials'),
    id: z.string(),
    type: z.enum(['harvest_v3', 'legacy_v1']),
    clientId: z.string().optional(),
    clientSecret: z.string().optional(),
    userId: z.string().optional(),
    apiKey: z.string().optional(),
  })
  .meta({ id: 'Credentials' });

export const accessLogSchema = list(
  z.object({
    object: z.literal('access_log_entry'),
    id: z.string(),
    at: isoTime,
    kind: z.enum(ACCESS_KINDS),
    apiKeyId: z.string(),
    status: z.number().int(),
    durationMs: z.number(),
    method: z.string().optional(),
    path: z.string().optional(),
    requestBytes: z.number().int().optional(),
    responseBytes: z.number().int().optional(),
    aborted: z.boolean().optional(),
  }),
).meta({ id: 'AccessLog' });

export const createdApiKeySchema = apiKeySchema.extend({ key: z.string() }).meta({ id: 'CreatedApiKey' });
export const apiKeyListSchema = list(apiKeySchema).meta({ id: 'ApiKeyList' });

export const webhookEndpointSchema = z
  .object({
    object: z.literal('webhook_endpoint'),
    id: z.string(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENTS)),
    enabled: z.boolean(),
    disabledReason: z.string().nullable(),
    createdAt: isoTime,
  })
  .meta({ id: 'WebhookEndpoint' });

export const webhookEndpointWithSecretSchema = webhookEndpointSchema
  .extend({ secret: z.string().startsWith('whsec_'), previousSecretExpiresAt: isoTime.nullable().optional() })
  .meta({ id: 'WebhookEndpointWithSecret' });

export const webhookEndpointListSchema = list(webhookEndpointSchema).meta({ id: 'WebhookEndpointList' });

export const webhookDeliverySchema = z
  .object({
    object: z.literal('webhook_delivery'),
    id: z.string(),
    eventId: z.string(),
    endpointId: z.string(),
    linkId: z.string(),
    type: z.enum(WEBHOOK_EVENTS),
    status: z.enum(['pending', 'delivered', 'endpoint_gone']),
    attempts: z.array(
      z.object({
        at: isoTime,
        httpStatus: z.number().int().nullable(),
        error: z.string().nullable(),
        durationMs: z.number(),
      }),
    ),
    deliveredAt: isoTime.nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

export const webhookDeliveryListSchema = list(webhookDeliverySchema).meta({ id: 'WebhookDeliveryList' });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    /** missing_permission: the API key permission the call needs. */
    permission: z.enum(ALL_PERMISSIONS as [ApiPermission, ...ApiPermission[]]).optional(),
    /** quota_exceeded and the limits (429): which limit, and for limits when to try again. */
    limit: z.union([z.string(), z.number().int()]).optional(),
    retryAfterSeconds: z.number().int().optional(),
    /** missing_scope (proxy): the Greenhouse scope the call needs, its label, the fix, Greenhouse's words. */
    scope: z.string().optional(),
    label: z.string().optional(),
    fix: z.string().optional(),
    greenhouseMessage: z.string().optional(),
    /** scope_not_in_permission_set (proxy): the link's permission set. */
    permissionSet: z.string().optional(),
    requestId: z.string().optional().describe('The Request-Id of the answer: quote it to support'),
  })
  .meta({ id: 'Problem' });

export const healthSchema = z.object({ status: z.string(), detail: z.string().optional() });

const upOrDown = z.enum(['up', 'down']);
export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  dependencies: z.object({ mongodb: upOrDown, temporal: upOrDown }),
});

const webhookData = z.object({
  object: z.literal('link'),
  id: z.string(),
  status: z.enum(LINK_STATUSES),
  assignee: z.enum(['requester', 'admin']),
  missing: z.array(z.string()).describe('Required scopes not granted at the last check'),
  required: z.array(z.string()).optional().describe('The scopes the link needs (degraded, restored)'),
  granted: z
    .array(z.string())
    .optional()
    .describe('The scopes granted at the last check (degraded, restored)'),
  problem: healthProblemSchema.optional().describe('What the health check found (degraded, disconnected)'),
});

const eventName = (type: string) =>
  `${type
    .split(/[._]/)
    .map((w) => `${w[0]?.toUpperCase()}${w.slice(1)}`)
    .join('')}Event`;

/** The body Greenlink POSTs for each event type (Standard Webhooks: see the webhook-* headers). */
export const webhookEventSchemas = Object.fromEntries(
  WEBHOOK_EVENTS.map((type) => [
    type,
    z.object({ type: z.literal(type), timestamp: isoTime, data: webhookData }).meta({ id: eventName(type) }),
  ]),
) as unknown as Record<(typeof WEBHOOK_EVENTS)[number], z.ZodObject>;

/** Any event: `type` says which. */
export const webhookEventSchema = z
  .discriminatedUnion(
    'type',
    Object.values(webhookEventSchemas) as [z.ZodObject, z.ZodObject, ...z.ZodObject[]],
  )
  .meta({ id: 'WebhookEvent' });

export const webhookReplaySchema = z
  .object({ object: z.literal('webhook_replay'), deliveryId: z.string(), status: z.literal('queued') })
  .meta({ id: 'WebhookReplay' });
