import { z } from 'zod';

/** Parses "500ms", "90s", "10m", "6h", "30d" (or a bare number of milliseconds) into milliseconds. */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? 'ms') as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}

const notADuration = (text: string) => `"${text.trim()}" is not a duration like 0, 90s, 10m, 6h or 30d`;

/** One duration as text (an environment variable, a JSON field) → milliseconds, with the one error wording. */
export const durationSchema = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: notADuration(text) });
    return z.NEVER;
  }
  return ms;
});

/** A comma-separated list of durations, e.g. "0,1d,3d". */
export const durationListSchema = z.string().transform((text, ctx) => {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const ms = parseDuration(part);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: notADuration(part) });
      return z.NEVER;
    }
    out.push(ms);
  }
  return out;
});
