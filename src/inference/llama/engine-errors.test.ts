import assert from 'node:assert/strict';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureTestModel } from '../gguf/test-model.ts';
import { type ChatRequest, InferenceError, type InferenceErrorCode } from '../types.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from './index.ts';
import { collect } from './test-helpers.ts';

function rejectsWith(code: InferenceErrorCode, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof InferenceError, `InferenceError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  };
}

describe('embedded engine: bad input is a clear InferenceError', () => {
  let dir: string;
  let tiny: string;
  let p: EmbeddedProvider;
  const signal = () => AbortSignal.timeout(60_000);
  const chat = (extra: Partial<ChatRequest>) =>
    collect(
      p.chat(
        { model: 'tiny', messages: [{ role: 'user', content: 'hello' }], seed: 1, ...extra },
        { signal: signal() },
      ),
    );

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ponder-engine-'));
    tiny = await ensureTestModel('tiny');
    p = createEmbeddedProvider({
      models: { tiny },
      slots: 1,
      contextSize: 256,
      batchSize: 64,
      threads: 1,
      ignoreEos: true,
    });
  });
  after(async () => {
    await p?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  test('missing file', async () => {
    p.addModel('missing', join(dir, 'nope.gguf'));
    await assert.rejects(
      chat({ model: 'missing' }),
      rejectsWith('model_not_found', /not found at .*nope\.gguf.*ponder pull/),
    );
    const info = (await p.models()).find((m) => m.id === 'missing');
    assert.equal(info?.state, 'unavailable');
  });

  test('non-GGUF file', async () => {
    const path = join(dir, 'notes.gguf');
    await writeFile(path, 'just some text, not a model\n'.repeat(10));
    p.addModel('text', path);
    await assert.rejects(chat({ model: 'text' }), rejectsWith('model_not_ready', /not a GGUF file/));
  });

  test('truncated file', async () => {
    const path = join(dir, 'truncated.gguf');
    const src = await open(tiny, 'r');
    const { size } = await src.stat();
    const buf = Buffer.alloc(Math.floor(size * 0.6));
    await src.read(buf, 0, buf.length, 0);
    await src.close();
    await writeFile(path, buf);
    p.addModel('truncated', path);
    await assert.rejects(chat({ model: 'truncated' }), rejectsWith('model_not_ready', /truncated|corrupt/));
  });

  test('unknown model', async () => {
    await assert.rejects(
      chat({ model: 'nonexistent' }),
      rejectsWith('model_not_found', /Unknown model "nonexistent"/),
    );
  });

  test('empty message list and empty prompt', async () => {
    await assert.rejects(
      chat({ messages: [] }),
      rejectsWith('invalid_request', /messages must not be empty/),
    );
    await assert.rejects(
      chat({ messages: [{ role: 'user', content: '  ' }] }),
      rejectsWith('invalid_request', /prompt is empty/),
    );
  });

  test('malformed messages', async () => {
    await assert.rejects(
      chat({
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'partial', reasoning: 42 as unknown as string },
        ],
      }),
      rejectsWith('invalid_request', /reasoning must be a string/),
    );
    await assert.rejects(
      chat({ messages: [{ role: 'robot' as 'user', content: 'x' }] }),
      rejectsWith('invalid_request', /role must be/),
    );
    // A tool result must answer a call of an earlier assistant message.
    await assert.rejects(
      chat({ messages: [{ role: 'tool', toolCallId: 'call_1', content: 'x' }] }),
      rejectsWith('invalid_request', /answer a tool call/),
    );
  });

  test('maxTokens of 0 or below', async () => {
    await assert.rejects(chat({ maxTokens: 0 }), rejectsWith('invalid_request', /maxTokens/));
    await assert.rejects(chat({ maxTokens: -5 }), rejectsWith('invalid_request', /maxTokens/));
  });

  test('a prompt longer than the context names both sizes', async () => {
    await assert.rejects(
      chat({ messages: [{ role: 'user', content: 'lorem ipsum dolor '.repeat(200) }] }),
      rejectsWith('context_overflow', /prompt is \d+ tokens .* 256 tokens/),
    );
  });

  test('the engine still serves good requests after all that', async () => {
    const chunks = await chat({ maxTokens: 4 });
    assert.deepEqual(chunks.at(-1), { type: 'done', finishReason: 'length' });
  });

  test('a model larger than free memory is refused before loading', async () => {
    const small = createEmbeddedProvider({
      models: { tiny },
      slots: 1,
      contextSize: 256,
      batchSize: 64,
      threads: 1,
      freeMemoryLimitBytes: 1024 * 1024,
    });
    try {
      await assert.rejects(
        small.load('tiny'),
        rejectsWith('model_not_ready', /needs about \d+ MiB .* only 1 MiB is free/),
      );
    } finally {
      await small[Symbol.asyncDispose]();
    }
  });
});
