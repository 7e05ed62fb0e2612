import { Context } from '@temporalio/activity';
import type { HarvestClient } from '../greenhouse/harvest-client';
import type { ProbeOutcome } from '../greenhouse/probe-result';
import type { CredentialVault } from '../store/credential-vault';

export interface ProbeDeps {
  vault: CredentialVault;
  harvest: HarvestClient;
}

export interface ProbeInput {
  credentialRef: string;
  requiredScopes: string[];
}

/** Decrypts the credentials here, inside the activity, so they never enter workflow history. */
export function createProbeActivity({ vault, harvest }: ProbeDeps) {
  return {
    async probeCredentials(input: ProbeInput): Promise<ProbeOutcome> {
      const credentials = await vault.load(input.credentialRef);
      const signal = Context.current().cancellationSignal;
      return harvest.probe(credentials, input.requiredScopes, signal);
    },
  };
}
