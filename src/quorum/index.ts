/** Deploy quorum (docs/protocol.md §5, §12): pure message, counting and decisions; the store port. */
export * from './pending-deploy.js';
export * from './approval-message.js';
export * from './open-deploy.js';
export * from './deploy-state.js';
export * from './count-votes.js';
export * from './decide-approval.js';
export * from './deploy-record.js';
export * from './memory-pending-deploy-store.js';
export * from './ssh-approval.js';
