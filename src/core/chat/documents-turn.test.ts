/**
 * Documents in a chat turn, end to end at the core level (issue 13): a real SQLite store, the real
 * DocumentService (real parsers, keyword retrieval), and the real embedded engine on the generated tiny
 * model (1024-token context). A draft upload sent with the message joins the conversation; the turn shows a
 * search_documents step whose result holds the right passage under its citation label, stored with the
 * answer; whole-document mode reads a small file whole and, for a file too big for the context, says so and
 * falls back to passages; another user's file is refused before anything is stored.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { GenerationEvent } from '../../api/conversations.ts';
import { DEFAULT_PLANS } from '../../config/schema.ts';
import { parseDocument } from '../../inference/documents/index.ts';
import { makePdf } from '../../inference/documents/testing.ts';
import { ensureTestModel } from '../../inference/gguf/test-model.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from '../../inference/llama/index.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/types.ts';
import { DocumentService } from '../documents/document-service.ts';
import { InferenceGateway } from '../inference-gateway.ts';
import { PlanCatalog } from '../quotas/plans.ts';
import { searchDocumentsTool } from '../turns/document-search.ts';
import { ToolRegistry } from '../turns/tool-registry.ts';
import { TurnPipeline } from '../turns/turn-pipeline.ts';
import { ChatService } from './chat-service.ts';
import { MemoryGenerationEventLog } from './event-log.ts';
import { collect } from './event-log-contract.ts';

const TOPICS = ['otters', 'glaciers', 'volcanoes', 'lighthouses'];
const fact = (t: string, i: number) => `Fact ${i} about ${t}: the ${t} ledger number is ${1000 + i * 7}.`;

describe('documents in a chat turn (real store, DocumentService and engine)', { timeout: 240_000 }, () => {
  let dir: string;
  let store: Store;
  let provider: EmbeddedProvider;
  let documents: DocumentService;
  let chat: ChatService;
  let log: MemoryGenerationEventLog;
  const alice = { id: '', plan: 'free', isAdmin: false };
  const bob = { id: '', plan: 'free', isAdmin: false };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ponder-docturn-'));
    store = await openStore({ dataDir: dir, masterKey: 'd'.repeat(64) });
    alice.id = (await store.users.create({ email: 'alice@example.com', passwordHash: 'x', plan: 'free' })).id;
    bob.id = (await store.users.create({ email: 'bob@example.com', passwordHash: 'x', plan: 'free' })).id;
    const plans = new PlanCatalog(DEFAULT_PLANS, 'free');
    documents = new DocumentService({ store, plans, parse: parseDocument, chunkTokens: 120 });
    provider = createEmbeddedProvider({
      models: { tiny: await ensureTestModel('tiny') },
      defaultModel: 'tiny',
      slots: 2,
      contextSize: 1024,
      batchSize: 64,
      threads: 1,
    });
    const pipeline = new TurnPipeline({
      gateway: new InferenceGateway({ providers: [provider] }),
      plans,
      tools: new ToolRegistry([]),
      documents,
    });
    log = new MemoryGenerationEventLog();
    chat = new ChatService({ store, pipeline, log, persistIntervalMs: 50, maxTokens: 48 });
  });

  after(async () => {
    await chat?.shutdown(5000);
    await provider?.[Symbol.asyncDispose]();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function events(generationId: string): Promise<GenerationEvent[]> {
    return collect(await log.read(generationId, 0, new AbortController().signal));
  }

  test('a draft PDF sent with the message joins the conversation; the step retrieves the right page', async () => {
    const pdf = await makePdf(TOPICS.map((t, i) => `${fact(t, i)}\nUnrelated filler line ${i}.`));
    const draft = await documents.upload(alice, { name: 'report.pdf', bytes: pdf });
    assert.equal(draft.conversationId, null);
    const conv = await store.conversations.create({ userId: alice.id });
    const started = await chat.send(alice, conv.id, {
      content: 'What is the volcanoes ledger number?',
      thinking: { enabled: false },
      documents: { fileIds: [draft.id] },
    });
    const all = await events(started.generationId);
    const call = all.find((e) => e.type === 'tool_call');
    const result = all.find((e) => e.type === 'tool_result');
    assert.ok(call?.type === 'tool_call' && result?.type === 'tool_result');
    assert.equal(call.data.name, 'search_documents');
    assert.deepEqual(JSON.parse(call.data.arguments), { query: 'What is the volcanoes ledger number?' });
    assert.equal(result.data.isError, false);
    // The first passage is page 3's, labelled as the answer cites it, inside untrusted-data markers.
    assert.match(
      result.data.content,
      /=== begin untrusted data [0-9a-f]{12} ===\n\[report\.pdf p\. 3\] \(passage [A-Za-z0-9_-]{22}\)\n> .*1014/,
    );
    assert.equal(all.at(-1)?.type, 'done');

    // Stored with the answer like the model's own calls (what a reattach replays).
    const saved = (await store.messages.tree(conv.id, alice.id))?.find((m) => m.role === 'assistant');
    assert.equal(saved?.toolSteps?.[0]?.name, 'search_documents');
    assert.match(saved?.toolSteps?.[0]?.result?.content ?? '', /\[report\.pdf p\. 3\]/);
    // The draft is now the conversation's file.
    const hits = await documents.retrieve(alice.id, {
      scopes: [{ kind: 'conversation', conversationId: conv.id }],
      query: 'volcanoes ledger',
    });
    assert.equal(hits[0]?.citation, 'report.pdf p. 3');
  });

  test('whole-document mode: a small file goes in whole; one too big for the context falls back with a notice', async () => {
    const conv = await store.conversations.create({ userId: alice.id });
    const small = await documents.upload(alice, {
      name: 'notes.md',
      bytes: new TextEncoder().encode('# Notes\n\nThe lighthouse keeper is named Ada.\n'),
      conversationId: conv.id,
    });
    const first = await chat.send(alice, conv.id, {
      content: 'Who keeps the lighthouse?',
      thinking: { enabled: false },
      documents: { fileIds: [small.id], whole: true },
    });
    const whole = (await events(first.generationId)).find((e) => e.type === 'tool_result');
    assert.ok(whole?.type === 'tool_result');
    assert.match(whole.data.content, /read these documents whole/);
    assert.match(whole.data.content, /\[notes\.md\] \(file [A-Za-z0-9_-]{22}, \d+ tokens\)\n> # Notes/);

    const long = TOPICS.flatMap((t, i) =>
      Array.from({ length: 30 }, (_, k) => `${fact(t, i)} Line ${k}.`),
    ).join('\n');
    const big = await documents.upload(alice, {
      name: 'big.md',
      bytes: new TextEncoder().encode(long),
      conversationId: conv.id,
    });
    const second = await chat.send(alice, conv.id, {
      content: 'Summarise the glaciers facts.',
      thinking: { enabled: false },
      documents: { fileIds: [big.id], whole: true },
    });
    const fallback = (await events(second.generationId)).find((e) => e.type === 'tool_result');
    assert.ok(fallback?.type === 'tool_result');
    assert.match(
      fallback.data.content,
      /^Note: the whole documents \(about \d+ tokens\) do not fit this model's context of 1024 tokens/,
    );
    assert.match(fallback.data.content, /\[big\.md\] \(passage /);
  });

  test('search_documents on the real service: the turn’s scope only, never another user’s files', async () => {
    const conv = await store.conversations.create({ userId: alice.id });
    const mine = await documents.upload(alice, {
      name: 'tides.md',
      bytes: new TextEncoder().encode('# Tides\n\nThe harbour tide table code is QX-17.\n'),
      conversationId: conv.id,
    });
    const theirs = await documents.upload(bob, {
      name: 'bob.md',
      bytes: new TextEncoder().encode('# Tides\n\nBob keeps the tide table code QX-99.\n'),
    });
    const registry = new ToolRegistry([searchDocumentsTool(documents)]);
    const call = { id: 'c1', name: 'search_documents', arguments: '{"query":"tide table code"}' };
    const signal = AbortSignal.timeout(10_000);
    const found = await registry.execute(call, {
      userId: alice.id,
      signal,
      documents: [{ kind: 'files', fileIds: [mine.id, theirs.id] }],
    });
    assert.equal(found.isError, false);
    assert.match(found.content, /\[tides\.md § Tides\] \(passage [A-Za-z0-9_-]{22}\)(\n>.*)*\n> .*QX-17/);
    assert.doesNotMatch(found.content, /QX-99|bob\.md/);
  });

  test('another user’s file is refused (400 naming documents.fileIds) before anything is stored', async () => {
    const theirs = await documents.upload(bob, {
      name: 'secret.md',
      bytes: new TextEncoder().encode('secret'),
    });
    const conv = await store.conversations.create({ userId: alice.id });
    await assert.rejects(
      chat.send(alice, conv.id, { content: 'x', documents: { fileIds: [theirs.id] } }),
      (err: unknown) =>
        (err as { code?: string; field?: string }).code === 'invalid_request' &&
        (err as { field?: string }).field === 'documents.fileIds',
    );
    assert.deepEqual(await store.messages.tree(conv.id, alice.id), []);
  });
});
