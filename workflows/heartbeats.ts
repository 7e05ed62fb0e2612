/**
 * Every activity heartbeats every 2 s while it runs (worker/heartbeat-interceptor.ts): after this long without
 * one (its worker was killed or cut off), Temporal retries it at once instead of after its start-to-close
 * timeout. Changing an activity's timeouts changes no command, so running links replay as before.
 */
export const HEARTBEAT_TIMEOUT = '10 seconds';
