import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../config/duration';
import { ConfigError, loadConfig } from '../../config/load';
import { temporalConnectionOptions } from '../../config/temporal';

const KEY = Buffer.alloc(32, 7).toString('base64');

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('fills defaults and derives PUBLIC_URL from PORT', () => {
    const config = loadConfig({ CREDENTIALS_KEYS: `k1:${KEY}`, PORT: '4100' });
    expect(config.PUBLIC_URL).toBe('http://localhost:4100');
    expect(config.TEMPORAL_TASK_QUEUE).toBe('greenlink');
    expect(config.REMINDER_SCHEDULE).toEqual([0, 86_400_000, 259_200_000, 604_800_000, 1_209_600_000]);
    expect(config.LINK_EXPIRY).toBe(30 * 86_400_000);
    expect(config.CREDENTIALS_KEYS[0]?.id).toBe('k1');
  });

  it('names every bad variable on its own line', () => {
    const problems = problemsOf({
      MONGODB_URI: 'nonsense',
      CREDENTIALS_KEYS: 'k1:dG9vLXNob3J0',
      PORT: '99999',
      REMINDER_SCHEDULE: '0,1d,later',
    });
    expect(problems).toHaveLength(4);
    expect(problems.find((p) => p.startsWith('MONGODB_URI'))).toContain('mongodb:');
    expect(problems.find((p) => p.startsWith('CREDENTIALS_KEYS'))).toContain('32 bytes');
    expect(problems.find((p) => p.startsWith('PORT'))).toBeDefined();
    expect(problems.find((p) => p.startsWith('REMINDER_SCHEDULE'))).toContain('"later"');
  });

  it('requires the credentials keyring and rejects malformed or duplicate entries', () => {
    expect(problemsOf({})).toEqual(['CREDENTIALS_KEYS is required']);
    expect(problemsOf({ CREDENTIALS_KEYS: 'no-colon' })[0]).toContain('"<key id>:<base64 key>"');
    expect(problemsOf({ CREDENTIALS_KEYS: `a:${KEY},a:${KEY}` })[0]).toContain('appears twice');
  });

  it('reads a rotated keyring in order: the first key encrypts', () => {
    const other = Buffer.alloc(32, 9).toString('base64');
    const config = loadConfig({ CREDENTIALS_KEYS: `new:${other}, old:${KEY}` });
    expect(config.CREDENTIALS_KEYS.map((k) => k.id)).toEqual(['new', 'old']);
  });

  it('reads TRUST_PROXY as Express does, and names an entry Express would not understand', () => {
    const trust = (value: string) => problemsOf({ CREDENTIALS_KEYS: `k1:${KEY}`, TRUST_PROXY: value });
    for (const good of ['loopback', '2', 'loopback, 172.30.0.0/24', '10.0.0.1, ::1/128, uniquelocal'])
      expect(trust(good)).toEqual([]);
    expect(trust('lopback')).toEqual([expect.stringContaining('"lopback" is not loopback')]);
    expect(trust('10.0.0.0/33')).toEqual([expect.stringContaining('"10.0.0.0/33"')]);
  });

  it('parses durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('30d')).toBe(2_592_000_000);
    expect(parseDuration('42')).toBe(42);
    expect(parseDuration('soon')).toBeUndefined();
  });
});

describe('deployment permission sets (PERMISSION_SETS_FILE)', () => {
  const write = (content: string) => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sets-')), 'sets.json');
    writeFileSync(file, content);
    return file;
  };

  it('adds sets that extend the built-ins', () => {
    const file = write(
      JSON.stringify({ hiring_plus: { extends: 'ats_read', scopes: ['harvest:notes:create'] } }),
    );
    const config = loadConfig({ CREDENTIALS_KEYS: `k1:${KEY}`, PERMISSION_SETS_FILE: file });
    expect(config.permissionSets.hiring_plus).toContain('harvest:notes:create');
    expect(config.permissionSets.hiring_plus).toContain('harvest:jobs:list');
    expect(config.permissionSets.ats_read).toHaveLength(15);
  });

  it('reports unknown scopes with a suggestion, unknown bases and bad names, one line each', () => {
    const file = write(
      JSON.stringify({
        typo: { scopes: ['harvest:offer:list'] },
        orphan: { extends: 'nope', scopes: [] },
        'Bad Name': { scopes: ['harvest:jobs:list'] },
      }),
    );
    const problems = problemsOf({ CREDENTIALS_KEYS: `k1:${KEY}`, PERMISSION_SETS_FILE: file });
    expect(problems).toHaveLength(1); // the bad name fails the file's shape before anything else
    expect(problems[0]).toContain('Bad Name');
    const file2 = write(
      JSON.stringify({ typo: { scopes: ['harvest:offer:list'] }, orphan: { extends: 'nope' } }),
    );
    const problems2 = problemsOf({ CREDENTIALS_KEYS: `k1:${KEY}`, PERMISSION_SETS_FILE: file2 });
    expect(problems2).toEqual([
      expect.stringContaining(
        'typo.scopes.0: unknown scope "harvest:offer:list" (did you mean harvest:offers:list?)',
      ),
      expect.stringContaining('orphan.extends: no set named "nope"'),
    ]);
  });

  it('names the sets whose links the proxy may use beyond their scopes (proxy: "any"), and refuses other values', () => {
    const file = write(
      JSON.stringify({
        open_read: { extends: 'ats_read', proxy: 'any' },
        strict_read: { extends: 'ats_read' },
      }),
    );
    expect(loadConfig({ CREDENTIALS_KEYS: `k1:${KEY}`, PERMISSION_SETS_FILE: file }).proxyAnySets).toEqual([
      'open_read',
    ]);
    const bad = write(JSON.stringify({ loose: { extends: 'ats_read', proxy: 'all' } }));
    expect(problemsOf({ CREDENTIALS_KEYS: `k1:${KEY}`, PERMISSION_SETS_FILE: bad })[0]).toContain(
      'loose.proxy',
    );
  });

  it('says so when the file is not JSON', () => {
    const problems = problemsOf({ CREDENTIALS_KEYS: `k1:${KEY}`, PERMISSION_SETS_FILE: write('{nope') });
    expect(problems[0]).toMatch(/PERMISSION_SETS_FILE .* cannot be read as JSON/);
  });
});

