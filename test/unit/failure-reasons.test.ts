import { describe, expect, it } from 'vitest';
import { FAILURE_REASONS, failureReason } from '../../app/failure-reasons';

const error = (type: string, message: string, cause?: object) => ({
  message,
  applicationFailureInfo: { type },
  ...(cause ? { cause } : {}),
});

describe('failureReason (the timeline says why, never the raw text)', () => {
  it('classifies network failures by what the activity talks to', () => {
    expect(failureReason('sendLinkEmail', error('Error', 'connect ECONNREFUSED 10.0.3.4:25'))).toBe(
      'email_server_unreachable',
    );
    expect(
      failureReason(
        'probeCredentials',
        error('TypeError', 'fetch failed', error('Error', 'getaddrinfo ENOTFOUND gh')),
      ),
    ).toBe('greenhouse_unreachable');
    expect(
      failureReason('persistLink', error('MongoServerSelectionError', 'mongo-internal:27017 timed out')),
    ).toBe('database_unavailable');
  });

  it('names our own failures, SMTP refusals and timeouts; anything else is internal', () => {
    expect(
      failureReason('deliverWebhook', error('WebhookDeliveryFailed', '2 endpoint(s) did not accept')),
    ).toBe('webhook_endpoints_failed');
    expect(
      failureReason('sendLinkEmail', error('Error', 'Message failed: 550 5.1.1 mailbox unavailable')),
    ).toBe('email_server_refused');
    expect(failureReason('probeCredentials', { message: 'x', timeoutFailureInfo: {} })).toBe('timed_out');
    expect(failureReason('probeCredentials', error('Error', 'Cannot read properties of undefined'))).toBe(
      'internal_error',
    );
    for (const reason of Object.keys(FAILURE_REASONS)) expect(reason).toMatch(/^[a-z_]+$/);
  });
});
