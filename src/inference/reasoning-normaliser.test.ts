import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  createDeltaNormaliser,
  createThinkTagParser,
  type OutputDelta,
  type Segment,
} from './reasoning-normaliser.ts';

function merge(segments: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    assert.notEqual(s.text, '', 'an empty segment was emitted');
    const last = out[out.length - 1];
    if (last && last.type === s.type) last.text += s.text;
    else out.push({ ...s });
  }
  return out;
}

function parseChunks(chunks: string[], startInReasoning: boolean): Segment[] {
  const p = createThinkTagParser({ startInReasoning });
  const all: Segment[] = [];
  for (const c of chunks) all.push(...p.push(c));
  all.push(...p.flush());
  return merge(all);
}

function splitAt(s: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(s.slice(prev, p));
    prev = p;
  }
  out.push(s.slice(prev));
  return out;
}

const fragment = fc.constantFrom(
  '<think>',
  '</think>',
  '<',
  '</',
  '<th',
  '</thi',
  '<thin',
  'think>',
  '>',
  'a',
  'bc',
  ' ',
  '\n',
  '\n\n',
  'é',
  '💭',
);
const tagSoup = fc.array(fragment, { maxLength: 24 }).map((parts) => parts.join(''));

describe('think-tag parser', () => {
  test('plain R1 output with both tags', () => {
    assert.deepEqual(parseChunks(['<think>\nLet me see.\n</think>\n\nThe answer is 4.'], false), [
      { type: 'reasoning', text: 'Let me see.' },
      { type: 'text', text: 'The answer is 4.' },
    ]);
  });

  test('R1-distill: the template opened <think>, only </think> appears', () => {
    assert.deepEqual(parseChunks(['Hmm, 2+2.\n</think>\n\n4'], true), [
      { type: 'reasoning', text: 'Hmm, 2+2.' },
      { type: 'text', text: '4' },
    ]);
  });

  test('startInReasoning drops a repeated opening tag', () => {
    assert.deepEqual(parseChunks(['<think>\nx</think>y'], true), [
      { type: 'reasoning', text: 'x' },
      { type: 'text', text: 'y' },
    ]);
  });

  test('no tags at all is plain text', () => {
    assert.deepEqual(parseChunks(['Hello ', 'world'], false), [{ type: 'text', text: 'Hello world' }]);
  });

  test('tags after the reasoning block closed are literal text', () => {
    assert.deepEqual(parseChunks(['<think>r</think>use <think> and </think> tags'], false), [
      { type: 'reasoning', text: 'r' },
      { type: 'text', text: 'use <think> and </think> tags' },
    ]);
  });

  test('a partial tag that never completes is flushed as content', () => {
    assert.deepEqual(parseChunks(['a <thin'], false), [{ type: 'text', text: 'a <thin' }]);
    assert.deepEqual(parseChunks(['x </thi'], true), [{ type: 'reasoning', text: 'x </thi' }]);
  });

  test('a tag split at every character', () => {
    const s = '<think>\nreason</think>\n\nanswer';
    assert.deepEqual(parseChunks([...s], false), [
      { type: 'reasoning', text: 'reason' },
      { type: 'text', text: 'answer' },
    ]);
  });

  test('empty reasoning (thinking off) emits no reasoning segment', () => {
    assert.deepEqual(parseChunks(['<think>\n\n</think>\n\nHi'], false), [{ type: 'text', text: 'Hi' }]);
  });

  test('property: every single split point gives the single-chunk output', () => {
    fc.assert(
      fc.property(tagSoup, fc.boolean(), (s, start) => {
        const whole = parseChunks([s], start);
        for (let i = 0; i <= s.length; i++) {
          assert.deepEqual(parseChunks([s.slice(0, i), s.slice(i)], start), whole);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('property: random multi-splits give the single-chunk output', () => {
    fc.assert(
      fc.property(tagSoup, fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (s, cuts, start) => {
        assert.deepEqual(parseChunks(splitAt(s, cuts), start), parseChunks([s], start));
      }),
      { numRuns: 1000 },
    );
  });

  test('property: reasoning and text without tags round-trip through R1 layout', () => {
    const noTags = fc.string({ maxLength: 40 }).filter((x) => !x.includes('<'));
    fc.assert(
      fc.property(noTags, noTags, fc.array(fc.nat(), { maxLength: 8 }), (r, t, cuts) => {
        const s = `<think>\n${r}\n</think>\n\n${t}`;
        const expected: Segment[] = [];
        if (r.trim() !== '') expected.push({ type: 'reasoning', text: r.trim() });
        const text = t.replace(/^[\r\n]+/, '');
        if (text !== '') expected.push({ type: 'text', text });
        assert.deepEqual(parseChunks(splitAt(s, cuts), false), expected);
      }),
      { numRuns: 500 },
    );
  });
});

function normalise(deltas: OutputDelta[], format: Parameters<typeof createDeltaNormaliser>[0]): Segment[] {
  const n = createDeltaNormaliser(format);
  const all: Segment[] = [];
  for (const d of deltas) all.push(...n.push(d));
  all.push(...n.flush());
  return merge(all);
}

describe('delta normaliser', () => {
  const expected = [
    { type: 'reasoning', text: 'Think.' },
    { type: 'text', text: 'Done.' },
  ];

  test('reasoning_content (DeepSeek, SGLang, llama-server with leading newline)', () => {
    const deltas = [{ reasoning_content: '\n' }, { reasoning_content: 'Think.' }, { content: 'Done.' }];
    assert.deepEqual(normalise(deltas, { format: 'auto' }), expected);
    assert.deepEqual(normalise(deltas, { format: 'reasoning_content' }), expected);
  });

  test('reasoning (vLLM, Ollama OpenAI API) and thinking (Ollama native)', () => {
    assert.deepEqual(
      normalise([{ reasoning: 'Think.' }, { content: 'Done.' }], { format: 'auto' }),
      expected,
    );
    assert.deepEqual(normalise([{ reasoning: 'Think.', content: '' }, { content: 'Done.' }], {}), expected);
    assert.deepEqual(
      normalise([{ thinking: 'Think.' }, { content: 'Done.' }], { format: 'reasoning' }),
      expected,
    );
  });

  test('vLLM sending the same text under two names counts it once', () => {
    const deltas = [{ reasoning_content: 'Think.', reasoning: 'Think.' }, { content: 'Done.' }];
    assert.deepEqual(normalise(deltas, { format: 'auto' }), expected);
  });

  test('think tags in content, auto and think-tags', () => {
    const tagged = [{ content: '<thi' }, { content: 'nk>Think.</th' }, { content: 'ink>\n\nDone.' }];
    assert.deepEqual(normalise(tagged, { format: 'auto' }), expected);
    assert.deepEqual(normalise(tagged, { format: 'think-tags' }), expected);
  });

  test('think-tags starts in reasoning by default (R1-distill raw output)', () => {
    assert.deepEqual(
      normalise([{ content: 'Think.\n</think>' }, { content: 'Done.' }], { format: 'think-tags' }),
      expected,
    );
  });

  test('explicit formats ignore the other fields', () => {
    assert.deepEqual(normalise([{ reasoning: 'x', content: 'Done.' }], { format: 'reasoning_content' }), [
      { type: 'text', text: 'Done.' },
    ]);
    assert.deepEqual(
      normalise([{ reasoning_content: 'x' }, { content: '<think>Think.</think>Done.' }], {
        format: 'think-tags',
      }),
      expected,
    );
  });

  test('once a reasoning field was seen, content tags are literal', () => {
    assert.deepEqual(normalise([{ reasoning_content: 'Think.' }, { content: 'a <think> b' }], {}), [
      { type: 'reasoning', text: 'Think.' },
      { type: 'text', text: 'a <think> b' },
    ]);
  });

  test('property: deltas split anywhere give the same output', () => {
    fc.assert(
      fc.property(tagSoup, fc.array(fc.nat(), { maxLength: 10 }), (s, cuts) => {
        const whole = normalise([{ content: s }], { format: 'think-tags' });
        const parts = splitAt(s, cuts).map((content) => ({ content }));
        assert.deepEqual(normalise(parts, { format: 'think-tags' }), whole);
      }),
      { numRuns: 500 },
    );
  });
});
