export * from './names.js';
export * from './create-metrics.js';
export * from './metrics-server.js';
