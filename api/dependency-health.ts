/** The services every request path depends on, checked by name (readiness, and requests that ran out of time). */
export type Dependency = 'mongodb' | 'temporal';
export type DependencyHealth = Record<Dependency, 'up' | 'down'>;

/**
 * Checks every dependency at once, each within `ms` (a paused server never answers; a stopped one may take the
 * driver's whole selection timeout). The cause of a failure goes to the log; callers only learn the name.
 */
export function dependencyHealth(
  checks: Record<Dependency, () => Promise<unknown>>,
  log: { warn(obj: object, msg: string): void },
  ms = 2_000,
): () => Promise<DependencyHealth> {
  const one = async (name: Dependency, check: () => Promise<unknown>) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not answer within ${ms} ms`)), ms);
        }),
      ]);
      return 'up' as const;
    } catch (error) {
      log.warn({ dependency: name, err: (error as Error).message }, 'dependency not available');
      return 'down' as const;
    } finally {
      clearTimeout(timer);
    }
  };
  return async () => {
    const names = Object.keys(checks) as Dependency[];
    const states = await Promise.all(names.map((name) => one(name, checks[name])));
    return Object.fromEntries(names.map((name, i) => [name, states[i]])) as DependencyHealth;
  };
}

export const downOf = (health: DependencyHealth) =>
  (Object.keys(health) as Dependency[]).filter((name) => health[name] === 'down');
