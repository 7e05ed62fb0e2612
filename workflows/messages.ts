import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { LinkSnapshot, Person, Role, SubmitCredentialsResult } from '../domain/link';

/** Only a reference to the encrypted record crosses into the workflow, never the secret. */
export interface SubmitCredentialsInput {
  credentialRef: string;
}

export interface HandOffInput {
  admin: Person;
  note?: string;
  by: string;
}

export const submitCredentialsUpdate = defineUpdate<SubmitCredentialsResult, [SubmitCredentialsInput]>(
  'submitCredentials',
);
/** "Check again" — from the page, an email, the API or an operator. Bursts collapse into one probe. */
export const recheckSignal = defineSignal<[{ by: string }]>('recheck');
/** The requester hands the setup to their Greenhouse admin (at any stage). */
export const handOffSignal = defineSignal<[HandOffInput]>('handOff');
/** "I'm not the admin": back to the requester (or to the admin again). */
export const reassignSignal = defineSignal<[{ to: Role; by: string }]>('reassign');
/** An operator resends the current reminder now, outside the schedule (which stays as it was). */
export const remindNowSignal = defineSignal<[{ by: string }]>('remindNow');
export const cancelSignal = defineSignal<[{ reason: string }]>('cancel');
/**
 * Continue as new at the next quiet moment: the new run's history holds only payloads sealed with the current
 * first key, so an old key can leave CREDENTIALS_KEYS (`vault reencrypt --move-runs`).
 */
export const freshRunSignal = defineSignal<[{ by: string }]>('freshRun');
export const stateQuery = defineQuery<LinkSnapshot>('state');
/** When the schedule's next reminder is due (epoch ms), if one is left: for the operator console. */
export const nextReminderQuery = defineQuery<{ at: number | null }>('nextReminder');
