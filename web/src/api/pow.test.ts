import { createHash } from 'node:crypto';
import { expect, test } from 'vitest';
import { leadingZeroBits, powInput, solvePow } from './pow.ts';

test('leadingZeroBits counts bits across bytes', () => {
  expect(leadingZeroBits(new Uint8Array([0, 0, 0x10]))).toBe(19);
  expect(leadingZeroBits(new Uint8Array([0x80]))).toBe(0);
  expect(leadingZeroBits(new Uint8Array([0, 0]))).toBe(16);
});

test('solvePow finds a nonce the server can verify with node:crypto', async () => {
  const nonce = await solvePow('abc123', 12);
  const digest = createHash('sha256').update(powInput('abc123', nonce)).digest();
  expect(leadingZeroBits(digest)).toBeGreaterThanOrEqual(12);
});
