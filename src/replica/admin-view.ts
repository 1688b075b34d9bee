// PLACEHOLDER until src/admin lands.
import type { ServerConfig } from '../config/index.js';
import type { FourLetterWords } from '../net/client-server.js';
import type { Clock } from './ports.js';
import type { Replica } from './replica.js';

export function createFourLetterWords(_config: ServerConfig, _replica: Replica, _clock: Clock, _startedAtMs: number): FourLetterWords {
  return {
    recognise: (bytes) => (bytes.toString('latin1') === 'ruok' ? 'ruok' : null),
    run: () => 'imok',
  };
}
