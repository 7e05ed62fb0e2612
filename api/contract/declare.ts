/**
 * One declaration per route: method, path, who may call it, its zod schemas and its OpenAPI words. Express
 * (api/contract/mount.ts), the access check, `/openapi.json`, `/docs` and `@greenlink/client` are all built
 * from these; nothing else registers a route.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { ApiPermission } from '../../domain/api-permissions';
import type { OperatorRole } from '../../domain/operator';

/**
 * Who may call a route. Required on every declaration (mount refuses one without it, naming it):
 * an API key holding a permission, the connect token in the path, an operator of a role, or nobody in
 * particular (then say why it is public).
 */
export type Access =
  | { apiKey: ApiPermission }
  | { connectToken: true }
  | { operator: OperatorRole }
  | { public: string };

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export type Tag =
  | 'Links'
  | 'Using a link'
  | 'Webhook endpoints'
  | 'API keys'
  | 'Connect'
  | 'Operators'
  | 'Health'
  | 'Pages';

export interface ResponseSpec {
  description: string;
  /** JSON body; absent for an empty body or one passed through (the proxy's). */
  schema?: z.ZodType;
  /** Another content type than JSON (pages). */
  contentType?: string;
  example?: unknown;
}

export interface RouteSpec {
  /** Resource-style: `links.create`, `webhookEndpoints.rotateSecret`. Unique. */
  operationId: string;
  method: HttpMethod;
  /** Further methods the same handler answers (the proxy forwards GET, POST, PUT, PATCH and DELETE alike). */
  alsoMethods?: readonly HttpMethod[];
  /** Express pattern, case-sensitive and strict: `/v1/links/:id`. */
  path: string;
  access: Access;
  tag: Tag;
  summary: string;
  description?: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /**
   * `z.ZodType`: a JSON body, validated before the handler. `raw`: the body is the handler's (the proxy
   * streams it on). `form`: a form or a JSON body the handler validates itself (pages re-render with each
   * field's error); `bodyDoc` then documents the JSON side.
   */
  body?: z.ZodType | 'raw' | 'form';
  bodyDoc?: z.ZodType;
  bodyExample?: unknown;
  /** The answers of a successful call, by status. */
  responses: Record<number, ResponseSpec>;
  /** Error statuses this route can answer besides the ones its access can (401, 403, 429). */
  errors?: readonly number[];
  /** A page for browsers: served and access-checked like any route, but not part of the API document. */
  page?: boolean;
  /** How long the request may wait on its dependencies (the proxy waits on Greenhouse), in ms. */
  deadlineMs?: number;
  /**
   * A POST whose answers are never remembered for `Idempotency-Key` replays, and why (a token: a replay would
   * hand it out after the link is gone). Such a POST must be safe to repeat.
   */
  notRemembered?: string;
}

type Out<T, Fallback> = T extends z.ZodType ? z.output<T> : Fallback;

/** What a handler receives: validated params, query and body, and Express' objects for what is left. */
export interface HandlerInput<S extends RouteSpec> {
  params: Out<S['params'], Record<string, string>>;
  query: Out<S['query'], Record<string, never>>;
  body: S['body'] extends z.ZodType ? z.output<S['body']> : unknown;
  req: Request;
  res: Response;
}

/** A handler's answer; `undefined` when it answered itself (a page, a stream, a redirect). */
export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | undefined;

// biome-ignore lint/suspicious/noConfusingVoidType: a page handler that answers itself returns nothing
export type Handler<S extends RouteSpec> = (input: HandlerInput<S>) => Promise<Reply | void> | Reply | void;

/** Declares a route; the `const` keeps its operationId a literal, so every handler map is checked. */
export const route = <const S extends RouteSpec>(spec: S): S => spec;

/** The handler of every route of a list, by operationId: one missing or one extra does not compile. */
export type Handlers<Routes extends readonly RouteSpec[]> = {
  [S in Routes[number] as S['operationId']]: Handler<S>;
};

/** Whether `Idempotency-Key` applies: an API-key POST with a JSON body whose answers may be remembered. */
export const takesIdempotencyKey = (spec: RouteSpec, method: HttpMethod = spec.method) =>
  'apiKey' in spec.access && method === 'post' && spec.body !== 'raw' && !spec.notRemembered;

export const allMethods = (spec: RouteSpec): HttpMethod[] => [spec.method, ...(spec.alsoMethods ?? [])];

/** `/v1/links/:id` → `/v1/links/{id}`; `*name` (the rest of a path) → `{name}`. */
export const openApiPath = (path: string) => path.replace(/[:*](\w+)/g, '{$1}');

export function permissionOf(access: Access): string {
  if ('apiKey' in access) return access.apiKey;
  if ('operator' in access) return `operator:${access.operator}`;
  if ('connectToken' in access) return 'connect_token';
  return 'public';
}
