/** Deploy quorum (PROTOCOL §5): pure message, counting and decisions; the store port. */
export * from './pending-deploy.js';
export * from './approval-message.js';
export * from './open-deploy.js';
export * from './deploy-view.js';
export * from './count-votes.js';
export * from './approval-request.js';
export * from './decide-approval.js';
export * from './audit-entries.js';
export * from './memory-pending-deploy-store.js';
export * from './ssh-approval.js';
