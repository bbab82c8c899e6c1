/**
 * `ponder eval` as a user runs it, on the generated tiny model (score ≈ 0 is expected: the harness is
 * what is tested): a run killed with SIGKILL mid-way continues with `eval resume` without redoing its
 * finished samples; `report` and `list` read the stored run; mistakes get one clear line and exit 2.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureTestModel } from '../inference/gguf/test-model.ts';
import { openStore } from '../store/index.ts';
import { plainText, runInTerminal, terminalAvailable } from './terminal-testing.ts';

const BIN = resolve(import.meta.dirname, '../../bin/ponder.js');
const MASTER_KEY = 'c'.repeat(64);

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ponder …`; `killWhen` sends SIGKILL as soon as stderr matches it. */
function ponder(args: string[], dataDir: string, killWhen?: RegExp): Promise<Result> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PONDER_')));
  const child = spawn(process.execPath, [BIN, ...args, '--data-dir', dataDir], {
    env: { ...env, PONDER_MASTER_KEY: MASTER_KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const deadline = setTimeout(() => child.kill('SIGKILL'), 240_000);
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (killWhen?.test(stderr)) child.kill('SIGKILL');
  });
  return new Promise((ok) =>
    child.on('close', (code) => {
      clearTimeout(deadline);
      ok({ code, stdout, stderr });
    }),
  );
}

describe('ponder eval (CLI, embedded tiny model)', () => {
  let dataDir: string;
  let model: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ponder-eval-cli-'));
    model = await ensureTestModel('tiny');
    const store = await openStore({ dataDir, masterKey: MASTER_KEY });
    await store.users.create({ email: 'admin@example.test', passwordHash: 'x', plan: 'free', isAdmin: true });
    await store.close();
  });

  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('killed mid-run, `eval resume` continues without redoing finished samples; report and list', async () => {
    const args = ['eval', 'run', '--suite', 'arithmetic', '--count', '3', '--seed', '5', '--model', model];
    const killed = await ponder(
      [...args, '-k', '2', '--budgets', 'default,4', '--max-tokens', '8', '--no-progress'],
      dataDir,
      /progress \S+ 3\/12/,
    );
    assert.equal(killed.code, null, killed.stderr);
    const runId = /eval run (\S+): 12 samples/.exec(killed.stderr)?.[1];
    assert.ok(runId, killed.stderr);

    let store = await openStore({ dataDir, masterKey: MASTER_KEY });
    const before = await store.evals.listSamples(runId);
    const run = await store.evals.getRun(runId);
    await store.close();
    assert.equal(run?.status, 'running', 'a killed run is left as it was');
    assert.ok(before.length >= 3 && before.length < 12, `${before.length} samples before the kill`);

    const resumed = await ponder(
      ['eval', 'resume', runId, '--no-progress', '--report', join(dataDir, 'rep')],
      dataDir,
    );
    assert.equal(resumed.code, 0, resumed.stderr);
    // Progress starts where the killed run stopped, not at 0.
    assert.match(resumed.stderr, new RegExp(`progress ${runId} ${before.length}/12`));
    assert.doesNotMatch(resumed.stderr, new RegExp(`progress ${runId} 0/12`));
    assert.match(resumed.stdout, /done, 12\/12 samples/);
    assert.match(resumed.stdout, /pass@1 % ± SE/);

    store = await openStore({ dataDir, masterKey: MASTER_KEY });
    const afterSamples = await store.evals.listSamples(runId);
    await store.close();
    assert.equal(afterSamples.length, 12);
    for (const s of before) {
      const same = afterSamples.find(
        (x) => x.variant === s.variant && x.problemId === s.problemId && x.sampleIndex === s.sampleIndex,
      );
      assert.equal(same?.createdAt.getTime(), s.createdAt.getTime(), 'a finished sample was not redone');
    }
    assert.ok(afterSamples.every((s) => s.finishReason === 'length' || s.finishReason === 'stop'));
    assert.match(readFileSync(join(dataDir, 'rep.html'), 'utf8'), /<svg/);
    assert.match(readFileSync(join(dataDir, 'rep-tokens.svg'), 'utf8'), /^<svg/);

    const md = await ponder(['eval', 'report', runId, '--format', 'markdown'], dataDir);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /\| tiny-q8_0 \| default \| 6 \|/);
    assert.match(md.stdout, /\| tiny-q8_0 \| 4 \| 6 \|/);
    const wrong = await ponder(
      ['eval', 'samples', runId, '--wrong', '--variant', 'tiny-q8_0|4', '--limit', '3'],
      dataDir,
    );
    assert.equal(wrong.code, 0, wrong.stderr);
    const lines = wrong.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { correct: boolean; variant: string; expected: string; reason: string });
    assert.equal(lines.length, 3);
    assert.ok(lines.every((l) => !l.correct && l.variant === 'tiny-q8_0|4' && l.expected && l.reason));
    const list = await ponder(['eval', 'list'], dataDir);
    assert.match(list.stdout, new RegExp(`${runId}\\s+done\\s+12/12`));
  });

  test('on a terminal: one progress bar per model and budget, with the right answers so far', {
    skip: !terminalAvailable(),
  }, async () => {
    const run = runInTerminal(
      [
        'eval',
        'run',
        '--suite',
        'dates',
        '--count',
        '1',
        '--model',
        model,
        '--budgets',
        'default,2',
        '--max-tokens',
        '4',
        '--data-dir',
        dataDir,
      ],
      { PONDER_MASTER_KEY: MASTER_KEY },
      180_000,
    );
    await run.waitFor(/done, 2\/2 samples/);
    assert.equal(await run.exited, 0);
    const shown = plainText(run.output());
    assert.match(shown, /\d\/1 tiny-q8_0\|default {2}right \d/);
    assert.match(shown, /\d\/1 tiny-q8_0\|2 {2}right \d/);
    assert.doesNotMatch(shown, /^progress /m, 'bars instead of progress lines');
  });

  test('mistakes: one clear line, exit 2, before any model loads', async () => {
    const missing = await ponder(['eval', 'run', '--suite', 'math500', '--model', 'x'], dataDir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /math500 is not downloaded yet: pass --download .* or --file/);
    const noFile = await ponder(
      ['eval', 'run', '--suite', 'gsm8k', '--file', 'nope.jsonl', '--model', 'x'],
      dataDir,
    );
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /cannot read .*nope\.jsonl/);
    const badBudget = await ponder(
      ['eval', 'run', '--suite', 'dates', '--budgets', 'lots', '--model', 'x'],
      dataDir,
    );
    assert.equal(badBudget.code, 2);
    assert.match(badBudget.stderr, /budget/);
    const report = await ponder(['eval', 'report', 'nope'], dataDir);
    assert.equal(report.code, 1);
    assert.match(report.stderr, /no eval run nope/);
  });
});
