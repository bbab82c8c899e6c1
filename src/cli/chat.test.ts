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
  options: { onStdout?: (text: string, child: ReturnType<typeof spawn>) => void; stdin?: string } = {},
): Promise<RunResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PONDER_')));
  const stdin = options.stdin === undefined ? 'ignore' : 'pipe';
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: [stdin, 'pipe', 'pipe'] });
  if (options.stdin !== undefined) child.stdin?.write(options.stdin);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    options.onStdout?.(stdout, child);
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
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
    // The reasoning ends with the time it took, before the answer (as the web app folds it).
    assert.match(result.stdout, /\n\[Thought for \d+ s\]\n/);
    if (result.stdout.includes('[answer]'))
      assert.match(result.stdout, /\[Thought for \d+ s\]\n\[answer\]\n/);
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

  test('Ctrl-C stops the answer cleanly and keeps what was generated', async () => {
    let signalled = false;
    const stopped = await runPonder(
      [...base, '--model', model, '--prompt', 'hi', '--max-tokens', '100000', '--json'],
      {
        onStdout: (text, child) => {
          if (!signalled && text.includes('"reasoning"')) {
            signalled = true;
            child.kill('SIGINT');
          }
        },
      },
    );
    assert.equal(stopped.code, 0, stopped.stderr);
    const chunks = chunksOf(stopped.stdout);
    assert.ok(chunks.some((c) => c.type === 'reasoning'));
    assert.deepEqual(chunks.at(-1), { type: 'done', finishReason: 'cancelled' });
  });

  test('interactive: Ctrl-C stops the answer, the chat goes on, another Ctrl-C exits with 130', async () => {
    let phase = 0;
    const result = await runPonder([...base, '--model', model, '--max-tokens', '100000', '--json'], {
      stdin: 'hello\n',
      onStdout: (text, child) => {
        if (phase === 0 && text.includes('"reasoning"')) {
          phase = 1;
          child.kill('SIGINT');
        } else if (phase === 1 && text.includes('"cancelled"')) {
          phase = 2;
          child.kill('SIGINT');
        }
      },
    });
    assert.equal(phase, 2, result.stderr);
    assert.equal(result.code, 130);
    assert.match(result.stderr, /interrupted/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  test('two Ctrl-C at once mid-generation: a clean stop or exit, never a crash or hang', async () => {
    let sent = false;
    const result = await runPonder(
      [...base, '--model', model, '--prompt', 'hi', '--max-tokens', '100000', '--json'],
      {
        onStdout: (text, child) => {
          if (!sent && text.includes('"reasoning"')) {
            sent = true;
            child.kill('SIGINT');
            child.kill('SIGINT');
          }
        },
      },
    );
    // The kernel may merge two signals sent back to back into one: then the answer stops cleanly.
    assert.ok(result.code === 130 || result.code === 0, `exit ${result.code}: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});
