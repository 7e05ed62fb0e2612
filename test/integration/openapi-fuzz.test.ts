import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN_DIR } from '../../stack/services';
import { startTestStack, type TestStack } from '../support/stack';

const ARTIFACTS = path.join(__dirname, '..', 'artifacts');

/** Runs schemathesis (from PyPI, installed by the test setup) and returns its exit code and output. */
function schemathesis(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      path.join(BIN_DIR, 'schemathesis'),
      args,
      {
        // It keeps a crash cache in its working directory: the artifacts folder, not the checkout.
        cwd: ARTIFACTS,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false' },
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          output: `${stdout}${stderr}`,
        }),
    );
  });
}

describe('the OpenAPI document against the running API (schemathesis)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The fuzzer sends hundreds of requests a minute: raise the per-app limit so it tests behaviour, not 429s.
    stack = await startTestStack({ worker: false, env: { API_RATE_LIMIT: '100000/1m' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('finds no 5xx, no response outside its schema, no undocumented status or content type', async () => {
    const { code, output } = await schemathesis([
      'run',
      `${stack.api.url}/openapi.json`,
      '--url',
      stack.api.url,
      '--header',
      `Authorization: Bearer ${stack.apiKey}`,
      '--checks',
      'not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance',
      '--phases',
      'examples,coverage,fuzzing',
      '--max-examples',
      '25',
      '--workers',
      '2',
      // Revoking keys would revoke the fuzzer's own key mid-run; api-keys tests cover revocation.
      '--exclude-operation-id',
      'apiKeys.revoke',
      '--seed',
      '42',
      '--report',
      'junit',
      '--report-dir',
      ARTIFACTS,
    ]);
    console.log(output.split('\n').slice(-25).join('\n'));
    expect(output).toMatch(/API Operations/);
    expect(code, output).toBe(0);
  });
});
