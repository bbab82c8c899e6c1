import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConversationDetail, Message, ToolStep } from '../../api/conversations.ts';
import { contentDisposition, exportJson, exportMarkdown } from './export.ts';

const at = '2026-01-01T00:00:00.000Z';
function message(id: string, parentId: string | null, role: Message['role'], content: string): Message {
  return { id, parentId, role, content, reasoning: '', status: 'complete', model: null, createdAt: at };
}

const detail: ConversationDetail = {
  id: 'abcdefgh12345',
  title: 'Ünïcode "title" / path',
  createdAt: at,
  updatedAt: at,
  messages: [
    message('u1', null, 'user', 'first'),
    { ...message('a1', 'u1', 'assistant', 'old answer'), reasoning: 'hmm', model: 'tiny' },
    { ...message('a2', 'u1', 'assistant', 'new answer'), status: 'cancelled' },
  ],
};

test('Content-Disposition has an ASCII fallback and the UTF-8 name', () => {
  const value = contentDisposition('Ünï "x".md');
  assert.equal(value, `attachment; filename="_n_ _x_.md"; filename*=UTF-8''%C3%9Cn%C3%AF%20%22x%22.md`);
});

test('Markdown export: the latest branch, other branches counted, status noted', () => {
  const file = exportMarkdown(detail);
  assert.match(file.filename, /^ponder-unicode-title-path-abcdefgh\.md$/);
  assert.ok(file.body.startsWith('# Ünïcode "title" / path\n'));
  assert.ok(file.body.includes('new answer'));
  assert.ok(!file.body.includes('old answer'));
  assert.ok(file.body.includes('latest of 2 branches'));
  assert.ok(file.body.includes('_(cancelled)_'));
});

test('JSON export is the whole tree', () => {
  const file = exportJson(detail, new Date(at));
  const parsed = JSON.parse(file.body) as {
    format: string;
    version: number;
    conversation: ConversationDetail;
  };
  assert.equal(parsed.format, 'ponder.conversation');
  assert.equal(parsed.conversation.messages.length, 3);
});

const steps: ToolStep[] = [
  {
    id: 'call_1',
    name: 'web_search',
    arguments: '{\n  "query": "ponder reasoning"\n}',
    reasoningOffset: 'First I look it up.'.length,
    at: 120,
    result: { content: `Found:\n\n- ${'long '.repeat(100)}<script>`, isError: false, ms: 30 },
  },
  {
    id: 'call_2',
    name: 'fetch_url',
    arguments: '{"url": "`x`"}',
    reasoningOffset: 'First I look it up. Then I read it.'.length,
    at: 300,
    result: { content: 'timed out </details>', isError: true, ms: 5000 },
  },
  { id: 'call_3', name: 'clock', arguments: '{}', reasoningOffset: 999, at: 400 },
];
const withTools: ConversationDetail = {
  ...detail,
  messages: [
    message('u1', null, 'user', 'look it up'),
    {
      ...message('a1', 'u1', 'assistant', 'the answer'),
      reasoning: 'First I look it up. Then I read it. Done.',
      toolSteps: steps,
    },
  ],
};

test('Markdown export: tool calls sit in the reasoning at their offsets, folded and truncated', () => {
  const body = exportMarkdown(withTools).body;
  const reasoning = body.slice(body.indexOf('<details>'), body.indexOf('</details>'));
  const order = [
    'First I look it up.',
    '> Tool call: `web_search({ "query": "ponder reasoning" })` → Found: - long',
    'Then I read it.',
    '> Tool call: `` fetch_url({"url": "`x`"}) `` → error: timed out &lt;/details>',
    'Done.',
    '> Tool call: `clock({})` → _(no result)_',
  ].map((part) => reasoning.indexOf(part));
  assert.ok(
    order.every((at, i) => at >= 0 && (i === 0 || at > (order[i - 1] ?? 0))),
    `${order}\n${reasoning}`,
  );
  const first = reasoning.split('\n').find((l) => l.includes('web_search')) ?? '';
  assert.ok(first.endsWith('…'), first);
  assert.ok(first.length < 400, first);
  assert.ok(!body.includes('<script>'));
  assert.equal(body.split('</details>').length, 2, 'a result cannot close the reasoning panel');
  assert.ok(body.indexOf('</details>') < body.indexOf('the answer'));
});

test('Markdown export: tool calls of an answer without reasoning come before it', () => {
  const noReasoning: ConversationDetail = {
    ...withTools,
    messages: withTools.messages.map((m) => ({ ...m, reasoning: '' })),
  };
  const body = exportMarkdown(noReasoning).body;
  assert.ok(!body.includes('<details>'));
  const call = body.indexOf('> Tool call: `clock({})` → _(no result)_');
  assert.ok(call > 0 && call < body.indexOf('the answer'));
  assert.equal((body.match(/> Tool call:/g) ?? []).length, 3);
});

test('JSON export keeps tool steps whole', () => {
  const parsed = JSON.parse(exportJson(withTools, new Date(at)).body) as { conversation: ConversationDetail };
  assert.deepEqual(parsed.conversation.messages[1]?.toolSteps, steps);
  assert.equal(parsed.conversation.messages[0]?.toolSteps, undefined);
});
