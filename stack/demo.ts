import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Config } from '../config/schema';
import { AppStore } from '../store/apps';
import { connectMongo } from '../store/mongo';

interface DemoState {
  appId: string;
  apiKey: string;
  connectUrl?: string;
}

/**
 * The newcomer's demo: an app with a known API key and one link waiting for credentials. Kept in the data
 * folder (development only) so a second `npm start` shows the same key and, while still usable, the same link.
 */
export async function ensureDemo(config: Config, apiUrl: string, stateFile: string): Promise<DemoState> {
  let state: DemoState | undefined = existsSync(stateFile)
    ? JSON.parse(readFileSync(stateFile, 'utf8'))
    : undefined;
  const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
  try {
    const apps = new AppStore(mongo.db);
    if (!state || !(await apps.authenticate(state.apiKey))) {
      const { app, apiKey } = await apps.createApp('Demo App');
      state = { appId: app._id, apiKey };
    }
  } finally {
    await mongo.close();
  }
  if (!state.connectUrl || !(await stillOpen(apiUrl, state.connectUrl))) {
    const response = await fetch(`${apiUrl}/v1/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${state.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        organization: { id: 'demo-org', name: 'Acme Demo' },
        requester: { email: 'requester@acme.example', name: 'Rita Requester' },
        permissionSet: 'ats_read',
      }),
    });
    if (response.status !== 201) throw new Error(`could not create the demo link: ${await response.text()}`);
    state.connectUrl = ((await response.json()) as { connectUrl: string }).connectUrl;
  }
  writeFileSync(stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
  return state;
}

async function stillOpen(apiUrl: string, connectUrl: string): Promise<boolean> {
  const response = await fetch(`${apiUrl}${new URL(connectUrl).pathname}/status`);
  if (!response.ok) return false;
  const { status } = (await response.json()) as { status: string };
  return status === 'awaiting_credentials';
}
