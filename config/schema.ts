import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_HEALTH_CHECK_MS, DEFAULT_MIN_REMINDER_GAP_MS } from '../domain/link';
import { durationListSchema, durationSchema, parseDuration } from './duration';
import { operatorTokensSchema } from './operator-tokens';

const url = (protocols: string[], example: string) =>
  z.string().refine(
    (text) => {
      try {
        return protocols.includes(new URL(text).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a ${protocols.join(' or ')} URL, e.g. ${example}` },
  );

/** Express "trust proxy" names; anything else in the list must be an address or a CIDR. */
const TRUST_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** A hop count, or a comma-separated list of the names above, addresses and CIDRs (as Express reads it). */
const trustProxy = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    if (/^\d+$/.test(text.trim())) return;
    for (const entry of text.split(',').map((e) => e.trim())) {
      const [address, bits, ...rest] = entry.split('/');
      const family = isIP(address ?? '');
      const maxBits = family === 6 ? 128 : 32;
      const cidrOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
      if (TRUST_NAMES.includes(entry) || (family !== 0 && cidrOk && rest.length === 0)) continue;
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" is not ${TRUST_NAMES.join(', ')}, an IP address, a CIDR (10.0.0.0/8) or a hop count`,
      });
    }
  });

/** "kid:base64key,kid2:base64key" — the first key encrypts, every key decrypts. */
const keyring = z.string().transform((text, ctx) => {
  const keys: { id: string; key: Buffer }[] = [];
  for (const [index, entry] of text.split(',').entries()) {
    const [id, encoded, ...rest] = entry.trim().split(':');
    const key = encoded ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
    if (!id || encoded === undefined || !/^[A-Za-z0-9_-]{1,32}$/.test(id) || rest.length > 0) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} must look like "<key id>:<base64 key>"` });
    } else if (key.length !== 32) {
      ctx.addIssue({
        code: 'custom',
        message: `key "${id}" must be 32 bytes of base64 (got ${key.length}); make one with: openssl rand -base64 32`,
      });
    } else if (keys.some((k) => k.id === id)) {
      ctx.addIssue({ code: 'custom', message: `key id "${id}" appears twice` });
    } else {
      keys.push({ id, key });
    }
  }
  return keys;
});

/** "<requests>/<window>", e.g. 600/1m. */
const rateLimit = z.string().transform((text, ctx) => {
  const [count, window] = text.split('/');
  const max = Number(count);
  const windowMs = window ? parseDuration(window) : undefined;
  if (!Number.isInteger(max) || max < 1 || !windowMs) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a rate like 600/1m (requests per window)` });
    return z.NEVER;
  }
  return { max, windowMs };
});

