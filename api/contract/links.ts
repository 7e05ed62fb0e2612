import { z } from 'zod';
import { route } from './declare';
import { createLinkExample, linkExample } from './examples';
import {
  accessLogQuery,
  cancelLinkBody,
  createLinkBodySchema,
  listLinksQuery,
  timelineQuery,
} from './request-schemas';
import * as responses from './response-schemas';

export const idParams = z.object({ id: z.string().min(1).max(200) });
/** POSTs that take no fields: `{}` or no body at all. */
export const emptyBody = z.object({}).strict();

export interface ContractOptions {
  /** The deployment's permission sets (built-in plus configured): the values `permissionSet` may take. */
  permissionSets: Record<string, string[]>;
  minReminderGapMs?: number;
}

/** A link's life through the integrator API. */
export const linkRoutes = (options: ContractOptions) =>
  [
    route({
      operationId: 'links.create',
      method: 'post',
      path: '/v1/links',
      access: { apiKey: 'links:write' },
      tag: 'Links',
      summary: 'Start a link',
      description:
        'Starts the link workflow and returns the requester connect URL. The `permissionSet` names the Greenhouse scopes the link needs.',
      body: createLinkBodySchema(options.permissionSets, options.minReminderGapMs),
      bodyExample: createLinkExample,
      responses: {
        201: {
          description: 'The link, with its connect URL',
          schema: responses.createdLinkSchema,
          example: {
            ...linkExample,
            status: 'awaiting_credentials',
            connectUrl: 'https://link.wintro.example/connect/ct_8YkQ…',
            connectUrlExpiresAt: '2026-12-04T09:12:44.000Z',
          },
        },
      },
      errors: [409, 413, 415, 422],
    }),
    route({
      operationId: 'links.list',
      method: 'get',
      path: '/v1/links',
      access: { apiKey: 'links:read' },
      tag: 'Links',
      summary: 'List links, newest first',
      query: listLinksQuery,
      responses: { 200: { description: 'A page of links', schema: responses.linkListSchema } },
      errors: [422],
    }),
    route({
      operationId: 'links.get',
      method: 'get',
      path: '/v1/links/:id',
      access: { apiKey: 'links:read' },
      tag: 'Links',
      summary: 'Get a link',
      params: idParams,
      responses: { 200: { description: 'The link', schema: responses.linkSchema, example: linkExample } },
      errors: [404],
    }),
    route({
      operationId: 'links.timeline',
      method: 'get',
      path: '/v1/links/:id/timeline',
      access: { apiKey: 'links:read' },
      tag: 'Links',
      summary: "A link's whole history, in pages",
      description:
        "Greenlink's event log merged with the Temporal workflow history (signals, updates, activities, timers), newest first, `limit` entries per page (default 100, at most 500) and `nextCursor` for the next. No secrets, no internal host names: a failure says its `reason` (`greenhouse_unreachable`, `email_server_unreachable`, `timed_out`, …), the worker's log has the rest.",
      params: idParams,
      query: timelineQuery,
      responses: { 200: { description: 'Entries, newest first', schema: responses.timelineSchema } },
      errors: [404, 422],
    }),
    route({
      operationId: 'links.newConnectUrl',
      method: 'post',
      path: '/v1/links/:id/connect-url',
      access: { apiKey: 'links:write' },
      tag: 'Links',
      summary: 'Issue a new requester connect URL (older ones stop working)',
      params: idParams,
      body: emptyBody,
      responses: { 201: { description: 'The new URL', schema: responses.connectUrlSchema } },
      errors: [404, 415, 422],
    }),
    route({
      operationId: 'links.recheck',
      method: 'post',
      path: '/v1/links/:id/recheck',
      access: { apiKey: 'links:write' },
      tag: 'Links',
      summary: 'Check the Greenhouse permissions again now',
      params: idParams,
      body: emptyBody,
      responses: { 202: { description: 'Re-check requested', schema: responses.acceptedSchema } },
      errors: [404, 409, 415, 422],
    }),
    route({
      operationId: 'links.cancel',
      method: 'post',
      path: '/v1/links/:id/cancel',
      access: { apiKey: 'links:write' },
      tag: 'Links',
      summary: 'Cancel a link',
      params: idParams,
      body: cancelLinkBody,
      bodyExample: { reason: 'the customer left' },
      responses: { 202: { description: 'Cancel requested', schema: responses.acceptedSchema } },
      errors: [404, 409, 415, 422],
    }),
    route({
      operationId: 'links.delete',
      method: 'delete',
      path: '/v1/links/:id',
      access: { apiKey: 'links:write' },
      tag: 'Links',
      summary: 'Delete a link: end it and erase its credentials',
      description:
        'Its connect URLs and the links in its emails stop working at once, the stored credentials and cached tokens are deleted before the answer, and its run ends as `cancelled` with reason `deleted` (webhook `link.cancelled`). The record and its timeline stay readable (`deletedAt` is set); tokens and proxied calls answer 409 `link_deleted`. Repeating it is harmless.',
      params: idParams,
      responses: { 202: { description: 'Deleted; the run is ending', schema: responses.acceptedSchema } },
      errors: [404],
    }),
    route({
      operationId: 'links.accessToken',
      method: 'post',
      path: '/v1/links/:id/access-token',
      access: { apiKey: 'links:use' },
      tag: 'Using a link',
      summary: 'A Harvest v3 bearer token for a linked link',
      description:
        'Minted from the stored credentials and cached (encrypted, shared by every replica) until 5 minutes before it expires, so many callers cause one mint. Call Greenhouse at `harvestBaseUrl` with it, or use the proxy. 409 when the link is not `linked` or `degraded` (the problem names its status). A refused mint has the link checked at once.',
      params: idParams,
      body: emptyBody,
      notRemembered:
        'a token is a secret that must follow the link: a remembered answer would hand it out after the link is deleted or its scopes change; asking again is safe (the cached token comes back)',
      responses: {
        200: { description: 'The token (Cache-Control: no-store)', schema: responses.accessTokenSchema },
      },
      errors: [404, 409, 415, 422, 503],
    }),
    route({
      operationId: 'links.proxy',
      method: 'get',
      alsoMethods: ['post', 'put', 'patch', 'delete'],
      path: '/v1/links/:id/proxy/*path',
      access: { apiKey: 'links:use' },
      tag: 'Using a link',
      summary: 'Call Harvest v3 through the link (GET, POST, PUT, PATCH and DELETE alike)',
      description:
        "Forwards `/v3/<path>` to Greenhouse with a fresh token, when the call's scope is in the link's permission set (else a 403 `scope_not_in_permission_set` naming scope and set, before any body is read; a set configured with `proxy: \"any\"` forwards any call). A write with `Idempotency-Key` is sent once: a repeat gets the first answer (`Idempotent-Replayed: true`), a different write under the key a 422. One rate budget per Greenhouse account is shared by every caller: when it is used up the proxy waits for the window, or answers 429 at once with `Greenlink-On-Rate-Limit: fail`. A 401 re-mints once; 429 and 5xx are retried for GET, and for writes sent with `Idempotency-Key`. Pagination `Link` headers point back at the proxy. A 403 names the scope the call needs, its Greenhouse label and the fix. Paths that leave `/v3/` (dot segments, encoded or not) are a 400. Greenhouse's own status and JSON body are passed through otherwise.",
      params: z.object({
        id: z.string().min(1).max(200),
        path: z.array(z.string()).describe('The Harvest path from `v3/` on, e.g. `v3/candidates`'),
      }),
      body: 'raw',
      responses: {
        200: { description: "Greenhouse's answer, passed through (Cache-Control: no-store)" },
      },
      errors: [400, 403, 404, 405, 409, 413, 502, 503],
      deadlineMs: 60_000,
    }),
    route({
      operationId: 'links.credentials',
      method: 'get',
      path: '/v1/links/:id/credentials',
      access: { apiKey: 'credentials:read' },
      tag: 'Using a link',
      summary: "Export the link's stored Greenhouse credentials",
      description:
        'Only for an API key with the `credentials:read` permission (not in a default key). Never cached.',
      params: idParams,
      responses: { 200: { description: 'The credentials', schema: responses.credentialsSchema } },
      errors: [404, 409],
    }),
    route({
      operationId: 'links.accessLog',
      method: 'get',
      path: '/v1/links/:id/access-log',
      access: { apiKey: 'links:read' },
      tag: 'Using a link',
      summary: 'Every use of the link: tokens issued, proxied calls, exports (kept 30 days)',
      description:
        'Newest first, in cursor pages. Each entry names the API key, the status Greenlink answered, the time taken and the sizes; proxied calls add the Harvest method and path (without the query string). Never a token, a secret or a body.',
      params: idParams,
      query: accessLogQuery,
      responses: { 200: { description: 'A page of entries', schema: responses.accessLogSchema } },
      errors: [404, 422],
    }),
  ] as const;
