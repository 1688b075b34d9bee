export * from './admin-view.js';
export * from './four-letter-words.js';
export * from './java-format.js';
export * from './mntr-keys.js';
export { renderMntr } from './mntr.js';
