import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createDeltaNormaliser } from '../reasoning-normaliser.ts';
import type { ChatChunk } from '../types.ts';
import { chatStream } from './scripted-upstream.ts';
import { classifySseLine, SseLineSplitter, SseLineTooLong } from './sse.ts';
import { StreamDecoder } from './stream-decoder.ts';

function splitBytes(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

function lines(parts: Uint8Array[]): string[] {
  const s = new SseLineSplitter();
  return [...parts.flatMap((p) => s.push(p)), ...s.end()];
}

function decode(parts: Uint8Array[], format: 'auto' | 'think-tags' = 'auto'): ChatChunk[] {
  const d = new StreamDecoder(createDeltaNormaliser({ format }), 'upstream "t"', []);
  const out = [...parts.flatMap((p) => d.push(p)), ...d.end()];
  // Merge adjacent text pieces: chunk boundaries may differ, content may not.
  const merged: ChatChunk[] = [];
  for (const c of out) {
    const last = merged[merged.length - 1];
    if (last && (c.type === 'text' || c.type === 'reasoning') && last.type === c.type) last.text += c.text;
    else merged.push({ ...c });
  }
  return merged;
}

describe('SSE line splitting', () => {
  test('LF, CRLF and CR line ends, and an unterminated last line', () => {
    const bytes = new TextEncoder().encode('a\nb\r\nc\rd\r\n\r\ne');
    assert.deepEqual(lines([bytes]), ['a', 'b', 'c', 'd', '', 'e']);
  });

  test('CR at the end of one chunk and LF at the start of the next is one line break', () => {
    const enc = new TextEncoder();
    assert.deepEqual(lines([enc.encode('a\r'), enc.encode('\nb\n')]), ['a', 'b']);
  });

  test('property: any byte split gives the same lines (UTF-8 sequences included)', () => {
    const text = fc
      .array(fc.constantFrom('data: x', 'é', '💭', '\n', '\r\n', '\r', ': keep-alive', ' '), {
        maxLength: 30,
      })
      .map((p) => p.join(''));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 10 }), (s, cuts) => {
        const bytes = new TextEncoder().encode(s);
        assert.deepEqual(lines(splitBytes(bytes, cuts)), lines([bytes]));
      }),
      { numRuns: 500 },
    );
  });

  test('a byte-order mark is dropped at the start of the stream only', () => {
    const enc = new TextEncoder();
    assert.deepEqual(lines([enc.encode('\ufeffa\n\ufeffb\n')]), ['a', '\ufeffb']);
  });

  test('a long line in many small chunks is joined once, whole', () => {
    const s = new SseLineSplitter(10_000_000);
    const piece = new TextEncoder().encode('x'.repeat(1000));
    const got: string[] = [];
    for (let i = 0; i < 2000; i++) got.push(...s.push(piece));
    assert.equal(got.length, 0);
    got.push(...s.push(new TextEncoder().encode('\nnext')));
    assert.equal(got.length, 1);
    assert.equal(got[0]?.length, 2_000_000);
    assert.deepEqual(s.end(), ['next']);
  });

  test('a line past the cap throws as soon as the cap is crossed, before its end arrives', () => {
    const s = new SseLineSplitter(1024);
    assert.deepEqual(s.push(new TextEncoder().encode(`ok\n${'y'.repeat(1000)}`)), ['ok']);
    assert.throws(() => s.push(new TextEncoder().encode('y'.repeat(100))), SseLineTooLong);
    // Exactly at the cap is fine.
    const exact = new SseLineSplitter(4);
    assert.deepEqual(exact.push(new TextEncoder().encode('abcd\n')), ['abcd']);
  });

  test('classification', () => {
    assert.deepEqual(classifySseLine(''), { kind: 'blank' });
    assert.deepEqual(classifySseLine(': keep-alive'), { kind: 'comment' });
    assert.deepEqual(classifySseLine('data: {"a":1}'), { kind: 'field', name: 'data', value: '{"a":1}' });
    assert.deepEqual(classifySseLine('data:[DONE]'), { kind: 'field', name: 'data', value: '[DONE]' });
    assert.deepEqual(classifySseLine('event: error'), { kind: 'field', name: 'event', value: 'error' });
    assert.deepEqual(classifySseLine('<html>'), { kind: 'malformed' });
  });
});

describe('stream decoder', () => {
  const body = new TextEncoder().encode(
    [': keep-alive', '', ...chatStream({ reasoning: ['\n', 'Think', ' é💭'], content: ['Ans', 'wer'] })].join(
      '\r\n',
    ),
  );

  test('a whole llama-server-like stream', () => {
    assert.deepEqual(decode([body]), [
      { type: 'reasoning', text: 'Think é💭' },
      { type: 'text', text: 'Answer' },
      { type: 'usage', promptTokens: 12, cachedPromptTokens: 0, completionTokens: 5, reasoningTokens: 2 },
      { type: 'done', finishReason: 'stop' },
    ]);
  });

  test('property: any TCP split of the body gives the same chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 16 }), (cuts) => {
        assert.deepEqual(decode(splitBytes(body, cuts)), decode([body]));
      }),
      { numRuns: 300 },
    );
  });

  test('lines after [DONE] are ignored', () => {
    const enc = new TextEncoder();
    const chunks = decode([enc.encode('data: [DONE]\n\ngarbage\n')]);
    assert.deepEqual(chunks, [{ type: 'done', finishReason: 'stop' }]);
  });

  test('fail() keeps partial output and ends once', () => {
    const d = new StreamDecoder(createDeltaNormaliser({ format: 'think-tags' }), 'upstream "t"', []);
    const enc = new TextEncoder();
    const first = d.push(enc.encode('data: {"choices":[{"delta":{"content":"abc</thi"}}]}\n'));
    assert.deepEqual(first, [{ type: 'reasoning', text: 'abc' }]);
    assert.deepEqual(d.fail('cancelled'), [
      { type: 'reasoning', text: '</thi' },
      { type: 'usage', promptTokens: 0, cachedPromptTokens: 0, completionTokens: 1, reasoningTokens: 1 },
      { type: 'done', finishReason: 'cancelled' },
    ]);
    assert.deepEqual(d.fail('again'), []);
  });

  test('an event over the cap ends the stream with a clean error, keeping what came before', () => {
    const d = new StreamDecoder(createDeltaNormaliser({ format: 'auto' }), 'upstream "t"', [], 2048);
    const enc = new TextEncoder();
    const first = d.push(enc.encode('data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: {"x":"'));
    assert.deepEqual(first, [{ type: 'text', text: 'hi' }]);
    const out = d.push(enc.encode('z'.repeat(4096)));
    const done = out.at(-1);
    assert.equal(done?.type, 'done');
    assert.equal(done?.type === 'done' && done.finishReason, 'error');
    assert.equal(done?.type === 'done' && done.error, 'upstream "t" sent an event larger than 2048 bytes');
    assert.deepEqual(d.push(enc.encode('more\n')), []);
  });

  test('an error message never carries a secret', () => {
    const d = new StreamDecoder(createDeltaNormaliser(), 'upstream "t"', ['sk-secret-123']);
    const out = d.push(new TextEncoder().encode('data: {"error":{"message":"bad key sk-secret-123"}}\n'));
    const done = out.at(-1);
    assert.equal(done?.type === 'done' && done.error, 'upstream "t" reported an error: bad key [redacted]');
  });
});
