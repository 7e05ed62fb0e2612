/**
 * Operator CLI: `npm run cli -- <command>`. Uses the same configuration as the API and worker.
 *   apps create --name <name>          create an app and print its API key (shown once)
 *   apps key --app <app id>            add another API key to an app (shown once)
 *   apps keys --app <app id>           list an app's keys; apps revoke-key <key id> revokes one
 *   vault reencrypt                    re-seal credentials and webhook secrets with the first CREDENTIALS_KEYS key
 *   links list --app <app id> [--status <status>]
 *   links recheck <link id>            ask a link to check its permissions again now
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../config/load';
import { LINK_STATUSES, type LinkStatus } from '../links/model';
import { AppStore } from '../store/apps';
import { CredentialVault } from '../store/credential-vault';
import { LinkStore, workflowIdFor } from '../store/links';
import { connectMongo, ensureIndexes } from '../store/mongo';
import { WebhookStore } from '../store/webhooks';
import { recheckSignal } from '../workflows/messages';

const USAGE = `Usage: npm run cli -- <command>
  apps create --name <name>                 create an app; prints its API key once
  apps key --app <app id>                   add an API key to an app; prints it once
  apps keys --app <app id>                  list an app's API keys (prefixes, never the keys)
  apps revoke-key <key id>                  revoke an API key at once
  vault reencrypt                           re-encrypt every stored secret with the newest key
  links list --app <app id> [--status <s>]  list an app's links (newest first)
  links recheck <link id>                   make a link check its Greenhouse permissions now`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { name: { type: 'string' }, app: { type: 'string' }, status: { type: 'string' } },
  });
  const [group, command, arg] = positionals;
  if (!group || !command) fail('Missing command.');
  const config = loadConfigOrExit();
  const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
  try {
    await ensureIndexes(mongo.db);
    const apps = new AppStore(mongo.db);
    if (group === 'apps' && command === 'create') {
      const name = values.name?.trim();
      if (!name) fail('apps create needs --name, e.g. --name Wintro');
      const { app, apiKey } = await apps.createApp(name);
      console.log(`Created app ${app._id} (${app.name}).`);
      console.log(`API key (shown once, store it now): ${apiKey}`);
    } else if (group === 'apps' && command === 'key') {
      const app = values.app ? await apps.findApp(values.app) : null;
      if (!app)
        fail(`apps key needs --app with an existing app id${values.app ? ` (no app ${values.app})` : ''}`);
      console.log(`API key for ${app._id} (shown once): ${await apps.createKey(app._id)}`);
    } else if (group === 'apps' && command === 'keys') {
      if (!values.app) fail('apps keys needs --app <app id>');
      const keys = await apps.listKeys(values.app);
      for (const k of keys) {
        console.log(
          `${k._id}  ${k.prefix}…  created ${k.createdAt.toISOString()}  ${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'}`,
        );
      }
      console.log(`${keys.length} key(s)`);
    } else if (group === 'apps' && command === 'revoke-key') {
      if (!arg) fail('apps revoke-key needs a key id (see apps keys --app <app id>)');
      const key = await apps.revokeKey(arg);
      if (!key) fail(`No API key ${arg}`);
      console.log(`Revoked ${key._id} (${key.prefix}…) of app ${key.appId}; it no longer authenticates.`);
    } else if (group === 'vault' && command === 'reencrypt') {
      const vault = new CredentialVault(mongo.db, config.CREDENTIALS_KEYS);
      console.log(`Re-encrypting with key "${vault.primaryKeyId}" (the first in CREDENTIALS_KEYS)…`);
      const credentials = await vault.reencrypt((n) => console.log(`  credentials: ${n} checked…`));
      console.log(`Credentials: ${credentials.updated} of ${credentials.total} re-encrypted.`);
      const secrets = await new WebhookStore(mongo.db, config.CREDENTIALS_KEYS).reencrypt();
      console.log(`Webhook signing secrets: ${secrets.updated} of ${secrets.total} endpoints re-encrypted.`);
      console.log('Older keys can now be removed from CREDENTIALS_KEYS.');
    } else if (group === 'links' && command === 'list') {
      if (!values.app) fail('links list needs --app <app id>');
      const status = values.status as LinkStatus | undefined;
      if (status && !LINK_STATUSES.includes(status))
        fail(`--status must be one of: ${LINK_STATUSES.join(', ')}`);
      const rows = await new LinkStore(mongo.db).list(values.app, status ? { status } : {}, 100);
      for (const l of rows) {
        console.log(
          `${l._id}  ${l.status.padEnd(20)}  ${l.organization.name}  ${l.requester.email}  ${l.updatedAt.toISOString()}`,
        );
      }
      console.log(`${rows.length} link(s)`);
    } else if (group === 'links' && command === 'recheck') {
      if (!arg) fail('links recheck needs a link id');
      const link = await new LinkStore(mongo.db).findById(arg);
      if (!link) fail(`No link ${arg}`);
      const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
      try {
        const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
        await client.workflow.getHandle(workflowIdFor(link._id)).signal(recheckSignal, { by: 'operator' });
      } finally {
        await connection.close();
      }
      console.log(`Re-check requested for ${link._id} (status ${link.status}).`);
    } else {
      fail(`Unknown command: ${positionals.join(' ')}`);
    }
  } finally {
    await mongo.close();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
