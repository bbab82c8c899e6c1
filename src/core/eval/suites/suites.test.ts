import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FetchFailed } from '../../../inference/net/guarded-fetch.ts';
import { checkAnswer } from '../check.ts';
import { downloadSuite } from './download.ts';
import { generateSuite } from './generated.ts';
import { resolveSuite } from './index.ts';
import { loadProblems } from './loaders.ts';
import { parseCsv } from './parse-rows.ts';
import { REPORTED, reportedFor } from './reported.ts';
import { GENERATED_SUITES } from './types.ts';

test('generated suites: the same seed gives the same problems, another seed others; levels 1–3', () => {
  for (const name of GENERATED_SUITES) {
    const a = generateSuite(name, 42, 12);
    assert.deepEqual(generateSuite(name, 42, 12), a, name);
    assert.notDeepEqual(generateSuite(name, 43, 12), a, name);
    assert.deepEqual([...new Set(a.map((p) => p.level))].sort(), [1, 2, 3]);
    assert.equal(new Set(a.map((p) => p.id)).size, 12);
    // The reference answer passes its own check.
    for (const p of a) assert.ok(checkAnswer(p.answer, p.answer, p.kind).correct, `${name}: ${p.answer}`);
  }
  assert.ok(generateSuite('arithmetic', 1, 5, 3).every((p) => p.level === 3));
});

test('generated answers are right: arithmetic evaluates, dates match the calendar, logic grids ask for one person', () => {
  for (const p of generateSuite('arithmetic', 9, 30)) {
    const expr = p.problem
      .replace(/^Compute |\.$/g, '')
      .replace(/×/g, '*')
      .replace(/÷/g, '/')
      .replace(/−/g, '-');
    assert.equal(String(Function(`return (${expr})`)()), p.answer, p.problem);
  }
  for (const p of generateSuite('dates', 9, 30)) {
    const [date] = /\d{4}-\d{2}-\d{2}/.exec(p.problem) ?? [''];
    if (p.level === 2) {
      const day = new Date(`${date}T00:00:00Z`).toLocaleDateString('en-US', {
        weekday: 'long',
        timeZone: 'UTC',
      });
      assert.equal(p.answer, day);
    }
    if (p.level === 1) {
      const n = Number(/(\d+) days after/.exec(p.problem)?.[1]);
      assert.equal(
        p.answer,
        new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10),
      );
    }
  }
  for (const p of generateSuite('logic', 9, 9)) {
    assert.match(p.problem, /Who owns the \w+\?/);
    assert.match(p.answer, /^(Ana|Ben|Chen|Dara|Eli)$/);
  }
});

