import { Webhook } from 'standardwebhooks';

/**
 * A receiver's check, by the Standard Webhooks reference library (not Greenlink's own code): passing it is
 * what interoperability with real receivers means. Its timestamp tolerance is 5 minutes.
 */
export function verifyWebhook(secret: string, headers: Record<string, string>, body: string): boolean {
  try {
    new Webhook(secret).verify(body, headers);
    return true;
  } catch {
    return false;
  }
}
