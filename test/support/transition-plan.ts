import type { ProbeOutcome, ScopeResult, ScopeStatus } from '../../domain/probe';
import type { Step } from '../../workflows/transitions';

/** A probe outcome at `at` with one status per scope. */
export const probedAt = (at: number, statuses: Record<string, ScopeStatus>): ProbeOutcome => ({
  kind: 'probed',
  checkedAt: new Date(at).toISOString(),
  results: Object.entries(statuses).map(
    ([scope, status]): ScopeResult => ({
      scope,
      status,
      evidence: { checkedAt: new Date(at).toISOString() },
    }),
  ),
});

/** A step's effects as short words, in order: what the workflow will do. */
export const plan = (step: Step) =>
  step.effects.map((e) =>
    e.kind === 'persist'
      ? `persist:${e.event?.type ?? '(quiet)'}`
      : e.kind === 'email'
        ? `email:${e.email.kind}:${e.email.role}`
        : e.kind === 'webhook'
          ? `webhook:${e.type}`
          : `forget:${e.credentialRef}`,
  );
