/**
 * The interactive `ponder chat` on a real pseudo-terminal: keys are typed as a person types them
 * (Ctrl-C is the byte 0x03: a key for readline at the prompt, SIGINT while an answer runs).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ensureTestModel } from '../inference/gguf/test-model.ts';
import { EXIT_HINT } from './chat-prompt.ts';
import { plainText, runInTerminal, terminalAvailable } from './terminal-testing.ts';

const CTRL_C = '\x03';
const CTRL_D = '\x04';
const PROMPT = /\n> $/;
const HINT = new RegExp(EXIT_HINT.replace(/[()]/g, '\\$&'));
const FINISHED = /\[(stop|length) · \d+ tokens \(\d+ reasoning\)\]/;

const onTerminal = terminalAvailable() ? describe : describe.skip;

onTerminal('ponder chat on a terminal', () => {
  let model: string;
  const base = ['chat', '--context-size', '1024'];
  before(async () => {
    model = await ensureTestModel('tiny');
  });

  test('Ctrl-C at an empty prompt says how to exit; the next line is still sent; twice in a row exits', async () => {
    const run = runInTerminal([...base, '--model', model, '--max-tokens', '12', '--thinking', '3']);
    try {
      await run.waitFor(PROMPT);
      let mark = run.output().length;
      run.type(CTRL_C);
      await run.waitFor(HINT, mark);
      await run.waitFor(/> $/, mark);

      mark = run.output().length;
      run.type('hello\r');
      const answered = plainText((await run.waitFor(FINISHED, mark)).slice(mark));
      // Reasoning, then the time it took, then (when the model says something) the answer.
      assert.match(answered, /Thought for \d+ s/);
      await run.waitFor(PROMPT, mark);

      mark = run.output().length;
      run.type(CTRL_C);
      await run.waitFor(HINT, mark);
      run.type(CTRL_C);
      assert.equal(await run.exited, 0, run.output());
      assert.doesNotMatch(run.output(), /\n\s+at /, 'no stack trace');
    } finally {
      run.kill();
    }
  });

  test('Ctrl-C on a typed line drops the line (the next Ctrl-C only hints), Ctrl-D exits', async () => {
    const run = runInTerminal([...base, '--model', model, '--max-tokens', '4']);
    try {
      await run.waitFor(PROMPT);
      const mark = run.output().length;
      run.type('half a thought');
      await run.waitFor(/half a thought/, mark);
      run.type(CTRL_C);
      await run.waitFor(/> $/, mark + 1);
      assert.doesNotMatch(run.output().slice(mark), HINT, 'a typed line is dropped, no hint yet');
      run.type(CTRL_C);
      await run.waitFor(HINT, mark);
      run.type(CTRL_D);
      assert.equal(await run.exited, 0, run.output());
      assert.doesNotMatch(plainText(run.output()), FINISHED, 'the dropped line was never sent');
    } finally {
      run.kill();
    }
  });

  test('Ctrl-C while answering: nothing of the model prints after the "stopping" notice', async () => {
    const run = runInTerminal([...base, '--model', model, '--max-tokens', '100000']);
    try {
      await run.waitFor(PROMPT);
      const mark = run.output().length;
      run.type('hi\r');
      // Wait until some reasoning is on the screen.
      await run.waitFor(/hi\s*\n[\s\S]{12}/, mark);
      run.type(CTRL_C);
      const raw = await run.waitFor(/\[cancelled\b.*\]/, mark);
      const shown = plainText(raw.slice(mark));
      const notice = '(stopping; press Ctrl-C again to exit)';
      const after = shown.slice(shown.lastIndexOf(notice) + notice.length, shown.lastIndexOf('[cancelled'));
      assert.match(
        after.replace(/\r/g, ''),
        /^\n(Thought for \d+ s\n)?$/,
        `printed after the notice: ${after}`,
      );
      // The chat goes on at a fresh prompt (which may have come in the same chunk as the summary line).
      await run.waitFor(PROMPT, raw.lastIndexOf('[cancelled'));
      run.type(CTRL_D);
      assert.equal(await run.exited, 0, run.output());
    } finally {
      run.kill();
    }
  });
});
