import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startSimulator } from '../../greenhouse/simulator/server';
import { freePort } from '../../stack/ports';
import { installServices, startFerretDb, startMailpit, startTemporal } from '../../stack/services';
import { workflowInterceptorModules, workflowSource } from '../../worker/workflow-source';

declare module 'vitest' {
  export interface ProvidedContext {
    services: {
      temporalAddress: string;
      mongoUri: string;
      smtpUrl: string;
      mailApiUrl: string;
      simulatorUrl: string;
      workflowBundlePath: string;
      tmpDir: string;
    };
  }
}

/** Real services on free ports with throw-away data, once per test run. */
export default async function setup(project: TestProject) {
  installServices(['temporal', 'ferretdb', 'mailpit', 'temporal-test-server', 'schemathesis']);
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'greenlink-test-'));
  const started: { stop(): Promise<void> }[] = [];
  const teardown = async () => {
    await Promise.allSettled(started.reverse().map((s) => s.stop()));
    rmSync(tmpDir, { recursive: true, force: true });
  };
  try {
    const keep = <T extends { proc: { stop(): Promise<void> } }>(service: T) => {
      started.push(service.proc);
      return service;
    };
    const [temporal, mongo, mail, simulator] = await Promise.all([
      startTemporal({
        port: await freePort(),
        logDir: tmpDir,
        // Suggest continue-as-new early, so a test can drive a link across runs.
        dynamicConfig: ['limit.historyCount.suggestContinueAsNew=120'],
      }).then(keep),
      startFerretDb({ port: await freePort(), dir: path.join(tmpDir, 'ferretdb'), logDir: tmpDir }).then(
        keep,
      ),
      startMailpit({ smtpPort: await freePort(), httpPort: await freePort(), logDir: tmpDir }).then(keep),
      startSimulator(0).then((s) => keep({ ...s, proc: { stop: s.close } })),
    ]);
    // Bundle the workflow code once; every test worker loads the same bundle instead of re-running webpack.
    const source = workflowSource();
    if (!('workflowsPath' in source)) throw new Error('tests bundle the workflow sources');
    const { code } = await bundleWorkflowCode({
      workflowsPath: source.workflowsPath,
      workflowInterceptorModules: workflowInterceptorModules(),
      logger: quietLogger,
    });
    const workflowBundlePath = path.join(tmpDir, 'workflow-bundle.js');
    writeFileSync(workflowBundlePath, code);

    project.provide('services', {
      temporalAddress: temporal.address,
      mongoUri: mongo.uri,
      smtpUrl: mail.smtpUrl,
      mailApiUrl: mail.apiUrl,
      simulatorUrl: simulator.url,
      workflowBundlePath,
      tmpDir,
    });
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

const quietLogger = {
  trace() {},
  debug() {},
  info() {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
  log() {},
};
