import { APP_QUOTAS } from '../../app/abuse-limits';
import { DEFAULT_PERMISSIONS } from '../../domain/api-permissions';
import type { ApiKeyDoc, AppStore } from '../../store/apps';
import { callingApp, callingKey } from '../auth';
import type { apiKeyRoutes } from '../contract/api-keys';
import type { Handlers } from '../contract/declare';
import { missingPermission } from '../permissions';
import { Problem, problems } from '../problem';

export const apiKeyResource = (k: ApiKeyDoc) => ({
  object: 'api_key',
  id: k._id,
  prefix: k.prefix,
  createdAt: k.createdAt.toISOString(),
  revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null,
  permissions: k.permissions ?? [...DEFAULT_PERMISSIONS],
  lastUsedAt: k.lastUsedAt ? k.lastUsedAt.toISOString() : null,
});

/** The calling app's API keys: several at once, so a key rotates without downtime; the key itself shows once. */
export function apiKeyHandlers(deps: { apps: AppStore }): Handlers<ReturnType<typeof apiKeyRoutes>> {
  return {
    'apiKeys.list': async ({ res }) => ({
      status: 200,
      body: { object: 'list', data: (await deps.apps.listKeys(callingApp(res)._id)).map(apiKeyResource) },
    }),

    /** A new key has the permissions asked for (default: the caller's), never one the caller lacks. */
    'apiKeys.create': async ({ body, res }) => {
      const own = callingKey(res).permissions;
      const wanted = body.permissions ?? own;
      const beyond = wanted.find((p) => !own.includes(p));
      if (beyond) throw missingPermission(beyond);
      const appId = callingApp(res)._id;
      if ((await deps.apps.countActiveKeys(appId)) >= APP_QUOTAS.activeApiKeys)
        throw problems.quotaExceeded('active API keys (revoke one first)', APP_QUOTAS.activeApiKeys);
      const { record, apiKey } = await deps.apps.createKeyRecord(appId, wanted);
      return { status: 201, body: { ...apiKeyResource(record), key: apiKey } };
    },

    /** Only a key whose permissions the caller has too: a narrow key cannot take down a wider one. */
    'apiKeys.revoke': async ({ params, res }) => {
      const appId = callingApp(res)._id;
      const target = await deps.apps.findKey(params.id, appId);
      if (!target) throw problems.notFound(`API key ${params.id}`);
      const own = callingKey(res).permissions;
      const beyond = apiKeyResource(target).permissions.find((p) => !own.includes(p));
      if (beyond) {
        throw new Problem(
          403,
          'missing_permission',
          'The API key lacks a permission',
          `key ${target._id} has the permission ${beyond}, which this key lacks: revoke it with a key that has every permission it has`,
          undefined,
          { permission: beyond },
        );
      }
      const key = await deps.apps.revokeKey(target._id, appId);
      if (!key) throw problems.notFound(`API key ${params.id}`);
      return { status: 200, body: apiKeyResource(key) };
    },
  };
}