const port = z.coerce.number().int().min(1).max(65535);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Every setting Greenlink reads from the environment, with its default. The README table mirrors this. */
export const envSchema = z.object({
  PORT: port.default(3000),
  PUBLIC_URL: url(['http:', 'https:'], 'https://link.example.com').optional(),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port, e.g. localhost:7233')
    .default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** mTLS to a secured Temporal cluster: PEM files of the client certificate and its key (both or neither). */
  TEMPORAL_TLS_CERT: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY: z.string().min(1).optional(),
  /** Where operators open the Temporal UI: its browser may call the codec endpoint /ops/codec. */
  TEMPORAL_UI_ORIGIN: url(['http:', 'https:'], 'http://localhost:8233').default('http://localhost:8233'),
  /** The Temporal UI as operators open it: the console links each link's workflow there. */
  TEMPORAL_UI_URL: url(['http:', 'https:'], 'http://localhost:8233').default('http://localhost:8233'),
  /** An API key (Temporal Cloud); implies TLS. */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('greenlink'),
  MONGODB_URI: url(['mongodb:', 'mongodb+srv:'], 'mongodb://localhost:27017').default(
    'mongodb://localhost:27017',
  ),
  MONGODB_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,60}$/, 'must be a database name (letters, digits, _ and -)')
    .default('greenlink'),
  SMTP_URL: url(['smtp:', 'smtps:'], 'smtp://localhost:1025').default('smtp://localhost:1025'),
  MAIL_FROM: z.string().min(3).default('Greenlink <no-reply@greenlink.localhost>'),
  GREENHOUSE_AUTH_URL: url(['http:', 'https:'], 'https://auth.greenhouse.io').default(
    'https://auth.greenhouse.io',
  ),
  GREENHOUSE_HARVEST_URL: url(['http:', 'https:'], 'https://harvest.greenhouse.io').default(
    'https://harvest.greenhouse.io',
  ),
  /** Greenhouse's Audit Log API (US data centre by default). */
  GREENHOUSE_AUDIT_LOG_URL: url(['http:', 'https:'], 'https://auditlog.us.greenhouse.io').default(
    'https://auditlog.us.greenhouse.io',
  ),
  GREENHOUSE_LEGACY_V1: bool.default(false),
  /**
   * Development and tests only: webhook endpoints may be http and on loopback or private addresses. Off, every
   * webhook connection is checked at connect time and refused to non-public addresses.
   */
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  /** A JSON file of the deployment's own permission sets (see config/permission-sets.ts). */
  PERMISSION_SETS_FILE: z.string().optional(),
  CREDENTIALS_KEYS: keyring,
  OPERATOR_TOKENS: operatorTokensSchema.default([]),
  /** How long an operator's console sign-in lasts (absolute, from sign-in). */
  OPERATOR_SESSION_TTL: durationSchema.default(2 * 3_600_000),
  /** The console's "needs attention" view lists links waiting on an admin for longer than this. */
  ATTENTION_ADMIN_WAIT: durationSchema.default(3 * 86_400_000),
  REMINDER_SCHEDULE: durationListSchema.default([
    0,
    86_400_000,
    3 * 86_400_000,
    7 * 86_400_000,
    14 * 86_400_000,
  ]),
  REPROBE_SCHEDULE: durationListSchema.default([600_000, 3_600_000, 6 * 3_600_000]),
  LINK_EXPIRY: durationSchema.default(30 * 86_400_000),
  /** Between health checks of a linked link; each is jittered by ±10 % so a fleet does not wake at once. */
  HEALTH_CHECK_INTERVAL: durationSchema.default(DEFAULT_HEALTH_CHECK_MS),
  /** Links one app may have open at once (not expired, cancelled or deleted); past it a create is a 429. */
  ACTIVE_LINKS_PER_APP: z.coerce.number().int().min(1).default(10_000),
  /**
   * Between two reads of Greenhouse's Audit Log by a link created with `auditLog: true`. Greenhouse allows 50
   * requests per 10 s and 3 paginated ones per 30 s per organization; a poll makes one (at most 3).
   */
  AUDIT_LOG_POLL_INTERVAL: durationSchema.default(60_000),
  /** The least gap between two reminders an app's link schedule may ask for; lower it for tests only. */
  MIN_REMINDER_GAP: durationSchema.default(DEFAULT_MIN_REMINDER_GAP_MS),
  CONNECT_TOKEN_TTL: durationSchema.default(7 * 86_400_000),
  /**
   * How long a credentials post waits for their check before answering "still checking" (the page then
   * follows the link's status): a slow Greenhouse or a busy Temporal must not hold a request open.
   */
  CREDENTIALS_CHECK_WAIT: durationSchema.default(5_000),
  /**
   * The longest a request waits on MongoDB and Temporal before it answers 503 naming the one that does not
   * answer (calls through the proxy wait up to 60 s: Greenhouse's own timeouts).
   */
  REQUEST_TIMEOUT: durationSchema.default(10_000),
  EMAIL_TOKEN_TTL: durationSchema.default(72 * 3_600_000),
  /** Per app, on the integrator API. */
  API_RATE_LIMIT: rateLimit.default({ max: 600, windowMs: 60_000 }),
  /**
   * Which proxies may name the client IP in X-Forwarded-For (Express "trust proxy": loopback, linklocal,
   * uniquelocal, addresses, CIDRs, or a hop count). Every per-client limit (connect pages, failed
   * authentications) counts by the address this yields: behind a proxy it does not name, every client has the
   * proxy's address. Trust nothing a client can connect from directly.
   */
  TRUST_PROXY: trustProxy.default('loopback'),
  /** Per client IP, on the public connect pages and their form posts. */
  CONNECT_RATE_LIMIT: rateLimit.default({ max: 120, windowMs: 60_000 }),
  /** "Check again" by people and apps, per link (Greenlink's own checks are not counted). */
  RECHECK_LIMIT: rateLimit.default({ max: 5, windowMs: 60_000 }),
  /** Failed API-key or operator-token authentications per client IP, counted across replicas. */
  AUTH_FAILURE_LIMIT: rateLimit.default({ max: 20, windowMs: 15 * 60_000 }),
  /**
   * Prometheus metrics are served apart from the API, here (0: any free port, for tests and benchmarks), on
   * METRICS_HOST: localhost unless the scraper runs elsewhere.
   */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Workflow runs a worker keeps in memory between their tasks (bench:load: about 0.23 MB each). Unset: the
   * SDK's default, sized from the heap. A run not in the cache is rebuilt from its history when it wakes.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
  /** The worker's metrics (its process and the Temporal SDK runtime), on METRICS_HOST (0: any free port). */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
  /** How long one set of figures is served before the next scrape reads the database again. */
  METRICS_CACHE: durationSchema.default(15_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.output<typeof envSchema> & {
  PUBLIC_URL: string;
  /** Built-in and deployment permission sets: name → required scope ids. */
  permissionSets: Record<string, string[]>;
  /** Permission sets whose links the proxy forwards any Harvest call for, not only their scopes' ones. */
  proxyAnySets: string[];
};
