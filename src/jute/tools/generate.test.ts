import { describe, expect, it } from 'vitest';
import { generateRecordsSource } from './generate.js';

describe('records.ts generator', () => {
  it('records.ts is up to date with the IDL (run with --update to regenerate)', async () => {
    await expect(generateRecordsSource()).toMatchFileSnapshot('../records.ts');
  });
});
