/**
 * AbortableStream: a stop ends reading at once even when the source (a busy engine, a backlog of chunks)
 * has not noticed it yet; afterwards only what the source still says within the grace is read, and the
 * source is let go so its cleanup runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AbortableStream } from './abortable-stream.ts';

/** A source that yields `first`, then waits for `gate` (ignoring any abort), then yields `later`. */
function slowSource(first: string[], gate: Promise<unknown>, later: string[]) {
  const state = { cleanedUp: false };
  async function* source(): AsyncGenerator<string> {
    try {
      yield* first;
      await gate;
      yield* later;
    } finally {
      state.cleanedUp = true;
    }
  }
  return { source: source(), state };
}

/** A promise the test opens by hand. */
function gated(): { gate: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { gate, open };
}

test('reads every item of a source that ends by itself', async () => {
  const { source, state } = slowSource(['a', 'b'], Promise.resolve(), ['c']);
  const stream = new AbortableStream(source, new AbortController().signal);
  const got: string[] = [];
  for (let item = await stream.next(); item !== undefined; item = await stream.next()) got.push(item);
  assert.deepEqual(got, ['a', 'b', 'c']);
  stream.close();
  assert.equal(state.cleanedUp, true);
});

test('an abort ends a read the source is still busy with, without waiting for it', async () => {
  const { gate, open } = gated();
  const { source, state } = slowSource(['reasoning'], gate, ['more text', 'usage', 'done']);
  const ac = new AbortController();
  const stream = new AbortableStream(source, ac.signal);
  assert.equal(await stream.next(), 'reasoning');
  const pending = stream.next();
  ac.abort('stop');
  // Resolves although the source has not produced anything since (its gate is still closed).
  assert.equal(await pending, undefined);
  assert.equal(await stream.next(), undefined);
  assert.equal(state.cleanedUp, false);

  // What the source says after the stop is read only through `rest`: here, within the grace.
  const rest = stream.rest(60_000);
  open();
  const after: string[] = [];
  for await (const item of rest) after.push(item);
  assert.deepEqual(after, ['more text', 'usage', 'done']);
  stream.close();
  assert.equal(state.cleanedUp, true);
});

test('a source that stays silent after the stop is given up after the grace, then let go', async () => {
  const { gate, open } = gated();
  const { source, state } = slowSource(['x'], gate, ['late']);
  const ac = new AbortController();
  const stream = new AbortableStream(source, ac.signal);
  assert.equal(await stream.next(), 'x');
  const pending = stream.next();
  ac.abort();
  assert.equal(await pending, undefined);
  const after: string[] = [];
  for await (const item of stream.rest(20)) after.push(item);
  assert.deepEqual(after, []);
  stream.close();
  // Its cleanup waits for the read in flight; once the source moves on, it runs.
  assert.equal(state.cleanedUp, false);
  open();
  for (let i = 0; i < 20 && !state.cleanedUp; i++) await new Promise((r) => setImmediate(r));
  assert.equal(state.cleanedUp, true);
});

test('a read that fails after the stop is no unhandled rejection, and ends `rest`', async () => {
  let fail: (err: Error) => void = () => {};
  const gate = new Promise<void>((_, reject) => {
    fail = reject;
  });
  const { source } = slowSource(['x'], gate, ['never']);
  const ac = new AbortController();
  const stream = new AbortableStream(source, ac.signal);
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  try {
    assert.equal(await stream.next(), 'x');
    const pending = stream.next();
    ac.abort();
    assert.equal(await pending, undefined);
    const rest = stream.rest(60_000);
    fail(new Error('engine gone'));
    const after: string[] = [];
    for await (const item of rest) after.push(item);
    assert.deepEqual(after, []);
    stream.close();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('a source that fails before any stop fails the read', async () => {
  async function* failing(): AsyncGenerator<string> {
    yield 'x';
    throw new Error('model backend failed');
  }
  const stream = new AbortableStream(failing(), new AbortController().signal);
  assert.equal(await stream.next(), 'x');
  await assert.rejects(stream.next(), /model backend failed/);
});
