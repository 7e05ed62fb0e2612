import type { Db, Filter } from 'mongodb';
import { WriteBatcher } from '../lib/write-batcher';
import { COLLECTIONS } from './collections';
import { newId } from './ids';
import type { ListPosition } from './links';

/** What an app did with a linked account: got a token, called Harvest through the proxy, exported the secret. */
export const ACCESS_KINDS = ['token', 'proxy', 'export'] as const;
export type AccessKind = (typeof ACCESS_KINDS)[number];

/** One use of a link. Never holds a token, a secret, a query string or a body: only their shape. */
export interface AccessLogEntry {
  linkId: string;
  appId: string;
  /** The API key that made the call. */
  apiKeyId: string;
  kind: AccessKind;
  /** The HTTP status Greenlink answered with. */
  status: number;
  durationMs: number;
  /** Proxy calls: the Harvest method and path (without the query string, which can carry personal data). */
  method?: string;
  path?: string;
  requestBytes?: number;
  responseBytes?: number;
  /** The caller hung up before the answer was complete. */
  aborted?: boolean;
}

export interface AccessLogDoc extends AccessLogEntry {
  _id: string;
  at: Date;
}

/** How long entries are kept (issue: 30 days), swept by the API. */
export const ACCESS_LOG_RETENTION_MS = 30 * 24 * 3_600_000;

/** Every use of every link, per link, newest first; kept 30 days. */
export class AccessLog {
  private readonly batch: WriteBatcher<AccessLogDoc>;

  constructor(
    private readonly db: Db,
    onWriteError: (error: unknown) => void = () => {},
  ) {
    // Ids are random, so a batch has no duplicate to stop at.
    this.batch = new WriteBatcher((docs) => this.entries.insertMany(docs).then(() => undefined), {
      maxItems: 200,
      maxDelayMs: 100,
      onError: onWriteError,
    });
  }

  private get entries() {
    return this.db.collection<AccessLogDoc>(COLLECTIONS.accessLog.name);
  }

  /** Records an entry in the next batch write (within 100 ms): off the request path, one write per batch. */
  enqueue(entry: AccessLogEntry, at = new Date()): void {
    this.batch.add({ _id: newId('acc'), at, ...entry });
  }

  /** Writes every queued entry (at shutdown). */
  flush(): Promise<void> {
    return this.batch.drain();
  }

  /** A page of one link's entries, newest first; ties on `at` are broken by id so pages never overlap. */
  page(linkId: string, filter: { kind?: AccessKind }, limit: number, after?: ListPosition) {
    const query: Filter<AccessLogDoc> = { linkId };
    if (filter.kind) query.kind = filter.kind;
    if (after) {
      query.$or = [{ at: { $lt: after.at } }, { at: after.at, _id: { $lt: after.id } }];
    }
    return this.entries.find(query).sort({ at: -1, _id: -1 }).limit(limit).toArray();
  }

  /** Drops entries past the retention period. */
  async purgeOlderThan(cutoff: Date): Promise<number> {
    return (await this.entries.deleteMany({ at: { $lt: cutoff } })).deletedCount;
  }
}
