import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the worker finds workflow code: a prebuilt bundle (production image), else the TypeScript
 * sources bundled at start-up (development and tests).
 */
export function workflowSource(): { workflowsPath: string } | { workflowBundle: { codePath: string } } {
  const prebuilt = process.env.WORKFLOW_BUNDLE_PATH;
  if (prebuilt && existsSync(prebuilt)) return { workflowBundle: { codePath: prebuilt } };
  const base = path.join(__dirname, '..', 'workflows', 'index');
  return { workflowsPath: existsSync(`${base}.ts`) ? `${base}.ts` : `${base}.js` };
}

/** Workflow interceptors every bundle includes (workflows/trace-headers.ts: trace context into activities). */
export function workflowInterceptorModules(): string[] {
  const base = path.join(__dirname, '..', 'workflows', 'trace-headers');
  return [existsSync(`${base}.ts`) ? `${base}.ts` : `${base}.js`];
}
