/**
 * FerretDB's SQLite backend (the embedded development database) can answer SQLITE_BUSY when several writes
 * race; MongoDB never does. Writes on request paths retry briefly with jitter instead of failing the request.
 * Every write wrapped here is idempotent or keyed by a fresh id, so a retry cannot duplicate anything.
 */
export async function retryBusy<T>(write: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const busy = /SQLITE_BUSY|database is locked/.test((error as Error)?.message ?? '');
      if (!busy || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}
