import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

/** One benchmark in its `--smoke` mode, as its own process; resolves to what it printed. */
export async function runBenchSmoke(name: string, nodeFlags: string[] = []): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', path.join(ROOT, 'bench', `${name}.ts`), '--smoke'],
    { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent' }, maxBuffer: 16 * 1024 * 1024 },
  ).catch((error: Error & { stdout?: string }) => {
    // The bench's own table says which figure broke: show it, not only the exit code.
    throw new Error(`${error.message}\n${error.stdout ?? ''}`);
  });
  return stdout;
}
