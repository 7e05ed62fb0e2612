import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../config/load';
import { envSchema } from '../../config/schema';

const ROOT = path.join(__dirname, '..', '..');

interface ComposeService {
  build?: string;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, unknown>;
}

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;

/** docker compose's ${VAR:-default} / ${VAR:?message} substitution, enough for this file. */
function substitute(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    if (env[name]) return env[name] as string;
    if (op === '?') throw new Error(`${name}: ${arg}`);
    return arg ?? '';
  });
}

const exposedPorts = (service: ComposeService) =>
  (service.ports ?? []).map((p) => Number(p.split(':').at(-1)));

describe('docker-compose.yml (the production topology; no Docker engine here, so it is checked, not run)', () => {
  it('has the topology: api and worker from the Dockerfile, MongoDB 7, Temporal on PostgreSQL with UI, Mailpit', () => {
    expect(services.api?.build).toBe('.');
    expect(services.worker?.build).toBe('.');
    expect(existsSync(path.join(ROOT, 'Dockerfile'))).toBe(true);
    expect(services.mongo?.image).toMatch(/^mongo:7/);
    expect(services.mongo?.command).toContain('--replSet');
    expect(services.temporal?.image).toMatch(/^temporalio\/auto-setup:/);
    expect(services.temporal?.environment?.DB).toMatch(/^postgres/);
    expect(services.postgresql?.image).toMatch(/^postgres:/);
    expect(services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(services.mailpit?.image).toMatch(/^axllent\/mailpit/);
  });

  it('runs entry points that the build produces', () => {
    for (const name of ['api', 'worker']) {
      const entry = services[name]?.command?.find((arg) => arg.startsWith('dist/')) as string;
      const source = entry.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(existsSync(path.join(ROOT, source)), `${name} runs ${entry}, compiled from ${source}`).toBe(
        true,
      );
    }
  });

  it('sets only variables the configuration schema knows, and all it requires', () => {
    const known = Object.keys(envSchema.shape);
    for (const name of ['api', 'worker']) {
      const env = services[name]?.environment ?? {};
      expect(Object.keys(env).filter((k) => !known.includes(k))).toEqual([]);
      expect(Object.keys(env)).toEqual(
        expect.arrayContaining(['CREDENTIALS_KEYS', 'MONGODB_URI', 'TEMPORAL_ADDRESS']),
      );
    }
  });

  it('wires every address to a service of the file, on a port that service listens on', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    const raw = services.api?.environment as Record<string, string>;
    const env = Object.fromEntries(
      Object.entries(raw).map(([k, v]) => [k, substitute(String(v), { CREDENTIALS_KEYS: `k1:${key}` })]),
    );
    const config = loadConfig(env);

    const [temporalHost, temporalPort] = config.TEMPORAL_ADDRESS.split(':');
    expect(exposedPorts(services[temporalHost as string] as ComposeService)).toContain(Number(temporalPort));
    const mongo = new URL(config.MONGODB_URI);
    expect(services[mongo.hostname]).toBeDefined();
    expect(mongo.searchParams.get('replicaSet')).toBe('rs0');
    const smtp = new URL(config.SMTP_URL);
    expect(exposedPorts(services[smtp.hostname] as ComposeService)).toContain(Number(smtp.port));
    expect(exposedPorts(services.api as ComposeService)).toContain(config.PORT);
    for (const name of ['api', 'worker']) {
      expect(Object.keys(services[name]?.depends_on ?? {})).toEqual(
        expect.arrayContaining([mongo.hostname, temporalHost]),
      );
    }
  });

  it('refuses to start without an encryption key', () => {
    expect(() => substitute(String(services.worker?.environment?.CREDENTIALS_KEYS), {})).toThrow(
      /CREDENTIALS_KEYS/,
    );
  });
});
