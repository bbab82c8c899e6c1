import { expect, test } from 'vitest';
import { dateGroup, groupByDate } from './date-groups.ts';

const now = new Date(2026, 10, 29, 14, 0, 0);
const at = (days: number, hours = 0) => new Date(2026, 10, 29 - days, hours, 30).toISOString();

test('dateGroup uses local calendar days', () => {
  expect(dateGroup(at(0, 0), now)).toBe('today');
  expect(dateGroup(at(1, 23), now)).toBe('yesterday');
  expect(dateGroup(at(1, 0), now)).toBe('yesterday');
  expect(dateGroup(at(2), now)).toBe('previous7');
  expect(dateGroup(at(7), now)).toBe('previous7');
  expect(dateGroup(at(8), now)).toBe('older');
  expect(dateGroup('not a date', now)).toBe('older');
});

test('groupByDate keeps order and omits empty groups', () => {
  const items = [
    { id: 'a', updatedAt: at(0, 10) },
    { id: 'b', updatedAt: at(0, 1) },
    { id: 'c', updatedAt: at(30) },
  ];
  expect(groupByDate(items, now)).toEqual([
    { group: 'today', items: [items[0], items[1]] },
    { group: 'older', items: [items[2]] },
  ]);
});
