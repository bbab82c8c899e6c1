/**
 * The arena over HTTP on two real generated models (embedded engine): a battle streams two anonymous
 * sides, the models stay hidden until the vote (views, streams, ids), the vote reveals them once,
 * another user can neither read nor vote nor stop, both sides count against the quota, the admin
 * leaderboard counts the vote; fewer than two models is a clear refusal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ArenaBattleView, ArenaLeaderboard } from '../src/api/arena.ts';
import { withoutModelName } from '../src/core/arena/arena-runner.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../src/server/testing.ts';
import { ARENA_MODELS, type ArenaTestServer, startArenaServer } from './arena-helpers.ts';
import { collectSse, type SseEvent, THINK, textOf } from './conversations-helpers.ts';

const MODEL_NAMES = /tiny/i;

async function json<T>(res: Response, status: number): Promise<T> {
  const body = await res.text();
  assert.equal(res.status, status, body);
  return JSON.parse(body) as T;
}

describe('arena over HTTP (two generated models, quotas on)', () => {
  let s: ArenaTestServer;
  let owner: { cookie: string; user: { id: string } };
  let other: { cookie: string; user: { id: string } };
  let battle: ArenaBattleView;
  const streams: Record<'a' | 'b', SseEvent[]> = { a: [], b: [] };

  before(async () => {
    s = await startArenaServer({ capacity: { slots: 2 } });
    owner = await s.signup('arena-owner@example.com'); // first user: admin
    other = await s.signup('arena-other@example.com');
  });
  after(async () => {
    await s?.close();
  });

  test('a battle: 201 with an anonymous view; both sides stream to done; nothing names a model', async () => {
    const since = new Date(Date.now() - 1000);
    const res = await s.request('/api/arena/battles', {
      method: 'POST',
      cookie: owner.cookie,
      json: { content: 'Which is larger, 9.11 or 9.9?', thinking: THINK },
    });
    const raw = await res.text();
    assert.equal(res.status, 201, raw);
    assert.doesNotMatch(raw, MODEL_NAMES);
    battle = (JSON.parse(raw) as { battle: ArenaBattleView }).battle;
    assert.equal(battle.prompt, 'Which is larger, 9.11 or 9.9?');
    assert.deepEqual(
      battle.sides.map((x) => x.side),
      ['a', 'b'],
    );
    assert.equal(battle.vote, null);
    assert.equal(battle.canVote, false);
    for (const x of battle.sides) assert.equal('model' in x, false);

    // Both streams at once.
    const [a, b] = await Promise.all(
      (['a', 'b'] as const).map(async (side) => {
        const r = await s.request(`/api/arena/battles/${battle.id}/sides/${side}/events`, {
          cookie: owner.cookie,
          headers: { accept: 'text/event-stream' },
        });
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/);
        return collectSse(r);
      }),
    );
    streams.a = a!;
    streams.b = b!;
    for (const events of [streams.a, streams.b]) {
      assert.equal(events[0]?.event, 'meta');
      assert.equal((events[0]?.data as { model?: string } | undefined)?.model, '');
      assert.equal(events.at(-1)?.event, 'done');
      assert.equal((events.at(-1)?.data as { finishReason?: string } | undefined)?.finishReason, 'length');
      assert.ok(textOf(events).text.length > 0);
      assert.doesNotMatch(JSON.stringify(events), MODEL_NAMES);
    }

    const view = await json<{ battle: ArenaBattleView }>(
      await s.request(`/api/arena/battles/${battle.id}`, { cookie: owner.cookie }),
      200,
    );
    assert.equal(view.battle.canVote, true);
    assert.deepEqual(
      view.battle.sides.map((x) => x.status),
      ['complete', 'complete'],
    );
    assert.equal(view.battle.sides[0].content, textOf(streams.a).text);
    assert.equal(view.battle.sides[1].reasoning, textOf(streams.b).reasoning);
    assert.doesNotMatch(JSON.stringify(view), MODEL_NAMES);

    // Two turns: two ledger entries, two reasoning messages on the meter.
    const totals = await s.store.usage.totals(owner.user.id, since);
    assert.equal(totals.reasoningMessages, 2);
    const usage = await json<{ reasoningMessages: { used: number } }>(
      await s.request('/api/usage', { cookie: owner.cookie }),
      200,
    );
    assert.equal(usage.reasoningMessages.used, 2);
  });

  test('another user: 404 on reading, streaming, stopping and voting; the battle is untouched', async () => {
    const base = `/api/arena/battles/${battle.id}`;
    for (const [path, method] of [
      [base, 'GET'],
      [`${base}/sides/a/events`, 'GET'],
      [`${base}/sides/b/stop`, 'POST'],
    ] as const) {
      const r = await s.request(path, {
        method,
        cookie: other.cookie,
        ...(method === 'POST' ? { json: {} } : {}),
      });
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.doesNotMatch(await r.text(), /tiny|9\.11/);
    }
    const vote = await s.request(`${base}/vote`, {
      method: 'POST',
      cookie: other.cookie,
      json: { vote: 'a' },
    });
    assert.equal(vote.status, 404);
    assert.equal((await s.store.arena.get(battle.id, owner.user.id))?.vote, null);
    // Anonymous: 401.
    assert.equal((await s.request(base)).status, 401);
  });

  test('bad input: unknown side, unknown vote, extra field, empty question → 400 naming it', async () => {
    const base = `/api/arena/battles/${battle.id}`;
    assert.equal((await s.request(`${base}/sides/c/events`, { cookie: owner.cookie })).status, 400);
    const badVote = await s.request(`${base}/vote`, {
      method: 'POST',
      cookie: owner.cookie,
      json: { vote: 'c' },
    });
    assert.equal(badVote.status, 400);
    const extra = await s.request('/api/arena/battles', {
      method: 'POST',
      cookie: owner.cookie,
      json: { content: 'hi', model: 'tiny' },
    });
    assert.equal(extra.status, 400);
    assert.match(await extra.text(), /model/);
    const empty = await s.request('/api/arena/battles', {
      method: 'POST',
      cookie: owner.cookie,
      json: { content: ' ' },
    });
    assert.equal(empty.status, 400);
    assert.match(await empty.text(), /content/);
  });

  test('the vote reveals two different models, once; a second vote is refused', async () => {
    const base = `/api/arena/battles/${battle.id}`;
    const voted = await json<{ battle: ArenaBattleView }>(
      await s.request(`${base}/vote`, { method: 'POST', cookie: owner.cookie, json: { vote: 'a' } }),
      200,
    );
    assert.equal(voted.battle.vote, 'a');
    assert.equal(voted.battle.canVote, false);
    const models = voted.battle.sides.map((x) => x.model);
    assert.deepEqual([...models].sort(), [...ARENA_MODELS].sort());
    const again = await s.request(`${base}/vote`, {
      method: 'POST',
      cookie: owner.cookie,
      json: { vote: 'b' },
    });
    assert.equal(again.status, 409);
    assert.equal(
      (await json<{ battle: ArenaBattleView }>(await s.request(base, { cookie: owner.cookie }), 200)).battle
        .vote,
      'a',
    );

    // The leaderboard: admins only; the winner one win, the other one loss.
    assert.equal((await s.request('/api/admin/arena/leaderboard', { cookie: other.cookie })).status, 404);
    const board = await json<ArenaLeaderboard>(
      await s.request('/api/admin/arena/leaderboard', { cookie: owner.cookie }),
      200,
    );
    assert.equal(board.battles, 1);
    const winner = board.models.find((m) => m.model === models[0]);
    const loser = board.models.find((m) => m.model === models[1]);
    assert.deepEqual([winner?.wins, winner?.votes, loser?.losses, loser?.votes], [1, 1, 1, 1]);
    assert.ok((winner?.rating ?? 0) > (loser?.rating ?? 0));
    assert.ok(
      (winner?.ciLow ?? 0) <= (winner?.rating ?? 0) && (winner?.rating ?? 0) <= (winner?.ciHigh ?? 0),
    );
  });

  test('no vote when a side gave no answer (failed, or cut by a restart): the battle stays unrated', async () => {
    const streaming = await s.store.arena.create({
      userId: owner.user.id,
      prompt: 'q',
      modelA: 'tiny',
      modelB: 'tiny-q4',
    });
    // A side the store calls streaming but no runner or log holds (a restart) reads as interrupted with
    // no answer, so it is not votable either.
    const view = await json<{ battle: ArenaBattleView }>(
      await s.request(`/api/arena/battles/${streaming.id}`, { cookie: owner.cookie }),
      200,
    );
    assert.deepEqual(
      view.battle.sides.map((x) => x.status),
      ['interrupted', 'interrupted'],
    );
    assert.equal(view.battle.voteBlocked, 'no_answer');
    const failed = await s.store.arena.create({
      userId: owner.user.id,
      prompt: 'q',
      modelA: 'tiny',
      modelB: 'tiny-q4',
    });
    await s.store.arena.updateSide(failed.id, owner.user.id, 'a', { status: 'error', error: 'boom' });
    await s.store.arena.updateSide(failed.id, owner.user.id, 'b', {
      status: 'complete',
      content: 'an answer',
    });
    const refused = await s.request(`/api/arena/battles/${failed.id}/vote`, {
      method: 'POST',
      cookie: owner.cookie,
      json: { vote: 'b' },
    });
    assert.equal(refused.status, 409);
    assert.match(await refused.text(), /cannot be rated/);
    const still = await json<{ battle: ArenaBattleView }>(
      await s.request(`/api/arena/battles/${failed.id}`, { cookie: owner.cookie }),
      200,
    );
    assert.equal(still.battle.sides[0].error, 'boom');
    assert.equal('model' in still.battle.sides[0], false);
  });

  test('each side can be stopped; the stopped side ends and the stream still closes with done', async () => {
    const created = await json<{ battle: ArenaBattleView }>(
      await s.request('/api/arena/battles', {
        method: 'POST',
        cookie: owner.cookie,
        json: { content: 'long one' },
      }),
      201,
    );
    const id = created.battle.id;
    const stop = await s.request(`/api/arena/battles/${id}/sides/b/stop`, {
      method: 'POST',
      cookie: owner.cookie,
      json: {},
    });
    assert.equal(stop.status, 200);
    for (const side of ['a', 'b']) {
      const events = await collectSse(
        await s.request(`/api/arena/battles/${id}/sides/${side}/events`, { cookie: owner.cookie }),
      );
      assert.equal(events.at(-1)?.event, 'done');
    }
    const view = await json<{ battle: ArenaBattleView }>(
      await s.request(`/api/arena/battles/${id}`, { cookie: owner.cookie }),
      200,
    );
    assert.equal(view.battle.sides[0].status, 'complete');
    // Stopped before or after it finished: either way it is no longer streaming.
    assert.ok(['cancelled', 'complete'].includes(view.battle.sides[1].status));
  });

  test('deleting the account mid-battle ends both sides and removes the battle', async () => {
    const doomed = await s.signup('arena-doomed@example.com');
    const { battle: b } = await json<{ battle: ArenaBattleView }>(
      await s.request('/api/arena/battles', {
        method: 'POST',
        cookie: doomed.cookie,
        json: { content: 'bye' },
      }),
      201,
    );
    const res = await s.request('/api/auth/account', {
      method: 'DELETE',
      cookie: doomed.cookie,
      json: { password: TEST_PASSWORD },
    });
    assert.equal(res.status, 204);
    assert.equal(await s.store.arena.get(b.id, doomed.user.id), null);
    // The server goes on serving battles; nothing crashed, and no question reached the logs.
    assert.equal((await s.request(`/api/arena/battles/${battle.id}`, { cookie: owner.cookie })).status, 200);
    assert.equal(s.logs.filter((l) => /arena (runner crashed|side failed)/.test(l)).length, 0);
    assert.equal(s.logs.filter((l) => l.includes('9.11')).length, 0);
  });

  test('an error naming the model has the name replaced before the vote', () => {
    assert.equal(
      withoutModelName('Model "tiny-q4" is not ready', 'tiny-q4'),
      'Model "this model" is not ready',
    );
  });
});

describe('arena with fewer than two models', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ withModel: true });
  });
  after(async () => {
    await s?.close();
  });

  test('409 arena_unavailable with a clear message; nothing stored', async () => {
    const { cookie, user } = await s.signup();
    const res = await s.request('/api/arena/battles', { method: 'POST', cookie, json: { content: 'hi' } });
    assert.equal(res.status, 409);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'arena_unavailable');
    assert.match(error.message, /two chat models/);
    assert.equal((await s.store.arena.votes()).length, 0);
    assert.equal((await s.store.usage.totals(user.id, new Date(0))).reasoningMessages, 0);
  });
});
