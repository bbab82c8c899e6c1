import { expect, test } from 'vitest';
import { formatDateTime, formatNumber, quotaMeter } from './format.ts';

// Intl may use a narrow no-break space (U+202F) or a no-break space (U+00A0) as the French group separator.
const spaces = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

test('numbers get the UI language separators', () => {
  expect(formatNumber(195302, 'en')).toBe('195,302');
  expect(spaces(formatNumber(195302, 'fr'))).toBe('195 302');
  expect(formatNumber(200000, 'zh')).toBe('200,000');
});

test('dates follow the UI language, not US order', () => {
  const d = new Date(2026, 11, 2, 14, 5);
  const fr = spaces(formatDateTime(d, 'fr'));
  expect(fr).toMatch(/^2 déc\. 2026/);
  expect(fr).toContain('14:05');
  const zh = formatDateTime(d, 'zh');
  expect(zh).toMatch(/^2026年12月2日/);
  expect(zh).toContain('14:05');
  expect(formatDateTime(d, 'en')).toMatch(/^Dec 2, 2026/);
  expect(formatDateTime(d.toISOString(), 'fr')).toBe(formatDateTime(d, 'fr'));
  expect(formatDateTime('not a date', 'en')).toBe('not a date');
});

test('the quota meter fills with what is left and turns red at nothing left', () => {
  expect(quotaMeter(1, 1)).toEqual({ left: 0, fraction: 0, level: 'empty' });
  expect(quotaMeter(5, 1)).toEqual({ left: 0, fraction: 0, level: 'empty' });
  expect(quotaMeter(0, 40)).toEqual({ left: 40, fraction: 1, level: 'ok' });
  expect(quotaMeter(30, 40)).toEqual({ left: 10, fraction: 0.25, level: 'low' });
  expect(quotaMeter(10, 40).level).toBe('ok');
  expect(quotaMeter(0, 0)).toEqual({ left: 0, fraction: 0, level: 'empty' });
});
