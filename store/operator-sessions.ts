import type { Db } from 'mongodb';
import type { Operator, OperatorRole } from '../domain/operator';
import { retryBusy } from './busy-retry';
import { COLLECTIONS } from './collections';
import { hashSecret, newSecret } from './ids';

interface OperatorSessionDoc {
  /** The hash of the cookie's value: a database read gives no one a session. */
  _id: string;
  operator: string;
  /** The role at sign-in, for the audit; every request takes the role OPERATOR_TOKENS gives now. */
  role: OperatorRole;
  /** Which configured token signed in (`operatorTokenId`): when it is removed or changed, the session ends. */
  tokenId?: string;
  /** Every console form carries it: a request forged from elsewhere cannot know it. */
  csrf: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface OperatorSession {
  /** Who signed in, as they were then: api/operator-auth.ts resolves the operator anew from `tokenId`. */
  operator: Operator;
  tokenId: string | undefined;
  csrf: string;
  expiresAt: Date;
}

/**
 * Console sign-ins, in MongoDB so that every API replica honours them and a sign-out ends them everywhere.
 * A session lasts a fixed time from sign-in (OPERATOR_SESSION_TTL), however active.
 */
export class OperatorSessions {
  constructor(private readonly db: Db) {}

  private get sessions() {
    return this.db.collection<OperatorSessionDoc>(COLLECTIONS.operatorSessions.name);
  }

  /** A new session; the returned id goes only into the cookie. */
  async open(
    operator: Operator,
    tokenId: string,
    ttlMs: number,
    now = new Date(),
  ): Promise<{ id: string } & OperatorSession> {
    const id = newSecret('ops_');
    const doc: OperatorSessionDoc = {
      _id: hashSecret(id),
      operator: operator.name,
      role: operator.role,
      tokenId,
      csrf: newSecret(),
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttlMs),
    };
    await retryBusy(() => this.sessions.insertOne(doc));
    // Sign-ins are rare: sweeping ended sessions here keeps the collection small without a job.
    await retryBusy(() => this.sessions.deleteMany({ expiresAt: { $lt: now } }));
    return { id, ...this.toSession(doc) };
  }

  async find(id: string, now = new Date()): Promise<OperatorSession | undefined> {
    const doc = await this.sessions.findOne({ _id: hashSecret(id) });
    return doc && doc.expiresAt > now ? this.toSession(doc) : undefined;
  }

  async close(id: string): Promise<void> {
    await retryBusy(() => this.sessions.deleteOne({ _id: hashSecret(id) }));
  }

  /** Ends every session, or every one of an operator (by name); answers how many ended. */
  async closeAll(filter: { operator?: string } = {}): Promise<number> {
    const query = filter.operator === undefined ? {} : { operator: filter.operator };
    return (await retryBusy(() => this.sessions.deleteMany(query))).deletedCount;
  }

  /**
   * Ends the sessions of tokens no longer configured (removed, or changed: a new token is a new id), and
   * those from before sessions named their token. Run when the API starts with its OPERATOR_TOKENS.
   */
  async closeAllBut(tokenIds: string[]): Promise<number> {
    return (await retryBusy(() => this.sessions.deleteMany({ tokenId: { $nin: tokenIds } }))).deletedCount;
  }

  /** Who holds a session now: operator names with their count (the console's sessions panel). */
  async openCounts(now = new Date()): Promise<{ operator: string; sessions: number }[]> {
    const docs = await this.sessions
      .find({ expiresAt: { $gt: now } }, { projection: { operator: 1 } })
      .toArray();
    const counts = new Map<string, number>();
    for (const doc of docs) counts.set(doc.operator, (counts.get(doc.operator) ?? 0) + 1);
    return [...counts]
      .map(([operator, sessions]) => ({ operator, sessions }))
      .sort((a, b) => a.operator.localeCompare(b.operator));
  }

  private toSession(doc: OperatorSessionDoc): OperatorSession {
    return {
      operator: { name: doc.operator, role: doc.role },
      tokenId: doc.tokenId,
      csrf: doc.csrf,
      expiresAt: doc.expiresAt,
    };
  }
}
