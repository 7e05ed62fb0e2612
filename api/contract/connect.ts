import { z } from 'zod';
import { LINK_STATUSES } from '../../domain/link';
import { SCOPE_STATUSES } from '../../domain/probe';
import { formSchema } from '../forms';
import { route } from './declare';
import { credentialsExample } from './examples';
import { emptyBody } from './links';
import { handOffBody } from './request-schemas';
import * as responses from './response-schemas';

const tokenParams = z.object({ token: z.string().min(1).max(300) });

// Named schemas are made once: the registry refuses an id twice (and the app is built more than once in tests).
const requested = (field: string) => z.object({ [field]: z.literal('requested') });
const recheckRequested = requested('recheck').meta({ id: 'ConnectRecheck' });
const handOffRequested = requested('handOff').meta({ id: 'ConnectHandOff' });
const reassignRequested = requested('reassign').meta({ id: 'ConnectReassign' });
const connectStatus = responses.linkSchema
  .pick({
    id: true,
    status: true,
    assignee: true,
    permissions: true,
    credentialProblem: true,
    lastCheckedAt: true,
  })
  .meta({ id: 'ConnectStatus' });

const submitAnswer = z
  .object({
    status: z.enum(LINK_STATUSES),
    results: z.array(
      z.object({
        scope: z.string(),
        status: z.enum(SCOPE_STATUSES),
        evidence: z.object({
          httpStatus: z.number().int().optional(),
          message: z.string().optional(),
          checkedAt: z.string(),
        }),
      }),
    ),
    credentialProblem: z.object({ problem: z.string(), message: z.string(), at: z.string() }).nullable(),
    checking: z
      .literal(true)
      .optional()
      .describe('The check is still running: read the status for its result'),
  })
  .meta({ id: 'CredentialsCheck' });

/** A form post (a browser) goes back to the page, saying what happened. */
const backToPage = { 303: { description: 'A form post: back to the page' } };
const pageResponse = (description: string) => ({ 200: { description, contentType: 'text/html' } });

/**
 * The hosted connect flow. The token in the path is the only credential (one link, expiring); browsers post
 * forms and get pages, scripts post JSON and get JSON from the same routes.
 */
export const connectRoutes = () =>
  [
    route({
      operationId: 'connect.page',
      method: 'get',
      path: '/connect/:token',
      access: { connectToken: true },
      tag: 'Pages',
      summary: 'The hosted connect page',
      params: tokenParams,
      page: true,
      responses: pageResponse('The page (a first visit moves the token into a cookie: 303)'),
    }),
    route({
      operationId: 'connect.status',
      method: 'get',
      path: '/connect/:token/status',
      access: { connectToken: true },
      tag: 'Connect',
      summary: "Where the link stands: the page's live updates read this",
      params: tokenParams,
      responses: {
        200: {
          description: 'Status and checklist',
          schema: connectStatus,
        },
      },
      errors: [404],
    }),
    route({
      operationId: 'connect.submitCredentials',
      method: 'post',
      path: '/connect/:token/credentials',
      access: { connectToken: true },
      tag: 'Connect',
      summary: 'Submit Greenhouse Harvest v3 credentials; the answer is the permission check',
      description:
        'JSON in, JSON out (a form post gets the page back). `checking: true` (202) when the check takes longer than the wait: the status shows its result.',
      params: tokenParams,
      body: 'form',
      bodyDoc: formSchema('credentials'),
      bodyExample: credentialsExample,
      responses: {
        200: { description: 'The check', schema: submitAnswer },
        202: { description: 'Still checking', schema: submitAnswer },
        ...backToPage,
      },
      errors: [404, 409, 413, 422, 503],
    }),
    route({
      operationId: 'connect.recheck',
      method: 'post',
      path: '/connect/:token/recheck',
      access: { connectToken: true },
      tag: 'Connect',
      summary: '"Check again": probe the permissions now',
      params: tokenParams,
      body: 'form',
      bodyDoc: emptyBody,
      responses: { 202: { description: 'Requested', schema: recheckRequested }, ...backToPage },
      errors: [404, 409, 413, 503],
    }),
    route({
      operationId: 'connect.handOff',
      method: 'post',
      path: '/connect/:token/handoff',
      access: { connectToken: true },
      tag: 'Connect',
      summary: 'Hand the setup to the Greenhouse admin (they get an email with their own link)',
      params: tokenParams,
      body: 'form',
      bodyDoc: handOffBody,
      bodyExample: {
        email: 'it-admin@acme.example',
        name: 'Sam Admin',
        note: 'Could you tick the missing scopes?',
      },
      responses: { 202: { description: 'Requested', schema: handOffRequested }, ...backToPage },
      errors: [404, 409, 413, 422, 503],
    }),
    route({
      operationId: 'connect.notAdmin',
      method: 'post',
      path: '/connect/:token/not-admin',
      access: { connectToken: true },
      tag: 'Connect',
      summary: '"I\'m not the admin": send the setup back to the requester (admin links only)',
      params: tokenParams,
      body: 'form',
      bodyDoc: emptyBody,
      responses: {
        202: { description: 'Requested', schema: reassignRequested },
        200: { description: 'A form post: the page saying it went back', contentType: 'text/html' },
      },
      errors: [404, 409, 413, 503],
    }),
  ] as const;
