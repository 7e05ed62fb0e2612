import type { HarvestCredentials } from './token-minter';

/** What a customer can submit: Harvest v3 client credentials, or (when enabled) a retired v1 API key. */
export type GreenhouseCredential =
  | ({ type: 'harvest_v3' } & HarvestCredentials)
  | { type: 'legacy_v1'; apiKey: string };

/** Safe to show: the end of a v3 client id (visible in Greenhouse anyway); nothing of a v1 key. */
export function credentialHint(credential: GreenhouseCredential): string {
  return credential.type === 'harvest_v3' ? `…${credential.clientId.slice(-6)}` : 'Harvest v1 API key';
}
