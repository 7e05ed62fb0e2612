export { auditLogWatcherWorkflow } from './audit-log-watcher';
export { linkWorkflow } from './link';
