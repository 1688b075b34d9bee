import { describe, expect, it } from 'vitest';
import { JavaRandom } from './java-random.js';
import { sessionPassword } from '../sessions/session-table.js';

// Expected values printed by OpenJDK 17 (java.util.Random) for the same seeds.
describe('JavaRandom', () => {
  it('matches java.util.Random(42).nextInt()', () => {
    expect(new JavaRandom(42n).nextInt()).toBe(-1170105035);
  });

  it('gives the session passwords Java ZooKeeper gives, so sessions can move between servers', () => {
    expect(sessionPassword(72057594037927937n).toString('hex')).toBe('054cc74a37327db215e702e20c73f005');
    expect(sessionPassword(-1n).toString('hex')).toBe('20f62cb5648dc2d771471c8a2486a9ee');
  });
});
