export * from './names.js';
export * from './create-metrics.js';
export * from './metrics-server.js';
export * from './server-metrics.js';
export * from './summaries.js';
