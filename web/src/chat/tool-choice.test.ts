import { afterEach, expect, test, vi } from 'vitest';
import { storedToolChoice, storeToolChoice } from './tool-choice.ts';

afterEach(() => vi.unstubAllGlobals());

function fakeStorage() {
  const data = new Map<string, string>();
  vi.stubGlobal('localStorage', {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => data.set(k, v),
    removeItem: (k: string) => data.delete(k),
  });
  return data;
}

test('the tool choice is remembered per conversation; none by default', () => {
  const data = fakeStorage();
  expect(storedToolChoice('c1')).toEqual([]);
  expect(storedToolChoice(undefined)).toEqual([]);
  storeToolChoice('c1', ['current_time']);
  storeToolChoice('c2', []);
  expect(storedToolChoice('c1')).toEqual(['current_time']);
  expect(storedToolChoice('c2')).toEqual([]);
  storeToolChoice('c1', []);
  expect(data.size).toBe(0);
  data.set('ponder.tools', 'not json');
  expect(storedToolChoice('c1')).toEqual([]);
});
