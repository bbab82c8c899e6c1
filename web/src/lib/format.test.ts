import { expect, test } from 'vitest';
import { formatBytes, formatDateTime, formatNumber, formatPercent, quotaMeter } from './format.ts';

// Intl may use a narrow no-break space (U+202F) or a no-break space (U+00A0) as the French group separator.
const spaces = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

test('numbers get the UI language separators', () => {
  expect(formatNumber(195302, 'en')).toBe('195,302');
  expect(spaces(formatNumber(195302, 'fr'))).toBe('195 302');
  expect(formatNumber(200000, 'zh')).toBe('200,000');
});

test('sizes get the UI language units and decimal separator', () => {
  expect(formatBytes(512, 'en')).toBe('512 bytes');
  expect(formatBytes(1, 'en')).toBe('1 byte');
  expect(formatBytes(1536, 'en')).toBe('1.5 kB');
  expect(formatBytes(1_100_000_000, 'en')).toBe('1.1 GB');
  expect(spaces(formatBytes(1_100_000_000, 'fr'))).toBe('1,1 Go');
  expect(spaces(formatBytes(250_000_000, 'fr'))).toBe('250 Mo');
  expect(formatBytes(1_100_000_000, 'zh')).toBe('1.1 GB');
  // 999.96 MB would round to "1,000 MB": the next unit instead.
  expect(formatBytes(999_960_000, 'en')).toBe('1 GB');
  expect(formatBytes(2_500_000_000_000, 'en')).toBe('2.5 TB');
  expect(formatBytes(0, 'en')).toBe('0 bytes');
});

test('percentages follow the UI language', () => {
  expect(formatPercent(0.42, 'en')).toBe('42%');
  expect(spaces(formatPercent(0.42, 'fr'))).toBe('42 %');
  expect(formatPercent(0.425, 'zh')).toBe('43%');
  expect(formatPercent(1, 'en')).toBe('100%');
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
