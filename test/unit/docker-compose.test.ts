import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
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
  expose?: string[];
  profiles?: string[];
  depends_on?: Record<string, unknown>;
}

const composeText = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText) as {
  services: Record<string, ComposeService>;
  networks?: { default?: { ipam?: { config?: { subnet?: string }[] } } };
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

/** The ports a service listens on for the compose network (exposed or published). */
const exposedPorts = (service: ComposeService) =>
  [...(service.expose ?? []), ...(service.ports ?? [])].map((p) => Number(p.split(':').at(-1)));

const REQUIRED = {
  CREDENTIALS_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
  MONGO_PASSWORD: 's3cret-mongo',
  TEMPORAL_DB_PASSWORD: 's3cret-pg',
  PUBLIC_URL: 'https://link.example.com',
  SMTP_URL: 'smtp://mailpit:1025',
};

describe('docker-compose.yml (the production topology; no Docker engine here, so it is checked, not run)', () => {
  it('has the topology: api and worker from the Dockerfile, MongoDB 7, Temporal on PostgreSQL with UI, Mailpit', () => {
    expect(services.api?.build).toBe('.');
    expect(services.worker?.build).toBe('.');
    expect(existsSync(path.join(ROOT, 'Dockerfile'))).toBe(true);
    expect(services.mongo?.image).toMatch(/^mongo:7/);
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
    const raw = services.api?.environment as Record<string, string>;
    const env = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, substitute(String(v), REQUIRED)]));
    const config = loadConfig(env);

    const [temporalHost, temporalPort] = config.TEMPORAL_ADDRESS.split(':');
    expect(exposedPorts(services[temporalHost as string] as ComposeService)).toContain(Number(temporalPort));
    const mongo = new URL(config.MONGODB_URI);
    expect(exposedPorts(services[mongo.hostname] as ComposeService)).toContain(Number(mongo.port));
    const smtp = new URL(config.SMTP_URL);
    expect(exposedPorts(services[smtp.hostname] as ComposeService)).toContain(Number(smtp.port));
    expect(exposedPorts(services.api as ComposeService)).toContain(config.PORT);
    expect(config.PUBLIC_URL).toBe('https://link.example.com');
    for (const name of ['api', 'worker']) {
      expect(Object.keys(services[name]?.depends_on ?? {})).toEqual(
        expect.arrayContaining([mongo.hostname, temporalHost]),
      );
    }
  });

  it('publishes only the API: databases and Temporal stay internal, the UIs are opt-in and local', () => {
    const published = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0);
    for (const [name, service] of published) {
      if (name === 'api') continue;
      expect([name, service.profiles?.length ?? 0]).toEqual([name, 1]);
      for (const port of service.ports ?? [])
        expect([name, port]).toEqual([name, expect.stringMatching(/^127\.0\.0\.1:/)]);
    }
    for (const name of ['mongo', 'postgresql', 'temporal']) expect(services[name]?.ports).toBeUndefined();
    expect(services['temporal-ui']?.profiles).toEqual(['ops']);
    expect(services.mailpit?.profiles).toEqual(['mail']);
    for (const name of ['api', 'worker']) {
      const depends = Object.keys(services[name]?.depends_on ?? {});
      expect(depends.filter((d) => services[d]?.profiles)).toEqual([]); // they start without any profile
    }
  });

  it('trusts its own network and this host as the proxy that names clients, and no other address', () => {
    const subnet = compose.networks?.default?.ipam?.config?.[0]?.subnet as string;
    expect(subnet).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
    const raw = String(services.api?.environment?.TRUST_PROXY);
    const { TRUST_PROXY } = loadConfig({ ...REQUIRED, TRUST_PROXY: substitute(raw, REQUIRED) });
    expect(TRUST_PROXY).toContain(subnet);
    // Express' own reading of it (proxy-addr), as the API sets it.
    const trusts = express().set('trust proxy', TRUST_PROXY).get('trust proxy fn') as (
      a: string,
      i: number,
    ) => boolean;
    const gateway = subnet.replace(/\.\d+\/\d+$/, '.1');
    expect([gateway, '127.0.0.1', '203.0.113.9', '10.1.2.3'].map((a) => trusts(a, 0))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(substitute(String(services.api?.ports?.[0]), {})).toBe('127.0.0.1:3000:3000');
  });

  it('runs MongoDB with authentication: a required password, also in the URI the services use', () => {
    expect(services.mongo?.environment?.MONGO_INITDB_ROOT_PASSWORD).toMatch(/\$\{MONGO_PASSWORD:\?/);
    const uri = new URL(substitute(String(services.api?.environment?.MONGODB_URI), REQUIRED));
    expect(decodeURIComponent(uri.password)).toBe(REQUIRED.MONGO_PASSWORD);
    expect(uri.searchParams.get('authSource')).toBe('admin');
    expect(() => substitute(String(services.api?.environment?.MONGODB_URI), {})).toThrow(/MONGO_PASSWORD/);
    expect(services.temporal?.environment?.POSTGRES_PWD).toMatch(/\$\{TEMPORAL_DB_PASSWORD:\?/);
  });

  it('requires an https PUBLIC_URL in its example and passes the Temporal TLS settings through', () => {
    expect(composeText).toMatch(/PUBLIC_URL=https:\/\//);
    expect(() => substitute(String(services.api?.environment?.PUBLIC_URL), {})).toThrow(/PUBLIC_URL/);
    for (const name of ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_API_KEY']) {
      expect(Object.keys(services.worker?.environment ?? {})).toContain(name);
    }
  });

  it('has an opt-in monitoring profile whose mounted files exist: Prometheus scraping both metrics ports, Grafana with the dashboard', () => {
    for (const name of ['prometheus', 'grafana']) {
      expect(services[name]?.profiles).toEqual(['monitoring']);
      for (const volume of (services[name] as { volumes?: string[] }).volumes ?? []) {
        const source = volume.split(':')[0] as string;
        expect([volume, existsSync(path.join(ROOT, source))]).toEqual([volume, true]);
      }
    }
    const scrape = parse(readFileSync(path.join(ROOT, 'deploy/monitoring/prometheus.yml'), 'utf8')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = scrape.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    for (const target of targets) {
      const [host, port] = target.split(':');
      expect(exposedPorts(services[host as string] as ComposeService)).toContain(Number(port));
    }
    expect(targets).toEqual(['api:9464', 'worker:9465']);
  });

  it('refuses to start without an encryption key', () => {
    expect(() => substitute(String(services.worker?.environment?.CREDENTIALS_KEYS), {})).toThrow(
      /CREDENTIALS_KEYS/,
    );
  });
});
