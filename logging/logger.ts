import pino, { type Logger } from 'pino';
import { traceIds } from '../tracing/tracing';

/**
 * Field names that can carry a secret: credentials, keys, tokens, passwords, and URLs (a connect URL's path
 * is its bearer token; a MongoDB or SMTP URL may hold a password).
 */
const SECRET_FIELDS = [
  'clientSecret',
  'client_secret',
  'apiKey',
  'secret',
  'key',
  'password',
  'token',
  'accessToken',
  'access_token',
  'authorization',
  'cookie',
  'url',
  'connectUrl',
];

/** Each field at the top level and up to three levels down; pino replaces them with "[redacted]". */
const REDACT = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`, `*.*.*.${field}`]);

export function createLogger(
  name: string,
  level = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
): Logger {
  // Each line names the trace and span it was written in, so logs and traces of one request meet.
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' }, mixin: traceIds }, destination);
}

export type { Logger };
