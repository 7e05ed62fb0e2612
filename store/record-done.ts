/**
 * Writes the record of something already done outside, an email handed to SMTP or a webhook a receiver
 * accepted. If that write failed, the activity's retry would do the thing again (a second email, a second
 * delivery after a 2xx: bench:faults caught both with MongoDB stopped for 30 s), so it is retried here, through
 * a database outage, for up to `withinMs` (under the activities' 1-minute timeout).
 */
export async function recordDone<T>(write: () => Promise<T>, withinMs = 40_000): Promise<T> {
  const giveUpAt = Date.now() + withinMs;
  for (let delayMs = 250; ; delayMs = Math.min(delayMs * 2, 4_000)) {
    try {
      return await write();
    } catch (error) {
      if (Date.now() + delayMs > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
