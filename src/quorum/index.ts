/** Deploy quorum (PROTOCOL §5): pure message, counting and decisions; the store port. */
export * from './pending-deploy.js';
export * from './approval-message.js';
export * from './open-deploy.js';
export * from './deploy-view.js';
