import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logging/logger';

describe('logger redaction', () => {
  it('never writes credentials, API keys, tokens or authorization headers', () => {
    const lines: string[] = [];
    const log = createLogger('test', 'info', { write: (line: string) => void lines.push(line) });
    log.info(
      {
        clientSecret: 'top-level-secret',
        apiKey: 'v1-api-key-secret',
        token: 'connect-token-secret',
        credential: { clientId: '1234.5678', clientSecret: 'nested-secret' },
        input: { credential: { clientSecret: 'deeply-nested-secret' } },
        req: { method: 'POST', headers: { authorization: 'Bearer gl_key_secret', cookie: 'session=secret' } },
        endpoint: { secret: 'whsec_endpoint-secret', url: 'https://hooks.example/with-token-in-path' },
        created: { connectUrl: 'https://link.example/connect/connect-url-token' },
        mongo: { options: { password: 'db-password-secret' } },
        apiKey2: { key: 'gl_live_key-secret' },
        deep: { a: { b: { token: 'four-levels-token' } } },
      },
      'submitting credentials',
    );
    expect(lines).toHaveLength(1);
    const text = lines[0] as string;
    for (const secret of [
      'top-level',
      'v1-api-key',
      'connect-token',
      'nested-secret',
      'gl_key_',
      'session=',
      'whsec_endpoint',
      'with-token-in-path',
      'connect-url-token',
      'db-password',
      'gl_live_key',
      'four-levels-token',
    ]) {
      expect(text).not.toContain(secret);
    }
    const record = JSON.parse(text);
    expect(record.credential).toEqual({ clientId: '1234.5678', clientSecret: '[redacted]' });
    expect(record.req.headers.authorization).toBe('[redacted]');
    expect(record.msg).toBe('submitting credentials');
  });
});
