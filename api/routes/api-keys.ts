import { Router } from 'express';
import { APP_QUOTAS } from '../../app/abuse-limits';
import { DEFAULT_PERMISSIONS } from '../../domain/api-permissions';
import type { ApiKeyDoc, AppStore } from '../../store/apps';
import { callingApp, callingKey } from '../auth';
import { missingPermission } from '../permissions';
import { fromZod, problems } from '../problem';
import { createApiKeyBody } from '../schemas';

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
export function apiKeysRouter(deps: { apps: AppStore }) {
  const router = Router();

  router.get('/', async (_req, res) => {
    res.json({ object: 'list', data: (await deps.apps.listKeys(callingApp(res)._id)).map(apiKeyResource) });
  });

  /** A new key has the permissions asked for (default: the caller's), never one the caller lacks. */
  router.post('/', async (req, res) => {
    const parsed = createApiKeyBody.safeParse(req.body ?? {});
    if (!parsed.success) throw fromZod(parsed.error);
    const own = callingKey(res).permissions;
    const wanted = parsed.data.permissions ?? own;
    const beyond = wanted.find((p) => !own.includes(p));
    if (beyond) throw missingPermission(beyond);
    const appId = callingApp(res)._id;
    if ((await deps.apps.countActiveKeys(appId)) >= APP_QUOTAS.activeApiKeys)
      throw problems.quotaExceeded('active API keys (revoke one first)', APP_QUOTAS.activeApiKeys);
    const { record, apiKey } = await deps.apps.createKeyRecord(callingApp(res)._id, wanted);
    res.status(201).json({ ...apiKeyResource(record), key: apiKey });
  });

  router.delete('/:id', async (req, res) => {
    const key = await deps.apps.revokeKey(req.params.id, callingApp(res)._id);
    if (!key) throw problems.notFound(`API key ${req.params.id}`);
    res.json(apiKeyResource(key));
  });

  return router;
}
