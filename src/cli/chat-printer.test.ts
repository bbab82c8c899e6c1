import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ChatChunk } from '../inference/types.ts';
import { ChatPrinter, thoughtFor } from './chat-printer.ts';

/** An output that records what was written; `isTTY` picks colour or plain markers. */
function output(isTTY: boolean): { write(text: string): void; isTTY: boolean; text: string } {
  return {
    isTTY,
    text: '',
    write(text: string) {
      this.text += text;
    },
  };
}

/** A clock the test moves by hand, so the "Thought for" seconds are exact. */
function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1000;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

const usage: ChatChunk = {
  type: 'usage',
  promptTokens: 5,
  cachedPromptTokens: 0,
  completionTokens: 7,
  reasoningTokens: 4,
};

describe('ChatPrinter', () => {
  test('plain output: reasoning, a "Thought for N s" line, then the answer', () => {
    const out = output(false);
    const status = output(false);
    const c = clock();
    const printer = new ChatPrinter(out, { json: false, status, now: c.now });
    printer.print({ type: 'reasoning', text: 'Let me think.' });
    c.advance(2400);
    printer.print({ type: 'reasoning', text: ' Done.' });
    printer.print({ type: 'text', text: 'Yes.' });
    printer.print(usage);
    printer.print({ type: 'done', finishReason: 'stop' });
    assert.equal(out.text, '[reasoning]\nLet me think. Done.\n[Thought for 2 s]\n[answer]\nYes.\n');
    assert.equal(status.text, '[stop · 7 tokens (4 reasoning)]\n');
  });

  test('on a terminal: reasoning dimmed, colour reset before the "Thought for" line', () => {
    const out = output(true);
    const c = clock();
    const printer = new ChatPrinter(out, { json: false, status: output(false), now: c.now });
    printer.print({ type: 'reasoning', text: 'hmm' });
    c.advance(100);
    printer.print({ type: 'text', text: 'ok' });
    printer.print({ type: 'done', finishReason: 'stop' });
    assert.equal(out.text, '\x1b[2mhmm\x1b[0m\n\nThought for 1 s\n\nok\n');
  });

  test('rounded as the web app does, never 0 s', () => {
    assert.equal(thoughtFor(0), 'Thought for 1 s');
    assert.equal(thoughtFor(1499), 'Thought for 1 s');
    assert.equal(thoughtFor(1500), 'Thought for 2 s');
    assert.equal(thoughtFor(61_000), 'Thought for 61 s');
  });

  test('an answer that ends while reasoning still gets the "Thought for" line', () => {
    const out = output(false);
    const printer = new ChatPrinter(out, { json: false, status: output(false), now: clock().now });
    printer.print({ type: 'reasoning', text: 'a' });
    printer.print({ type: 'done', finishReason: 'length' });
    assert.equal(out.text, '[reasoning]\na\n[Thought for 1 s]\n');
  });

  test('after stop(), tokens already on their way are not printed; done still is', () => {
    for (const isTTY of [true, false]) {
      const out = output(isTTY);
      const status = output(false);
      const printer = new ChatPrinter(out, { json: false, status, now: clock().now });
      printer.print({ type: 'reasoning', text: 'shown' });
      printer.stop();
      const atStop = out.text;
      printer.print({ type: 'reasoning', text: 'LATE' });
      printer.print({ type: 'text', text: 'LATER' });
      printer.print({ type: 'done', finishReason: 'cancelled' });
      printer.end();
      assert.doesNotMatch(out.text, /LATE/);
      const after = out.text.slice(atStop.length);
      assert.equal(after, isTTY ? 'Thought for 1 s\n' : '[Thought for 1 s]\n');
      if (isTTY) assert.ok(atStop.endsWith('\x1b[0m'), 'colour reset at the stop, before the notice');
      assert.equal(status.text, '[cancelled]\n');
    }
  });

  test('--json: NDJSON only, nothing after stop() but the done', () => {
    const out = output(true);
    const printer = new ChatPrinter(out, { json: true, status: output(false) });
    printer.print({ type: 'reasoning', text: 'a' });
    printer.stop();
    printer.print({ type: 'reasoning', text: 'b' });
    printer.print({ type: 'done', finishReason: 'cancelled' });
    assert.deepEqual(
      out.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as ChatChunk),
      [
        { type: 'reasoning', text: 'a' },
        { type: 'done', finishReason: 'cancelled' },
      ],
    );
  });
});
