import { z } from 'zod';
import { route } from './declare';
import { idParams } from './links';
import { accessLogQuery, timelineQuery } from './request-schemas';
import * as responses from './response-schemas';

const base64 = z.string().regex(/^[A-Za-z0-9+/=_-]*$/, 'must be base64');
/** Temporal's codec server protocol (what the Temporal UI sends). */
export const codecPayloads = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).default({}), data: base64.default('') }))
    .max(1000),
});

const operatorLink = responses.linkSchema.extend({ appId: z.string() }).meta({ id: 'OperatorLink' });
const html = (description: string) => ({ 200: { description, contentType: 'text/html' } });
const actionParams = z.object({ id: z.string().min(1).max(200), action: z.string().min(1).max(50) });

/**
 * Operators (OPERATOR_TOKENS): any app's link as JSON, Temporal's codec, the sign-in form and the console's
 * pages. `read` operators read; actions need `act`.
 */
export const operatorRoutes = () =>
  [
    route({
      operationId: 'operator.getLink',
      method: 'get',
      path: '/ops/links/:id',
      access: { operator: 'read' },
      tag: 'Operators',
      summary: "Any app's link (with its appId)",
      params: idParams,
      responses: {
        200: {
          description: 'The link',
          schema: operatorLink,
        },
      },
      errors: [404],
    }),
    route({
      operationId: 'operator.timeline',
      method: 'get',
      path: '/ops/links/:id/timeline',
      access: { operator: 'read' },
      tag: 'Operators',
      summary: "Any app's link's whole history, in pages (as GET /v1/links/:id/timeline)",
      params: idParams,
      query: timelineQuery,
      responses: { 200: { description: 'Entries, newest first', schema: responses.timelineSchema } },
      errors: [404, 422],
    }),
    route({
      operationId: 'operator.accessLog',
      method: 'get',
      path: '/ops/links/:id/access-log',
      access: { operator: 'read' },
      tag: 'Operators',
      summary: "Any app's link's access log",
      params: idParams,
      query: accessLogQuery,
      responses: { 200: { description: 'A page of entries', schema: responses.accessLogSchema } },
      errors: [404, 422],
    }),
    route({
      operationId: 'operator.codecDecode',
      method: 'post',
      path: '/ops/codec/decode',
      access: { operator: 'read' },
      tag: 'Operators',
      summary: "Temporal's codec server: the Temporal UI shows decrypted payloads to an operator",
      body: codecPayloads,
      bodyExample: { payloads: [{ metadata: { encoding: 'YmluYXJ5L2VuY3J5cHRlZA==' }, data: 'AAEC' }] },
      responses: { 200: { description: 'The payloads, decoded', schema: codecPayloads } },
      errors: [413, 415, 422],
    }),
    route({
      operationId: 'operator.codecEncode',
      method: 'post',
      path: '/ops/codec/encode',
      // Encrypting with the production key (what the UI does to send a signal) is acting, not reading.
      access: { operator: 'act' },
      tag: 'Operators',
      summary: "Temporal's codec server: payloads the Temporal UI sends, encrypted with the current key",
      body: codecPayloads,
      bodyExample: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'e30=' }] },
      responses: { 200: { description: 'The payloads, encoded', schema: codecPayloads } },
      errors: [413, 415, 422],
    }),
    route({
      operationId: 'operator.signInForm',
      method: 'get',
      path: '/ops/login',
      access: { public: 'the sign-in form itself' },
      tag: 'Pages',
      summary: 'The console sign-in form',
      page: true,
      responses: html('The form'),
    }),
    route({
      operationId: 'operator.signIn',
      method: 'post',
      path: '/ops/login',
      access: { public: 'exchanges an operator token for a session; failures are counted and locked out' },
      tag: 'Pages',
      summary: 'Sign in to the console',
      page: true,
      body: 'form',
      responses: { 303: { description: 'To the console' } },
    }),
    route({
      operationId: 'operator.signOut',
      method: 'post',
      path: '/ops/logout',
      access: { public: "ends the session named by the request's own cookie (CSRF-checked)" },
      tag: 'Pages',
      summary: 'Sign out',
      page: true,
      body: 'form',
      responses: { 303: { description: 'To the sign-in form' } },
    }),
    route({
      operationId: 'console.links',
      method: 'get',
      path: '/ops/console',
      access: { operator: 'read' },
      tag: 'Pages',
      summary: 'Links: search, facets, needs attention',
      page: true,
      responses: html('The list'),
    }),
    route({
      operationId: 'console.overview',
      method: 'get',
      path: '/ops/console/overview',
      access: { operator: 'read' },
      tag: 'Pages',
      summary: 'Links per day and the funnel',
      page: true,
      responses: html('The overview'),
    }),
    route({
      operationId: 'console.audit',
      method: 'get',
      path: '/ops/console/audit',
      access: { operator: 'read' },
      tag: 'Pages',
      summary: 'Operator activity',
      page: true,
      responses: html('The audit log'),
    }),
    route({
      operationId: 'console.endSessions',
      method: 'post',
      path: '/ops/console/sessions/end',
      access: { operator: 'act' },
      tag: 'Pages',
      summary: "End every console session, or one operator's",
      page: true,
      body: 'form',
      responses: { 303: { description: 'To the activity log (or to sign-in, when it ended your own)' } },
    }),
    route({
      operationId: 'console.link',
      method: 'get',
      path: '/ops/console/links/:id',
      access: { operator: 'read' },
      tag: 'Pages',
      summary: "A link's story",
      params: idParams,
      page: true,
      responses: html('The story'),
    }),
    route({
      operationId: 'console.confirmAction',
      method: 'get',
      path: '/ops/console/links/:id/actions/:action',
      access: { operator: 'act' },
      tag: 'Pages',
      summary: 'What an action will do, and its form',
      params: actionParams,
      page: true,
      responses: html('The confirmation'),
    }),
    route({
      operationId: 'console.runAction',
      method: 'post',
      path: '/ops/console/links/:id/actions/:action',
      access: { operator: 'act' },
      tag: 'Pages',
      summary: 'Run an action on a link',
      params: actionParams,
      page: true,
      body: 'form',
      responses: { 303: { description: 'Back to the story, saying what was done' } },
    }),
  ] as const;

/** The process itself, the document and the docs: no key needed. */
export const serviceRoutes = () =>
  [
    route({
      operationId: 'health.live',
      method: 'get',
      path: '/healthz',
      access: { public: "a load balancer's liveness probe" },
      tag: 'Health',
      summary: 'The process is up',
      responses: { 200: { description: 'Up', schema: responses.healthSchema } },
    }),
    route({
      operationId: 'health.ready',
      method: 'get',
      path: '/readyz',
      access: { public: "a load balancer's readiness probe (names only, never why)" },
      tag: 'Health',
      summary: 'MongoDB and Temporal answer (503 names the one that does not)',
      responses: {
        200: { description: 'Ready', schema: responses.readinessSchema },
        503: {
          description: 'Not ready: the dependency that does not answer',
          schema: responses.readinessSchema,
        },
      },
    }),
    route({
      operationId: 'docs.openapi',
      method: 'get',
      path: '/openapi.json',
      access: { public: 'the API document' },
      tag: 'Pages',
      summary: 'This document',
      page: true,
      responses: { 200: { description: 'OpenAPI 3.1' } },
    }),
    route({
      operationId: 'docs.page',
      method: 'get',
      path: '/docs',
      access: { public: 'the API reference' },
      tag: 'Pages',
      summary: 'The API reference, readable',
      page: true,
      responses: html('The reference'),
    }),
  ] as const;
