import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConversationDetail, Message } from '../../api/conversations.ts';
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
