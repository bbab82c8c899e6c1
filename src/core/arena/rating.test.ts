import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ArenaVote } from '../../api/arena.ts';
import { type Battle, bradleyTerry, leaderboard, quantile, seededRandom } from './rating.ts';

const games = (a: string, b: string, vote: ArenaVote, times: number): Battle[] =>
  Array.from({ length: times }, () => ({ modelA: a, modelB: b, vote }));
const near = (actual: number | undefined, expected: number, eps = 1e-6) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < eps, `${actual} ≉ ${expected}`);

describe('Bradley–Terry (MM, maximum likelihood)', () => {
  test('two models, 3 wins to 1: strengths 3:1, i.e. 400·log10(3) = 190.85 apart, centred on 1000', () => {
    const r = bradleyTerry(
      ['x', 'y'],
      [...games('x', 'y', 'a', 2), ...games('y', 'x', 'b', 1), ...games('x', 'y', 'b', 1)],
      {
        prior: 0,
      },
    );
    const gap = 400 * Math.log10(3);
    near(r.get('x'), 1000 + gap / 2);
    near(r.get('y'), 1000 - gap / 2);
  });

  test('a tie is half a win for each: 1 win + 2 ties against 0 wins + 2 ties is a 2:1 ratio', () => {
    const r = bradleyTerry(
      ['x', 'y'],
      [...games('x', 'y', 'a', 1), ...games('x', 'y', 'tie', 1), ...games('y', 'x', 'both_bad', 1)],
      {
        prior: 0,
      },
    );
    near((r.get('x') ?? 0) - (r.get('y') ?? 0), 400 * Math.log10(2));
  });

  test('a balanced cycle (x>y, y>z, z>x) rates everyone equal', () => {
    const r = bradleyTerry(
      ['x', 'y', 'z'],
      [...games('x', 'y', 'a', 1), ...games('y', 'z', 'a', 1), ...games('z', 'x', 'a', 1)],
      {
        prior: 0,
      },
    );
    for (const m of ['x', 'y', 'z']) near(r.get(m), 1000);
  });

  test('the fit solves the likelihood equations: each score equals its expected score', () => {
    const battles = [
      ...games('x', 'y', 'a', 2),
      ...games('x', 'y', 'b', 1),
      ...games('y', 'z', 'a', 2),
      ...games('y', 'z', 'b', 1),
      ...games('x', 'z', 'a', 1),
      ...games('x', 'z', 'b', 1),
      ...games('x', 'z', 'tie', 1),
    ];
    const models = ['x', 'y', 'z'];
    const r = bradleyTerry(models, battles, { prior: 0 });
    const p = (m: string) => 10 ** ((r.get(m) ?? 0) / 400);
    for (const m of models) {
      let observed = 0;
      let expected = 0;
      for (const b of battles) {
        if (b.modelA !== m && b.modelB !== m) continue;
        const other = b.modelA === m ? b.modelB : b.modelA;
        const side = b.modelA === m ? 'a' : 'b';
        observed += b.vote === side ? 1 : b.vote === 'a' || b.vote === 'b' ? 0 : 0.5;
        expected += p(m) / (p(m) + p(other));
      }
      near(expected, observed, 1e-6);
    }
    assert.ok((r.get('x') ?? 0) > (r.get('y') ?? 0) && (r.get('y') ?? 0) > (r.get('z') ?? 0));
  });

  test('the default prior is one virtual tie per pair that met: one win reads as 1.5 to 0.5, a 3:1 ratio', () => {
    const r = bradleyTerry(['x', 'y'], games('x', 'y', 'a', 1));
    near((r.get('x') ?? 0) - (r.get('y') ?? 0), 400 * Math.log10(3));
    near((r.get('x') ?? 0) + (r.get('y') ?? 0), 2000);
  });

  test('the prior keeps a model that never won finite and pulls thin evidence toward the mean', () => {
    const r = bradleyTerry(['x', 'y'], games('x', 'y', 'a', 1));
    assert.ok(Number.isFinite(r.get('y')) && (r.get('y') ?? 0) < 1000);
    const strong = bradleyTerry(['x', 'y'], games('x', 'y', 'a', 20));
    assert.ok((strong.get('x') ?? 0) > (r.get('x') ?? 0));
  });

  test('a known ordering is recovered from votes simulated with known strengths', () => {
    const truth: Record<string, number> = { best: 8, good: 4, fair: 2, weak: 1 };
    const names = Object.keys(truth);
    const random = seededRandom(42);
    const battles: Battle[] = [];
    for (let k = 0; k < 3000; k++) {
      const i = Math.floor(random() * names.length);
      const j = (i + 1 + Math.floor(random() * (names.length - 1))) % names.length;
      const a = names[i]!;
      const b = names[j]!;
      const u = random();
      const pa = truth[a]! / (truth[a]! + truth[b]!);
      battles.push({ modelA: a, modelB: b, vote: u < 0.1 ? 'tie' : random() < pa ? 'a' : 'b' });
    }
    const board = leaderboard(battles, { rounds: 50 });
    assert.deepEqual(
      board.models.map((m) => m.model),
      ['best', 'good', 'fair', 'weak'],
    );
    // Ratios 2:1 between neighbours ≈ 120 points apart (ties shrink it a little).
    const gap = board.models[0]!.rating - board.models[1]!.rating;
    assert.ok(gap > 80 && gap < 160, `gap ${gap}`);
  });
});

describe('leaderboard', () => {
  test('records per model, votes, intervals holding the rating, best first; deterministic', () => {
    const battles = [
      ...games('x', 'y', 'a', 6),
      ...games('y', 'x', 'a', 2),
      ...games('x', 'y', 'tie', 1),
      ...games('x', 'y', 'both_bad', 1),
      ...games('x', 'x', 'a', 3), // a model against itself is not a battle
    ];
    const board = leaderboard(battles, { rounds: 100 });
    assert.equal(board.method, 'bradley-terry');
    assert.equal(board.battles, 10);
    assert.equal(board.bootstrapRounds, 100);
    const [x, y] = board.models;
    assert.equal(x?.model, 'x');
    assert.deepEqual([x?.wins, x?.losses, x?.ties, x?.votes], [6, 2, 2, 10]);
    assert.deepEqual([y?.wins, y?.losses, y?.ties, y?.votes], [2, 6, 2, 10]);
    for (const m of board.models) assert.ok(m.ciLow <= m.rating && m.rating <= m.ciHigh);
    assert.ok((x?.ciHigh ?? 0) > (x?.ciLow ?? 0));
    assert.deepEqual(leaderboard(battles, { rounds: 100 }), board);
  });

  test('more votes, narrower intervals', () => {
    const few = leaderboard([...games('x', 'y', 'a', 3), ...games('x', 'y', 'b', 1)]);
    const many = leaderboard([...games('x', 'y', 'a', 300), ...games('x', 'y', 'b', 100)]);
    const width = (b: typeof few) => b.models[0]!.ciHigh - b.models[0]!.ciLow;
    assert.ok(width(many) < width(few) / 3, `${width(many)} vs ${width(few)}`);
  });

  test('no votes: an empty board', () => {
    assert.deepEqual(leaderboard([]), {
      method: 'bradley-terry',
      battles: 0,
      bootstrapRounds: 200,
      models: [],
    });
  });

  test('quantile interpolates', () => {
    assert.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
    assert.equal(quantile([0, 10], 0.25), 2.5);
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });
});
