import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { copyFile, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { ensureTestModel } from '../inference/gguf/test-model.ts';
import type { ChatChunk } from '../inference/types.ts';

const BIN = resolve(import.meta.dirname, '../../bin/ponder.js');

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ponder …` in a child process with a clean PONDER_* environment and a deadline. */
function runPonder(
  args: string[],
  options: { onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<RunResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PONDER_')));
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    options.onStdout?.(stdout, child);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((done) => {
    child.on('close', (code) => {
      clearTimeout(deadline);
      done({ code, stdout, stderr });
    });
  });
}

function chunksOf(stdout: string): ChatChunk[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ChatChunk);
}

/** One clear line on stderr, no stack trace. */
function assertOneLineError(result: RunResult, pattern: RegExp): void {
  assert.notEqual(result.code, 0, `expected a non-zero exit, stderr: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${result.stderr}`);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

describe('ponder chat', () => {
  let model: string;
  const base = ['chat', '--context-size', '1024'];
  before(async () => {
    model = await ensureTestModel('tiny');
  });

  test('--json prints reasoning chunks, then usage and done', async () => {
    const result = await runPonder([
      ...base,
      '--model',
      model,
      '--prompt',
      'hello',
      '--max-tokens',
      '16',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const chunks = chunksOf(result.stdout);
    assert.ok(chunks.some((c) => c.type === 'reasoning'));
    const tail = chunks.slice(-2).map((c) => c.type);
    assert.deepEqual(tail, ['usage', 'done']);
    const usage = chunks.at(-2);
    assert.ok(usage?.type === 'usage' && usage.completionTokens > 0 && usage.completionTokens <= 16);
  });

  test('--thinking off gives no reasoning chunks', async () => {
    const result = await runPonder([
      ...base,
      ...['--model', model, '--prompt', 'hi', '--max-tokens', '8', '--thinking', 'off', '--json'],
    ]);
    assert.equal(result.code, 0, result.stderr);
    const chunks = chunksOf(result.stdout);
    assert.equal(chunks.filter((c) => c.type === 'reasoning').length, 0);
    assert.equal(chunks.at(-1)?.type, 'done');
  });

  test('--thinking N caps reasoning at N tokens', async () => {
    const result = await runPonder([
      ...base,
      ...['--model', model, '--prompt', 'hi', '--max-tokens', '24', '--thinking', '4', '--json'],
    ]);
    assert.equal(result.code, 0, result.stderr);
    const usage = chunksOf(result.stdout).find((c) => c.type === 'usage');
    assert.ok(usage?.type === 'usage');
    assert.ok(usage.reasoningTokens <= 4, `reasoning tokens ${usage.reasoningTokens}`);
  });

  test('the human format shows reasoning apart from the answer', async () => {
    const result = await runPonder([
      ...base,
      '--model',
      model,
      '--prompt',
      'hi',
      '--max-tokens',
      '12',
      '--thinking',
      '3',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\[reasoning\]\n/);
    assert.match(result.stderr, /\[(stop|length) · \d+ tokens \(\d+ reasoning\)\]/);
  });

  test('an empty prompt is one clear line', async () => {
    assertOneLineError(await runPonder([...base, '--model', model, '--prompt', '  ']), /the prompt is empty/);
  });

  test('--max-tokens 0 and negative are rejected', async () => {
    for (const value of ['0', '-3', 'many']) {
      const result = await runPonder([...base, '--model', model, '--prompt', 'hi', '--max-tokens', value]);
      assertOneLineError(result, /max-tokens.*positive whole number/);
    }
  });

  test('bad --thinking is rejected', async () => {
    const result = await runPonder([...base, '--model', model, '--prompt', 'hi', '--thinking', 'maybe']);
    assertOneLineError(result, /--thinking/);
  });

  test('a missing model file is one clear line', async () => {
    const result = await runPonder([...base, '--model', '/nonexistent/model.gguf', '--prompt', 'hi']);
    assertOneLineError(result, /not found/);
  });

  test('a missing default model says how to get one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ponder-chat-'));
    const result = await runPonder([...base, '--data-dir', dataDir, '--prompt', 'hi']);
    assertOneLineError(result, /ponder pull/);
  });

  test('a non-GGUF and a truncated file are one clear line each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ponder-chat-'));
    const text = join(dir, 'notes.gguf');
    writeFileSync(text, 'this is not a model\n'.repeat(10));
    assertOneLineError(await runPonder([...base, '--model', text, '--prompt', 'hi']), /GGUF/i);

    const cut = join(dir, 'cut.gguf');
    await copyFile(model, cut);
    await truncate(cut, 4096);
    assertOneLineError(
      await runPonder([...base, '--model', cut, '--prompt', 'hi']),
      /truncated|incomplete|cannot load/i,
    );
  });

  test('a prompt longer than the context is one clear line', async () => {
    const long = 'word '.repeat(3000);
    const result = await runPonder([...base, '--model', model, '--prompt', long, '--max-tokens', '4']);
    assertOneLineError(result, /context/i);
  });

  test('Ctrl-C stops the answer cleanly; a second Ctrl-C exits', async () => {
    let signalled = 0;
    const stopped = await runPonder(
      [...base, '--model', model, '--prompt', 'hi', '--max-tokens', '100000', '--json'],
      {
        onStdout: (text, child) => {
          if (signalled === 0 && text.includes('"reasoning"')) {
            signalled = 1;
            child.kill('SIGINT');
          }
        },
      },
    );
    assert.equal(stopped.code, 0, stopped.stderr);
    const done = chunksOf(stopped.stdout).at(-1);
    assert.deepEqual(done, { type: 'done', finishReason: 'cancelled' });

    let sent = 0;
    const exited = await runPonder(
      [...base, '--model', model, '--prompt', 'hi', '--max-tokens', '100000', '--json'],
      {
        onStdout: (text, child) => {
          if (sent === 0 && text.includes('"reasoning"')) {
            sent = 1;
            child.kill('SIGINT');
            child.kill('SIGINT');
          }
        },
      },
    );
    assert.equal(exited.code, 130);
    assert.doesNotMatch(exited.stderr, /\n\s+at /);
  });
});
