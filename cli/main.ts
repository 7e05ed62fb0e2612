/**
 * Operator CLI: `npm run cli -- <command>`. Uses the configuration `npm start` uses (the embedded stack's
 * addresses and its development key in `.data/`, unless the environment says otherwise). The commands are one
 * table below; the usage text is derived from it.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { type KeyNeeds, KeyRotation, RUN_MOVES, type SealedRecords } from '../app/key-rotation';
import { LinkService } from '../app/link-service';
import { loadConfigOrExit } from '../config/load';
import type { Config } from '../config/schema';
import { temporalConnectionOptions } from '../config/temporal';
import { ALL_PERMISSIONS, type ApiPermission, DEFAULT_PERMISSIONS } from '../domain/api-permissions';
import { LINK_STATUSES, type LinkStatus } from '../domain/link';
import { localServiceEnv } from '../stack/local-env';
import { AccessTokenStore } from '../store/access-tokens';
import { AppStore } from '../store/apps';
import { ensureIndexes } from '../store/collections';
import { CredentialVault } from '../store/credential-vault';
import { IdempotencyStore } from '../store/idempotency';
import { type LinkDoc, LinkStore } from '../store/links';
import { connectMongo, type Mongo } from '../store/mongo';
import { OperatorAudit } from '../store/operator-audit';
import { OperatorSessions } from '../store/operator-sessions';
import { encryptedDataConverter } from '../store/payload-codec';
import { WebhookStore } from '../store/webhooks';

interface Invocation {
  config: Config;
  mongo: Mongo;
  arg?: string;
  values: { name?: string; app?: string; status?: string; permissions?: string; 'move-runs'?: boolean };
}

interface Command {
  /** The two words that name it, e.g. "apps create". */
  name: string;
  /** What follows the name in the usage line. */
  args?: string;
  summary: string;
  run(call: Invocation): Promise<void>;
}

class UsageError extends Error {}
const need = (ok: unknown, message: string): void => {
  if (!ok) throw new UsageError(message);
};

/** The link a command names by id, or a usage error saying what is missing. */
async function linkNamed(call: Invocation, command: string): Promise<LinkDoc> {
  need(call.arg, `${command} needs a link id`);
  const link = await new LinkStore(call.mongo.db).findById(call.arg as string);
  need(link, `No link ${call.arg}`);
  return link as LinkDoc;
}

/** A Temporal client for one command, closed after it. */
async function withTemporal(call: Invocation, use: (temporal: Client) => Promise<void>) {
  const connection = await Connection.connect(temporalConnectionOptions(call.config));
  try {
    const { config } = call;
    await use(
      new Client({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        dataConverter: encryptedDataConverter(config.CREDENTIALS_KEYS),
      }),
    );
  } finally {
    await connection.close();
  }
}

/** A LinkService for one command: the application layer is the only way into a link's workflow. */
const withLinkService = (call: Invocation, use: (service: LinkService) => Promise<void>) =>
  withTemporal(call, (temporal) => use(LinkService.forDatabase(call.mongo.db, call.config, temporal)));

/** What `vault reencrypt` says of each key: what needs it, and whether it can go. */
function keyLines(needs: KeyNeeds[], primary: string): string[] {
  const lines: string[] = [];
  const list = (counts: Record<string, number>) =>
    Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([what, n]) => `${n} ${what}`);
  for (const key of needs) {
    const records = list(key.records);
    const runs = list(key.runs);
    if (key.primary) {
      lines.push(`Key "${key.keyId}" (first in CREDENTIALS_KEYS): seals everything new.`);
      continue;
    }
    if (records.length === 0 && runs.length === 0) {
      lines.push(`Key "${key.keyId}": nothing needs it. It is removable from CREDENTIALS_KEYS.`);
      continue;
    }
    const what = [...records, ...runs.map((r) => `${r} open run(s)`)].join(', ');
    lines.push(
      key.inKeyring
        ? `Key "${key.keyId}": NOT removable, still needed by ${what}.`
        : `Key "${key.keyId}" is not in CREDENTIALS_KEYS, yet ${what} need it: put it back (last) until they are moved.`,
    );
    for (const type of Object.keys(key.runs)) {
      lines.push(`  ${type} runs ${RUN_MOVES[type] ?? 'end by themselves'}.`);
    }
    if (records.length > 0 && key.inKeyring)
      lines.push('  Records: run vault reencrypt again (a write raced it).');
  }
  if (needs.some((k) => !k.primary && (k.runs.linkWorkflow ?? 0) > 0)) {
    lines.push(
      `Move link runs: npm run cli -- vault reencrypt --move-runs (once every worker and API replica runs with "${primary}" first).`,
    );
  }
  return lines;
}

