/**
 * `npm test`: runs the whole vitest suite (its global setup starts real Temporal, FerretDB, Mailpit and the
 * Greenhouse simulator) and ends with the line "N passed, N failed" that CI reads.
 *
 * Two phases: every test file but the fault suite's smoke run, then that file alone. The fault suite runs a
 * stack of its own and times recoveries; sharing the machine's cores with other files made it flaky.
 * Arguments (files, `-t` filters) run one phase with just them.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..');
const FAULT_SUITE = 'test/integration/fault-suite-smoke.test.ts';
mkdirSync(path.join(root, 'test-results'), { recursive: true });

let current: ReturnType<typeof spawn> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    current?.kill(signal);
    process.exit(1);
  });

type Phase = { passed: number; failed: number; exitCode: number };

function vitest(name: string, args: string[]): Promise<Phase> {
  const report = path.join(root, 'test-results', `vitest-${name}.json`);
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...args,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  current = child;
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      let passed = 0;
      let failed = 0;
      try {
        const result = JSON.parse(readFileSync(report, 'utf8')) as {
          numPassedTests: number;
          numFailedTests: number;
        };
        passed = result.numPassedTests;
        failed = result.numFailedTests;
      } catch {
        failed = 1; // no report: the run itself broke
      }
      const exitCode = code ?? (signal ? 1 : 0);
      if (exitCode !== 0 && failed === 0) failed = 1;
      resolve({ passed, failed, exitCode });
    }),
  );
}

async function main() {
  const given = process.argv.slice(2);
  const phases: Phase[] = [];
  if (given.length > 0) phases.push(await vitest('selected', given));
  else {
    phases.push(await vitest('suite', ['--exclude', FAULT_SUITE]));
    console.log(`\n[npm test] the fault suite, alone: ${FAULT_SUITE}\n`);
    phases.push(await vitest('fault-suite', [FAULT_SUITE]));
  }
  const passed = phases.reduce((n, p) => n + p.passed, 0);
  const failed = phases.reduce((n, p) => n + p.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(phases.some((p) => p.exitCode !== 0) ? 1 : 0);
}

void main();
