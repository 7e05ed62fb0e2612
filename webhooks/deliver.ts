import type { Dispatcher } from 'undici';
import { recordDone } from '../store/record-done';
import type {
  DeliveryAttempt,
  WebhookDeliveryDoc,
  WebhookEndpointDoc,
  WebhookStore,
} from '../store/webhooks';
import { postWebhook, type WebhookOutcome } from './post-webhook';

/** One event as it is sent: the exact body, kept so a delivery can be replayed byte for byte. */
export type WebhookEvent = Pick<WebhookDeliveryDoc, 'eventId' | 'appId' | 'linkId' | 'type' | 'payload'>;

/** What a delivery's record says after an attempt with this outcome. */
const STATUS_AFTER = { delivered: 'delivered', gone: 'endpoint_gone', failed: 'pending' } as const;

/**
 * Sends one event to one endpoint and records the attempt: the one delivery step the worker's activity and the
 * API's replay share. A 410 disables the endpoint. A delivery that was delivered stays delivered whatever a
 * later attempt (a replay) gets: the receiver already has its copy.
 */
export async function deliverToEndpoint(
  store: WebhookStore,
  endpoint: WebhookEndpointDoc,
  event: WebhookEvent,
  options: {
    dispatcher?: Dispatcher;
    previous?: WebhookDeliveryDoc['status'];
    /** Called as soon as the endpoint took the event, before it is recorded. */
    onAccepted?(attempt: DeliveryAttempt): void;
  } = {},
): Promise<WebhookOutcome> {
  const outcome = await postWebhook({
    url: endpoint.url,
    secrets: store.secretsOf(endpoint),
    eventId: event.eventId,
    body: event.payload,
    dispatcher: options.dispatcher,
  });
  if (outcome.kind === 'delivered') options.onAccepted?.(outcome.attempt);
  const status = options.previous === 'delivered' ? 'delivered' : STATUS_AFTER[outcome.kind];
  const { eventId, appId, linkId, type, payload } = event; // only these: a whole delivery record may be passed
  await recordDone(() =>
    store.recordAttempt(
      { eventId, appId, linkId, type, payload, endpointId: endpoint._id },
      outcome.attempt,
      status,
    ),
  );
  if (outcome.kind === 'gone') await store.disable(endpoint._id, 'the endpoint answered 410 Gone');
  return outcome;
}
