import { Router } from 'express';
import type { ApiKeyDoc, AppStore } from '../../store/apps';
import { callingApp } from '../auth';
import { problems } from '../problem';

export const apiKeyResource = (k: ApiKeyDoc) => ({
  object: 'api_key',
  id: k._id,
  prefix: k.prefix,
  createdAt: k.createdAt.toISOString(),
  revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null,
});

/** The calling app's API keys: several at once, so a key rotates without downtime; the key itself shows once. */
export function apiKeysRouter(deps: { apps: AppStore }) {
  const router = Router();

  router.get('/', async (_req, res) => {
    res.json({ object: 'list', data: (await deps.apps.listKeys(callingApp(res)._id)).map(apiKeyResource) });
  });

  router.post('/', async (_req, res) => {
    const { record, apiKey } = await deps.apps.createKeyRecord(callingApp(res)._id);
    res.status(201).json({ ...apiKeyResource(record), key: apiKey });
  });

  router.delete('/:id', async (req, res) => {
    const key = await deps.apps.revokeKey(req.params.id, callingApp(res)._id);
    if (!key) throw problems.notFound(`API key ${req.params.id}`);
    res.json(apiKeyResource(key));
  });

  return router;
}
