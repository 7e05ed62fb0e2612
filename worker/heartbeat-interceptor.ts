import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { beat } from '../activities/attempt-memory';

/**
 * How often a running activity heartbeats. The workflows give every activity a heartbeat timeout of
 * ACTIVITY_HEARTBEAT_TIMEOUT (10 s): a killed worker's activity is retried within that, not after its
 * start-to-close timeout, and its claims (an email's send lease) lapse as quickly.
 */
export const HEARTBEAT_EVERY_MS = 2_000;

/** Beats for the whole of every activity, whatever it does, so no activity can forget to. */
export class HeartbeatInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
    const timer = setInterval(() => void beat(this.ctx).catch(() => undefined), HEARTBEAT_EVERY_MS);
    try {
      return await next(input);
    } finally {
      clearInterval(timer);
    }
  }
}
