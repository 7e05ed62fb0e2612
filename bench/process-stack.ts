/**
 * What the process-level benchmarks (bench:load, bench:faults) share: the worker and API started as their own
 * processes, as `npm start` runs them, on one prebuilt workflow bundle (a restarted worker is ready in seconds).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { type ManagedProcess, startProcess } from '../stack/process';
import { ROOT } from '../stack/services';

/** The benches are every user at once from one address: the per-IP, per-app and per-link limits are lifted. */
export const LIFTED_LIMITS = {
  API_RATE_LIMIT: '100000000/1m',
  CONNECT_RATE_LIMIT: '100000000/1m',
  RECHECK_LIMIT: '100000000/1m',
  AUTH_FAILURE_LIMIT: '100000000/1m',
  ACTIVE_LINKS_PER_APP: '100000000', // BENCH_WAITING may open more links for one app than the default cap
};

/** Bundles the workflow code once into `dir`; pass the path as WORKFLOW_BUNDLE_PATH. */
export async function bundleWorkflows(dir: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(ROOT, 'workflows', 'index.ts'),
    workflowInterceptorModules: [path.join(ROOT, 'workflows', 'trace-headers.ts')],
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
  });
  const bundle = path.join(dir, 'bundle.js');
  writeFileSync(bundle, code);
  return bundle;
}

/** A Greenlink entry point (`worker/main.ts`, `api/main.ts`, …) in its own process, logging to `dir/<name>.log`. */
export function startNodeProcess(o: {
  name: string;
  entry: string;
  env: Record<string, string>;
  dir: string;
  ready: { port: number } | { logLine: RegExp };
}): Promise<ManagedProcess> {
  return startProcess({
    name: o.name,
    command: process.execPath,
    args: ['--import', 'tsx', path.join(ROOT, o.entry)],
    env: o.env,
    logFile: path.join(o.dir, `${o.name}.log`),
    ready: o.ready,
    readyTimeoutMs: 120_000,
  });
}

export const startWorkerProcess = (name: string, env: Record<string, string>, dir: string) =>
  startNodeProcess({ name, entry: 'worker/main.ts', env, dir, ready: { logLine: /worker started/ } });

export const startApiProcess = (env: Record<string, string>, dir: string) =>
  startNodeProcess({ name: 'api', entry: 'api/main.ts', env, dir, ready: { port: Number(env.PORT) } });
