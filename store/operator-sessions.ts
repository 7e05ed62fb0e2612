import type { Db } from 'mongodb';
import type { Operator, OperatorRole } from '../domain/operator';
import { retryBusy } from './busy-retry';
import { COLLECTIONS } from './collections';
import { hashSecret, newSecret } from './ids';

interface OperatorSessionDoc {
  /** The hash of the cookie's value: a database read gives no one a session. */
  _id: string;
  operator: string;
  role: OperatorRole;
  /** Every console form carries it: a request forged from elsewhere cannot know it. */
  csrf: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface OperatorSession {
  operator: Operator;
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
  async open(operator: Operator, ttlMs: number, now = new Date()): Promise<{ id: string } & OperatorSession> {
    const id = newSecret('ops_');
    const doc: OperatorSessionDoc = {
      _id: hashSecret(id),
      operator: operator.name,
      role: operator.role,
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

  private toSession(doc: OperatorSessionDoc): OperatorSession {
    return { operator: { name: doc.operator, role: doc.role }, csrf: doc.csrf, expiresAt: doc.expiresAt };
  }
}
