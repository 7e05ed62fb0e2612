export { auditLogWatcherWorkflow } from './audit-log-watcher';
export { linkWorkflow } from './link';
export { webhookReplayWorkflow } from './webhook-replay';
