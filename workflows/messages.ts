import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { LinkSnapshot, SubmitCredentialsResult } from '../links/model';

/** Only a reference to the encrypted record crosses into the workflow, never the secret. */
export interface SubmitCredentialsInput {
  credentialRef: string;
}

export const submitCredentialsUpdate = defineUpdate<SubmitCredentialsResult, [SubmitCredentialsInput]>(
  'submitCredentials',
);
export const recheckSignal = defineSignal<[{ by: string }]>('recheck');
export const cancelSignal = defineSignal<[{ reason: string }]>('cancel');
export const stateQuery = defineQuery<LinkSnapshot>('state');
