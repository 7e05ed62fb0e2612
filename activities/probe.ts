import { ApplicationFailure, Context } from '@temporalio/activity';
import { linkIdOf } from '../domain/link';
import type { ProbeOutcome } from '../domain/probe';
import type { ApiKeyProber, ScopeProber } from '../domain/provider';
import type { CounterStore } from '../store/counters';
import { CredentialOwnerError, type CredentialVault } from '../store/credential-vault';

export interface ProbeDeps {
  vault: CredentialVault;
  harvest: ScopeProber;
  legacyV1: ApiKeyProber;
  counters: CounterStore;
}

export interface ProbeInput {
  credentialRef: string;
  requiredScopes: string[];
}

/** Decrypts the credentials here, inside the activity, so they never enter workflow history. */
export function createProbeActivity({ vault, harvest, legacyV1, counters }: ProbeDeps) {
  const probe = async (input: ProbeInput): Promise<ProbeOutcome> => {
    // The asking link is the workflow's own id, never an input: a reference cannot borrow another link's record.
    const linkId = linkIdOf(Context.current().info.workflowExecution?.workflowId ?? '');
    const credential = await vault.load(input.credentialRef, linkId).catch((error: Error) => {
      if (error instanceof CredentialOwnerError)
        throw ApplicationFailure.nonRetryable(error.message, error.name);
      throw error;
    });
    const signal = Context.current().cancellationSignal;
    if (credential.type === 'legacy_v1')
      return legacyV1.probe(credential.apiKey, input.requiredScopes, signal);
    const { type: _type, ...harvestCredentials } = credential;
    return harvest.probe(harvestCredentials, input.requiredScopes, signal);
  };
  return {
    async probeCredentials(input: ProbeInput): Promise<ProbeOutcome> {
      const outcome = await probe(input);
      // A metric must never cost a probe: a failed count is logged, not retried with the probe.
      await counters.increment('probes', outcome.kind).catch((error: Error) => {
        Context.current().log.warn('could not count the probe', { error: error.message });
      });
      return outcome;
    },
  };
}
