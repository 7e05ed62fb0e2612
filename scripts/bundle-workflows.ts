/** Prebuilds the workflow bundle for production images, so workers start without running webpack. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const out = process.argv[2] ?? path.join(__dirname, '..', 'dist', 'workflow-bundle.js');
bundleWorkflowCode({
  workflowsPath: path.join(__dirname, '..', 'workflows', 'index.ts'),
  workflowInterceptorModules: [path.join(__dirname, '..', 'workflows', 'trace-headers.ts')],
}).then(({ code }) => {
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(`workflow bundle written to ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
});
