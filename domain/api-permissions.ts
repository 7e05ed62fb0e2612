/**
 * What an API key may do, Stripe-style restricted keys. A key carries a list of these; a call needs the one
 * its route names (api/permissions.ts).
 */
export const API_PERMISSIONS = {
  'links:read': 'read links, their permissions and timelines',
  'links:write': 'start, re-check, hand off and cancel links; issue connect URLs',
  'links:use': 'get access tokens and call Greenhouse through the proxy',
  'credentials:read': "export a link's stored Greenhouse credentials",
  'webhooks:read': 'read webhook endpoints and deliveries',
  'webhooks:write': 'create, change, rotate, replay and delete webhook endpoints',
  'keys:read': "list the app's API keys",
  'keys:write': 'create and revoke API keys',
} as const;

export type ApiPermission = keyof typeof API_PERMISSIONS;
export const ALL_PERMISSIONS = Object.keys(API_PERMISSIONS) as ApiPermission[];

/** What a key gets unless asked for less: everything but exporting credentials, which must be asked for. */
export const DEFAULT_PERMISSIONS: readonly ApiPermission[] = ALL_PERMISSIONS.filter(
  (p) => p !== 'credentials:read',
);
