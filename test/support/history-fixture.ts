import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');

/** Temporal's JSON history format (as the CLI and UI export it): timestamps as RFC 3339 strings. */
function historyJson(history: History): string {
  return JSON.stringify(JSON.parse(historyToJSON(history)), (_key, value) =>
    value && typeof value === 'object' && typeof value.seconds === 'string' && Object.keys(value).length <= 2
      ? new Date(Number(value.seconds) * 1000 + Math.floor((value.nanos ?? 0) / 1e6)).toISOString()
      : value,
  );
}

/**
 * With RECORD_HISTORY=1, writes a finished run's history to test/fixtures/<name>.history.json, which the
 * replay test then replays against every later version of the workflow. Re-record only for a change guarded
 * by patched(), and keep the old fixtures.
 */
export async function recordFixture(name: string, fetchHistory: () => Promise<History>): Promise<void> {
  if (!process.env.RECORD_HISTORY) return;
  writeFileSync(path.join(FIXTURES, `${name}.history.json`), historyJson(await fetchHistory()));
}