test('loaders: GSM8K, MATH-500, AIME JSONL and CSV, generic files; mistakes named', () => {
  const gsm = loadProblems(
    `${JSON.stringify({ question: 'How many?', answer: 'Work 2+2=4\n#### 1,234' })}\n`,
    'test.jsonl',
    'gsm8k',
  );
  assert.deepEqual(gsm[0], { id: 'gsm8k-0', problem: 'How many?', answer: '1234', kind: 'auto' });
  const math = loadProblems(
    JSON.stringify({
      problem: 'Find x.',
      answer: '\\frac{1}{2}',
      level: 'Level 3',
      unique_id: 'test/algebra/1.json',
    }),
    'test.jsonl',
    'math500',
  );
  assert.deepEqual(math[0], {
    id: 'math500-test/algebra/1.json',
    problem: 'Find x.',
    answer: '\\frac{1}{2}',
    kind: 'auto',
    level: 3,
  });
  const aime = loadProblems(
    JSON.stringify({ ID: '2024-I-1', Problem: 'Every morning…', Answer: 204 }),
    'aime.jsonl',
    'aime2024',
  );
  assert.equal(aime[0]?.answer, '204');
  assert.equal(aime[0]?.id, 'aime2024-2024-I-1');
  const csv = loadProblems(
    'ID,Year,Question,Answer\n1983-1,1983,"Let x, y, z be ""real""\nnumbers",015\n',
    'aime.csv',
    'aime2024',
  );
  assert.equal(csv[0]?.problem, 'Let x, y, z be "real"\nnumbers');
  assert.ok(checkAnswer('15', csv[0]?.answer ?? '').correct);
  const generic = loadProblems('[{"prompt":"Pick one","target":"C"}]', 'mine.json', 'generic', 'mine');
  assert.equal(generic[0]?.kind, 'choice');
  assert.throws(() => loadProblems('{"question":"q","answer":"no marker"}', 'test.jsonl', 'gsm8k'), /####/);
  assert.throws(() => loadProblems('{"q":1}', 'x.jsonl', 'generic'), /row 1: no answer/);
  assert.throws(
    () => loadProblems('{"problem":"a","answer":"1"}\nnot json', 'x.jsonl', 'generic'),
    /line 2 is not valid JSON/,
  );
  assert.throws(() => loadProblems('', 'x.jsonl', 'generic'), /no problems/);
  // Duplicate ids in a file (two parts both numbered from 1): row numbers instead.
  const dup = loadProblems(
    '{"id":1,"problem":"a","answer":"1"}\n{"id":1,"problem":"b","answer":"2"}',
    'x.jsonl',
    'generic',
    'x',
  );
  assert.deepEqual(
    dup.map((p) => p.id),
    ['x-0', 'x-1'],
  );
  assert.deepEqual(parseCsv('a,b\r\n1,2\r\n'), [{ a: '1', b: '2' }]);
});

test('--download: through the given fetcher, cached; offline fails clearly, naming --file', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ponder-suite-'));
  try {
    const offline = async () => {
      throw new FetchFailed('getaddrinfo ENOTFOUND huggingface.co');
    };
    await assert.rejects(downloadSuite('math500', { dataDir, fetch: offline }), (err: Error) => {
      assert.match(
        err.message,
        /cannot download math500 from https:\/\/huggingface\.co\/datasets\/HuggingFaceH4\/MATH-500/,
      );
      assert.match(err.message, /ENOTFOUND/);
      assert.match(err.message, /--file <path>/);
      return true;
    });
    const urls: string[] = [];
    // JSONL files as published, or the Dataset Viewer API's JSON for sets kept as Parquet.
    const served = async (url: string | URL) => {
      urls.push(String(url));
      const row = { question: `q from ${url}`, answer: '7' };
      return new Response(
        String(url).startsWith('https://datasets-server.huggingface.co/rows?')
          ? JSON.stringify({
              features: [],
              rows: [{ row_idx: 0, row, truncated_cells: [] }],
              num_rows_total: 1,
            })
          : `${JSON.stringify(row)}\n`,
      );
    };
    const suite = await resolveSuite(
      { type: 'standard', name: 'aime2025', download: true },
      { dataDir, cwd: dataDir, fetch: served },
    );
    assert.equal(urls.length, 2, 'AIME 2025 I and II');
    assert.match(urls[0] ?? '', /dataset=opencompass%2FAIME2025&config=AIME2025-I&split=test/);
    assert.equal(suite.problems.length, 2);
    // A Hugging Face mirror (HF_ENDPOINT) replaces the host of the files hosted there.
    await resolveSuite(
      { type: 'standard', name: 'math500', download: true },
      { dataDir, cwd: dataDir, fetch: served, hfBaseUrl: 'http://127.0.0.1:9/hf/' },
    );
    assert.equal(
      urls.at(-1),
      'http://127.0.0.1:9/hf/datasets/HuggingFaceH4/MATH-500/resolve/main/test.jsonl',
    );
    // Cached: no fetch the second time.
    await resolveSuite({ type: 'standard', name: 'aime2025' }, { dataDir, cwd: dataDir, fetch: offline });
    const file = join(dataDir, 'mine.csv');
    writeFileSync(file, 'question,answer\nq1,1\nq2,2\nq3,3\n');
    const limited = await resolveSuite({ type: 'file', file, limit: 2 }, { dataDir, cwd: dataDir });
    assert.equal(limited.problems.length, 2);
    assert.equal(limited.name, 'mine');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('reported figures ship with the suites and match model ids', () => {
  const math = reportedFor(REPORTED.math500, 'DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M');
  assert.deepEqual(
    math.map((f) => f.value),
    [83.9, 83.1],
  );
  assert.deepEqual(
    reportedFor(REPORTED.aime2024, 'deepseek-r1').map((f) => f.value),
    [79.8],
  );
  assert.deepEqual(reportedFor(REPORTED.aime2024, 'tiny'), []);
});
