import { existsSync, readFileSync } from 'node:fs';
import type { Config } from './schema';

type TemporalSettings = Pick<
  Config,
  'TEMPORAL_ADDRESS' | 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY' | 'TEMPORAL_API_KEY'
>;

/** What both the client's Connection and the worker's NativeConnection take. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: true | { clientCertPair: { crt: Buffer; key: Buffer } };
  apiKey?: string;
}

/** Plain gRPC to a local server; mTLS with a client certificate; or TLS with an API key (Temporal Cloud). */
export function temporalConnectionOptions(config: TemporalSettings): TemporalConnectionOptions {
  const {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TLS_CERT: cert,
    TEMPORAL_TLS_KEY: key,
    TEMPORAL_API_KEY: apiKey,
  } = config;
  const tls =
    cert && key
      ? { clientCertPair: { crt: readFileSync(cert), key: readFileSync(key) } }
      : apiKey
        ? true
        : undefined;
  return { address, ...(tls ? { tls } : {}), ...(apiKey ? { apiKey } : {}) };
}

/** One line per problem with the TLS settings, for the configuration loader. */
export function temporalTlsProblems(env: Record<string, string | undefined>): string[] {
  const cert = env.TEMPORAL_TLS_CERT;
  const key = env.TEMPORAL_TLS_KEY;
  if (Boolean(cert) !== Boolean(key))
    return ['TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both (PEM files) or neither'];
  return [cert, key].flatMap((file, i) =>
    file && !existsSync(file)
      ? [`${i === 0 ? 'TEMPORAL_TLS_CERT' : 'TEMPORAL_TLS_KEY'} names ${file}, which does not exist`]
      : [],
  );
}
