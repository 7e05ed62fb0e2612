/**
 * Collects items and hands them to `flush` together: when `maxItems` are waiting, or `maxDelayMs` after the
 * first one. For bookkeeping writes off the request path (access log entries, closed rate slots), where one
 * database round trip per item was the proxy's bottleneck (bench:proxy: see the README). Written here
 * because it is a dozen lines; the libraries that do this bring a scheduler this does not need.
 */
export class WriteBatcher<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly options: { maxItems: number; maxDelayMs: number; onError: (error: unknown) => void },
  ) {}

  add(item: T): void {
    this.items.push(item);
    if (this.items.length >= this.options.maxItems) this.flushNow();
    else this.timer ??= setTimeout(() => this.flushNow(), this.options.maxDelayMs);
  }

  /** Writes what is waiting and resolves once every write started so far has finished. */
  async drain(): Promise<void> {
    this.flushNow();
    await Promise.all([...this.inFlight]);
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.items.length === 0) return;
    const batch = this.items;
    this.items = [];
    const write: Promise<void> = this.flush(batch)
      .catch(this.options.onError)
      .finally(() => this.inFlight.delete(write));
    this.inFlight.add(write);
  }
}
