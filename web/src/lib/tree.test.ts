import { expect, test } from 'vitest';
import { activePath, indexChildren, selectSibling, siblingInfo } from './tree.ts';

const t = (n: number) => `2026-11-29T10:00:0${n}Z`;
const nodes = [
  { id: 'u1', parentId: null, createdAt: t(0) },
  { id: 'a1', parentId: 'u1', createdAt: t(1) },
  { id: 'a2', parentId: 'u1', createdAt: t(2) }, // regenerated answer
  { id: 'u2', parentId: 'a1', createdAt: t(3) },
  { id: 'u2b', parentId: 'a1', createdAt: t(4) }, // edited question
  { id: 'a3', parentId: 'u2', createdAt: t(5) },
];

test('the default path follows the newest child at each level', () => {
  expect(activePath(indexChildren(nodes), new Map())).toEqual(['u1', 'a2']);
});

test('selecting a sibling switches the branch below it', () => {
  const children = indexChildren(nodes);
  let sel = selectSibling(new Map(), 'u1', 'a1');
  expect(activePath(children, sel)).toEqual(['u1', 'a1', 'u2b']);
  sel = selectSibling(sel, 'a1', 'u2');
  expect(activePath(children, sel)).toEqual(['u1', 'a1', 'u2', 'a3']);
  expect(siblingInfo(children, 'u2', 'a1')).toEqual({ index: 1, count: 2, prev: undefined, next: 'u2b' });
  expect(siblingInfo(children, 'a2', 'u1')).toEqual({ index: 2, count: 2, prev: 'a1', next: undefined });
});

test('a stale selection falls back to the newest child, and a lone message is 1 of 1', () => {
  const children = indexChildren(nodes);
  expect(activePath(children, new Map([['u1', 'gone']]))).toEqual(['u1', 'a2']);
  expect(siblingInfo(children, 'a3', 'u2')).toMatchObject({ index: 1, count: 1 });
});
