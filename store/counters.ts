import type { Db } from 'mongodb';
import { COLLECTIONS } from './collections';

export interface CounterDoc {
  _id: string; // name:label
  name: string;
  label: string;
  value: number;
}

/**
 * Monotonic counters shared by every process (the worker counts, the API's /metrics reads), kept in
 * MongoDB so they survive restarts and add up across replicas.
 */
export class CounterStore {
  constructor(private readonly db: Db) {}

  private get counters() {
    return this.db.collection<CounterDoc>(COLLECTIONS.counters.name);
  }

  async increment(name: string, label: string): Promise<void> {
    await this.counters.updateOne(
      { _id: `${name}:${label}` },
      { $inc: { value: 1 }, $setOnInsert: { name, label } },
      { upsert: true },
    );
  }

  /** One counter's value per label. */
  async byLabel(name: string): Promise<Map<string, number>> {
    return new Map((await this.counters.find({ name }).toArray()).map((c) => [c.label, c.value]));
  }
}
