import { loadPermissionSets } from './permission-sets';
import { type Config, envSchema } from './schema';
import { temporalTlsProblems } from './temporal';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment; throws a ConfigError with one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "unset", as in most twelve-factor tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const message =
          issue.code === 'invalid_type' && present[name] === undefined ? 'is required' : issue.message;
        return `${name} ${message}`;
      });
  const permissionSets = loadPermissionSets(present.PERMISSION_SETS_FILE);
  problems.push(...permissionSets.problems, ...temporalTlsProblems(present));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const config = parsed.data;
  return {
    ...config,
    PUBLIC_URL: (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, ''),
    permissionSets: permissionSets.sets,
    proxyAnySets: permissionSets.proxyAny,
  };
}

/** For process entry points: print one clear line per problem and exit, instead of a stack trace. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}
