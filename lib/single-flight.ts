/**
 * Concurrent reads of one key share one promise: when a cached entry expires under load, the callers that
 * find it gone make one database read, not one each (bench:proxy @50: 50 link and key reads a second).
 * `keep` stores what was read, unless the key was forgotten meanwhile (a read started before a deletion or
 * a revocation must not put the old value back). Written here because it is a dozen lines.
 */
export class SingleFlight<K, V> {
  private readonly pending = new Map<K, Promise<V>>();

  run(key: K, read: () => Promise<V>, keep: (value: V) => void): Promise<V> {
    const known = this.pending.get(key);
    if (known) return known;
    const current: Promise<V> = read().then(
      (value) => {
        if (this.pending.get(key) !== current) return value;
        this.pending.delete(key);
        keep(value);
        return value;
      },
      (error: unknown) => {
        if (this.pending.get(key) === current) this.pending.delete(key);
        throw error;
      },
    );
    this.pending.set(key, current);
    return current;
  }

  /** Reads under way for the key (or all) are no longer kept when they land. */
  forget(key?: K): void {
    if (key === undefined) this.pending.clear();
    else this.pending.delete(key);
  }
}