describe('Temporal connection settings', () => {
  const base = { CREDENTIALS_KEYS: `k1:${Buffer.alloc(32, 2).toString('base64')}` };

  it('connects in plain gRPC by default, with mTLS from two PEM files, or with TLS and an API key', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-tls-'));
    writeFileSync(path.join(dir, 'client.pem'), 'CERT');
    writeFileSync(path.join(dir, 'client.key'), 'KEY');
    expect(temporalConnectionOptions(loadConfig(base))).toEqual({ address: 'localhost:7233' });
    const mtls = temporalConnectionOptions(
      loadConfig({
        ...base,
        TEMPORAL_ADDRESS: 'greenlink.a1b2c.tmprl.cloud:7233',
        TEMPORAL_TLS_CERT: path.join(dir, 'client.pem'),
        TEMPORAL_TLS_KEY: path.join(dir, 'client.key'),
      }),
    );
    expect(mtls.tls).toEqual({ clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') } });
    expect(temporalConnectionOptions(loadConfig({ ...base, TEMPORAL_API_KEY: 'tk_123' }))).toEqual({
      address: 'localhost:7233',
      tls: true,
      apiKey: 'tk_123',
    });
  });

  it('names a half-configured or missing certificate', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ ...base, ...env });
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ TEMPORAL_TLS_CERT: '/tmp/x.pem' })).toEqual([
      'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both (PEM files) or neither',
    ]);
    expect(problems({ TEMPORAL_TLS_CERT: '/nope/c.pem', TEMPORAL_TLS_KEY: '/nope/k.pem' })).toEqual([
      'TEMPORAL_TLS_CERT names /nope/c.pem, which does not exist',
      'TEMPORAL_TLS_KEY names /nope/k.pem, which does not exist',
    ]);
  });
});

describe('operator tokens', () => {
  it('must be long enough to be random (32 bytes)', () => {
    const env = { CREDENTIALS_KEYS: `k1:${Buffer.alloc(32, 2).toString('base64')}` };
    expect(() => loadConfig({ ...env, OPERATOR_TOKENS: 'letmein' })).toThrow(/at least 43 characters/);
    expect(loadConfig({ ...env, OPERATOR_TOKENS: 'a'.repeat(43) }).OPERATOR_TOKENS).toEqual([
      { name: expect.stringMatching(/^operator-[0-9a-f]{8}$/), token: 'a'.repeat(43), role: 'read' },
    ]);
  });

  it('are named, with a role (read unless act), and each mistake is named', () => {
    const env = { CREDENTIALS_KEYS: `k1:${Buffer.alloc(32, 2).toString('base64')}` };
    const a = 'a'.repeat(43);
    const b = 'b'.repeat(43);
    expect(loadConfig({ ...env, OPERATOR_TOKENS: `ada:${a}:act, rob:${b}` }).OPERATOR_TOKENS).toEqual([
      { name: 'ada', token: a, role: 'act' },
      { name: 'rob', token: b, role: 'read' },
    ]);
    expect(() => loadConfig({ ...env, OPERATOR_TOKENS: `ada:${a}:admin` })).toThrow(
      /role must be read or act, not "admin"/,
    );
    expect(() => loadConfig({ ...env, OPERATOR_TOKENS: `ada:${a},ada:${b}` })).toThrow(/"ada" appears twice/);
    expect(() => loadConfig({ ...env, OPERATOR_TOKENS: `ada:${a},bob:${a}` })).toThrow(
      /same token is given twice/,
    );
    expect(() => loadConfig({ ...env, OPERATOR_TOKENS: `a da:${a}` })).toThrow(/the name "a da" must be/);
    expect(() => loadConfig({ ...env, OPERATOR_TOKENS: 'ada:short:act' })).toThrow(
      /entry 1 \("ada"\).*at least 43/,
    );
  });
});