const COMMANDS: Command[] = [
  {
    name: 'apps create',
    args: '--name <name>',
    summary: 'create an app; prints its API key once',
    async run({ mongo, values }) {
      const name = values.name?.trim();
      need(name, 'apps create needs --name, e.g. --name Wintro');
      const { app, apiKey } = await new AppStore(mongo.db).createApp(name as string);
      console.log(`Created app ${app._id} (${app.name}).`);
      console.log(`API key (shown once, store it now): ${apiKey}`);
    },
  },
  {
    name: 'apps key',
    args: '--app <app id> [--permissions <p,p,…>]',
    summary: 'add an API key to an app (default: all but credentials:read); prints it once',
    async run({ mongo, values }) {
      const apps = new AppStore(mongo.db);
      const app = values.app ? await apps.findApp(values.app) : null;
      need(app, `apps key needs --app with an existing app id${values.app ? ` (no app ${values.app})` : ''}`);
      const asked = values.permissions?.split(',').map((p) => p.trim()) ?? [...DEFAULT_PERMISSIONS];
      const unknown = asked.filter((p) => !ALL_PERMISSIONS.includes(p as ApiPermission));
      need(
        unknown.length === 0,
        `unknown permission ${unknown.join(', ')}; one of: ${ALL_PERMISSIONS.join(', ')}`,
      );
      const id = app?._id as string;
      const { apiKey } = await apps.createKeyRecord(id, asked as ApiPermission[]);
      console.log(`API key for ${id} with ${asked.join(', ')} (shown once): ${apiKey}`);
    },
  },
  {
    name: 'apps keys',
    args: '--app <app id>',
    summary: "list an app's API keys (prefixes, never the keys)",
    async run({ mongo, values }) {
      need(values.app, 'apps keys needs --app <app id>');
      const keys = await new AppStore(mongo.db).listKeys(values.app as string);
      for (const k of keys) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active';
        console.log(`${k._id}  ${k.prefix}…  created ${k.createdAt.toISOString()}  ${state}`);
      }
      console.log(`${keys.length} key(s)`);
    },
  },
  {
    name: 'apps revoke-key',
    args: '<key id>',
    summary: 'revoke an API key at once',
    async run({ mongo, arg }) {
      need(arg, 'apps revoke-key needs a key id (see apps keys --app <app id>)');
      const key = await new AppStore(mongo.db).revokeKey(arg as string);
      need(key, `No API key ${arg}`);
      if (key)
        console.log(`Revoked ${key._id} (${key.prefix}…) of app ${key.appId}; it no longer authenticates.`);
    },
  },
  {
    name: 'vault reencrypt',
    args: '[--move-runs]',
    summary:
      're-seal every stored secret with the first key; say per key what still needs it (records, open runs); --move-runs rolls link runs onto the first key',
    async run(call) {
      const { config, mongo, values } = call;
      await withTemporal(call, async (temporal) => {
        const keys = config.CREDENTIALS_KEYS;
        const records: SealedRecords[] = [
          { name: 'credentials', fields: new CredentialVault(mongo.db, keys).sealedFields() },
          { name: 'webhook signing secrets', fields: new WebhookStore(mongo.db, keys).sealedFields() },
          { name: 'cached access tokens', fields: new AccessTokenStore(mongo.db, keys).sealedFields() },
          { name: 'remembered answers', fields: new IdempotencyStore(mongo.db, keys).sealedFields() },
        ];
        const rotation = new KeyRotation({ keys, records, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE });
        console.log(`Re-sealing with key "${rotation.primaryKeyId}" (the first in CREDENTIALS_KEYS)…`);
        for (const r of await rotation.reseal((name, n) => console.log(`  ${name}: ${n} checked…`))) {
          const unreadable = r.unreadable > 0 ? ` (${r.unreadable} under a key not in CREDENTIALS_KEYS)` : '';
          console.log(`  ${r.name}: ${r.updated} of ${r.total} re-sealed${unreadable}.`);
        }
        console.log(`Reading the open runs on task queue ${config.TEMPORAL_TASK_QUEUE}…`);
        let runs = await rotation.openRuns((n) => console.log(`  ${n} runs read…`));
        console.log(`  ${runs.length} open run(s) read.`);
        if (values['move-runs']) {
          const moved = await rotation.moveRuns(runs, 60_000);
          console.log(
            `Asked ${moved.asked} link run(s) to continue as new; ${moved.rolled} did within 60 s.`,
          );
          runs = await rotation.openRuns();
        }
        for (const line of keyLines(await rotation.needs(runs), rotation.primaryKeyId)) console.log(line);
      });
    },
  },
  {
    name: 'operators sign-out-all',
    args: '[--name <operator>]',
    summary: "end every console session now, or one operator's (a lost laptop, someone leaving)",
    async run({ mongo, values }) {
      const operator = values.name?.trim();
      const ended = await new OperatorSessions(mongo.db).closeAll(operator ? { operator } : {});
      console.log(
        `Ended ${ended} console session(s) of ${operator ? `operator "${operator}"` : 'every operator'}; they sign in again with a configured token.`,
      );
      await new OperatorAudit(mongo.db).record({
        operator: 'cli',
        kind: 'action',
        method: 'CLI',
        path: 'operators sign-out-all',
        detail: `ended ${ended} console session(s) of ${operator ? `operator "${operator}"` : 'every operator'}`,
        at: new Date(),
      });
    },
  },
  {
    name: 'links list',
    args: '--app <app id> [--status <status>]',
    summary: "list an app's links (newest first)",
    async run({ mongo, values }) {
      need(values.app, 'links list needs --app <app id>');
      const status = values.status as LinkStatus | undefined;
      need(!status || LINK_STATUSES.includes(status), `--status must be one of: ${LINK_STATUSES.join(', ')}`);
      const rows = await new LinkStore(mongo.db).list(values.app as string, status ? { status } : {}, 100);
      for (const l of rows) {
        console.log(
          `${l._id}  ${l.status.padEnd(20)}  ${l.organization.name}  ${l.requester.email}  ${l.updatedAt.toISOString()}`,
        );
      }
      console.log(`${rows.length} link(s)`);
    },
  },
  {
    name: 'links recheck',
    args: '<link id>',
    summary: 'make a link check its Greenhouse permissions now',
    async run(call) {
      const link = await linkNamed(call, 'links recheck');
      await withLinkService(call, (service) => service.recheck(link._id, 'operator'));
      console.log(`Re-check requested for ${link._id} (status ${link.status}).`);
    },
  },
  {
    name: 'links delete',
    args: '<link id>',
    summary: "delete a link: end it and erase its credentials (e.g. a customer's erasure request)",
    async run(call) {
      const link = await linkNamed(call, 'links delete');
      await withLinkService(call, (service) => service.delete(link));
      console.log(
        `Deleted ${link._id}: credentials and cached tokens erased, its connect and email links revoked` +
          (link.status === 'expired' || link.status === 'cancelled'
            ? ` (it stays ${link.status}).`
            : '; its run is ending as cancelled (reason deleted).'),
      );
    },
  },
];

const usage = () => {
  const lines = COMMANDS.map((c) => [`${c.name}${c.args ? ` ${c.args}` : ''}`, c.summary]);
  const width = Math.max(...lines.map(([left]) => (left as string).length)) + 2;
  return `Usage: npm run cli -- <command>\n${lines.map(([left, right]) => `  ${(left as string).padEnd(width)}${right}`).join('\n')}`;
};

function fail(message: string): never {
  console.error(`${message}\n\n${usage()}`);
  process.exit(2);
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      app: { type: 'string' },
      status: { type: 'string' },
      permissions: { type: 'string' },
      'move-runs': { type: 'boolean' },
    },
  });
  const [group, word, arg] = positionals;
  if (!group || !word) fail('Missing command.');
  const command = COMMANDS.find((c) => c.name === `${group} ${word}`);
  if (!command) fail(`Unknown command: ${positionals.join(' ')}`);
  const config = loadConfigOrExit(localServiceEnv(process.env, { createDevKey: false }));
  const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
  try {
    await ensureIndexes(mongo.db);
    await command.run({ config, mongo, arg, values });
  } catch (error) {
    if (error instanceof UsageError) fail(error.message);
    throw error;
  } finally {
    await mongo.close();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
