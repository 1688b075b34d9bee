export * from './check.js';
export * from './model.js';
export * from './models.js';
export * from './prepare.js';
export * from './search.js';
