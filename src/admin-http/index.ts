export * from './admin-http-view.js';
export * from './admin-server.js';
export * from './commands.js';
export * from './java-json.js';
